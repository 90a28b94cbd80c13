/**
 * Listing and revoking browser sessions: a user their own, an instance admin anyone's.
 * Invariant: revocation writes `revoked_at` with its audit row in one batch and emits
 * `session.revoked`, which clears this isolate's session cache: the next request with
 * that cookie is refused here at once (other isolates within AUTH_CACHE_TTL_MS).
 */
import type { Scope } from "../scope";
import * as q from "../../db/sessions";
import { RegistryError, notFound } from "../../core/errors";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import { revokeSessionRow } from "./sign-in";

export type { SessionRow } from "../../db/sessions";

/** The calling user's id; refuses anyone who is not a user. */
export function selfOf(scope: Scope): string {
  const p = scope.access.principal;
  if (p.type === "anonymous") throw scope.access.denial("read");
  if (p.type !== "user") throw new RegistryError("ForbiddenNotAUser", "only a signed-in user (a session or a user token) has a self");
  return p.id;
}

export async function listMySessions(scope: Scope, cursor?: string, limit?: number) {
  const userId = selfOf(scope);
  const n = clampLimit(limit);
  return toPage(await q.listSessions(scope.db, userId, Date.now(), decodeCursor(cursor), n), n);
}

export async function revokeMySession(scope: Scope, id: string) {
  const userId = selfOf(scope);
  const session = await q.findSession(scope.db, id);
  if (!session || session.userId !== userId) throw notFound("Session", `session ${id} not found`);
  await revokeSessionRow(scope, session, "session.revoke");
}

export async function listSessions(scope: Scope, userId: string | undefined, cursor?: string, limit?: number) {
  scope.access.requireInstanceAdmin();
  const n = clampLimit(limit);
  return toPage(await q.listSessions(scope.db, userId, Date.now(), decodeCursor(cursor), n), n);
}

export async function revokeSession(scope: Scope, id: string) {
  scope.access.requireInstanceAdmin();
  const session = await q.findSession(scope.db, id);
  if (!session) throw notFound("Session", `session ${id} not found`);
  await revokeSessionRow(scope, session, "session.revoke");
}
