// src/config.ts is the one reader of ORBITALREG_* variables and bindings: nothing else
// reads them, its list matches wrangler.toml and src/env.ts, its queue names match
// wrangler.toml's, and a bad value fails requests with a 503 naming it.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parse } from "smol-toml";
import wranglerToml from "../../wrangler.toml?raw";
import { QUEUES, SETTINGS, config } from "../../src/config";
import { buildApp } from "../../src/app";
import { SOURCES } from "./sources";
import type { Env } from "../../src/env";

interface Wrangler {
  vars?: Record<string, string>;
  d1_databases?: { binding: string }[];
  r2_buckets?: { binding: string }[];
  durable_objects?: { bindings: { name: string }[] };
  ratelimits?: { name: string }[];
  queues?: { producers?: { binding: string; queue: string }[]; consumers?: { queue: string; dead_letter_queue?: string }[] };
}
const toml = parse(wranglerToml) as unknown as Wrangler;

describe("configuration", () => {
  it("is read only by src/config.ts", () => {
    const readers = Object.entries(SOURCES).filter(([path, text]) => path !== "src/config.ts" && /\.ORBITALREG_|\[["'`]ORBITALREG_|\{[^}]*\bORBITALREG_[A-Z_]+\b[^}]*\}\s*=/.test(text));
    expect(readers.map(([path]) => path)).toEqual([]);
  });

  it("lists every variable and binding of wrangler.toml and src/env.ts, and nothing else", () => {
    const bindings = [
      ...(toml.d1_databases ?? []).map((b) => b.binding),
      ...(toml.r2_buckets ?? []).map((b) => b.binding),
      ...(toml.durable_objects?.bindings ?? []).map((b) => b.name),
      ...(toml.queues?.producers ?? []).map((b) => b.binding),
      ...(toml.ratelimits ?? []).map((b) => b.name),
    ];
    const declared = Object.keys(SETTINGS).filter((k) => SETTINGS[k as keyof typeof SETTINGS].kind === "binding");
    expect(bindings.sort()).toEqual(declared.sort());
    for (const v of Object.keys(toml.vars ?? {})) expect(SETTINGS, v).toHaveProperty(v);
    const envKeys = [...SOURCES["src/env.ts"]!.matchAll(/^\s+([A-Z][A-Z0-9_]+)\??:/gm)].map((m) => m[1]!);
    expect(envKeys.sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  it("names the queues wrangler.toml declares, with their producers and dead-letter queues", () => {
    const producers = (toml.queues?.producers ?? []).map((p) => `${p.binding} → ${p.queue}`).sort();
    expect(producers).toEqual(Object.values(QUEUES).flatMap((q) => (q.binding ? [`${q.binding} → ${q.name}`] : [])).sort());
    const consumers = (toml.queues?.consumers ?? []).map((c) => `${c.queue} ⇒ ${c.dead_letter_queue ?? "-"}`).sort();
    expect(consumers).toEqual(Object.values(QUEUES).map((q) => `${q.name} ⇒ ${q.deadLetter ?? "-"}`).sort());
  });

  it("reads the test environment", () => {
    expect(config(env)).toEqual({
      adminToken: "test-admin-token",
      jwtSecret: null,
      signingKeySecret: null,
      helpUrl: expect.any(String),
      banner: null,
      allowPrivateTargets: false,
      allowPrivateUpstreams: false,
      upstreamStoreDeferMs: 5_000,
      sessions: { idleMs: 8 * 3600_000, maxMs: 7 * 86_400_000 },
      downloadLogMs: 90 * 86_400_000,
      trashMs: 7 * 86_400_000,
      gc: { linkGraceMs: 86_400_000, blobGraceMs: 3_600_000, orphanGraceMs: 2 * 86_400_000 },
      edgeCacheMaxBytes: 32 * 1024 * 1024,
      maxRequestBodyBytes: null,
      internalJwt: { secret: null, publicKey: null, audience: "orbitalreg-internal", subjectPrefix: "scanner:" },
    });
  });

  it("refuses a bad variable or a missing binding, naming it, with 503 on every request", async () => {
    const bad = (extra: Record<string, unknown>) => ({ ...env, ...extra }) as Env;
    expect(() => config(bad({ ORBITALREG_ALLOW_PRIVATE_WEBHOOKS: "yes" }))).toThrow(/ORBITALREG_ALLOW_PRIVATE_WEBHOOKS must be "true" or "false"/);
    expect(() => config(bad({ ORBITALREG_HELP_URL: "javascript:alert(1)" }))).toThrow(/ORBITALREG_HELP_URL must be an http\(s\) URL/);
    expect(() => config(bad({ DB: undefined }))).toThrow(/DB is missing/);
    expect(() => config(bad({ ORBITALREG_SESSION_IDLE_SECONDS: "soon" }))).toThrow(/ORBITALREG_SESSION_IDLE_SECONDS/);
    expect(() => config(bad({ ORBITALREG_SESSION_MAX_SECONDS: "5" }))).toThrow(/ORBITALREG_SESSION_MAX_SECONDS/);
    expect(config(bad({ ORBITALREG_SESSION_IDLE_SECONDS: "600", ORBITALREG_SESSION_MAX_SECONDS: "3600" })).sessions).toEqual({ idleMs: 600_000, maxMs: 3_600_000 });
    expect(config(bad({ ORBITALREG_BANNER: "", ORBITALREG_JWT_SECRET: "" }))).toMatchObject({ banner: null, jwtSecret: null });

    const ctx = createExecutionContext();
    const res = await buildApp().fetch(new Request("http://registry.test/api/public-config"), bad({ QUOTAS: undefined }), ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: "UnavailableConfigInvalid", message: expect.stringContaining("QUOTAS is missing") } });
  });
});
