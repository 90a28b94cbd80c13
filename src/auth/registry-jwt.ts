/**
 * Short-lived registry JWTs for the Docker token flow (/v2/token).
 * Invariants: HS256 only (the verifier pins the algorithm, so `none` or RS/HS
 * confusion is refused); lifetime ≤ 5 minutes; `tid` names the token row (or "admin")
 * whose validity is re-checked on every use. The key is ORBITALREG_JWT_SECRET, else
 * derived from ORBITALREG_ADMIN_TOKEN; with neither, nothing is signed (503 naming the
 * missing secret, and /health/ready fails its `config` check) and nothing verifies:
 * a key anyone can read in the source would let anyone mint tokens.
 */
import { SignJWT, jwtVerify } from "jose";
import type { Env } from "../env";
import { config } from "../config";
import { RegistryError } from "../core/errors";

export const REGISTRY_JWT_TTL_SECONDS = 300;
const ISSUER = "orbitalreg";
const AUDIENCE = "orbitalreg-registry";

export interface RegistryAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface RegistryClaims {
  tid: string;
  sub: string;
  access: RegistryAccess[];
}

const keyOf = (secret: string) => new TextEncoder().encode(secret);

export async function signRegistryJwt(claims: RegistryClaims, secret: string, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  return new SignJWT({ tid: claims.tid, access: claims.access })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setNotBefore(iat - 5)
    .setExpirationTime(iat + REGISTRY_JWT_TTL_SECONDS)
    .setJti(crypto.randomUUID())
    .sign(keyOf(secret));
}

export async function verifyRegistryJwt(token: string, secret: string | null, now = Date.now()): Promise<RegistryClaims | null> {
  if (!secret) return null;
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: new Date(now),
    });
    if (typeof payload.tid !== "string" || typeof payload.sub !== "string") return null;
    return { tid: payload.tid, sub: payload.sub, access: (payload.access as RegistryAccess[]) ?? [] };
  } catch {
    return null;
  }
}

/** What is wrong with the JWT key configuration, or null when a key is configured. */
export function jwtSecretProblem(env: Env): string | null {
  const { jwtSecret, adminToken } = config(env);
  if (jwtSecret || adminToken) return null;
  return "neither ORBITALREG_JWT_SECRET nor ORBITALREG_ADMIN_TOKEN is set: registry tokens (/v2/token) cannot be signed; set ORBITALREG_JWT_SECRET (wrangler secret put ORBITALREG_JWT_SECRET)";
}

/** The JWT key: an explicit secret, else one derived from the admin token, else null (unconfigured). */
const derivedSecrets = new Map<string, string>();

export async function jwtSecretOf(env: Env): Promise<string | null> {
  const { jwtSecret, adminToken } = config(env);
  if (jwtSecret) return jwtSecret;
  const base = adminToken;
  if (!base) return null;
  const known = derivedSecrets.get(base);
  if (known) return known;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`registry-jwt:${base}`));
  const secret = btoa(String.fromCharCode(...new Uint8Array(digest)));
  derivedSecrets.set(base, secret);
  return secret;
}

/** The key to sign with; refuses (503 UnavailableJwtSecret, naming the missing secret) when none is configured. */
export async function signingSecretOf(env: Env): Promise<string> {
  const secret = await jwtSecretOf(env);
  if (!secret) throw new RegistryError("UnavailableJwtSecret", jwtSecretProblem(env)!);
  return secret;
}
