import { describe, expect, it } from "vitest";
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../src/index";
import { BASE, createRepo, jsonOf, projectWithToken, req, unique, createServiceAccount, mintToken } from "./helpers";

const sha256 = async (s: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)))].map((b) => b.toString(16).padStart(2, "0")).join("");

async function genericRepo(visibility = "private") {
  const { project, token, sa } = await projectWithToken("writer");
  const repo = await createRepo(project.id, "generic", { visibility });
  return { project, repo, token, sa, base: `/generic/${project.slug}/${repo.slug}` };
}

describe("generic files", () => {
  it("stores a file, returns it with checksums, ranges, HEAD, and deletes it", async () => {
    const { base, token } = await genericRepo();
    const body = "hello generic world\n";
    const put = await req(`${base}/tools/v1/hello.txt`, { method: "PUT", token, body, headers: { "X-Checksum-Sha256": await sha256(body), "Content-Type": "text/plain" } });
    const stored = await jsonOf(put, 201);
    expect(stored).toMatchObject({ path: "tools/v1/hello.txt", size: body.length, sha256: await sha256(body), media_type: "text/plain" });
    expect(stored.sha1).toMatch(/^[a-f0-9]{40}$/);

    const get = await req(`${base}/tools/v1/hello.txt`, { token });
    expect(get.status).toBe(200);
    expect(await get.text()).toBe(body);
    expect(get.headers.get("x-checksum-sha256")).toBe(await sha256(body));
    expect(get.headers.get("x-checksum-sha1")).toBe(stored.sha1);
    expect(get.headers.get("x-checksum-md5")).toBe(stored.md5);
    expect(get.headers.get("content-type")).toBe("text/plain");
    expect(get.headers.get("etag")).toBe(`"sha256:${await sha256(body)}"`);

    const part = await req(`${base}/tools/v1/hello.txt`, { token, headers: { Range: "bytes=6-12" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 6-12/${body.length}`);
    expect(await part.text()).toBe("generic");
    const beyond = await req(`${base}/tools/v1/hello.txt`, { token, headers: { Range: "bytes=500-" } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${body.length}`);

    const head = await req(`${base}/tools/v1/hello.txt`, { method: "HEAD", token });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(body.length));
    expect(await head.text()).toBe("");

    expect((await req(`${base}/tools/v1/hello.txt`, { method: "DELETE", token })).status).toBe(204);
    expect((await req(`${base}/tools/v1/hello.txt`, { token })).status).toBe(404);
    expect((await req(`${base}/tools/v1/hello.txt`, { method: "DELETE", token })).status).toBe(404);
  });

  it("serves a default Content-Type and accepts a chunked body without length", async () => {
    const { base, token } = await genericRepo();
    const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode("abc")), c.enqueue(new TextEncoder().encode("def")), c.close()) });
    await jsonOf(await req(`${base}/bin/data`, { method: "PUT", token, body: stream, duplex: "half" } as RequestInit), 201);
    const get = await req(`${base}/bin/data`, { token });
    expect(get.headers.get("content-type")).toBe("application/octet-stream");
    expect(await get.text()).toBe("abcdef");
  });

  it("refuses declared checksums that don't match, and stores nothing", async () => {
    const { base, token } = await genericRepo();
    const bad = await req(`${base}/a.bin`, { method: "PUT", token, body: "x", headers: { "X-Checksum-Sha256": "0".repeat(64) } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("digest");
    const badSha1 = await req(`${base}/a.bin`, { method: "PUT", token, body: "x", headers: { "X-Checksum-Sha1": "0".repeat(40) } });
    expect(badSha1.status).toBe(400);
    expect((await req(`${base}/a.bin`, { token })).status).toBe(404);
    const malformed = await req(`${base}/a.bin`, { method: "PUT", token, body: "x", headers: { "X-Checksum-Sha256": "xyz" } });
    expect(malformed.status).toBe(400);
  });

  it("is idempotent for the same bytes and overwrites only with the delete permission", async () => {
    const { base, token, project, sa } = await genericRepo();
    expect((await req(`${base}/f.txt`, { method: "PUT", token, body: "one" })).status).toBe(201);
    expect((await req(`${base}/f.txt`, { method: "PUT", token, body: "one" })).status).toBe(200);
    const writeOnly = await mintToken(project.id, sa.id, { scopes: ["read", "write"] });
    const refused = await req(`${base}/f.txt`, { method: "PUT", token: writeOnly, body: "two" });
    expect(refused.status).toBe(409);
    expect(await (await req(`${base}/f.txt`, { token })).text()).toBe("one");
    expect((await req(`${base}/f.txt`, { method: "PUT", token, body: "two" })).status).toBe(201);
    expect(await (await req(`${base}/f.txt`, { token })).text()).toBe("two");
    expect((await req(`${base}/f.txt`, { method: "DELETE", token: writeOnly })).status).toBe(403);
  });

  it("refuses odd paths", async () => {
    const { base, token } = await genericRepo();
    for (const p of ["a%2Fb", "a%5Cb", "x%00y", "dir/", "a//b", "what%3F", "%20x"]) {
      const res = await req(`${base}/${p}`, { method: "PUT", token, body: "x" });
      expect(res.status, p).toBe(400);
    }
  });

  it("refuses dot segments that reach the Worker, in every spelling, on PUT, GET, HEAD and DELETE (400, nothing stored)", async () => {
    // fetch() and `new Request()` resolve dot segments (the URL standard), as wrangler dev's
    // proxy and Cloudflare's default URL normalization do before a Worker runs. workerd
    // itself passes the path as sent: a request whose url keeps its raw spelling is what
    // a Worker sees when nothing in front of it normalizes.
    const raw = async (method: string, rawPath: string, token: string, body?: string) => {
      const request = new Request(`${BASE}/`, { method, body, headers: { Authorization: `Bearer ${token}` } });
      Object.defineProperty(request, "url", { value: `${BASE}${rawPath}` });
      const ctx = createExecutionContext();
      const res = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, env, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    const { base, token } = await genericRepo();
    await jsonOf(await req(`${base}/b.bin`, { method: "PUT", token, body: "kept" }), 201);
    const spellings = ["a/../b.bin", "%2e%2e/c.bin", "./d.bin", "a/./b", "a/%2E/b", "a/.", "a/..", "a/.%2e/b.bin", "a/%2E%2e/b.bin"];
    for (const path of spellings) {
      for (const method of ["PUT", "GET", "HEAD", "DELETE"]) {
        const res = await raw(method, `${base}/${path}`, token, method === "PUT" ? "sneaky" : undefined);
        expect(res.status, `${method} ${path}`).toBe(400);
        expect(res.headers.get("content-type"), `${method} ${path}`).toMatch(/^text\/plain/);
        if (method !== "HEAD") expect(await res.text(), `${method} ${path}`).toMatch(/'\.' and '\.\.' segments are not allowed/);
      }
    }
    // A `..` that would climb out of the repo is refused the same way, not routed elsewhere.
    expect((await raw("PUT", `${base}/../x/y.bin`, token, "sneaky")).status).toBe(400);
    // The ordinary spelling still works through the same entry point, and nothing else was stored.
    expect(await (await raw("GET", `${base}/b.bin`, token)).text()).toBe("kept");
    for (const p of ["b.bin", "c.bin", "d.bin", "a/b", "a"]) expect((await req(`${base}/${p}`, { token })).status, p).toBe(p === "b.bin" ? 200 : 404);
    expect(await (await req(`${base}/b.bin`, { token })).text()).toBe("kept");
  });

  it("gates reads and writes: anonymous 401 with Basic, other project 403, reader can't push, public reads", async () => {
    const { base, token } = await genericRepo();
    await req(`${base}/secret.txt`, { method: "PUT", token, body: "s" });
    const anon = await req(`${base}/secret.txt`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toMatch(/^Basic /);
    const anonPut = await req(`${base}/new.txt`, { method: "PUT", body: "n" });
    expect(anonPut.status).toBe(401);
    const other = await projectWithToken("admin");
    expect((await req(`${base}/secret.txt`, { token: other.token })).status).toBe(403);
    expect((await req(`${base}/x.txt`, { method: "PUT", token: other.token, body: "x" })).status).toBe(403);

    const pub = await genericRepo("public");
    await req(`${pub.base}/open.txt`, { method: "PUT", token: pub.token, body: "open" });
    expect(await (await req(`${pub.base}/open.txt`)).text()).toBe("open");
    expect((await req(`${pub.base}/open2.txt`, { method: "PUT", body: "x" })).status).toBe(401);
    const reader = await createServiceAccount(pub.project.id, "reader");
    const readerToken = await mintToken(pub.project.id, reader.id);
    expect((await req(`${pub.base}/open2.txt`, { method: "PUT", token: readerToken, body: "x" })).status).toBe(403);
  });

  it("reads a refused upload's body to the end before answering (so a client gets the 401/403, not a reset), up to 512 MiB", async () => {
    const { base, token } = await genericRepo();
    const other = await projectWithToken("admin");
    const MiB = 1024 * 1024;
    const counted = (size: number) => {
      const piece = new Uint8Array(64 * 1024);
      const seen = { pulled: 0 };
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (seen.pulled >= size) return c.close();
          c.enqueue(piece.slice());
          seen.pulled += piece.byteLength;
        },
      });
      return { body, seen };
    };
    const put = (path: string, body: ReadableStream<Uint8Array>, size: number, auth?: string) =>
      req(`${base}/${path}`, { method: "PUT", token: auth, body, duplex: "half", headers: { "Content-Length": String(size) } } as RequestInit);
    for (const [auth, status] of [[undefined, 401], [other.token, 403]] as const) {
      const upload = counted(3 * MiB);
      expect((await put("refused.bin", upload.body, 3 * MiB, auth)).status).toBe(status);
      expect(upload.seen.pulled).toBe(3 * MiB);
    }
    const large = counted(80 * MiB);
    expect((await put("large.bin", large.body, 80 * MiB)).status).toBe(401);
    expect(large.seen.pulled).toBe(80 * MiB);
    // A body declaring more than any Cloudflare plan lets through is cancelled, not read.
    const huge = counted(600 * MiB);
    expect((await put("huge.bin", huge.body, 600 * MiB)).status).toBe(401);
    expect(huge.seen.pulled).toBeLessThan(8 * MiB);
    expect((await req(`${base}/refused.bin`, { token })).status).toBe(404);
  }, 300_000); // streams 80 MiB

  it("answers 404 for a repo of another format", async () => {
    const { project, token } = await projectWithToken("writer");
    const npmRepo = await createRepo(project.id, "npm");
    expect((await req(`/generic/${project.slug}/${npmRepo.slug}/x`, { token })).status).toBe(404);
    expect((await req(`/generic/${project.slug}/${unique("nope")}/x`, { token })).status).toBe(404);
  });
});
