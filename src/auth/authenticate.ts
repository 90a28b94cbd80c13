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
 * - A resolved token (row + principal name) is cached per isolate for
 *   AUTH_CACHE_TTL_MS (core/ttl-cache.ts); revocation and expiry are checked against
 *   the cached row on every use, and governance changes clear the cache.
 * - Registry JWTs minted by /v2/token carry the token id they were minted from and
 *   are re-checked against that token row, so revoking a token kills its JWTs too; a
 *   JWT minted for an anonymous caller (`tid: "anonymous"`) is the anonymous principal.
 */
import type { Db } from "../db/client";
import { findServiceAccountById, findToken, findTokenByHash, findUser, touchToken, type TokenRow } from "../db/principals";
import { findTrustPolicy } from "../db/oidc";
import { RegistryError } from "../core/errors";
import { sha256Hex, timingSafeEqual } from "../core/ids";
import { AUTH_CACHE_TTL_MS, TtlCache } from "../core/ttl-cache";
import { ANONYMOUS, INSTANCE_ADMIN, type Principal } from "./principal";
import { looksLikeOurToken } from "./tokens";
import { verifyRegistryJwt } from "./registry-jwt";

const TOUCH_INTERVAL_MS = 60_000;

interface ResolvedToken {
  row: TokenRow;
  name: string;
  isAdmin: boolean;
}
/** Keyed by `hash:<sha256>` (plain tokens) or `id:<token id>` (registry JWTs). */
const resolvedTokens = new TtlCache<string, ResolvedToken | null>(AUTH_CACHE_TTL_MS);
const hashes = new TtlCache<string, string>(AUTH_CACHE_TTL_MS);

/** SHA-256 of a secret, memoized: every authenticated request hashes its credential. */
async function hashOf(secret: string): Promise<string> {
  return hashes.get(secret) ?? hashes.set(secret, await sha256Hex(secret));
}

export interface AuthContext {
  db: Db;
  adminToken: string | undefined;
  /** Null when no JWT key is configured: then no registry JWT verifies. */
  jwtSecret: string | null;
  waitUntil: (p: Promise<unknown>) => void;
  now?: number;
}

export const invalidToken = () =>
  new RegistryError("UnauthorizedInvalidToken", "the credential is invalid, expired or revoked");

export async function authenticate(secret: string | null, ctx: AuthContext): Promise<Principal> {
  if (!secret) return ANONYMOUS;
  const now = ctx.now ?? Date.now();
  const hash = await hashOf(secret);
  if (ctx.adminToken && timingSafeEqual(hash, await hashOf(ctx.adminToken))) {
    return INSTANCE_ADMIN;
  }
  if (looksLikeOurToken(secret)) {
    const resolved = await resolve(`hash:${hash}`, ctx, () => findTokenByHash(ctx.db, hash));
    if (!resolved) throw invalidToken();
    return principalOfToken(resolved, ctx, now);
  }
  if (secret.split(".").length === 3) {
    const claims = await verifyRegistryJwt(secret, ctx.jwtSecret, now);
    if (!claims) throw invalidToken();
    if (claims.tid === "admin") return INSTANCE_ADMIN;
    // Minted by /v2/token for a caller without credentials: public pulls only.
    if (claims.tid === "anonymous") return ANONYMOUS;
    const resolved = await resolve(`id:${claims.tid}`, ctx, () => findToken(ctx.db, claims.tid));
    if (!resolved) throw invalidToken();
    return principalOfToken(resolved, ctx, now);
  }
  throw invalidToken();
}

/** The token row and its principal's name, from the cache or D1; null when either is gone. */
async function resolve(key: string, ctx: AuthContext, load: () => Promise<TokenRow | undefined>): Promise<ResolvedToken | null> {
  const cached = resolvedTokens.get(key);
  if (cached !== undefined) return cached;
  const row = await load();
  let resolved: ResolvedToken | null = null;
  if (row?.principalType === "service_account") {
    const sa = await findServiceAccountById(ctx.db, row.principalId);
    if (sa) resolved = { row, name: sa.name, isAdmin: false };
  } else if (row?.principalType === "oidc") {
    // Exchanged token: valid while its trust policy exists and is enabled.
    const policy = await findTrustPolicy(ctx.db, row.principalId);
    if (policy?.enabled && row.projectId !== null && row.role !== null) resolved = { row, name: row.name, isAdmin: false };
  } else if (row) {
    const user = await findUser(ctx.db, row.principalId);
    if (user) resolved = { row, name: user.username, isAdmin: user.isAdmin };
  }
  return resolvedTokens.set(key, resolved);
}

function principalOfToken({ row, name, isAdmin }: ResolvedToken, ctx: AuthContext, now: number): Principal {
  if (row.revokedAt !== null) throw invalidToken();
  if (row.expiresAt !== null && row.expiresAt <= now) throw invalidToken();
  if (row.lastUsedAt === null || now - row.lastUsedAt > TOUCH_INTERVAL_MS) {
    row.lastUsedAt = now; // the cached row too, so the next minute's requests skip the write
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
    ...(row.claims ? { claims: row.claims } : {}),
  };
}
