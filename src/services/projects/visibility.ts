/**
 * Which projects a principal can see in listings.
 * Invariant: null means "all" and is returned only for instance admins; a confined
 * credential sees at most its own project.
 */
import type { Scope } from "../scope";
import { projectIdsOf } from "../../db/principals";

export async function visibleProjectIds(scope: Scope): Promise<string[] | null> {
  const p = scope.access.principal;
  if (scope.access.isInstanceAdmin) return null;
  if (p.type === "anonymous" || p.type === "instance_admin") return [];
  if (p.projectId) return [p.projectId];
  if (p.isAdmin) return null;
  if (p.type === "oidc") return [];
  return projectIdsOf(scope.db, p.type, p.id);
}
