/**
 * Users (instance-admin managed) and project membership.
 * Invariants: only instance admins manage users and their tokens; project admins
 * manage who holds which role in their project. User tokens are not confined to a
 * project: what they reach follows the user's role bindings. Deleting a user deletes
 * its tokens and bindings in the same batch. A service account's binding mirrors its
 * `role` column: setting it here updates the account too, and it can't be removed
 * (change the role or delete the account).
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { getProject } from "../projects/projects";
import { announceRevoked, expiryOf, publicToken, revokeTokenRow, type TokenInput } from "./service-accounts";
import * as q from "../../db/principals";
import * as perms from "../../db/permissions";
import { isUniqueViolation } from "../../db/errors";
import { conflict, invalid, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import { mintToken } from "../../auth/tokens";
import type { PrincipalType, Role } from "../../core/vocabulary";
import { snakeKeys } from "../../core/event-shapes";

export type { ServiceAccountRow, TokenRow, UserRow } from "../../db/principals";

const USERNAME = /^[a-z0-9](?:[a-z0-9-_.]{0,62}[a-z0-9])?$/;

export async function listUsers(scope: Scope, cursor?: string, limit?: number) {
  scope.access.requireInstanceAdmin();
  const n = clampLimit(limit);
  return toPage(await q.listUsers(scope.db, decodeCursor(cursor), n), n);
}

export async function getUser(scope: Scope, id: string) {
  scope.access.requireInstanceAdmin();
  const user = await q.findUser(scope.db, id);
  if (!user) throw notFound("User", `user ${id} not found`);
  return user;
}

export async function createUser(scope: Scope, input: { username: string; email?: string | null; is_admin?: boolean }) {
  scope.access.requireInstanceAdmin();
  if (!USERNAME.test(input.username)) throw invalid("UserName", "username must be 1–64 lowercase letters, digits, '-', '_' or '.'");
  const now = Date.now();
  const row: q.UserRow = {
    id: newId(),
    username: input.username,
    email: input.email ?? null,
    isAdmin: input.is_admin ?? false,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await scope.db.batch([
      q.insertUser(scope.db, row),
      auditQuery(scope, { action: "user.create", resourceType: "user", resourceId: row.id, projectId: null, after: row }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("UserNameInUse", `user '${input.username}' already exists`);
    throw e;
  }
  await emitEvent(scope, { type: "user.created", project_id: null, data: { user: snakeKeys(row) } });
  return row;
}

export async function deleteUser(scope: Scope, id: string) {
  const before = await getUser(scope, id);
  const [deletedTokens] = await scope.db.batch([
    q.deleteTokensOf(scope.db, "user", id),
    q.deleteRoleBindingsOf(scope.db, "user", id),
    perms.deleteGrantsOfDelegate(scope.db, "user", id),
    perms.deletePrototypesOfDelegate(scope.db, "user", id),
    q.deleteUser(scope.db, id),
    auditQuery(scope, { action: "user.delete", resourceType: "user", resourceId: id, projectId: null, before }),
  ]);
  await emitEvent(scope, { type: "user.deleted", project_id: null, data: { user: snakeKeys(before) } });
  await announceRevoked(scope, deletedTokens, null);
}

export async function mintUserToken(scope: Scope, userId: string, input: TokenInput) {
  return mintTokenFor(scope, await getUser(scope, userId), input);
}

/** Mints a token for a user the caller was allowed to reach, with its audit row and event; the plaintext is returned once. */
export async function mintTokenFor(scope: Scope, user: q.UserRow, input: TokenInput) {
  const now = Date.now();
  const { plaintext, row } = await mintToken(
    { name: input.name, principalType: "user", principalId: user.id, projectId: null, scopes: input.scopes ?? null, expiresAt: expiryOf(input, now) },
    now,
  );
  await scope.db.batch([
    q.insertToken(scope.db, row),
    auditQuery(scope, { action: "token.create", resourceType: "token", resourceId: row.id, projectId: null, after: publicToken(row) }, now),
  ]);
  await emitEvent(scope, { type: "token.created", project_id: null, data: { token: snakeKeys(publicToken(row)) } });
  return { token: plaintext, row };
}

export async function listUserTokens(scope: Scope, userId: string, cursor?: string, limit?: number) {
  await getUser(scope, userId);
  const n = clampLimit(limit);
  return toPage(await q.listTokens(scope.db, "user", userId, decodeCursor(cursor), n), n);
}

export async function revokeUserToken(scope: Scope, userId: string, tokenId: string) {
  await getUser(scope, userId);
  const token = await q.findToken(scope.db, tokenId);
  if (!token || token.principalType !== "user" || token.principalId !== userId) throw notFound("Token", `token ${tokenId} not found`);
  await revokeTokenRow(scope, token, null);
}

async function projectAdmin(scope: Scope, projectId: string) {
  await getProject(scope, projectId);
  await scope.access.require("admin", { projectId });
}

export async function listMembers(scope: Scope, projectId: string) {
  await projectAdmin(scope, projectId);
  return q.listRoleBindings(scope.db, projectId);
}

export async function setMember(scope: Scope, projectId: string, input: { principal_type: PrincipalType; principal_id: string; role: Role }) {
  await projectAdmin(scope, projectId);
  const exists =
    input.principal_type === "user"
      ? await q.findUser(scope.db, input.principal_id)
      : await q.findServiceAccount(scope.db, projectId, input.principal_id);
  if (!exists) throw invalid("MemberPrincipal", `${input.principal_type} ${input.principal_id} does not exist here`);
  const before = (await q.findRole(scope.db, projectId, input.principal_type, input.principal_id)) ?? null;
  const now = Date.now();
  const binding = { projectId, principalType: input.principal_type, principalId: input.principal_id, role: input.role, createdAt: now };
  // A service account's role column and its binding are one fact: change both together.
  const mirror = input.principal_type === "service_account" ? [q.updateServiceAccount(scope.db, input.principal_id, { role: input.role, updatedAt: now })] : [];
  await scope.db.batch([
    q.upsertRoleBinding(scope.db, binding),
    ...mirror,
    auditQuery(scope, { action: "member.set", resourceType: "role_binding", resourceId: input.principal_id, projectId, before: before && { role: before }, after: binding }, now),
  ]);
  await emitEvent(scope, { type: "member.set", project_id: projectId, data: { before: before && { role: before }, after: snakeKeys(binding) } });
  return binding;
}

export async function removeMember(scope: Scope, projectId: string, type: PrincipalType, principalId: string) {
  await projectAdmin(scope, projectId);
  const before = await q.findRole(scope.db, projectId, type, principalId);
  if (!before) throw notFound("Member", "no such member");
  if (type === "service_account") {
    throw conflict("MemberServiceAccount", "a service account always holds its role in its project: change the role or delete the account");
  }
  await scope.db.batch([
    q.deleteRoleBinding(scope.db, projectId, type, principalId),
    auditQuery(scope, { action: "member.remove", resourceType: "role_binding", resourceId: principalId, projectId, before: { role: before } }),
  ]);
  await emitEvent(scope, { type: "member.removed", project_id: projectId, data: { principal_type: type, principal_id: principalId, before: { role: before } } });
}

