/**
 * The service JWT of the internal API (`/internal/…`, docs/internal-api.md), reference
 * 001's pattern: a trusted service (a scanner) signs a short-lived JWT with a key the
 * registry was configured with and sends it in `Orbitalreg-Internal-Api-Request`.
 *
 * Invariants:
 * - Nothing verifies unless a key is configured (ORBITALREG_INTERNAL_JWT_SECRET for
 *   HS256, ORBITALREG_INTERNAL_JWT_PUBLIC_KEY, an Ed25519 SPKI PEM, for EdDSA); the
 *   algorithm is pinned per key (an HS256 token never meets the public key, `none`
 *   never verifies).
 * - A token verifies only with the configured audience, a subject that starts with the
 *   configured prefix (`scanner:`), an `exp` (required) no further than
 *   INTERNAL_JWT_MAX_TTL_SECONDS ahead (and, when `iat` is set, no longer-lived than
 *   that): a leaked token is worth minutes.
 * - Every refusal is the same 401 `UnauthorizedInternalJwt`; the reason goes to the
 *   log, not the wire.
 * - The principal it yields (`internal`) may read and report findings (`read`, `scan`)
 *   in every project and nothing else (auth/access.ts).
 */
import { importSPKI, jwtVerify, type JWTHeaderParameters, type CryptoKey as JoseKey } from "jose";
import { RegistryError } from "../core/errors";
import type { Principal } from "./principal";

export const INTERNAL_HEADER = "Orbitalreg-Internal-Api-Request";
export const INTERNAL_JWT_MAX_TTL_SECONDS = 300;
const CLOCK_TOLERANCE_SECONDS = 30;

export interface InternalJwtConfig {
  secret: string | null;
  publicKey: string | null;
  audience: string;
  subjectPrefix: string;
}

export const internalApiEnabled = (c: InternalJwtConfig) => c.secret !== null || c.publicKey !== null;

const refused = () => new RegistryError("UnauthorizedInternalJwt", `the ${INTERNAL_HEADER} JWT was refused (signature, audience, subject, expiry)`);

const publicKeys = new Map<string, Promise<JoseKey>>();
const publicKeyOf = (pem: string) => {
  let key = publicKeys.get(pem);
  if (!key) publicKeys.set(pem, (key = importSPKI(pem, "EdDSA")));
  return key;
};

/** The caller of an internal request, or 401 `UnauthorizedInternalJwt`. */
export async function authenticateInternal(token: string | undefined, c: InternalJwtConfig, now = Date.now()): Promise<Principal> {
  if (!token) throw new RegistryError("UnauthorizedInternalJwtRequired", `the internal API needs a service JWT in ${INTERNAL_HEADER}`);
  const nowS = Math.floor(now / 1000);
  try {
    const keyFor = async (h: JWTHeaderParameters) => {
      if (h.alg === "HS256" && c.secret) return new TextEncoder().encode(c.secret);
      if ((h.alg === "EdDSA" || h.alg === "Ed25519") && c.publicKey) return publicKeyOf(c.publicKey);
      throw new Error(`no key configured for alg ${h.alg}`);
    };
    const { payload } = await jwtVerify(token, keyFor, {
      algorithms: ["HS256", "EdDSA", "Ed25519"],
      audience: c.audience,
      requiredClaims: ["exp", "sub"],
      currentDate: new Date(now),
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    const sub = payload.sub!;
    if (!sub.startsWith(c.subjectPrefix) || sub.length === c.subjectPrefix.length) throw new Error(`subject '${sub}' lacks the prefix '${c.subjectPrefix}'`);
    if (payload.exp! > nowS + INTERNAL_JWT_MAX_TTL_SECONDS + CLOCK_TOLERANCE_SECONDS) throw new Error(`exp is more than ${INTERNAL_JWT_MAX_TTL_SECONDS}s ahead`);
    if (typeof payload.iat === "number" && payload.exp! - payload.iat > INTERNAL_JWT_MAX_TTL_SECONDS) throw new Error(`lifetime exp - iat exceeds ${INTERNAL_JWT_MAX_TTL_SECONDS}s`);
    return { type: "internal", id: sub, name: sub, tokenId: typeof payload.jti === "string" ? payload.jti : "internal", projectId: null, scopes: ["read", "scan"], role: null, isAdmin: false };
  } catch (e) {
    console.warn(`internal API JWT refused: ${e instanceof Error ? e.message : String(e)}`);
    throw refused();
  }
}
