/**
 * Virtual repos: one URL over an ordered list of member repos of the same format.
 *
 *   members(V)              → V's members that still exist, in V's order
 *   eligible(V, name)       → with dependency-confusion protection on (the default) and a
 *                             name some *local* member holds: the local members only;
 *                             otherwise every member
 *
 * Invariants:
 * - Nothing here checks access: each member is opened with the caller's own rights by
 *   whoever reads it (a member the caller can't read is skipped, never served).
 * - Members are never virtual (checked when the repo is saved), so resolution is one level.
 * - "Holds a name" means the member's package model (or, for images, its manifests) has
 *   it: for an upstream member that is what it has cached, which is why only local
 *   members count: a local name shadows the upstream, never the other way round.
 */
import type { Scope } from "../scope";
import type { OpenedRepo } from "../projects/repos";
import { findProject, findRepo } from "../../db/projects";
import { findPackage } from "../../db/packages";
import { imageExists } from "../../db/oci";
import { protectsFromConfusion } from "./settings";

export async function virtualMembers(scope: Scope, virtual: OpenedRepo): Promise<OpenedRepo[]> {
  const out: OpenedRepo[] = [];
  for (const id of virtual.repo.virtualMembers) {
    const repo = await findRepo(scope.db, id);
    if (!repo || repo.format !== virtual.repo.format || repo.kind === "virtual") continue;
    const project = repo.projectId === virtual.project.id ? virtual.project : await findProject(scope.db, repo.projectId);
    if (project) out.push({ project, repo });
  }
  return out;
}

/** Whether a local member holds the name (a package key, or an image name with `image`). */
async function holds(scope: Scope, member: OpenedRepo, name: string, image: boolean) {
  return image ? imageExists(scope.db, member.repo.id, name) : !!(await findPackage(scope.db, member.repo.id, name));
}

/** The members a request for `name` may be answered from, in order. */
export async function eligibleMembers(scope: Scope, virtual: OpenedRepo, members: OpenedRepo[], name: string | null, opts: { image?: boolean } = {}): Promise<OpenedRepo[]> {
  if (name === null || !protectsFromConfusion(virtual.repo.config)) return members;
  const locals = members.filter((m) => m.repo.kind === "local");
  for (const m of locals) if (await holds(scope, m, name, !!opts.image)) return locals;
  return members;
}

/** The member writes go to, or null when the virtual repo refuses writes. */
export function deployMember(virtual: OpenedRepo, members: OpenedRepo[]): OpenedRepo | null {
  const id = virtual.repo.config.deploy_member;
  return (id && members.find((m) => m.repo.id === id && m.repo.kind === "local")) || null;
}
