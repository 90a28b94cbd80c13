import { describe, expect, it } from "vitest";
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../src/index";
import { signRegistryJwt } from "../src/auth/registry-jwt";
import { ADMIN, BASE, jsonOf, req } from "./helpers";

/** A request to a Worker whose environment lacks both secrets a registry JWT key comes from. */
async function unconfigured(path: string, headers: Record<string, string> = {}) {
  const bare = { ...env, ORBITALREG_ADMIN_TOKEN: undefined, ORBITALREG_JWT_SECRET: undefined };
  const ctx = createExecutionContext();
  const res = await worker.fetch!(new Request(`${BASE}${path}`, { headers }) as never, bare as never, ctx);
  const body = await res.text();
  await waitOnExecutionContext(ctx);
  return { status: res.status, body };
}

describe("system endpoints", () => {
  it("answers liveness and public config without credentials", async () => {
    expect(await jsonOf(await req("/health/live"), 200)).toEqual({ status: "ok" });
    const config = await jsonOf(await req("/api/public-config"), 200);
    expect(config.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(config.formats).toContain("docker");
  });

  it("checks D1 and R2 for readiness", async () => {
    const ready = await jsonOf(await req("/health/ready"), 200);
    expect(ready.status).toBe("ok");
    expect(ready.checks.d1.ok).toBe(true);
    expect(ready.checks.r2.ok).toBe(true);
    expect(ready.checks.config).toEqual({ ok: true, latency_ms: 0, error: null });
  });

  it("refuses to sign registry tokens without a configured key, says so on /health/ready, and verifies none", async () => {
    const token = await unconfigured("/v2/token?service=orbitalreg&scope=repository:p/r/app:pull");
    expect(token.status).toBe(503);
    const [error] = JSON.parse(token.body).errors;
    expect(error.message).toMatch(/ORBITALREG_JWT_SECRET/);
    const ready = await unconfigured("/health/ready");
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ status: "unavailable", checks: { d1: { ok: true }, r2: { ok: true }, config: { ok: false, error: expect.stringMatching(/ORBITALREG_JWT_SECRET/) } } });
    // A token signed with the key the source used to derive from a constant is refused.
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("registry-jwt:orbitalreg-unconfigured"));
    const forged = await signRegistryJwt({ tid: "admin", sub: "mallory", access: [] }, btoa(String.fromCharCode(...new Uint8Array(digest))));
    expect((await unconfigured("/api/v1/projects", { Authorization: `Bearer ${forged}` })).status).toBe(401);
  });

  it("keeps the backup report for the instance admin", async () => {
    const anon = await req("/health/backup");
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toContain("Bearer");
    await req("/health/ready");
    const report = await jsonOf(await req("/health/backup", { token: ADMIN }), 200);
    expect(report.d1.binding).toBe("DB");
    expect(report.r2.bucket).toBe("orbitalreg-blobs");
  });

  it("puts a request id on every response, echoing a valid incoming one", async () => {
    const res = await req("/health/live", { headers: { "X-Request-Id": "abc12345-from-client" } });
    expect(res.headers.get("x-request-id")).toBe("abc12345-from-client");
    const missing = await req("/api/v1/nothing-here", { token: ADMIN });
    const body = await jsonOf(missing, 404);
    expect(body.error.code).toBe("NotFoundRoute");
    expect(body.error.request_id).toBe(missing.headers.get("x-request-id"));
  });

  it("serves an OpenAPI 3.1 document and a self-contained Redoc page", async () => {
    const doc = await jsonOf(await req("/api/openapi.json"), 200);
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/v1/projects", "/api/v1/repos/{id}", "/api/v1/projects/{id}/service_accounts/{sa}/tokens"]));
    const page = await req("/api/docs");
    const html = await page.text();
    expect(html).toContain('src="/api/docs/redoc.standalone.js"');
    expect(html).not.toMatch(/https?:\/\//);
    const bundle = await req("/api/docs/redoc.standalone.js");
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
  });
});

describe("cron trigger", () => {
  it("records store health that the backup report quotes", async () => {
    const { createScheduledController, createExecutionContext, waitOnExecutionContext, env } = await import("cloudflare:test");
    const worker = (await import("../src/index")).default;
    await env.DB.prepare("DELETE FROM health_checks").run();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "*/15 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const report = await jsonOf(await req("/health/backup", { token: ADMIN }), 200);
    expect(Date.now() - Date.parse(report.last_ready_ok_at)).toBeLessThan(60_000);
  });
});
