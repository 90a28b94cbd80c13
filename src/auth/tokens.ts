/**
 * Token minting. Invariants: the plaintext leaves this module exactly once, in the
 * return value of `mintToken`; only its SHA-256 is stored. Prefixes say what a token is
 * (`orbsa_` service account, `orbu_` user, `orbx_` exchanged from OIDC) so a leaked
 * token is recognisable by secret scanners.
 */
import { newId, randomSecret, sha256Hex } from "../core/ids";
import type { Role, TokenScope as Scope, TokenPrincipalType } from "../core/vocabulary";
import type { TokenRow } from "../db/principals";

export const TOKEN_PREFIXES = { service_account: "orbsa_", user: "orbu_", exchanged: "orbx_" } as const;

export function looksLikeOurToken(secret: string): boolean {
  return Object.values(TOKEN_PREFIXES).some((p) => secret.startsWith(p));
}

export interface MintRequest {
  name: string;
  principalType: TokenPrincipalType;
  principalId: string;
  projectId: string | null;
  scopes: Scope[] | null;
  role?: Role | null;
  expiresAt: number | null;
  exchanged?: boolean;
  /** OIDC exchange: the verified claims to keep on the token (who-pulled names the CI run by them). */
  claims?: Record<string, string | null> | null;
}

export async function mintToken(req: MintRequest, now = Date.now()): Promise<{ plaintext: string; row: TokenRow }> {
  const prefix = req.exchanged || req.principalType === "oidc" ? TOKEN_PREFIXES.exchanged : TOKEN_PREFIXES[req.principalType];
  const plaintext = `${prefix}${randomSecret(32)}`;
  const row: TokenRow = {
    id: newId(),
    tokenHash: await sha256Hex(plaintext),
    prefix: plaintext.slice(0, prefix.length + 6),
    name: req.name,
    principalType: req.principalType,
    principalId: req.principalId,
    projectId: req.projectId,
    scopes: req.scopes,
    role: req.role ?? null,
    claims: req.claims ?? null,
    expiresAt: req.expiresAt,
    lastUsedAt: null,
    revokedAt: null,
    createdAt: now,
  };
  return { plaintext, row };
}
