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
 * - A resolved token (row + principal name) is one D1 statement (the token joined with
 *   its principal) and is cached per isolate for AUTH_CACHE_TTL_MS (core/ttl-cache.ts);
 *   revocation and expiry are checked against the cached row on every use, and
 *   governance changes clear the cache. A protocol request reads it in the same batch
 *   as its repo and grants (`pendingTokenRead`, http/prefetch.ts).
 * - Registry JWTs minted by /v2/token carry the token id they were minted from and
 *   are re-checked against that token row, so revoking a token kills its JWTs too; a
 *   JWT minted for an anonymous caller (`tid: "anonymous"`) is the anonymous principal.
 */
import { confirmAtPrimary, runRead, type Db, type Read } from "../db/client";
import { tokenPrincipalRefs, tokenWithPrincipal, touchToken, type TokenKey, type TokenRow, type TokenWithPrincipal } from "../db/principals";
import { RegistryError } from "../core/errors";
import { sha256Hex, timingSafeEqual } from "../core/ids";
import { AUTH_CACHE_TTL_MS, TtlCache } from "../core/ttl-cache";
import { ANONYMOUS, INSTANCE_ADMIN, type Principal } from "./principal";
import { looksLikeOurToken } from "./tokens";
import { verifyRegistryJwt } from "./registry-jwt";

const TOUCH_INTERVAL_MS = 60_000;

export interface ResolvedToken {
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

/** How a credential is looked up in D1 and cached: null for anonymous, the admin secret, or a bad JWT. */
async function tokenKeyOf(secret: string | null, ctx: AuthContext, now: number): Promise<{ cacheKey: string; key: TokenKey } | null> {
  if (!secret) return null;
  const hash = await hashOf(secret);
  if (ctx.adminToken && timingSafeEqual(hash, await hashOf(ctx.adminToken))) return null;
  if (looksLikeOurToken(secret)) return { cacheKey: `hash:${hash}`, key: { hash } };
  if (secret.split(".").length === 3) {
    const claims = await verifyRegistryJwt(secret, ctx.jwtSecret, now);
    if (!claims || claims.tid === "admin" || claims.tid === "anonymous") return null;
    return { cacheKey: `id:${claims.tid}`, key: { id: claims.tid } };
  }
  return null;
}

export interface PendingToken {
  /** The D1 read that resolves the token (token joined with its principal). */
  read: Read<ResolvedToken | null>;
  /** The token's principal as subqueries, for reads in the same batch (grants). */
  principal: ReturnType<typeof tokenPrincipalRefs>;
  /** Puts the read's value in the isolate cache, where `authenticate` finds it. */
  accept(value: ResolvedToken | null): void;
}

/** What authenticating `secret` still needs from D1, or null when nothing (anonymous, admin, cached, unusable). */
export async function pendingTokenRead(secret: string | null, ctx: AuthContext): Promise<PendingToken | null> {
  const k = await tokenKeyOf(secret, ctx, ctx.now ?? Date.now());
  if (!k || resolvedTokens.get(k.cacheKey) !== undefined) return null;
  return { read: resolvedRead(ctx.db, k.key), principal: tokenPrincipalRefs(k.key), accept: (v) => void resolvedTokens.set(k.cacheKey, v) };
}

/** The token's principal (type and id) when its resolution is cached: what grants are keyed by. */
export async function cachedPrincipalOf(secret: string | null, ctx: AuthContext): Promise<ResolvedToken | null | undefined> {
  const k = await tokenKeyOf(secret, ctx, ctx.now ?? Date.now());
  return k ? resolvedTokens.get(k.cacheKey) : undefined;
}

export async function authenticate(secret: string | null, ctx: AuthContext): Promise<Principal> {
  if (!secret) return ANONYMOUS;
  const now = ctx.now ?? Date.now();
  const hash = await hashOf(secret);
  if (ctx.adminToken && timingSafeEqual(hash, await hashOf(ctx.adminToken))) {
    return INSTANCE_ADMIN;
  }
  if (looksLikeOurToken(secret)) {
    const resolved = await resolve(`hash:${hash}`, ctx, { hash });
    if (!resolved) throw invalidToken();
    return principalOfToken(resolved, ctx, now);
  }
  if (secret.split(".").length === 3) {
    const claims = await verifyRegistryJwt(secret, ctx.jwtSecret, now);
    if (!claims) throw invalidToken();
    if (claims.tid === "admin") return INSTANCE_ADMIN;
    // Minted by /v2/token for a caller without credentials: public pulls only.
    if (claims.tid === "anonymous") return ANONYMOUS;
    const resolved = await resolve(`id:${claims.tid}`, ctx, { id: claims.tid });
    if (!resolved) throw invalidToken();
    return principalOfToken(resolved, ctx, now);
  }
  throw invalidToken();
}

/** The token row and its principal's name, from the cache or D1 (one statement); null when either is gone. */
async function resolve(cacheKey: string, ctx: AuthContext, key: TokenKey): Promise<ResolvedToken | null> {
  const cached = resolvedTokens.get(cacheKey);
  if (cached) return cached;
  const load = () => runRead(ctx.db, resolvedRead(ctx.db, key));
  // A miss (also one the gate's batch cached) may come from a replica that lags: ask the primary.
  return resolvedTokens.set(cacheKey, await confirmAtPrimary(cached === null ? null : await load(), load));
}

function resolvedRead(db: Db, key: TokenKey): Read<ResolvedToken | null> {
  const read = tokenWithPrincipal(db, key);
  return { items: read.items, decode: (results) => resolvedOf(read.decode(results)) };
}

function resolvedOf(found: TokenWithPrincipal | null): ResolvedToken | null {
  if (!found) return null;
  const row = found.token;
  if (row.principalType === "service_account") return found.serviceAccountName !== null ? { row, name: found.serviceAccountName, isAdmin: false } : null;
  // Exchanged token: valid while its trust policy exists and is enabled.
  if (row.principalType === "oidc") return found.policyEnabled && row.projectId !== null && row.role !== null ? { row, name: row.name, isAdmin: false } : null;
  return found.username !== null ? { row, name: found.username, isAdmin: found.userIsAdmin === true } : null;
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
