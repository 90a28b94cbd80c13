/**
 * Turns a credential into a Principal.
 *
 * Invariants:
 * - The instance-admin secret is compared by SHA-256 in constant time.
 * - A token is accepted only if its hash is known, it is not revoked, not expired,
 *   and its principal still exists: the user, the service account, or for an
 *   OIDC-exchanged token (`oidc`) its trust policy, which must also still be enabled
 *   (disabling or deleting a policy kills the tokens it issued). Anything else is
 *   `UnauthorizedInvalidToken`; the wire never says which check failed.
 * - An exchanged token's project and role come from the token row (fixed when it was
 *   minted); it is always project-confined and never an admin.
 * - `last_used_at` is written at most once a minute per token, off the request path.
 * - Registry JWTs minted by /v2/token carry the token id they were minted from and
 *   are re-checked against that token row, so revoking a token kills its JWTs too.
 */
import type { Db } from "../db/client";
import { findServiceAccountById, findToken, findTokenByHash, findUser, touchToken, type TokenRow } from "../db/principals";
import { findTrustPolicy } from "../db/oidc";
import { RegistryError } from "../core/errors";
import { sha256Hex, timingSafeEqual } from "../core/ids";
import { ANONYMOUS, INSTANCE_ADMIN, type Principal } from "./principal";
import { looksLikeOurToken } from "./tokens";
import { verifyRegistryJwt } from "./registry-jwt";

const TOUCH_INTERVAL_MS = 60_000;

export interface AuthContext {
  db: Db;
  adminToken: string | undefined;
  jwtSecret: string;
  waitUntil: (p: Promise<unknown>) => void;
  now?: number;
}

export const invalidToken = () =>
  new RegistryError("UnauthorizedInvalidToken", "the credential is invalid, expired or revoked");

export async function authenticate(secret: string | null, ctx: AuthContext): Promise<Principal> {
  if (!secret) return ANONYMOUS;
  const now = ctx.now ?? Date.now();
  if (ctx.adminToken && timingSafeEqual(await sha256Hex(secret), await sha256Hex(ctx.adminToken))) {
    return INSTANCE_ADMIN;
  }
  if (looksLikeOurToken(secret)) {
    const row = await findTokenByHash(ctx.db, await sha256Hex(secret));
    if (!row) throw invalidToken();
    return principalOfToken(row, ctx, now);
  }
  if (secret.split(".").length === 3) {
    const claims = await verifyRegistryJwt(secret, ctx.jwtSecret, now);
    if (!claims) throw invalidToken();
    if (claims.tid === "admin") return INSTANCE_ADMIN;
    const row = await findToken(ctx.db, claims.tid);
    if (!row) throw invalidToken();
    return principalOfToken(row, ctx, now);
  }
  throw invalidToken();
}

async function principalOfToken(row: TokenRow, ctx: AuthContext, now: number): Promise<Principal> {
  if (row.revokedAt !== null) throw invalidToken();
  if (row.expiresAt !== null && row.expiresAt <= now) throw invalidToken();
  let name: string;
  let isAdmin = false;
  if (row.principalType === "service_account") {
    const sa = await findServiceAccountById(ctx.db, row.principalId);
    if (!sa) throw invalidToken();
    name = sa.name;
  } else if (row.principalType === "oidc") {
    const policy = await findTrustPolicy(ctx.db, row.principalId);
    if (!policy || !policy.enabled || row.projectId === null || row.role === null) throw invalidToken();
    name = row.name;
  } else {
    const user = await findUser(ctx.db, row.principalId);
    if (!user) throw invalidToken();
    name = user.username;
    isAdmin = user.isAdmin;
  }
  if (row.lastUsedAt === null || now - row.lastUsedAt > TOUCH_INTERVAL_MS) {
    ctx.waitUntil(touchToken(ctx.db, row.id, now).run());
  }
  return {
    type: row.principalType,
    id: row.principalId,
    name,
    tokenId: row.id,
    projectId: row.projectId,
    scopes: row.scopes,
    role: row.role,
    isAdmin,
  };
}
