/**
 * Repo-level permissions (reference 004 §2.12) and default permissions for new repos
 * (prototypes, §2.13), and the transitive view that explains a user's effective role.
 * Invariants:
 * - A permission grants `read`, `write` or `admin` (the project roles reader, writer,
 *   admin) on one repo to a user, a team of the repo's project or a service account of
 *   it; it adds to project roles, never takes away (the effective role is the highest).
 * - Repo admins (project admins, or holders of `admin` on the repo) manage its
 *   permissions; project admins manage prototypes.
 * - New repos get their project's matching prototypes as permissions in the same batch
 *   that creates them (services/projects/repo-defaults.ts), audited with it.
 * - Every change is audited and emits its event, clearing this isolate's role cache.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { snakeKeys } from "../../core/event-shapes";
import { getRepo } from "../projects/repos";
import { getProject } from "../projects/projects";
import { findUserRef } from "./teams";
import * as q from "../../db/permissions";
import { findServiceAccount, listServiceAccounts } from "../../db/principals";
import { grantsOf } from "../../db/permissions";
import { highestRole } from "../../auth/access";
import { roleAllows } from "../../auth/principal";
import { invalid, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { SCOPES, type DelegateType, type RepoPermission, type Role } from "../../core/vocabulary";

const TO_ROLE: Record<RepoPermission, Role> = { read: "reader", write: "writer", admin: "admin" };
const TO_PERMISSION: Record<Role, RepoPermission> = { reader: "read", writer: "write", admin: "admin" };
export const toRole = (p: RepoPermission): Role => TO_ROLE[p];
export const toPermission = (r: Role): RepoPermission => TO_PERMISSION[r];

export interface Delegate {
  type: DelegateType;
  id: string;
  name: string;
}

/** Resolves a delegate named by id or name; teams and service accounts must belong to `projectId`. */
export async function resolveDelegate(scope: Scope, projectId: string, type: DelegateType, ref: string): Promise<Delegate> {
  if (type === "user") {
    const user = await findUserRef(scope, ref);
    if (user) return { type, id: user.id, name: user.username };
  } else if (type === "team") {
    const team = await q.findTeam(scope.db, projectId, ref);
    if (team) return { type, id: team.id, name: team.name };
  } else {
    const sa = (await findServiceAccount(scope.db, projectId, ref)) ?? (await listServiceAccounts(scope.db, projectId, ref, null, 1))[0];
    if (sa) return { type, id: sa.id, name: sa.name };
  }
  throw invalid("PermissionDelegate", `${type} ${ref} does not exist in this project`);
}

async function repoAdmin(scope: Scope, repoId: string) {
  const repo = await getRepo(scope, repoId);
  await scope.access.require("admin", { projectId: repo.projectId, repo });
  return repo;
}

export async function listRepoPermissions(scope: Scope, repoId: string) {
  const repo = await repoAdmin(scope, repoId);
  return { repo, permissions: await q.listRepoPermissions(scope.db, repo.id) };
}

export async function getRepoPermission(scope: Scope, repoId: string, type: DelegateType, ref: string) {
  const repo = await repoAdmin(scope, repoId);
  const delegate = await resolveDelegate(scope, repo.projectId, type, ref).catch(() => null);
  const row = delegate && (await q.findRepoPermission(scope.db, repo.id, type, delegate.id));
  if (!row) throw notFound("RepoPermission", `${type} ${ref} holds no permission on this repository`);
  return row;
}

export async function setRepoPermission(scope: Scope, repoId: string, type: DelegateType, ref: string, permission: RepoPermission) {
  const repo = await repoAdmin(scope, repoId);
  const delegate = await resolveDelegate(scope, repo.projectId, type, ref);
  const before = (await q.findRepoPermission(scope.db, repo.id, type, delegate.id)) ?? null;
  const now = Date.now();
  const row: q.RepoPermissionRow = { repoId: repo.id, delegateType: type, delegateId: delegate.id, role: toRole(permission), createdAt: before?.createdAt ?? now, updatedAt: now };
  const wire = { repo_id: repo.id, delegate_type: type, delegate_id: delegate.id, role: permission };
  await scope.db.batch([
    q.upsertRepoPermission(scope.db, row),
    auditQuery(scope, { action: "repo_permission.set", resourceType: "repo", resourceId: repo.id, projectId: repo.projectId, before: before && { ...wire, role: toPermission(before.role) }, after: { ...wire, delegate_name: delegate.name } }, now),
  ]);
  await emitEvent(scope, { type: "repo_permission.set", project_id: repo.projectId, data: { permission: wire, delegate_name: delegate.name, before: before ? toPermission(before.role) : null } });
  return { row, delegate };
}

export async function removeRepoPermission(scope: Scope, repoId: string, type: DelegateType, ref: string) {
  const before = await getRepoPermission(scope, repoId, type, ref);
  const repo = await getRepo(scope, repoId);
  const wire = { repo_id: repo.id, delegate_type: type, delegate_id: before.delegateId, role: toPermission(before.role) };
  await scope.db.batch([
    q.deleteRepoPermission(scope.db, repo.id, type, before.delegateId),
    auditQuery(scope, { action: "repo_permission.remove", resourceType: "repo", resourceId: repo.id, projectId: repo.projectId, before: wire }),
  ]);
  await emitEvent(scope, { type: "repo_permission.removed", project_id: repo.projectId, data: { permission: wire } });
}

/**
 * Why a user can do what they can on a repo: every source of a role, the effective
 * role (the highest) and the actions it allows. Repo admins may ask about anyone, a
 * user about themself.
 */
export async function transitivePermissions(scope: Scope, repoId: string, userRef: string) {
  const repo = await getRepo(scope, repoId);
  const user = await findUserRef(scope, userRef);
  const p = scope.access.principal;
  const self = p.type === "user" && user && p.id === user.id;
  if (!self) await scope.access.require("admin", { projectId: repo.projectId, repo });
  if (!user) throw notFound("User", `user ${userRef} not found`);
  const sources: { source: "instance_admin" | q.GrantSource | "public"; role: RepoPermission; team: { id: string; name: string } | null }[] = [];
  if (user.isAdmin) sources.push({ source: "instance_admin", role: "admin", team: null });
  for (const g of await grantsOf(scope.db, repo.projectId, repo.id, "user", user.id)) {
    sources.push({ source: g.source, role: toPermission(g.role), team: g.teamId ? { id: g.teamId, name: g.teamName ?? "" } : null });
  }
  if (repo.visibility === "public") sources.push({ source: "public", role: "read", team: null });
  const role = highestRole(sources.map((s) => ({ role: toRole(s.role) })));
  return { repo, user, role: role && toPermission(role), actions: SCOPES.filter((a) => roleAllows(role, null, a)), sources };
}

// Default permissions (prototypes)

async function projectAdmin(scope: Scope, projectId: string) {
  const project = await getProject(scope, projectId);
  await scope.access.require("admin", { projectId: project.id });
  return project;
}

export interface PrototypeInput {
  delegate_type: DelegateType;
  delegate: string;
  role: RepoPermission;
  activating_user?: string | null;
}

export async function listPrototypes(scope: Scope, projectId: string) {
  await projectAdmin(scope, projectId);
  return q.listPrototypes(scope.db, projectId);
}

export async function createPrototype(scope: Scope, projectId: string, input: PrototypeInput) {
  await projectAdmin(scope, projectId);
  const delegate = await resolveDelegate(scope, projectId, input.delegate_type, input.delegate);
  let activating: string | null = null;
  if (input.activating_user) {
    const u = await findUserRef(scope, input.activating_user);
    if (!u) throw invalid("PrototypeActivatingUser", `user ${input.activating_user} does not exist`);
    activating = u.id;
  }
  const now = Date.now();
  const row: q.PrototypeRow = { id: newId(), projectId, activatingUserId: activating, delegateType: delegate.type, delegateId: delegate.id, role: toRole(input.role), createdAt: now, updatedAt: now };
  await scope.db.batch([
    q.insertPrototype(scope.db, row),
    auditQuery(scope, { action: "prototype.create", resourceType: "prototype", resourceId: row.id, projectId, after: row }, now),
  ]);
  await emitEvent(scope, { type: "prototype.created", project_id: projectId, data: { prototype: snakeKeys(row) } });
  return row;
}

export async function updatePrototype(scope: Scope, projectId: string, id: string, role: RepoPermission) {
  await projectAdmin(scope, projectId);
  const before = await q.findPrototype(scope.db, projectId, id);
  if (!before) throw notFound("Prototype", `default permission ${id} not found`);
  const now = Date.now();
  const after = { ...before, role: toRole(role), updatedAt: now };
  await scope.db.batch([
    q.updatePrototype(scope.db, id, after),
    auditQuery(scope, { action: "prototype.update", resourceType: "prototype", resourceId: id, projectId, before, after }, now),
  ]);
  await emitEvent(scope, { type: "prototype.updated", project_id: projectId, data: { before: snakeKeys(before), after: snakeKeys(after) } });
  return after;
}

export async function deletePrototype(scope: Scope, projectId: string, id: string) {
  await projectAdmin(scope, projectId);
  const before = await q.findPrototype(scope.db, projectId, id);
  if (!before) throw notFound("Prototype", `default permission ${id} not found`);
  await scope.db.batch([
    q.deletePrototype(scope.db, id),
    auditQuery(scope, { action: "prototype.delete", resourceType: "prototype", resourceId: id, projectId, before }),
  ]);
  await emitEvent(scope, { type: "prototype.deleted", project_id: projectId, data: { prototype: snakeKeys(before) } });
}
