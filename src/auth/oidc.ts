/**
 * Verification of CI-issued OIDC tokens (GitHub Actions, GitLab CI, any issuer that
 * publishes a JWKS through discovery).
 *
 * Invariants:
 * - Only asymmetric algorithms are accepted (pinned list below): `none` and every HS*
 *   are refused before any key is looked up, so a token "signed" with the issuer's
 *   public key as an HMAC secret can't pass.
 * - Signature, `iss` (exact), `exp` (required), `nbf` and `iat` (when present) are
 *   checked by jose with a small clock tolerance; audience and the other claims are
 *   checked against trust policies by the caller (core/claims.ts).
 * - A refusal carries a machine reason for the audit log; the wire never sees it.
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from "jose";
import type { JwksCache } from "./jwks";

export const OIDC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];
const CLOCK_TOLERANCE_SECONDS = 30;

export type RefusalReason =
  | "malformed"
  | "algorithm"
  | "issuer_untrusted"
  | "unknown_key"
  | "signature"
  | "expired"
  | "not_yet_valid"
  | "invalid_claims"
  | "issuer_unavailable"
  | "audience"
  | "claims_mismatch"
  | "ambiguous_policy"
  | "policy_not_found"
  // browser sign-in (auth/oidc-login.ts, services/web/sign-in.ts)
  | "code_rejected"
  | "nonce_mismatch"
  | "state_mismatch"
  | "state_unknown"
  | "state_expired"
  | "provider_error"
  | "provider_unknown"
  | "email_domain"
  | "email_unverified"
  | "not_invited";

export class OidcRefusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
    this.name = "OidcRefusal";
  }
}

export interface PeekedToken {
  alg: string;
  kid: string | null;
  iss: string;
  claims: JWTPayload;
}

/** Reads header and claims WITHOUT verifying anything: only to pick the policies. */
export function peekToken(token: string): PeekedToken {
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch {
    throw new OidcRefusal("malformed", "the token is not a JWS-compact JWT");
  }
  const alg = typeof header.alg === "string" ? header.alg : "";
  if (!OIDC_ALGORITHMS.includes(alg)) throw new OidcRefusal("algorithm", `algorithm '${alg}' is not accepted`);
  if (typeof claims.iss !== "string" || claims.iss === "") throw new OidcRefusal("malformed", "the token has no iss claim");
  return { alg, kid: typeof header.kid === "string" ? header.kid : null, iss: claims.iss, claims };
}

export interface VerifyOptions {
  cache: JwksCache;
  allowPrivate: boolean;
  now: number;
}

/** Verifies signature and time claims against the issuer's JWKS; returns the claims. */
export async function verifyOidcToken(token: string, issuer: string, o: VerifyOptions): Promise<JWTPayload> {
  const options: JWTVerifyOptions = {
    issuer,
    algorithms: OIDC_ALGORITHMS,
    currentDate: new Date(o.now),
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ["exp"],
  };
  const resolve = o.cache.resolverFor(issuer, o.allowPrivate);
  try {
    try {
      return (await jwtVerify(token, resolve, options)).payload;
    } catch (e) {
      if (!(e instanceof errors.JWKSMultipleMatchingKeys)) throw e;
      // No `kid` and several candidate keys: try each (jose hands them out in turn).
      for await (const key of e as unknown as AsyncIterable<CryptoKey>) {
        try {
          return (await jwtVerify(token, key, options)).payload;
        } catch (inner) {
          if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
        }
      }
      throw new errors.JWSSignatureVerificationFailed();
    }
  } catch (e) {
    throw refusalOf(e);
  }
}

function refusalOf(e: unknown): OidcRefusal {
  if (e instanceof OidcRefusal) return e;
  if (e instanceof errors.JWTExpired) return new OidcRefusal("expired", "the token has expired");
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === "nbf") return new OidcRefusal("not_yet_valid", "the token is not valid yet");
    return new OidcRefusal("invalid_claims", `claim '${e.claim}' is invalid: ${e.reason}`);
  }
  if (e instanceof errors.JWKSNoMatchingKey) return new OidcRefusal("unknown_key", "no key of the issuer matches the token's kid");
  if (e instanceof errors.JWSSignatureVerificationFailed) return new OidcRefusal("signature", "the signature does not verify");
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported) return new OidcRefusal("algorithm", "the algorithm is not accepted");
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid) return new OidcRefusal("malformed", "the token is malformed");
  // JWKSInvalid, network errors, timeouts, refused outbound targets: the issuer side.
  console.warn(`OIDC issuer keys unavailable: ${(e as Error)?.message ?? e}`);
  return new OidcRefusal("issuer_unavailable", `the issuer's keys could not be loaded: ${(e as Error)?.message ?? e}`);
}
