/**
 * The download log's per-isolate buffer (services/artifacts/downloads.ts): downloads of
 * one window go to DOWNLOADS in ONE sendBatch, made by the request that opened the
 * window from its own waitUntil; a buffer at Queues' batch limits (100 messages, the
 * byte budget) goes out at once; a failing sendBatch never fails a download.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import { flushDownloadLog, MAX_BYTES, MAX_MESSAGES, recordDownload, type DownloadInput } from "../../src/services/artifacts/downloads";
import type { Scope } from "../../src/services/scope";
import { BASE } from "../helpers";
import { installOutbound, uninstallOutbound } from "../support/outbound";
import { call, ok, repoOf } from "./publish";

beforeAll(installOutbound);
afterAll(uninstallOutbound);
afterEach(() => vi.restoreAllMocks());

/** A download's scope, as http/context.ts builds it, with its waitUntil promises kept. */
function scopeOf(claims: Record<string, string | null> | null = null) {
  const pending: Promise<unknown>[] = [];
  const scope = {
    env,
    access: { principal: { type: "service_account", id: "sa-1", name: "ci", tokenId: "tok-1", claims } },
    ip: "192.0.2.1",
    waitUntil: (p: Promise<unknown>) => void pending.push(p),
  } as unknown as Scope;
  return { scope, pending };
}
const download = (i: number): DownloadInput => ({ repo: { id: "repo-1", projectId: "proj-1", format: "generic" }, file: `f${i}.bin`, digest: `sha256:${i}`, userAgent: "test" });

/** Starts from an empty buffer and no open window, with sendBatch recorded (and still sending). */
async function fresh() {
  await flushDownloadLog(env);
  return vi.spyOn(env.DOWNLOADS, "sendBatch");
}
const bodiesOf = (spy: Awaited<ReturnType<typeof fresh>>) => spy.mock.calls.map(([batch]) => [...batch].map((m) => (m.body as { file: string }).file));

describe("download log buffer", () => {
  it("sends two requests' downloads of one window in ONE sendBatch, from the first request's waitUntil", async () => {
    const w = await repoOf("generic");
    const path = `/generic/${w.project.slug}/${w.repo.slug}/batched.bin`;
    await ok(await call(path, `Bearer ${w.token}`, { method: "PUT", body: "bytes" }));
    const spy = await fresh();
    const get = async (ua: string) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(`${BASE}${path}`, { headers: { Authorization: `Bearer ${w.token}`, "User-Agent": ua } }), env, ctx);
      expect(await res.text()).toBe("bytes");
      return ctx;
    };
    const a = await get("first");
    const b = await get("second");
    expect(spy).not.toHaveBeenCalled(); // both only appended
    await waitOnExecutionContext(b); // the second request has no flush of its own
    expect(spy).not.toHaveBeenCalled();
    await waitOnExecutionContext(a); // the window's flush, in the first request's waitUntil
    expect(spy).toHaveBeenCalledTimes(1);
    const batch = spy.mock.calls[0]![0];
    expect([...batch].map((m) => ({ ua: (m.body as { user_agent: string }).user_agent, contentType: m.contentType }))).toEqual([
      { ua: "first", contentType: "json" },
      { ua: "second", contentType: "json" },
    ]);
  });

  it("flushes a full buffer at once: 100 messages, from the request that filled it", async () => {
    const spy = await fresh();
    const first = scopeOf();
    recordDownload(first.scope, download(0));
    expect(first.pending).toHaveLength(1); // the window's flush
    let last = scopeOf();
    for (let i = 1; i < MAX_MESSAGES; i++) recordDownload((last = scopeOf()).scope, download(i));
    expect(spy).toHaveBeenCalledTimes(1);
    expect(bodiesOf(spy)[0]).toEqual(Array.from({ length: MAX_MESSAGES }, (_, i) => `f${i}.bin`));
    expect(last.pending).toHaveLength(1); // the early flush is the filling request's
    recordDownload(scopeOf().scope, download(MAX_MESSAGES));
    await Promise.all([...first.pending, ...last.pending]);
    expect(bodiesOf(spy)).toEqual([Array.from({ length: MAX_MESSAGES }, (_, i) => `f${i}.bin`), [`f${MAX_MESSAGES}.bin`]]);
  });

  it("keeps each sendBatch under Queues' byte limit", async () => {
    const spy = await fresh();
    // ~10 KB of kept claims per message: the byte budget, not the count, ends a batch.
    const claims = { repository: "x".repeat(10_000) };
    const scopes = Array.from({ length: 30 }, () => scopeOf(claims));
    scopes.forEach((s, i) => recordDownload(s.scope, download(i)));
    await Promise.all(scopes.flatMap((s) => s.pending));
    const sizes = spy.mock.calls.map(([batch]) => [...batch].reduce((n, m) => n + new TextEncoder().encode(JSON.stringify(m.body)).byteLength, 0));
    expect(sizes.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(MAX_BYTES);
    expect(bodiesOf(spy).flat()).toEqual(Array.from({ length: 30 }, (_, i) => `f${i}.bin`));
  });

  it("never fails a download when sendBatch fails: logs once, and the next window sends again", async () => {
    // A binding may throw as well as reject: either way the download's waitUntil resolves.
    const spy = (await fresh()).mockImplementationOnce(() => {
      throw new Error("queue unavailable");
    });
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const s = scopeOf();
    recordDownload(s.scope, download(0));
    recordDownload(s.scope, download(1));
    await Promise.all(s.pending);
    expect(logged).toHaveBeenCalledTimes(1);
    expect(String(logged.mock.calls[0]![0])).toMatch(/download log: 2 of 2 downloads not queued: .*queue unavailable/);
    const next = scopeOf();
    recordDownload(next.scope, download(2));
    await Promise.all(next.pending);
    expect(bodiesOf(spy)).toEqual([["f0.bin", "f1.bin"], ["f2.bin"]]);
  });
});
