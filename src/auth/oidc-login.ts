/**
 * The OpenID Connect authorization-code flow with PKCE, as a relying party (browser
 * sign-in). The issuer's discovery document and keys come from the shared JWKS cache.
 *
 *   start:    state, nonce, code_verifier ← random; challenge = S256(verifier)
 *             → authorization_endpoint?response_type=code&…&code_challenge
 *   callback: POST token_endpoint (code, redirect_uri, code_verifier, client auth)
 *             → id_token verified: signature (asymmetric algs only), iss exact,
 *               aud ∋ client_id (azp = client_id when several), exp/iat, nonce
 *
 * Invariants:
 * - Endpoints named by discovery pass the outbound-address rules (core/net.ts) like
 *   the issuer itself; redirects are never followed.
 * - A refusal is an `OidcRefusal` with a machine reason for the audit log.
 */
import { errors, jwtVerify, type JWTPayload } from "jose";
import { base64url, randomSecret } from "../core/ids";
import { checkOutboundUrl } from "../core/net";
import { outboundFetch, readLimited } from "../outbound/fetch";
import type { JwksCache } from "./jwks";
import { OIDC_ALGORITHMS, OidcRefusal } from "./oidc";

const CLOCK_TOLERANCE_SECONDS = 60;
const MAX_TOKEN_RESPONSE = 64 * 1024;

export interface ClientConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
}

export interface FlowSecrets {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export const newFlowSecrets = (): FlowSecrets => ({ state: randomSecret(32), nonce: randomSecret(32), codeVerifier: randomSecret(48) });

export async function pkceChallenge(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
}

async function endpoint(cache: JwksCache, issuer: string, name: string, allowPrivate: boolean): Promise<URL> {
  let doc: Record<string, unknown>;
  try {
    doc = await cache.discovery(issuer, allowPrivate);
  } catch (e) {
    throw new OidcRefusal("issuer_unavailable", `the provider's discovery document could not be loaded: ${(e as Error).message}`);
  }
  const value = doc[name];
  if (typeof value !== "string") throw new OidcRefusal("issuer_unavailable", `the provider's discovery document has no ${name}`);
  return checkOutboundUrl(value, "LoginProviderEndpoint", { allowPrivate, requireHttps: true });
}

export async function authorizationUrl(cache: JwksCache, client: ClientConfig, redirectUri: string, s: FlowSecrets, allowPrivate: boolean): Promise<URL> {
  const url = await endpoint(cache, client.issuer, "authorization_endpoint", allowPrivate);
  const q = url.searchParams;
  q.set("response_type", "code");
  q.set("client_id", client.clientId);
  q.set("redirect_uri", redirectUri);
  q.set("scope", client.scopes.join(" "));
  q.set("state", s.state);
  q.set("nonce", s.nonce);
  q.set("code_challenge", await pkceChallenge(s.codeVerifier));
  q.set("code_challenge_method", "S256");
  return url;
}

export interface CodeExchange {
  code: string;
  redirectUri: string;
  codeVerifier: string;
  nonce: string;
  allowPrivate: boolean;
  now: number;
}

/** Redeems the code and returns the verified ID token's claims. */
export async function redeemCode(cache: JwksCache, client: ClientConfig, x: CodeExchange): Promise<JWTPayload> {
  const tokenUrl = await endpoint(cache, client.issuer, "token_endpoint", x.allowPrivate);
  const body = new URLSearchParams({ grant_type: "authorization_code", code: x.code, redirect_uri: x.redirectUri, code_verifier: x.codeVerifier });
  const basic = btoa(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`);
  let parsed: Record<string, unknown>;
  try {
    const res = await outboundFetch(tokenUrl, {
      method: "POST",
      headers: { Authorization: `Basic ${basic}`, "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body,
      timeoutMs: 10_000,
    });
    const text = await readLimited(res, MAX_TOKEN_RESPONSE);
    if (res.status !== 200) throw new OidcRefusal("code_rejected", `the token endpoint answered ${res.status}: ${text.slice(0, 200)}`);
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof OidcRefusal) throw e;
    throw new OidcRefusal("issuer_unavailable", `the token endpoint could not be reached: ${(e as Error).message}`);
  }
  if (typeof parsed.id_token !== "string") throw new OidcRefusal("malformed", "the token response has no id_token");
  return verifyIdToken(cache, client, parsed.id_token, x);
}

async function verifyIdToken(cache: JwksCache, client: ClientConfig, idToken: string, x: CodeExchange): Promise<JWTPayload> {
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(idToken, cache.resolverFor(client.issuer, x.allowPrivate), {
      issuer: client.issuer,
      audience: client.clientId,
      algorithms: OIDC_ALGORITHMS,
      currentDate: new Date(x.now),
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["exp", "iat", "sub"],
    }));
  } catch (e) {
    if (e instanceof errors.JWTExpired) throw new OidcRefusal("expired", "the ID token has expired");
    if (e instanceof errors.JWTClaimValidationFailed) throw new OidcRefusal(e.claim === "aud" ? "audience" : "invalid_claims", `claim '${e.claim}' is invalid: ${e.reason}`);
    if (e instanceof errors.JWSSignatureVerificationFailed) throw new OidcRefusal("signature", "the ID token's signature does not verify");
    if (e instanceof errors.JWKSNoMatchingKey) throw new OidcRefusal("unknown_key", "no key of the provider matches the ID token");
    if (e instanceof errors.JOSEAlgNotAllowed) throw new OidcRefusal("algorithm", "the ID token's algorithm is not accepted");
    if (e instanceof errors.JOSEError) throw new OidcRefusal("malformed", `the ID token is not valid: ${e.message}`);
    throw new OidcRefusal("issuer_unavailable", `the provider's keys could not be loaded: ${(e as Error).message}`);
  }
  if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== client.clientId) {
    throw new OidcRefusal("audience", "the ID token names several audiences and its azp is not this client");
  }
  if (claims.nonce !== x.nonce) throw new OidcRefusal("nonce_mismatch", "the ID token's nonce is not the one this sign-in sent");
  return claims;
}
