// The JWKS cache on its own, with a fake clock: key rotation, refresh cooldown, TTL,
// one request for concurrent loads.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jwtVerify } from "jose";
import { JwksCache } from "../src/auth/jwks";
import { verifyOidcToken } from "../src/auth/oidc";
import { claimGlob, firstFailedCondition, audienceMatches } from "../src/core/claims";
import { TestIssuer, githubClaims } from "./support/issuer";
import { fetchesTo, installOutbound, uninstallOutbound } from "./support/outbound";

beforeAll(installOutbound);
afterAll(uninstallOutbound);

function clocked() {
  const clock = { now: 1_000_000 };
  const cache = new JwksCache({ now: () => clock.now, ttlMs: 600_000, refreshCooldownMs: 30_000 });
  return { clock, cache };
}

const verify = (cache: JwksCache, issuer: TestIssuer, token: string) =>
  jwtVerify(token, cache.resolverFor(issuer.url, false), { issuer: issuer.url, algorithms: ["ES256", "RS256"] });

describe("JwksCache", () => {
  it("picks up a rotated key on an unknown kid, once the cooldown has passed", async () => {
    const { clock, cache } = clocked();
    const issuer = await TestIssuer.create("rotating");
    await verify(cache, issuer, await issuer.sign(githubClaims()));
    const k2 = await issuer.addKey("ES256");
    const rotated = await issuer.sign(githubClaims(), { key: k2 });
    await expect(verify(cache, issuer, rotated)).rejects.toThrow(/no applicable key/i);
    expect(fetchesTo(`${issuer.url}/keys`)).toBe(1);
    clock.now += 30_000;
    await expect(verify(cache, issuer, rotated)).resolves.toBeTruthy();
    expect(fetchesTo(`${issuer.url}/keys`)).toBe(2);
    // a genuinely unknown kid refreshes once, then stays refused without refetching
    clock.now += 30_000;
    await expect(verify(cache, issuer, await issuer.sign(githubClaims(), { kid: "ghost" }))).rejects.toThrow();
    await expect(verify(cache, issuer, await issuer.sign(githubClaims(), { kid: "ghost" }))).rejects.toThrow();
    expect(fetchesTo(`${issuer.url}/keys`)).toBe(3);
  });

  it("reloads after the TTL and shares one load between concurrent callers", async () => {
    const { clock, cache } = clocked();
    const issuer = await TestIssuer.create("ttl");
    const token = await issuer.sign(githubClaims());
    await Promise.all([verify(cache, issuer, token), verify(cache, issuer, token), verify(cache, issuer, token)]);
    expect(fetchesTo(`${issuer.url}/.well-known/openid-configuration`)).toBe(1);
    clock.now += 600_000;
    await verify(cache, issuer, token);
    expect(fetchesTo(`${issuer.url}/.well-known/openid-configuration`)).toBe(2);
  });

  it("verifies a kid-less token against a set of several keys", async () => {
    const { cache } = clocked();
    const issuer = await TestIssuer.create("kidless");
    const k2 = await issuer.addKey("ES256");
    const token = await issuer.sign(githubClaims(), { key: k2, kid: null });
    await expect(verify(cache, issuer, token)).rejects.toThrow(/multiple matching keys/);
    const claims = await verifyOidcToken(token, issuer.url, { cache, allowPrivate: false, now: Date.now() });
    expect(claims.repository).toBe("acme/app");
  });
});

describe("claim matching", () => {
  it("treats * as one path segment and ** as any", () => {
    expect(claimGlob("refs/heads/*").test("refs/heads/main")).toBe(true);
    expect(claimGlob("refs/heads/*").test("refs/heads/feature/x")).toBe(false);
    expect(claimGlob("refs/heads/**").test("refs/heads/feature/x")).toBe(true);
    expect(claimGlob("acme/*/.github/workflows/deploy.yml@refs/tags/v?.*").test("acme/app/.github/workflows/deploy.yml@refs/tags/v1.2")).toBe(true);
    expect(claimGlob("a.b").test("axb")).toBe(false);
    expect(claimGlob("(x)+").test("(x)+")).toBe(true);
  });

  it("requires every condition, any value, and compares non-strings by their text", () => {
    const conds = [
      { claim: "repository", match: "exact" as const, values: ["acme/a", "acme/b"] },
      { claim: "ref_protected", match: "exact" as const, values: ["true"] },
    ];
    expect(firstFailedCondition(conds, { repository: "acme/b", ref_protected: true })).toBeNull();
    expect(firstFailedCondition(conds, { repository: "acme/c", ref_protected: true })).toEqual({ claim: "repository", actual: "acme/c" });
    expect(firstFailedCondition(conds, { repository: "acme/a", ref_protected: { x: 1 } })).toEqual({ claim: "ref_protected", actual: null });
    expect(audienceMatches(["x", "y"], ["y"])).toBe(true);
    expect(audienceMatches(undefined, ["y"])).toBe(false);
  });
});
