/**
 * Lifecycle in workerd: retention rules (pure), dry-run = real run, trash restore,
 * and garbage collection of purged bytes and of orphans, through the public API.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { ADMIN, createRepo, jsonOf, projectWithToken, req } from "./helpers";
import { oci, ociRepo, pushImage } from "./oci-helpers";
import { handleJob, startRun, resumeStaleRuns, systemScope, getRun, RUN_BATCH, type Jobs } from "../src/services/lifecycle";
import type { JobMessage } from "../src/services/lifecycle/runs";
import { getRepoWithProject } from "../src/services/projects";
import { database } from "../src/db/client";
import { condemn } from "../src/db/gc";
import { findBlob } from "../src/db/blobs";
import { evaluate, type Candidate, type RetentionPolicy } from "../src/core/retention";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 31);
const cand = (key: string, pkg: string, ageDays: number, extra: Partial<Candidate> = {}): Candidate => ({
  key,
  package: pkg,
  version: key,
  tags: [],
  createdAt: NOW - ageDays * DAY,
  lastDownloadAt: null,
  protections: [],
  ...extra,
});
const pol = (name: string, action: "keep" | "delete", condition: RetentionPolicy["condition"]): RetentionPolicy => ({ id: name, name, action, condition });
const byKey = (ds: ReturnType<typeof evaluate>) => Object.fromEntries(ds.map((d) => [d.key, d.decision === "delete" ? `delete:${d.policy.name}` : `keep:${d.keptBy}`]));

describe("retention rules (pure)", () => {
  it("each rule type decides, and names the rule that decided", () => {
    const cs = [
      cand("old", "a", 40),
      cand("new", "a", 1),
      cand("tagged", "a", 50, { tags: ["release-1"] }),
      cand("idle", "b", 100, { lastDownloadAt: NOW - 60 * DAY }),
      cand("busy", "b", 100, { lastDownloadAt: NOW - 1 * DAY }),
      cand("other", "c", 100, { version: "2.0.0" }),
    ];
    const out = byKey(
      evaluate([pol("old-a", "delete", { packagePatterns: ["a"], olderThanDays: 30 }), pol("idle-b", "delete", { packagePatterns: ["b"], notDownloadedForDays: 30 }), pol("v2", "delete", { versionPatterns: ["/^2\\./"] })], cs, NOW),
    );
    expect(out).toEqual({ old: "delete:old-a", new: "keep:no-delete-policy", tagged: "delete:old-a", idle: "delete:idle-b", busy: "keep:no-delete-policy", other: "delete:v2" });
  });

  it("keep wins over delete, keep_most_recent counts per package, protections always win", () => {
    const cs = [cand("a1", "a", 10), cand("a2", "a", 9), cand("a3", "a", 8), cand("a4", "a", 7, { tags: ["release-9"] }), cand("b1", "b", 10), cand("b2", "b", 9, { protections: ["legal-hold"] })];
    const out = byKey(evaluate([pol("all", "delete", { olderThanDays: 0 }), pol("recent-2", "keep", { keepMostRecent: 2 }), pol("releases", "keep", { tagPatterns: ["release-*"] })], cs, NOW));
    expect(out.a1).toBe("delete:all");
    expect(out.a2).toBe("delete:all");
    expect(out.a3).toMatch(/^keep:/);
    expect(out.a4).toMatch(/^keep:(recent-2|releases)$/);
    expect(out.b1).toBe("keep:recent-2");
    expect(out.b2).toBe("keep:legal-hold");
  });
});

const sha = async (s: string) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)))].map((b) => b.toString(16).padStart(2, "0")).join("");

async function genericRepo() {
  const { project, token } = await projectWithToken("admin");
  const repo = await createRepo(project.id, "generic");
  const base = `/generic/${project.slug}/${repo.slug}`;
  const put = async (path: string, body: string) => jsonOf(await req(`${base}/${path}`, { method: "PUT", token, body, headers: { "X-Checksum-Sha256": await sha(body) } }), 201);
  return { project, repo, token, base, put };
}

const policy = (repoId: string, body: unknown) => req(`/api/v1/repos/${repoId}/retention/policies`, { method: "POST", token: ADMIN, json: body });

describe("retention runs on a repository", () => {
  it("a dry-run lists exactly what the real run deletes, with reasons; deleted files 404, kept ones serve; restore puts one back", async () => {
    const { repo, base, token, put } = await genericRepo();
    for (const p of ["builds/a.txt", "builds/b.txt", "builds/keep-me.txt", "docs/readme.txt"]) await put(p, `content of ${p}`);
    await jsonOf(await policy(repo.id, { name: "drop-builds", action: "delete", condition: { package_patterns: ["builds/*"] } }), 201);
    await jsonOf(await policy(repo.id, { name: "keep-me", action: "keep", condition: { package_patterns: ["*keep-me*"] } }), 201);
    const dup = await policy(repo.id, { name: "keep-me", action: "keep", condition: { package_patterns: ["x"] } });
    expect((await jsonOf(dup, 409)).error.code).toBe("ConflictRetentionPolicyNameInUse");

    const dry = await jsonOf(await req(`/api/v1/repos/${repo.id}/retention/dry-run`, { method: "POST", token: ADMIN, json: {} }), 200);
    const planned = dry.delete.map((i: any) => `${i.package}|${i.policy}`).sort();
    expect(planned).toEqual(["builds/a.txt|drop-builds", "builds/b.txt|drop-builds"]);
    expect(Object.fromEntries(dry.keep.map((i: any) => [i.package, i.kept_by]))).toEqual({ "builds/keep-me.txt": "keep-me", "docs/readme.txt": "no-delete-policy" });
    expect(dry.freed_bytes).toBe("content of builds/a.txt".length + "content of builds/b.txt".length);
    // The dry-run changed nothing.
    expect((await req(`${base}/builds/a.txt`, { token })).status).toBe(200);

    const run = await jsonOf(await req(`/api/v1/repos/${repo.id}/retention/runs`, { method: "POST", token: ADMIN, json: { wait: true } }), 200);
    expect(run).toMatchObject({ status: "succeeded", planned: 2, deleted: 2, dry_run: false, planned_bytes: dry.freed_bytes });
    const items = await jsonOf(await req(`/api/v1/repos/${repo.id}/retention/runs/${run.id}/items?limit=100`, { token: ADMIN }), 200);
    const done = items.items.filter((i: any) => i.decision === "delete").map((i: any) => `${i.package}|${i.policy}`).sort();
    expect(done).toEqual(planned);

    expect((await req(`${base}/builds/a.txt`, { token })).status).toBe(404);
    expect((await req(`${base}/builds/b.txt`, { token })).status).toBe(404);
    expect(await (await req(`${base}/builds/keep-me.txt`, { token })).text()).toBe("content of builds/keep-me.txt");

    const trash = await jsonOf(await req(`/api/v1/repos/${repo.id}/trash`, { token: ADMIN }), 200);
    expect(trash.items).toHaveLength(2);
    expect(trash.items.every((e: any) => e.reason === "retention" && e.counts_toward_quota === true && e.policy === "drop-builds")).toBe(true);
    const a = trash.items.find((e: any) => e.name === "builds/a.txt");
    await jsonOf(await req(`/api/v1/repos/${repo.id}/trash/${a.id}/restore`, { method: "POST", token: ADMIN }), 200);
    expect(await (await req(`${base}/builds/a.txt`, { token })).text()).toBe("content of builds/a.txt");
    expect((await req(`${base}/builds/b.txt`, { token })).status).toBe(404);

    const runs = await jsonOf(await req(`/api/v1/repos/${repo.id}/retention/runs`, { token: ADMIN }), 200);
    expect(runs.items.map((r: any) => r.dry_run)).toEqual([true, false]);
  });

  it("a legal hold keeps a version a delete policy matches", async () => {
    const { repo, base, token, put } = await genericRepo();
    await put("held.txt", "held bytes");
    await put("gone.txt", "gone bytes");
    await jsonOf(await req(`/api/v1/repos/${repo.id}/retention/holds`, { method: "POST", token: ADMIN, json: { package: "held.txt", version: "current", reason: "litigation" } }), 201);
    await jsonOf(await policy(repo.id, { name: "all", action: "delete", condition: { older_than_days: 0 } }), 201);
    const dry = await jsonOf(await req(`/api/v1/repos/${repo.id}/retention/dry-run`, { method: "POST", token: ADMIN, json: {} }), 200);
    const keep = Object.fromEntries(dry.keep.map((i: any) => [i.package, i.kept_by]));
    expect(dry.delete.map((i: any) => i.package)).toEqual(["gone.txt"]);
    expect(keep["held.txt"]).toBe("legal-hold");
    expect((await req(`${base}/held.txt`, { token })).status).toBe(200);
  });
});

describe("garbage collection", () => {
  it("a purged file's bytes leave R2 after a run; an orphan object goes too; live bytes stay", async () => {
    const { repo, base, token, put } = await genericRepo();
    const stored = await put("purge-me.bin", "bytes to purge " + crypto.randomUUID());
    await put("stay.bin", "bytes that stay " + crypto.randomUUID());
    expect((await req(`${base}/purge-me.bin`, { method: "DELETE", token })).status).toBe(204);
    const trash = await jsonOf(await req(`/api/v1/repos/${repo.id}/trash`, { token: ADMIN }), 200);
    expect(trash.items.map((e: any) => e.reason)).toEqual(["delete"]);
    const purged = await jsonOf(await req(`/api/v1/repos/${repo.id}/trash/${trash.items[0].id}`, { method: "DELETE", token: ADMIN }), 200);
    expect(purged.released_bytes).toBe(stored.size);

    const orphanKey = `blobs/${crypto.randomUUID()}`;
    await env.BLOBS.put(orphanKey, "orphan");
    const before = (await env.BLOBS.list({ limit: 1000 })).objects.map((o) => o.key);
    expect(before).toContain(orphanKey);

    const graces = { link_grace_seconds: 0, blob_grace_seconds: 0, orphan_grace_seconds: 0 };
    const dry = await jsonOf(await req(`/api/admin/gc/dry-run`, { method: "POST", token: ADMIN, json: graces }), 200);
    expect(dry.orphans.map((o: any) => o.key)).toContain(orphanKey);
    const run = await jsonOf(await req(`/api/admin/gc/runs`, { method: "POST", token: ADMIN, json: { ...graces, wait: true } }), 200);
    expect(run.status).toBe("succeeded");
    expect(run.counts.orphans_deleted).toBeGreaterThanOrEqual(1);
    expect(run.counts.blobs_deleted).toBeGreaterThanOrEqual(1);

    expect(await env.BLOBS.head(orphanKey)).toBeNull();
    expect((await req(`${base}/purge-me.bin`, { token })).status).toBe(404);
    expect((await req(`${base}/stay.bin`, { token })).status).toBe(200);
    expect(stored).toBeTruthy();
    // A second run finds nothing left to collect.
    const again = await jsonOf(await req(`/api/admin/gc/dry-run`, { method: "POST", token: ADMIN, json: graces }), 200);
    expect(again.orphans).toEqual([]);
  });

  it("collects a listing page of more orphans than one D1 statement may bind (100 parameters)", async () => {
    const keys = Array.from({ length: 130 }, () => `blobs/${crypto.randomUUID()}`);
    for (const key of keys) await env.BLOBS.put(key, "orphan");
    const graces = { link_grace_seconds: 0, blob_grace_seconds: 0, orphan_grace_seconds: 0 };
    const run = await jsonOf(await req(`/api/admin/gc/runs`, { method: "POST", token: ADMIN, json: { ...graces, wait: true } }), 200);
    expect(run.errors).toEqual([]);
    expect(run.status).toBe("succeeded");
    expect(run.counts.orphans_deleted).toBeGreaterThanOrEqual(keys.length);
    for (const key of keys) expect(await env.BLOBS.head(key)).toBeNull();
  });
});

describe("fixed: deletes that left things behind", () => {
  it("deleting a repo gives its bytes back to the project's quota", async () => {
    const { project, repo, put } = await genericRepo();
    await put("a.bin", "x".repeat(1000));
    const usage = async () => (await jsonOf(await req(`/api/v1/projects/${project.id}/quota`, { token: ADMIN }), 200)).usage.used_bytes;
    expect(await usage()).toBe(1000);
    expect((await req(`/api/v1/repos/${repo.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect(await usage()).toBe(0);
  });

  it("deleting a manifest by digest takes its labels to the trash, and a restore brings them back", async () => {
    const { repo, token, name } = await ociRepo("admin");
    const { manifest } = await pushImage(name, token, "v1");
    await jsonOf(await req(`/api/v1/repos/${repo.id}/manifests/${manifest.digest}/labels`, { method: "POST", token: ADMIN, json: { key: "team", value: "core" } }), 201);
    const labelRows = async () => (await env.DB.prepare("SELECT count(*) AS n FROM oci_labels WHERE repo_id = ? AND digest = ?").bind(repo.id, manifest.digest).first<{ n: number }>())!.n;
    expect(await labelRows()).toBe(1);
    expect((await oci(`/v2/${name}/manifests/${manifest.digest}`, { method: "DELETE", auth: token })).status).toBe(202);
    expect(await labelRows()).toBe(0);
    expect((await oci(`/v2/${name}/manifests/v1`, { auth: token })).status).toBe(404);
    const [entry] = (await jsonOf(await req(`/api/v1/repos/${repo.id}/trash`, { token: ADMIN }), 200)).items;
    expect(entry).toMatchObject({ kind: "manifest", ref: manifest.digest, tags: ["v1"] });
    await jsonOf(await req(`/api/v1/repos/${repo.id}/trash/${entry.id}/restore`, { method: "POST", token: ADMIN }), 200);
    expect((await oci(`/v2/${name}/manifests/v1`, { auth: token })).status).toBe(200);
    const labels = await jsonOf(await req(`/api/v1/repos/${repo.id}/manifests/${manifest.digest}/labels`, { token: ADMIN }), 200);
    expect(labels.labels.map((l: { key: string; value: string }) => `${l.key}=${l.value}`)).toEqual(["team=core"]);
  });
});

describe("retention runs in batches", () => {
  it("a batch handles at most RUN_BATCH items and enqueues its continuation; a duplicate does nothing; a lost message is resumed", async () => {
    const { repo, put } = await genericRepo();
    const n = RUN_BATCH + 5;
    for (let i = 0; i < n; i++) await put(`f/${i}.txt`, `file ${i}`);
    await jsonOf(await policy(repo.id, { name: "all", action: "delete", condition: { older_than_days: 0 } }), 201);
    const scope = systemScope(env, "test");
    const pending: JobMessage[] = [];
    const jobs: Jobs = { send: async (m) => void pending.push(m) };
    const run = await startRun(scope, await getRepoWithProject(scope, repo.id), "manual", jobs);
    expect(pending).toEqual([{ type: "retention.plan", run_id: run.id }]);
    await handleJob(env, pending.shift()!, jobs);
    expect(pending).toEqual([{ type: "retention.batch", run_id: run.id, from: 0 }]);
    const first = pending.shift()!;
    await handleJob(env, first, jobs);
    expect((await getRun(scope, repo.id, run.id)).deleted).toBe(RUN_BATCH);
    expect(pending).toEqual([{ type: "retention.batch", run_id: run.id, from: RUN_BATCH }]);
    // The same message delivered again: already claimed, nothing happens.
    await handleJob(env, first, jobs);
    expect((await getRun(scope, repo.id, run.id)).deleted).toBe(RUN_BATCH);
    expect(pending).toHaveLength(1);
    // The continuation is lost (the worker died): once the lease lapses, the tick resumes the run.
    pending.length = 0;
    expect(await resumeStaleRuns(scope, jobs, Date.now() + 3_600_000)).toBe(1);
    expect(pending).toHaveLength(1);
    while (pending.length) await handleJob(env, pending.shift()!, jobs);
    expect(await getRun(scope, repo.id, run.id)).toMatchObject({ status: "succeeded", deleted: n, planned: n });
    // And one real run per repo at a time.
    const again = await startRun(scope, await getRepoWithProject(scope, repo.id), "manual", jobs);
    const busy = await req(`/api/v1/repos/${repo.id}/retention/runs`, { method: "POST", token: ADMIN, json: {} });
    expect((await jsonOf(busy, 409)).error.code).toBe("ConflictRetentionRunActive");
    expect(again.id).toBeTruthy();
  });
});

describe("garbage collection racing a push (one interleaving, step by step)", () => {
  it("a push of bytes GC has condemned (but not yet deleted) revives the blob under its own key; GC then deletes only the old key", async () => {
    const a = await genericRepo();
    const b = await genericRepo();
    const content = "shared bytes " + crypto.randomUUID();
    const stored = await a.put("x.bin", content);
    expect((await req(`${a.base}/x.bin`, { method: "DELETE", token: a.token })).status).toBe(204);
    const [entry] = (await jsonOf(await req(`/api/v1/repos/${a.repo.id}/trash`, { token: ADMIN }), 200)).items;
    await jsonOf(await req(`/api/v1/repos/${a.repo.id}/trash/${entry.id}`, { method: "DELETE", token: ADMIN }), 200);

    // GC's decision (the conditional UPDATE) lands; its R2 delete has not run yet.
    const db = database(env.DB);
    const [condemned] = await condemn(db, stored.digest, Date.now() + 1, Date.now());
    expect(condemned).toBeTruthy();
    // Now another repo pushes the same bytes.
    await b.put("y.bin", content);
    const row = await findBlob(db, stored.digest);
    expect(row).toMatchObject({ state: "live" });
    expect(row!.r2Key).not.toBe(condemned!.r2Key);
    // GC goes on: the old key is deleted (now an orphan), the revived row's bytes stay.
    const graces = { link_grace_seconds: 0, blob_grace_seconds: 0, orphan_grace_seconds: 0 };
    expect((await jsonOf(await req(`/api/admin/gc/runs`, { method: "POST", token: ADMIN, json: { ...graces, wait: true } }), 200)).status).toBe("succeeded");
    expect(await env.BLOBS.head(condemned!.r2Key)).toBeNull();
    expect(await (await req(`${b.base}/y.bin`, { token: b.token })).text()).toBe(content);
  });
});

describe("refused uploads leave nothing behind for long", () => {
  it("a generic upload refused for its checksum keeps no link, and after a GC run no blob row or object of its bytes", async () => {
    const { base, token } = await genericRepo();
    const body = "refused bytes " + crypto.randomUUID();
    const res = await req(`${base}/bad.bin`, { method: "PUT", token, body, headers: { "X-Checksum-Sha256": "0".repeat(64) } });
    expect(res.status).toBe(400);
    const digest = `sha256:${await sha(body)}`;
    const db = database(env.DB);
    const links = await env.DB.prepare("SELECT count(*) AS n FROM repo_blobs WHERE digest = ?").bind(digest).first<{ n: number }>();
    expect(links!.n).toBe(0);
    const graces = { link_grace_seconds: 0, blob_grace_seconds: 0, orphan_grace_seconds: 0 };
    expect((await jsonOf(await req(`/api/admin/gc/runs`, { method: "POST", token: ADMIN, json: { ...graces, wait: true } }), 200)).status).toBe("succeeded");
    expect(await findBlob(db, digest)).toBeUndefined();
    const dry = await jsonOf(await req(`/api/admin/gc/dry-run`, { method: "POST", token: ADMIN, json: graces }), 200);
    expect({ orphans: dry.orphans, blobs: dry.blobs }).toEqual({ orphans: [], blobs: [] });
  });
});
