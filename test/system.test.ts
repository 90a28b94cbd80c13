import { describe, expect, it } from "vitest";
import { ADMIN, jsonOf, req } from "./helpers";

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
