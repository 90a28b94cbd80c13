import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { ingestBlob, unlinkBlob } from "../src/services/artifacts/blobs";
import { database } from "../src/db/client";
import { Access } from "../src/auth/access";
import { INSTANCE_ADMIN } from "../src/auth/principal";
import type { Scope } from "../src/services/scope";
import { ADMIN, captureEvents, createProject, createRepo, jsonOf, projectWithToken, req } from "./helpers";

function scope(): Scope {
  const db = database(env.DB);
  return { env, db, access: new Access(db, INSTANCE_ADMIN), requestId: "test", ip: null, baseUrl: "http://x", waitUntil: () => {} };
}

/** `n` bytes unique to `seed`, as a stream factory. */
function blob(seed: number, n: number) {
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (seed * 31 + i * 7) & 0xff;
  data[0] = seed & 0xff;
  data[1] = (seed >> 8) & 0xff;
  return () => new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(data), c.close()) });
}

const setQuota = async (projectId: string, limit_bytes: number | null) =>
  jsonOf(await req(`/api/admin/projects/${projectId}/quota`, { method: "PUT", token: ADMIN, json: { limit_bytes } }), 200);
const addLimit = async (projectId: string, type: string, threshold_percent: number) =>
  jsonOf(await req(`/api/admin/projects/${projectId}/quota/limits`, { method: "POST", token: ADMIN, json: { type, threshold_percent } }), 201);
const quotaOf = async (projectId: string) => jsonOf(await req(`/api/v1/projects/${projectId}/quota`, { token: ADMIN }), 200);

describe("project quotas", () => {
  it("20 concurrent uploads never overshoot the Reject limit, and refused ones leave nothing", async () => {
    const project = await createProject();
    const repo = await createRepo(project.id, "generic");
    await setQuota(project.id, 100_000);
    const objectsBefore = (await env.BLOBS.list({ prefix: "blobs/" })).objects.length;
    const s = scope();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => ingestBlob(s, repo.id, blob(1000 + i, 10_000)(), { length: 10_000 })),
    );
    const accepted = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    expect(accepted.length).toBe(10);
    for (const r of refused) expect(r.reason).toMatchObject({ code: "QuotaExceededStorage", status: 413 });
    const q = await quotaOf(project.id);
    expect(q.usage.used_bytes).toBe(10 * 10_000);
    expect(q.usage.reserved_bytes).toBe(0);
    expect(q.usage.blobs).toBe(10);
    expect((await env.BLOBS.list({ prefix: "blobs/" })).objects.length).toBe(objectsBefore + 10);
  });

  it("checks bodies of unknown length when they are linked", async () => {
    const project = await createProject();
    const repo = await createRepo(project.id, "generic");
    await setQuota(project.id, 25_000);
    const s = scope();
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => ingestBlob(s, repo.id, blob(2000 + i, 10_000)())));
    expect(results.filter((r) => r.status === "fulfilled").length).toBe(2);
    expect((await quotaOf(project.id)).usage.used_bytes).toBe(20_000);
  });

  it("counts a blob once per project however many repos link it, and frees it with the last link", async () => {
    const project = await createProject();
    const r1 = await createRepo(project.id, "generic");
    const r2 = await createRepo(project.id, "generic");
    const s = scope();
    const make = blob(3000, 4_000);
    const { digest } = await ingestBlob(s, r1.id, make(), { length: 4_000 });
    await ingestBlob(s, r2.id, make(), { length: 4_000 });
    expect((await quotaOf(project.id)).usage).toMatchObject({ used_bytes: 4_000, blobs: 1 });
    await unlinkBlob(s, r1.id, digest);
    expect((await quotaOf(project.id)).usage.used_bytes).toBe(4_000);
    await unlinkBlob(s, r2.id, digest);
    expect((await quotaOf(project.id)).usage).toMatchObject({ used_bytes: 0, blobs: 0 });
  });

  it("rejects at a Reject limit below 100 % and emits quota.exceeded once per Warning crossing", async () => {
    const project = await createProject();
    const repo = await createRepo(project.id, "generic");
    await setQuota(project.id, 100_000);
    await addLimit(project.id, "Warning", 50);
    await addLimit(project.id, "Reject", 80);
    const events = captureEvents();
    const s = scope();
    for (let i = 0; i < 4; i++) await ingestBlob(s, repo.id, blob(4000 + i, 15_000)(), { length: 15_000 }); // 60 000
    await expect(ingestBlob(s, repo.id, blob(4010, 25_000)(), { length: 25_000 })).rejects.toMatchObject({ code: "QuotaExceededStorage" });
    await ingestBlob(s, repo.id, blob(4011, 20_000)(), { length: 20_000 }); // exactly 80 000
    const sent = events.events();
    const warnings = sent.filter((e) => e.type === "quota.exceeded" && !e.data.rejected);
    const rejections = sent.filter((e) => e.type === "quota.exceeded" && e.data.rejected);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.data.limits).toEqual([{ type: "Warning", threshold_percent: 50 }]);
    expect(rejections).toHaveLength(1);
    const q = await quotaOf(project.id);
    expect(q.usage.used_bytes).toBe(80_000);
    expect(q.usage.percent_used).toBe(80);
    expect(q.limits.map((l: any) => l.type).sort()).toEqual(["Reject", "Warning"]);
  });

  it("lets project members read the quota, only instance admins change it, and audits changes", async () => {
    const { project, token } = await projectWithToken("admin");
    expect((await req(`/api/v1/projects/${project.id}/quota`, { token })).status).toBe(200);
    expect((await req(`/api/admin/projects/${project.id}/quota`, { method: "PUT", token, json: { limit_bytes: 5 } })).status).toBe(403);
    await setQuota(project.id, 5_000);
    const audit = await jsonOf(await req(`/api/v1/audit?project_id=${project.id}&action=quota.set`, { token: ADMIN }), 200);
    expect(audit.items[0].after).toMatchObject({ limit_bytes: 5000 });
    const bad = await req(`/api/admin/projects/${project.id}/quota/limits`, { method: "POST", token: ADMIN, json: { type: "Reject", threshold_percent: 150 } });
    expect(bad.status).toBe(400);
  });
});
