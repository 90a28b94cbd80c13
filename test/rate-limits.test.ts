/**
 * Rate limits per client address (http/rate-limit.ts): failed authentications and OIDC
 * exchanges answer 429 with Retry-After in each protocol's format once an address is
 * over its limit. Each test uses its own address (CF-Connecting-IP), and requests
 * without one (every other test file) are never limited, so no test depends on another.
 * The limiter's window is aligned to the clock: a test sends up to twice the limit
 * (plus one) so that a window ending mid-test cannot hide the refusal.
 */
import { describe, expect, it } from "vitest";
import { SELF } from "cloudflare:test";
import { BASE, projectWithToken, req } from "./helpers";

const AUTH_LIMIT = 30;
const OIDC_LIMIT = 60;
let n = 0;
const freshIp = () => `198.51.100.${(n++ % 250) + 1}`;

/** Sends `send()` until it answers 429 (at most 2×limit+1 times); returns the refusal. */
async function untilRefused(limit: number, send: () => Promise<Response>): Promise<Response> {
  for (let i = 0; i <= 2 * limit + 1; i++) {
    const res = await send();
    if (res.status === 429) return res;
    await res.arrayBuffer();
  }
  throw new Error(`no 429 after ${2 * limit + 2} requests`);
}

describe("rate limits", () => {
  it("refuses an address after too many failed authentications, in each protocol's format, even its good credentials", async () => {
    const { project, token } = await projectWithToken("reader");
    const ip = freshIp();
    const bad = (path: string, auth: string) => SELF.fetch(`${BASE}${path}`, { headers: { Authorization: auth, "CF-Connecting-IP": ip } });

    const first = await bad("/v2/", "Bearer orbsa_not-a-token");
    expect(first.status).toBe(401);
    const refused = await untilRefused(AUTH_LIMIT, () => bad(`/npm/${project.slug}/any/left-pad`, "Bearer orbsa_not-a-token"));
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(await refused.json()).toMatchObject({ code: "TooManyRequestsAuthFailures", error: expect.stringContaining("too many failed authentications") });

    const oci = await bad("/v2/", `Basic ${btoa(`ci:${token}`)}`);
    expect(oci.status).toBe(429);
    expect(await oci.json()).toMatchObject({ errors: [{ code: "TOOMANYREQUESTS" }] });
    const pypi = await bad(`/pypi/${project.slug}/any/simple/`, `Basic ${btoa(`__token__:${token}`)}`);
    expect(pypi.status).toBe(429);
    expect(pypi.headers.get("retry-after")).toBe("60");

    // Another address, and callers without credentials, are not affected.
    const elsewhere = await SELF.fetch(`${BASE}/api/v1/projects/${project.id}`, { headers: { Authorization: `Bearer ${token}`, "CF-Connecting-IP": freshIp() } });
    expect(elsewhere.status).toBe(200);
    const anonymous = await SELF.fetch(`${BASE}/api/public-config`, { headers: { "CF-Connecting-IP": ip } });
    expect(anonymous.status).toBe(200);
  });

  it("never limits requests that name no client address", async () => {
    for (let i = 0; i < AUTH_LIMIT + 5; i++) {
      const res = await req("/api/v1/projects", { token: "orbsa_not-a-token" });
      expect(res.status).toBe(401);
      await res.arrayBuffer();
    }
  });

  it("limits OIDC exchanges per address before reading the body", async () => {
    const ip = freshIp();
    const exchange = () =>
      SELF.fetch(`${BASE}/api/v1/oidc/exchange`, { method: "POST", headers: { "Content-Type": "application/json", "CF-Connecting-IP": ip }, body: JSON.stringify({ token: "not.a.jwt" }) });
    const refused = await untilRefused(OIDC_LIMIT, exchange);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(await refused.json()).toMatchObject({ error: { code: "TooManyRequestsOidcExchange" } });
    const other = await SELF.fetch(`${BASE}/api/v1/oidc/exchange`, { method: "POST", headers: { "Content-Type": "application/json", "CF-Connecting-IP": freshIp() }, body: "{" });
    expect(other.status).toBe(400);
  });
});
