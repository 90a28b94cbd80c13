// npm upstream (pull-through) repos against a stub registry served through the outbound
// seam: packument caching and rewriting, TTL and revalidation, stale-if-error, upstream
// timeouts, negative caching, tarball verification (a mismatch is a broken transfer and
// leaves nothing), one fetch for concurrent misses, credentials, patterns and refusals.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { ADMIN, createProject, createRepo, jsonOf, req } from "../helpers";
import { installOutbound, uninstallOutbound } from "../support/outbound";
import { StubUpstream, bytesOf, digestHex, readAll, readUntilBroken, sri512 } from "../support/upstream";

beforeAll(installOutbound);
afterAll(uninstallOutbound);

async function npmPackage(up: StubUpstream, name: string, versions: Record<string, Uint8Array>, opts: { tarballOrigin?: string; integrityOf?: (v: string) => Promise<string> } = {}) {
  const doc: Record<string, any> = { _id: name, name, readme: "# big readme", "dist-tags": { latest: Object.keys(versions).at(-1) }, versions: {}, time: {} };
  for (const [v, bytes] of Object.entries(versions)) {
    const path = `/${name}/-/${name.split("/").pop()}-${v}.tgz`;
    doc.versions[v] = {
      name,
      version: v,
      readme: "per-version readme",
      dependencies: {},
      dist: { tarball: `${opts.tarballOrigin ?? up.origin}${path}`, integrity: opts.integrityOf ? await opts.integrityOf(v) : await sri512(bytes), shasum: await digestHex("SHA-1", bytes) },
    };
    up.on(path, () => new Response(bytes, { headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.byteLength) } }));
  }
  up.on(`/${name.replace("/", "%2f")}`, () => new Response(JSON.stringify(doc), { headers: { "Content-Type": "application/json", ETag: '"v1"' } }));
  return doc;
}

async function upstreamRepo(up: StubUpstream, extra: Record<string, unknown> = {}) {
  const project = await createProject();
  const repo = await createRepo(project.id, "npm", { kind: "upstream", upstream_url: up.origin, ...extra });
  return { project, repo, base: `/npm/${project.slug}/${repo.slug}` };
}

describe("npm upstream repos", () => {
  it("serves the upstream's packument rewritten to its own URLs, cached for the TTL, and installs tarballs through the cache", async () => {
    const up = new StubUpstream();
    const tgz = bytesOf("tarball bytes of left-pad 1.3.0");
    await npmPackage(up, "left-pad", { "1.3.0": tgz });
    const { base } = await upstreamRepo(up);

    const first = await req(`${base}/left-pad`, { token: ADMIN });
    expect(first.headers.get("x-orbitalreg-cache")).toBe("MISS");
    const doc = await jsonOf(first, 200);
    expect(doc.readme).toBeUndefined();
    expect(doc.versions["1.3.0"].readme).toBeUndefined();
    expect(doc.versions["1.3.0"].dist.tarball).toBe(`http://registry.test${base}/left-pad/-/left-pad-1.3.0.tgz`);
    const again = await req(`${base}/left-pad`, { token: ADMIN, headers: { Accept: "application/vnd.npm.install-v1+json" } });
    expect(again.headers.get("x-orbitalreg-cache")).toBe("HIT");
    expect((await jsonOf(again, 200)).versions["1.3.0"].dist.integrity).toMatch(/^sha512-/);
    expect(up.count("/left-pad")).toBe(1);

    const miss = await req(`${base}/left-pad/-/left-pad-1.3.0.tgz`, { token: ADMIN });
    expect(miss.status).toBe(200);
    expect(miss.headers.get("x-orbitalreg-cache")).toBe("MISS");
    expect(miss.headers.get("content-length")).toBe(String(tgz.byteLength));
    expect(await readAll(miss)).toEqual(tgz);
    // The next request waits for the store (the fetch lock), then is served from the repo.
    const hit = await req(`${base}/left-pad/-/left-pad-1.3.0.tgz`, { token: ADMIN });
    expect(hit.headers.get("x-orbitalreg-cache")).toBeNull();
    expect(hit.headers.get("etag")).toBe(`"sha256:${await digestHex("SHA-256", tgz)}"`);
    expect(await readAll(hit)).toEqual(tgz);
    expect(up.count("/left-pad/-/left-pad-1.3.0.tgz")).toBe(1);
    // The cached version is an ordinary package of the repo.
    expect(await jsonOf(await req(`${base}/left-pad/1.3.0`, { token: ADMIN }), 200)).toMatchObject({ version: "1.3.0" });
  });

  it("revalidates after the TTL, serves stale (and says so) when the upstream is down or slow, and 503 with nothing cached", async () => {
    const up = new StubUpstream();
    await npmPackage(up, "ttl-pkg", { "1.0.0": bytesOf("x") });
    up.on("/ttl-pkg", (r) => (r.headers.get("if-none-match") === '"v1"' ? new Response(null, { status: 304 }) : new Response(JSON.stringify({ name: "ttl-pkg", "dist-tags": {}, versions: {} }), { headers: { ETag: '"v1"' } })));
    const { base } = await upstreamRepo(up, { config: { metadata_ttl_seconds: 0, upstream_timeout_seconds: 1 } });

    expect((await req(`${base}/ttl-pkg`, { token: ADMIN })).headers.get("x-orbitalreg-cache")).toBe("MISS");
    const revalidated = await req(`${base}/ttl-pkg`, { token: ADMIN });
    expect(revalidated.headers.get("x-orbitalreg-cache")).toBe("REVALIDATED");
    expect(up.seen.filter((s) => s.path === "/ttl-pkg").map((s) => s.ifNoneMatch)).toEqual([null, '"v1"']);

    up.down = true;
    const stale = await req(`${base}/ttl-pkg`, { token: ADMIN });
    expect(stale.status).toBe(200);
    expect(stale.headers.get("x-orbitalreg-cache")).toBe("STALE");
    expect(stale.headers.get("warning")).toContain("110");
    expect((await jsonOf(stale)).name).toBe("ttl-pkg");

    up.down = false;
    up.hang = true;
    const slow = await req(`${base}/ttl-pkg`, { token: ADMIN });
    expect(slow.headers.get("x-orbitalreg-cache")).toBe("STALE");

    const never = await req(`${base}/never-fetched`, { token: ADMIN });
    expect(never.status).toBe(503);
    expect((await jsonOf(never)).code).toBe("UnavailableUpstream");
  });

  it("remembers an upstream 404 for the negative TTL", async () => {
    const up = new StubUpstream();
    const { base } = await upstreamRepo(up);
    expect((await req(`${base}/no-such-pkg`, { token: ADMIN })).status).toBe(404);
    expect((await req(`${base}/no-such-pkg`, { token: ADMIN })).status).toBe(404);
    expect(up.count("/no-such-pkg")).toBe(1);
  });

  it("breaks off a tarball whose bytes don't match the integrity, keeps nothing and reports it", async () => {
    const up = new StubUpstream();
    const good = bytesOf("the real tarball, long enough to matter ".repeat(2000));
    const evil = bytesOf("a tampered tarball..... long enough to matter ".repeat(2000)).subarray(0, good.byteLength);
    await npmPackage(up, "tampered", { "1.0.0": good });
    up.on("/tampered/-/tampered-1.0.0.tgz", () => new Response(evil, { headers: { "Content-Length": String(evil.byteLength) } }));
    const { base, repo } = await upstreamRepo(up);

    const sent: any[] = [];
    const send = env.EVENTS.send.bind(env.EVENTS);
    env.EVENTS.send = async (m, o) => (sent.push(m), send(m, o));
    try {
      const res = await req(`${base}/tampered/-/tampered-1.0.0.tgz`, { token: ADMIN });
      expect(res.status).toBe(200);
      // The transfer breaks before the declared length: the last block is never sent.
      const got = await readUntilBroken(res);
      expect(got.broken).toBe(true);
      expect(got.bytes).toBeLessThan(evil.byteLength);
      // Not cached: the next request fetches (and fails) again.
      const again = await req(`${base}/tampered/-/tampered-1.0.0.tgz`, { token: ADMIN });
      await expect(readAll(again)).rejects.toThrow();
      expect(up.count("/tampered/-/tampered-1.0.0.tgz")).toBe(2);
    } finally {
      env.EVENTS.send = send;
    }
    expect(sent.filter((m) => m.type === "upstream.integrity_failed").map((m) => m.data)).toContainEqual(expect.objectContaining({ repo_id: repo.id, artifact: "tarball:tampered@1.0.0" }));
    const listed = await jsonOf(await req(`/api/v1/repos/${repo.id}/packages`, { token: ADMIN }), 200);
    expect(listed.items).toEqual([]);
  });

  it("fetches a tarball once for concurrent misses", async () => {
    const up = new StubUpstream();
    const tgz = bytesOf("concurrent ".repeat(10000));
    await npmPackage(up, "busy", { "2.0.0": tgz });
    const { base } = await upstreamRepo(up);
    await jsonOf(await req(`${base}/busy`, { token: ADMIN }), 200);

    up.gate();
    const path = `${base}/busy/-/busy-2.0.0.tgz`;
    const pending = [1, 2, 3].map(() => req(path, { token: ADMIN }).then(readAll));
    // All three are in flight (one holds the lock and waits on the upstream, two wait on the lock).
    await up.arrived("/busy/-/busy-2.0.0.tgz");
    up.open();
    for (const body of await Promise.all(pending)) expect(body).toEqual(tgz);
    expect(up.count("/busy/-/busy-2.0.0.tgz")).toBe(1);
  });

  it("sends the write-only credentials to the upstream only, and never shows them", async () => {
    const up = new StubUpstream();
    const cdn = new StubUpstream();
    const tgz = bytesOf("private package");
    await npmPackage(up, "secret-pkg", { "1.0.0": tgz }, { tarballOrigin: cdn.origin });
    cdn.on("/secret-pkg/-/secret-pkg-1.0.0.tgz", () => new Response(tgz));
    const secret = "upstream-token-s3cr3t";
    const { repo, base } = await upstreamRepo(up, { config: { upstream_auth: "bearer" }, upstream_secret: secret });
    expect(repo.config).toEqual({ upstream_auth: "bearer", upstream_secret_set: true });
    expect(JSON.stringify(repo)).not.toContain(secret);

    await jsonOf(await req(`${base}/secret-pkg`, { token: ADMIN }), 200);
    expect(await readAll(await req(`${base}/secret-pkg/-/secret-pkg-1.0.0.tgz`, { token: ADMIN }))).toEqual(tgz);
    expect(up.seen.map((s) => s.authorization)).toEqual([`Bearer ${secret}`]);
    expect(cdn.seen.map((s) => s.authorization)).toEqual([null]);

    const shown = JSON.stringify([
      await jsonOf(await req(`/api/v1/repos/${repo.id}`, { token: ADMIN }), 200),
      await jsonOf(await req(`/api/v1/audit?resource_id=${repo.id}`, { token: ADMIN }), 200),
    ]);
    expect(shown).not.toContain(secret);
    const patched = await jsonOf(await req(`/api/v1/repos/${repo.id}`, { method: "PATCH", token: ADMIN, json: { description: "x" } }), 200);
    expect(patched.config.upstream_secret_set).toBe(true);
    const removed = await jsonOf(await req(`/api/v1/repos/${repo.id}`, { method: "PATCH", token: ADMIN, json: { upstream_secret: null, config: { upstream_auth: "none" } } }), 200);
    expect(removed.config).toEqual({ upstream_auth: "none" });
  });

  it("checks name patterns before fetching, and refuses writes", async () => {
    const up = new StubUpstream();
    const { base } = await upstreamRepo(up, { blocked_patterns: ["evil-*"] });
    const blocked = await req(`${base}/evil-thing`, { token: ADMIN });
    expect(blocked.status).toBe(403);
    expect((await jsonOf(blocked)).code).toBe("ForbiddenPackageName");
    expect(up.seen).toEqual([]);

    const put = await req(`${base}/anything`, { method: "PUT", token: ADMIN, json: { name: "anything" } });
    expect(put.status).toBe(403);
    expect((await jsonOf(put)).code).toBe("ForbiddenRepoUpstream");
    expect((await req(`${base}/anything`, { method: "PUT", json: {} })).status).toBe(401);
  });

  it("refuses upstream URLs on private addresses unless allowed", async () => {
    const project = await createProject();
    for (const url of ["http://127.0.0.1:8787", "http://10.0.0.5/", "http://localhost/"]) {
      const res = await req("/api/v1/repos", { method: "POST", token: ADMIN, json: { project_id: project.id, slug: `u${Math.random().toString(36).slice(2, 8)}`, format: "npm", kind: "upstream", upstream_url: url } });
      expect((await jsonOf(res, 400)).error.code).toBe("InvalidRepoUpstreamUrl");
    }
  });
});
