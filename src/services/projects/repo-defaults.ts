/**
 * Default permissions (prototypes, reference 004 §2.13) applied to a repo at creation:
 * the project's prototypes that match the creator become the repo's permissions, written
 * in the repo's own creation batch. Managing prototypes is identity's (permissions.ts);
 * applying them belongs to creating a repo, so it lives here, below identity.
 */
import type { Scope } from "../scope";
import * as q from "../../db/permissions";
import { highestRole } from "../../auth/access";

/** The permission rows a repo created now by the caller gets. */
export async function permissionsFromPrototypes(scope: Scope, projectId: string, repoId: string, now: number): Promise<q.RepoPermissionRow[]> {
  const p = scope.access.principal;
  const creator = p.type === "user" ? p.id : null;
  const rows = new Map<string, q.RepoPermissionRow>();
  for (const proto of await q.listPrototypes(scope.db, projectId)) {
    if (proto.activatingUserId && proto.activatingUserId !== creator) continue;
    const key = `${proto.delegateType}:${proto.delegateId}`;
    const prev = rows.get(key);
    if (prev && highestRole([prev, proto]) === prev.role) continue;
    rows.set(key, { repoId, delegateType: proto.delegateType, delegateId: proto.delegateId, role: proto.role, createdAt: now, updatedAt: now });
  }
  return [...rows.values()];
}

export const insertPermissionQuery = (scope: Scope, row: q.RepoPermissionRow) => q.upsertRepoPermission(scope.db, row);
