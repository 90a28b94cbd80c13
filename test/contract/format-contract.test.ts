/**
 * The format contract: one list of scenarios every protocol must pass, run against
 * every adapter (adapters.ts). A new format gets all of them by adding an adapter.
 *
 * What it pins, per protocol: who may read and write (anonymous on public and private
 * repos, another project's token, a reader, a read-only repo), that a refused or
 * mismatched publish leaves nothing (no object, no link, no quota), that the same bytes
 * in two repos of a project are stored and counted once, that a publish emits
 * `artifact.uploaded`, that downloads share one read path (Range, 304, HEAD), and that a
 * body cut short (the client crashed, the link dropped) is a 400 that keeps nothing.
 */
import { SELF, createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN, createProject, createRepo, createServiceAccount, jsonOf, mintToken, req, unique } from "../helpers";
import { ADAPTERS, call, withTransport, type FormatAdapter, type RepoRef, type Transport } from "./adapters";

afterEach(() => vi.restoreAllMocks());

async function setUp(a: FormatAdapter, repoExtra: Record<string, unknown> = {}, role = "writer") {
  const project = await createProject();
  const sa = await createServiceAccount(project.id, role);
  const token = await mintToken(project.id, sa.id);
  const repo = await createRepo(project.id, a.repoFormat, repoExtra);
  return { project, repo, token, ref: { project: project.slug, repo: repo.slug } as RepoRef };
}

const quotaOf = async (projectId: string) => (await jsonOf(await req(`/api/v1/projects/${projectId}/quota`, { token: ADMIN }), 200)).usage;
const objectCount = async () => (await env.BLOBS.list()).objects.length;
const read = (a: FormatAdapter, path: string, token: string | null, init: RequestInit = {}) => call(path, token ? a.auth(token) : null, init);

async function expectPublished(a: FormatAdapter, res: Response) {
  const text = await res.text();
  expect(a.published, `${a.name} publish answered ${res.status}: ${text}`).toContain(res.status);
}

describe.each(ADAPTERS)("format contract: $name", (a) => {
  it("serves a public repo's artifact to anonymous callers and the bytes come back as stored", async () => {
    const s = await setUp(a, { visibility: "public" });
    const p = await a.publish(s.ref, s.token, unique("pub"));
    await expectPublished(a, p.res);
    const got = await read(a, p.download, null);
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(p.bytes);
  });

  it("answers anonymous callers of a private repo 401 with the protocol's challenge", async () => {
    const s = await setUp(a);
    const p = await a.publish(s.ref, s.token, unique("priv"));
    await expectPublished(a, p.res);
    const anon = await read(a, p.download, null);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toMatch(a.challenge);
    await anon.body?.cancel();
    const anonPublish = await a.publish(s.ref, null, unique("anon"));
    expect(anonPublish.res.status).toBe(401);
  });

  it("refuses another project's token (403) and never shows it the artifact", async () => {
    const s = await setUp(a);
    const p = await a.publish(s.ref, s.token, unique("mine"));
    await expectPublished(a, p.res);
    const other = await setUp(a);
    const foreign = await read(a, p.download, other.token);
    expect(foreign.status).toBe(403);
    await foreign.body?.cancel();
    const write = await a.publish(s.ref, other.token, unique("theirs"));
    expect(write.res.status).toBe(403);
  });

  it("lets a reader read but not publish, and a read-only repo refuses every publish", async () => {
    const s = await setUp(a);
    const p = await a.publish(s.ref, s.token, unique("ro"));
    await expectPublished(a, p.res);
    const reader = await mintToken(s.project.id, (await createServiceAccount(s.project.id, "reader")).id);
    expect((await read(a, p.download, reader)).status).toBe(200);
    const before = await objectCount();
    expect((await a.publish(s.ref, reader, unique("reader"))).res.status).toBe(403);
    await jsonOf(await req(`/api/v1/repos/${s.repo.id}`, { method: "PATCH", token: ADMIN, json: { state: "read_only" } }), 200);
    expect((await a.publish(s.ref, s.token, unique("frozen"))).res.status).toBe(403);
    expect((await read(a, p.download, s.token)).status).toBe(200);
    expect(await objectCount()).toBe(before);
  });

  it("refuses a publish over the project's quota and leaves no object, link or usage behind", async () => {
    const s = await setUp(a);
    await jsonOf(await req(`/api/admin/projects/${s.project.id}/quota`, { method: "PUT", token: ADMIN, json: { limit_bytes: 100 } }), 200);
    const before = await objectCount();
    const p = await a.publish(s.ref, s.token, unique("big"));
    expect([403, 413]).toContain(p.res.status);
    await p.res.body?.cancel();
    expect(await objectCount()).toBe(before);
    expect(await quotaOf(s.project.id)).toMatchObject({ used_bytes: 0, reserved_bytes: 0, blobs: 0 });
    expect((await read(a, p.download, s.token)).status).toBe(404);
  });

  it("stores and counts the same bytes once across two repos of a project", async () => {
    const s = await setUp(a);
    const second = await createRepo(s.project.id, a.repoFormat);
    const seed = unique("dedup");
    await expectPublished(a, (await a.publish(s.ref, s.token, seed)).res);
    const usage = await quotaOf(s.project.id);
    const objects = await objectCount();
    const p2 = await a.publish({ project: s.project.slug, repo: second.slug }, s.token, seed);
    await expectPublished(a, p2.res);
    expect(await quotaOf(s.project.id)).toMatchObject({ used_bytes: usage.used_bytes, blobs: usage.blobs, reserved_bytes: 0 });
    expect(await objectCount()).toBe(objects);
    expect(new Uint8Array(await (await read(a, p2.download, s.token)).arrayBuffer())).toEqual(p2.bytes);
  });

  it("emits artifact.uploaded for a publish, naming the format, project and repo", async () => {
    const s = await setUp(a);
    const send = vi.spyOn(env.EVENTS, "send");
    await expectPublished(a, (await a.publish(s.ref, s.token, unique("event"))).res);
    const events = send.mock.calls.map(([e]) => e as { type: string; project_id: string; data: Record<string, unknown> });
    const uploaded = events.filter((e) => e.type === "artifact.uploaded");
    expect(uploaded.length).toBeGreaterThan(0);
    for (const e of uploaded) expect(e).toMatchObject({ project_id: s.project.id, data: { format: a.repoFormat, repo_id: s.repo.id } });
  });

  it("serves downloads through the one read path: Range, If-None-Match and HEAD", async () => {
    const s = await setUp(a);
    const p = await a.publish(s.ref, s.token, unique("range"));
    await expectPublished(a, p.res);
    const full = await read(a, p.download, s.token);
    const etag = full.headers.get("etag")!;
    expect(etag).toMatch(/^"sha256:[a-f0-9]{64}"$/);
    expect(full.headers.get("accept-ranges")).toBe("bytes");
    expect(full.headers.get("content-type")).toBeTruthy();
    await full.body?.cancel();

    const part = await read(a, p.download, s.token, { headers: { Range: "bytes=2-9" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 2-9/${p.bytes.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(p.bytes.slice(2, 10));

    const past = await read(a, p.download, s.token, { headers: { Range: `bytes=${p.bytes.length}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe(`bytes */${p.bytes.length}`);
    await past.body?.cancel();

    const cached = await read(a, p.download, s.token, { headers: { "If-None-Match": etag } });
    expect(cached.status).toBe(304);
    expect(await cached.text()).toBe("");

    const head = await read(a, p.download, s.token, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(p.bytes.length));
    expect(await head.text()).toBe("");
  });
});

const declaring = ADAPTERS.filter((a) => a.publishMismatched !== null);

describe.each(declaring)("format contract: $name refuses a digest mismatch", (a) => {
  it("answers 4xx in the protocol's format and keeps nothing", async () => {
    const s = await setUp(a);
    await jsonOf(await req(`/api/admin/projects/${s.project.id}/quota`, { method: "PUT", token: ADMIN, json: { limit_bytes: 10_000_000 } }), 200);
    const before = await objectCount();
    const p = await a.publishMismatched!(s.ref, s.token, unique("bad"));
    expect(p.res.status).toBe(400);
    await p.res.body?.cancel();
    expect(await objectCount()).toBe(before);
    expect(await quotaOf(s.project.id)).toMatchObject({ used_bytes: 0, reserved_bytes: 0, blobs: 0 });
    expect((await read(a, p.download, s.token)).status).toBe(404);
  });
});

it("runs the digest-mismatch scenario for every protocol whose client declares a digest", () => {
  expect(declaring.map((a) => a.name)).toEqual(["oci", "npm", "pypi", "generic", "deb", "rpm"]);
});

/**
 * A transport that cuts the first request carrying a body after half its bytes, where
 * the stream then errors (a dropped connection) or ends (a body short of its
 * Content-Length), and hands it to the Worker's fetch handler directly: through
 * SELF.fetch a body that errors fails the exchange on the client side, so the Worker's
 * answer could not be read. Every later request goes through SELF as usual.
 */
function cuttingFirstBody(mode: "error" | "end"): Transport {
  let done = false;
  return async (request) => {
    if (done || !request.body) return SELF.fetch(request);
    done = true;
    const bytes = new Uint8Array(await request.arrayBuffer());
    const at = Math.floor(bytes.length / 2);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= at) return mode === "error" ? c.error(new Error("Network connection lost.")) : c.close();
        const n = Math.min(4096, at - sent);
        c.enqueue(bytes.slice(sent, sent + n));
        sent += n;
      },
    });
    const headers = new Headers(request.headers);
    headers.set("Content-Length", String(bytes.length));
    const ctx = createExecutionContext();
    const cut = new Request(request.url, { method: request.method, headers, body, duplex: "half" } as RequestInit);
    const res = await worker.fetch!(cut as never, env as never, ctx);
    const text = await res.text();
    await waitOnExecutionContext(ctx);
    return new Response(text, { status: res.status, headers: res.headers });
  };
}

describe.each(ADAPTERS)("format contract: $name, a body cut short", (a) => {
  it.each(["error", "end"] as const)("answers 400 when the body %ss early, keeps nothing, and takes the same upload whole afterwards", async (mode) => {
    const s = await setUp(a);
    await jsonOf(await req(`/api/admin/projects/${s.project.id}/quota`, { method: "PUT", token: ADMIN, json: { limit_bytes: 10_000_000 } }), 200);
    const before = await objectCount();
    const seed = unique("cut");
    const p = await withTransport(cuttingFirstBody(mode), () => a.publish(s.ref, s.token, seed));
    expect(p.res.status, await p.res.clone().text()).toBe(400);
    expect(await objectCount()).toBe(before);
    expect(await quotaOf(s.project.id)).toMatchObject({ used_bytes: 0, reserved_bytes: 0, blobs: 0 });
    expect((await read(a, p.download, s.token)).status).toBe(404);
    await expectPublished(a, (await a.publish(s.ref, s.token, seed)).res);
    expect(new Uint8Array(await (await read(a, p.download, s.token)).arrayBuffer())).toEqual(p.bytes);
  });
});
