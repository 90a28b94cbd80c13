/**
 * Service accounts and their `orbsa_` tokens.
 * Invariants: an account's role is mirrored into role_bindings in the same batch as
 * the account row, so authorization reads one table; a token's plaintext is returned
 * by `mintServiceAccountToken` only; listing never returns hashes or secrets; a token
 * can't outlive its account (deleting the account deletes its tokens).
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { getProject } from "../projects/projects";
import * as q from "../../db/principals";
import * as perms from "../../db/permissions";
import { isUniqueViolation } from "../../db/errors";
import { conflict, invalid, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import { mintToken } from "../../auth/tokens";
import type { Role, TokenScope } from "../../core/vocabulary";
import { snakeKeys } from "../../core/event-shapes";

const NAME = /^[a-z0-9](?:[a-z0-9-_.]{0,62}[a-z0-9])?$/;

export interface ServiceAccountInput {
  name: string;
  description?: string;
  role?: Role;
}

async function adminOf(scope: Scope, projectId: string) {
  const project = await getProject(scope, projectId);
  await scope.access.require("admin", { projectId: project.id });
  return project;
}

export async function listServiceAccounts(scope: Scope, projectId: string, name?: string, cursor?: string, limit?: number) {
  await adminOf(scope, projectId);
  const n = clampLimit(limit);
  return toPage(await q.listServiceAccounts(scope.db, projectId, name, decodeCursor(cursor), n), n);
}

export async function getServiceAccount(scope: Scope, projectId: string, id: string) {
  await adminOf(scope, projectId);
  const sa = await q.findServiceAccount(scope.db, projectId, id);
  if (!sa) throw notFound("ServiceAccount", `service account ${id} not found in this project`);
  return sa;
}

export async function createServiceAccount(scope: Scope, projectId: string, input: ServiceAccountInput) {
  await adminOf(scope, projectId);
  if (!NAME.test(input.name)) throw invalid("ServiceAccountName", "name must be 1–64 lowercase letters, digits, '-', '_' or '.'");
  const now = Date.now();
  const row: q.ServiceAccountRow = {
    id: newId(),
    projectId,
    name: input.name,
    description: input.description ?? "",
    role: input.role ?? "reader",
    createdAt: now,
    updatedAt: now,
  };
  try {
    await scope.db.batch([
      q.insertServiceAccount(scope.db, row),
      q.upsertRoleBinding(scope.db, { projectId, principalType: "service_account", principalId: row.id, role: row.role, createdAt: now }),
      auditQuery(scope, { action: "service_account.create", resourceType: "service_account", resourceId: row.id, projectId, after: row }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("ServiceAccountNameInUse", `a service account named '${input.name}' already exists`);
    throw e;
  }
  await emitEvent(scope, { type: "service_account.created", project_id: projectId, data: { service_account: snakeKeys(row) } });
  return row;
}

export async function updateServiceAccount(scope: Scope, projectId: string, id: string, patch: Partial<ServiceAccountInput>) {
  const before = await getServiceAccount(scope, projectId, id);
  if (patch.name !== undefined && !NAME.test(patch.name)) throw invalid("ServiceAccountName", "invalid name");
  const now = Date.now();
  const after: q.ServiceAccountRow = {
    ...before,
    name: patch.name ?? before.name,
    description: patch.description ?? before.description,
    role: patch.role ?? before.role,
    updatedAt: now,
  };
  try {
    await scope.db.batch([
      q.updateServiceAccount(scope.db, id, after),
      q.upsertRoleBinding(scope.db, { projectId, principalType: "service_account", principalId: id, role: after.role, createdAt: now }),
      auditQuery(scope, { action: "service_account.update", resourceType: "service_account", resourceId: id, projectId, before, after }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("ServiceAccountNameInUse", `a service account named '${after.name}' already exists`);
    throw e;
  }
  await emitEvent(scope, { type: "service_account.updated", project_id: projectId, data: { before: snakeKeys(before), after: snakeKeys(after) } });
  return after;
}

export async function deleteServiceAccount(scope: Scope, projectId: string, id: string) {
  const before = await getServiceAccount(scope, projectId, id);
  const [deletedTokens] = await scope.db.batch([
    q.deleteTokensOf(scope.db, "service_account", id),
    q.deleteRoleBinding(scope.db, projectId, "service_account", id),
    perms.deleteGrantsOfDelegate(scope.db, "service_account", id),
    perms.deletePrototypesOfDelegate(scope.db, "service_account", id),
    q.deleteServiceAccount(scope.db, id),
    auditQuery(scope, { action: "service_account.delete", resourceType: "service_account", resourceId: id, projectId, before }),
  ]);
  await emitEvent(scope, { type: "service_account.deleted", project_id: projectId, data: { service_account: snakeKeys(before) } });
  await announceRevoked(scope, deletedTokens, projectId);
}

/**
 * Tokens deleted with their principal (user or service account) are announced one by one,
 * as if revoked at the moment of deletion, so a subscriber tracking tokens by
 * token.created/token.revoked never keeps one alive. Tokens already revoked were announced then.
 */
export async function announceRevoked(scope: Scope, deleted: q.TokenRow[], projectId: string | null) {
  const now = Date.now();
  for (const token of deleted) {
    if (token.revokedAt !== null) continue;
    await emitEvent(scope, { type: "token.revoked", project_id: token.projectId ?? projectId, data: { token: snakeKeys({ ...publicToken(token), revokedAt: now }) } });
  }
}

export interface TokenInput {
  name: string;
  scopes?: TokenScope[] | null;
  /** Lifetime in seconds; omitted: never expires. */
  expires_in?: number | null;
  expires_at?: string | null;
}

export function expiryOf(input: TokenInput, now: number): number | null {
  if (input.expires_at) {
    const t = Date.parse(input.expires_at);
    if (Number.isNaN(t)) throw invalid("TokenExpiry", "expires_at is not an RFC 3339 time");
    if (t <= now) throw invalid("TokenExpiry", "expires_at is in the past");
    return t;
  }
  if (input.expires_in) return now + input.expires_in * 1000;
  return null;
}

export async function mintServiceAccountToken(scope: Scope, projectId: string, saId: string, input: TokenInput) {
  const sa = await getServiceAccount(scope, projectId, saId);
  const now = Date.now();
  const { plaintext, row } = await mintToken(
    {
      name: input.name,
      principalType: "service_account",
      principalId: sa.id,
      projectId,
      scopes: input.scopes ?? null,
      expiresAt: expiryOf(input, now),
    },
    now,
  );
  await scope.db.batch([
    q.insertToken(scope.db, row),
    auditQuery(scope, { action: "token.create", resourceType: "token", resourceId: row.id, projectId, after: publicToken(row) }, now),
  ]);
  await emitEvent(scope, { type: "token.created", project_id: projectId, data: { token: snakeKeys(publicToken(row)) } });
  return { token: plaintext, row };
}

export async function listServiceAccountTokens(scope: Scope, projectId: string, saId: string, cursor?: string, limit?: number) {
  await getServiceAccount(scope, projectId, saId);
  const n = clampLimit(limit);
  return toPage(await q.listTokens(scope.db, "service_account", saId, decodeCursor(cursor), n), n);
}

export async function revokeServiceAccountToken(scope: Scope, projectId: string, saId: string, tokenId: string) {
  await getServiceAccount(scope, projectId, saId);
  const token = await q.findToken(scope.db, tokenId);
  if (!token || token.principalType !== "service_account" || token.principalId !== saId) {
    throw notFound("Token", `token ${tokenId} not found`);
  }
  await revokeTokenRow(scope, token, projectId);
}

/**
 * Revokes a token row the caller was allowed to reach, with its audit row and event.
 * Revoking an already revoked token changes nothing and records nothing.
 */
export async function revokeTokenRow(scope: Scope, token: q.TokenRow, projectId: string | null) {
  if (token.revokedAt !== null) return;
  const now = Date.now();
  const before = publicToken(token);
  const after = { ...before, revokedAt: now };
  await scope.db.batch([
    q.revokeToken(scope.db, token.id, now),
    auditQuery(scope, { action: "token.revoke", resourceType: "token", resourceId: token.id, projectId, before, after }, now),
  ]);
  await emitEvent(scope, { type: "token.revoked", project_id: projectId, data: { token: snakeKeys(after) } });
}

/** A token row as it may be shown: no hash (nor an exchanged token's claims: its oidc.exchange audit row has them). */
export function publicToken(row: q.TokenRow) {
  const { tokenHash: _hidden, claims: _claims, ...rest } = row;
  return rest;
}
