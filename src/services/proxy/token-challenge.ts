/**
 * The registry token flow an upstream may ask for (Docker Registry token authentication,
 * which Docker Hub, GHCR, Quay and CNCF distribution use): a 401 whose
 * `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` names a token endpoint; the
 * client asks the realm for a token (with the repo's Basic credentials, or anonymously)
 * and retries with `Authorization: Bearer <token>`.
 *
 * Invariants:
 * - The realm passes the same address rules as the upstream itself; it gets the repo's
 *   credentials (that is what the realm is for) and nothing else does.
 * - Tokens are cached per isolate by (repo, scope), for less than their lifetime
 *   (TOKEN_CACHE_TTL_MS, under the 60 s minimum the spec allows), so a pull of many
 *   layers answers one challenge; a cached token is never shared across repos.
 */
import type { UpstreamClient } from "./upstream-client";
import { TtlCache } from "../../core/ttl-cache";

const TOKEN_CACHE_TTL_MS = 50_000;
/** Per-isolate: `<repo id>|<scope>` → a bearer token from the upstream's realm. */
const upstreamTokens = new TtlCache<string, string>(TOKEN_CACHE_TTL_MS, "auth", 2_000);
const MAX_TOKEN_RESPONSE = 64 * 1024;

export const cachedToken = (repoId: string, scope: string) => upstreamTokens.get(`${repoId}|${scope}`) ?? null;

/** Parses `Bearer realm="…",service="…",scope="…"` (null for any other scheme). */
export function parseBearerChallenge(header: string | null): Record<string, string> | null {
  if (!header) return null;
  const m = /^\s*Bearer\s+(.*)$/i.exec(header);
  if (!m) return null;
  const params: Record<string, string> = {};
  for (const p of m[1]!.matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? "").replace(/\\(.)/g, "$1");
  }
  return params.realm ? params : null;
}

/** Answers a challenge: a token, or null when there is none to be had (the 401 stands). */
export async function challengeToken(client: UpstreamClient, header: string | null, scopeHint?: string): Promise<string | null> {
  const challenge = parseBearerChallenge(header);
  if (!challenge) return null;
  let realm: URL;
  try {
    realm = new URL(challenge.realm!);
  } catch {
    return null;
  }
  const scope = challenge.scope ?? scopeHint ?? "";
  if (challenge.service) realm.searchParams.set("service", challenge.service);
  if (scope) realm.searchParams.set("scope", scope);
  const headers = new Headers({ Accept: "application/json" });
  const basic = await client.basicCredentials();
  if (basic) headers.set("Authorization", basic);
  // The realm is checked like any upstream URL (send does not follow redirects).
  const { response } = await client.send(client.check(realm), "GET", headers);
  if (!response.ok) {
    await response.body?.cancel();
    return null;
  }
  let body: { token?: unknown; access_token?: unknown };
  try {
    const text = await response.text();
    if (text.length > MAX_TOKEN_RESPONSE) return null;
    body = JSON.parse(text);
  } catch {
    return null;
  }
  const token = typeof body.token === "string" ? body.token : typeof body.access_token === "string" ? body.access_token : null;
  if (token && scope) upstreamTokens.set(`${client.opened.repo.id}|${scope}`, token);
  if (token && scopeHint && scopeHint !== scope) upstreamTokens.set(`${client.opened.repo.id}|${scopeHint}`, token);
  return token;
}
