/**
 * Teams within a project (reference 004 §2.22): members and a project role.
 * Invariants:
 * - Project readers may list teams; only project admins create, change or delete
 *   them and manage or list their members.
 * - A team's `role` (reader/writer/admin, or null) is held by every member across the
 *   project; repo permissions may grant a team more on single repos.
 * - Deleting a team deletes its memberships, and the repo permissions and default
 *   permissions naming it, in the same batch as its audit row.
 * - Every change is audited and emits its `team.*` event (which also clears this
 *   isolate's role cache, so a membership counts at once).
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { snakeKeys } from "../../core/event-shapes";
import { getProject } from "../projects/projects";
import * as q from "../../db/permissions";
import { findUser, findUserByName } from "../../db/principals";
import { isUniqueViolation } from "../../db/errors";
import { conflict, invalid, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import type { Role } from "../../core/vocabulary";

export type { TeamRow, TeamMemberRow, RepoPermissionRow, PrototypeRow } from "../../db/permissions";

const NAME = /^[a-z0-9](?:[a-z0-9-_.]{0,62}[a-z0-9])?$/;

export interface TeamInput {
  name: string;
  description?: string;
  role?: Role | null;
}

async function projectFor(scope: Scope, projectId: string, action: "read" | "admin") {
  const project = await getProject(scope, projectId);
  await scope.access.require(action, { projectId: project.id });
  return project;
}

export async function listTeams(scope: Scope, projectId: string, cursor?: string, limit?: number) {
  await projectFor(scope, projectId, "read");
  const n = clampLimit(limit);
  return toPage(await q.listTeams(scope.db, projectId, decodeCursor(cursor), n), n);
}

/** A team by id or name; `action` is what the caller must hold in the project. */
export async function getTeam(scope: Scope, projectId: string, idOrName: string, action: "read" | "admin" = "read") {
  await projectFor(scope, projectId, action);
  const team = await q.findTeam(scope.db, projectId, idOrName);
  if (!team) throw notFound("Team", `team ${idOrName} not found in this project`);
  return team;
}

export async function createTeam(scope: Scope, projectId: string, input: TeamInput) {
  await projectFor(scope, projectId, "admin");
  if (!NAME.test(input.name)) throw invalid("TeamName", "name must be 1–64 lowercase letters, digits, '-', '_' or '.'");
  const now = Date.now();
  const row: q.TeamRow = { id: newId(), projectId, name: input.name, description: input.description ?? "", role: input.role ?? null, createdAt: now, updatedAt: now };
  try {
    await scope.db.batch([
      q.insertTeam(scope.db, row),
      auditQuery(scope, { action: "team.create", resourceType: "team", resourceId: row.id, projectId, after: row }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("TeamNameInUse", `the project already has a team '${input.name}'`);
    throw e;
  }
  await emitEvent(scope, { type: "team.created", project_id: projectId, data: { team: snakeKeys(row) } });
  return row;
}

export async function updateTeam(scope: Scope, projectId: string, idOrName: string, patch: Partial<TeamInput>) {
  const before = await getTeam(scope, projectId, idOrName, "admin");
  if (patch.name !== undefined && !NAME.test(patch.name)) throw invalid("TeamName", "name must be 1–64 lowercase letters, digits, '-', '_' or '.'");
  const now = Date.now();
  const after: q.TeamRow = {
    ...before,
    name: patch.name ?? before.name,
    description: patch.description ?? before.description,
    role: patch.role !== undefined ? patch.role : before.role,
    updatedAt: now,
  };
  try {
    await scope.db.batch([
      q.updateTeam(scope.db, before.id, after),
      auditQuery(scope, { action: "team.update", resourceType: "team", resourceId: before.id, projectId, before, after }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("TeamNameInUse", `the project already has a team '${after.name}'`);
    throw e;
  }
  await emitEvent(scope, { type: "team.updated", project_id: projectId, data: { before: snakeKeys(before), after: snakeKeys(after) } });
  return after;
}

export async function deleteTeam(scope: Scope, projectId: string, idOrName: string) {
  const before = await getTeam(scope, projectId, idOrName, "admin");
  await scope.db.batch([
    q.deleteGrantsOfDelegate(scope.db, "team", before.id),
    q.deletePrototypesOfDelegate(scope.db, "team", before.id),
    q.deleteTeam(scope.db, before.id),
    auditQuery(scope, { action: "team.delete", resourceType: "team", resourceId: before.id, projectId, before }),
  ]);
  await emitEvent(scope, { type: "team.deleted", project_id: projectId, data: { team: snakeKeys(before) } });
}

export async function listTeamMembers(scope: Scope, projectId: string, idOrName: string) {
  const team = await getTeam(scope, projectId, idOrName, "admin");
  return { team, members: await q.listTeamMembers(scope.db, team.id) };
}

/** A user by id or user name. */
export async function findUserRef(scope: Scope, ref: string) {
  return (await findUser(scope.db, ref)) ?? (await findUserByName(scope.db, ref));
}

export async function addTeamMember(scope: Scope, projectId: string, idOrName: string, userRef: string) {
  const team = await getTeam(scope, projectId, idOrName, "admin");
  const user = await findUserRef(scope, userRef);
  if (!user) throw invalid("TeamMemberUser", `user ${userRef} does not exist`);
  const existing = await q.findTeamMember(scope.db, team.id, user.id);
  if (existing) return { team, user, member: existing };
  const now = Date.now();
  const member: q.TeamMemberRow = { teamId: team.id, userId: user.id, source: "manual", createdAt: now };
  await scope.db.batch([
    q.upsertTeamMember(scope.db, member),
    auditQuery(scope, { action: "team.member_add", resourceType: "team", resourceId: team.id, projectId, after: { user_id: user.id, username: user.username, source: "manual" } }, now),
  ]);
  await emitEvent(scope, { type: "team.member_added", project_id: projectId, data: { team_id: team.id, user_id: user.id, source: "manual" } });
  return { team, user, member };
}

export async function removeTeamMember(scope: Scope, projectId: string, idOrName: string, userRef: string) {
  const team = await getTeam(scope, projectId, idOrName, "admin");
  const user = await findUserRef(scope, userRef);
  const existing = user && (await q.findTeamMember(scope.db, team.id, user.id));
  if (!user || !existing) throw notFound("TeamMember", `${userRef} is not a member of team ${team.name}`);
  await scope.db.batch([
    q.deleteTeamMember(scope.db, team.id, user.id),
    auditQuery(scope, { action: "team.member_remove", resourceType: "team", resourceId: team.id, projectId, before: { user_id: user.id, username: user.username, source: existing.source } }),
  ]);
  await emitEvent(scope, { type: "team.member_removed", project_id: projectId, data: { team_id: team.id, user_id: user.id } });
}

/** The repo permissions a team holds (reference 004 getOrganizationTeamPermissions). */
export async function listTeamPermissions(scope: Scope, projectId: string, idOrName: string) {
  const team = await getTeam(scope, projectId, idOrName, "admin");
  return { team, permissions: await q.listTeamRepoPermissions(scope.db, team.id) };
}
