/**
 * Which projects and repos a principal can see in listings.
 * Invariant: `projectIds` null means "all" and is returned only for instance admins; a
 * confined credential sees at most its own project. `repoIds` are repos reached only
 * through repo permissions (to the principal or its teams), outside those projects.
 */
import type { Scope } from "../scope";
import { reachOf } from "../../db/permissions";

export interface Reach {
  projectIds: string[] | null;
  repoIds: string[];
}

export async function visibleReach(scope: Scope): Promise<Reach> {
  const p = scope.access.principal;
  if (scope.access.isInstanceAdmin) return { projectIds: null, repoIds: [] };
  if (p.type === "anonymous" || p.type === "instance_admin") return { projectIds: [], repoIds: [] };
  if (p.projectId) return { projectIds: [p.projectId], repoIds: [] };
  if (p.isAdmin) return { projectIds: null, repoIds: [] };
  if (p.type === "oidc") return { projectIds: [], repoIds: [] };
  if (p.type === "internal") return { projectIds: null, repoIds: [] }; // reads everywhere (auth/access.ts)
  return reachOf(scope.db, p.type, p.id);
}

export async function visibleProjectIds(scope: Scope): Promise<string[] | null> {
  return (await visibleReach(scope)).projectIds;
}
