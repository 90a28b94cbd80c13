/**
 * Browser sessions: the CSRF token, and turning a session cookie's secret into a Principal.
 *
 * Invariants:
 * - The cookie holds a 256-bit random secret; D1 stores only its SHA-256. A session is
 *   accepted while not revoked, before its absolute expiry and within the idle timeout
 *   of its last use; anything else is `UnauthorizedSessionExpired` (the browser is sent
 *   back to sign-in), never a silent fall back to anonymous.
 * - The cookie itself (names, attributes, the https/loopback switch) is http/cookies.ts's.
 * - The CSRF token is HMAC-SHA256(instance key, "csrf:" + session secret): the server
 *   recomputes it, nothing is stored, and it is useless without the cookie.
 * - Resolving a session is one D1 query (session ⋈ user), cached per isolate for
 *   AUTH_CACHE_TTL_MS like tokens; `last_seen_at` is written at most once a minute.
 */
import type { Db } from "../db/client";
import { findSessionByHash, touchSession, type SessionRow } from "../db/sessions";
import { RegistryError } from "../core/errors";
import { base64url, sha256Hex } from "../core/ids";
import { AUTH_CACHE_TTL_MS, TtlCache } from "../core/ttl-cache";

const TOUCH_INTERVAL_MS = 60_000;
import type { Principal } from "./principal";

export async function csrfTokenFor(sessionSecret: string, key: string): Promise<string> {
  const k = await crypto.subtle.importKey("raw", new TextEncoder().encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return base64url(new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(`csrf:${sessionSecret}`))));
}

export interface SessionLimits {
  idleMs: number;
  maxMs: number;
}

interface ResolvedSession {
  session: SessionRow;
  username: string;
  isAdmin: boolean;
}
const resolvedSessions = new TtlCache<string, ResolvedSession | null>(AUTH_CACHE_TTL_MS);

export const sessionExpired = () =>
  new RegistryError("UnauthorizedSessionExpired", "the session has ended (signed out, revoked or expired): sign in again");

export interface SessionAuthContext {
  db: Db;
  limits: SessionLimits;
  waitUntil: (p: Promise<unknown>) => void;
  now?: number;
}

/** The user a session cookie stands for; throws `UnauthorizedSessionExpired` when it is not valid. */
export async function authenticateSession(secret: string, ctx: SessionAuthContext): Promise<Principal> {
  const now = ctx.now ?? Date.now();
  const hash = await sha256Hex(secret);
  let resolved = resolvedSessions.get(hash);
  if (resolved === undefined) resolved = resolvedSessions.set(hash, (await findSessionByHash(ctx.db, hash)) ?? null);
  if (!resolved) throw sessionExpired();
  const { session } = resolved;
  if (session.revokedAt !== null || session.expiresAt <= now || session.lastSeenAt + ctx.limits.idleMs <= now) throw sessionExpired();
  if (now - session.lastSeenAt > TOUCH_INTERVAL_MS) {
    session.lastSeenAt = now; // the cached row too
    ctx.waitUntil(touchSession(ctx.db, session.id, now).run());
  }
  return {
    type: "user",
    id: session.userId,
    name: resolved.username,
    tokenId: session.id,
    sessionId: session.id,
    projectId: null,
    scopes: null,
    role: null,
    isAdmin: resolved.isAdmin,
  };
}
