import { describe, expect, it } from "vitest";
import { measure } from "./support/calls";
import { audit, captureEvents, createRepo, createServiceAccount, jsonOf, mintToken, projectWithToken, req } from "./helpers";

const enc = new TextEncoder();
const sha256 = async (b: Uint8Array) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", b))].map((x) => x.toString(16).padStart(2, "0")).join("");

function frame(meta: unknown, crate: Uint8Array, opts: { jsonLength?: number } = {}) {
  const json = enc.encode(typeof meta === "string" ? meta : JSON.stringify(meta));
  const out = new Uint8Array(8 + json.length + crate.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, opts.jsonLength ?? json.length, true);
  out.set(json, 4);
  dv.setUint32(4 + json.length, crate.length, true);
  out.set(crate, 8 + json.length);
  return out;
}
const meta = (name: string, vers: string, extra: Record<string, unknown> = {}) => ({ name, vers, deps: [], features: {}, description: `the ${name} crate`, ...extra });
const crateBytes = (s: string) => new Uint8Array([0x1f, 0x8b, ...enc.encode(s)]);

async function cargoRepo(visibility = "private") {
  const { project, token, sa } = await projectWithToken("writer");
  const repo = await createRepo(project.id, "cargo", { visibility });
  // cargo sends its token raw, with no scheme
  const call = (path: string, init: RequestInit & { auth?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    const auth = init.auth === undefined ? token : init.auth;
    if (auth) headers.set("Authorization", auth);
    return req(`/cargo/${project.slug}/${repo.slug}${path}`, { ...init, headers });
  };
  const publish = (m: unknown, crate: Uint8Array, auth?: string | null) => call("/api/v1/crates/new", { method: "PUT", body: frame(m, crate), auth });
  return { project, repo, token, sa, call, publish };
}

describe("cargo sparse registry", () => {
  it("publishes, serves the index line with cksum, downloads the crate, and owners", async () => {
    const r = await cargoRepo();
    const crate = crateBytes("crate-one");
    const dep = { name: "serde", version_req: "^1", features: [], optional: false, default_features: true, target: null, kind: "normal", registry: "sparse+https://index.crates.io/", explicit_name_in_toml: null };
    const res = await r.publish(meta("My-Crate", "0.1.0", { deps: [dep] }), crate);
    expect(await jsonOf(res, 200)).toEqual({ warnings: { invalid_categories: [], invalid_badges: [], other: [] } });

    const idx = await r.call("/index/my/-c/my-crate");
    expect(idx.status).toBe(200);
    expect(idx.headers.get("cache-control")).toBe("no-cache");
    const line = JSON.parse((await idx.text()).trim());
    expect(line).toMatchObject({ name: "My-Crate", vers: "0.1.0", cksum: await sha256(crate), yanked: false, features: {}, v: 1 });
    expect(line.deps[0]).toMatchObject({ name: "serde", req: "^1", registry: "sparse+https://index.crates.io/" });
    const etag = idx.headers.get("etag")!;
    expect((await r.call("/index/my/-c/my-crate", { headers: { "If-None-Match": etag } })).status).toBe(304);
    // the other spelling's path is not this crate's index file
    expect((await r.call("/index/my/_c/my_crate")).status).toBe(404);
    expect((await r.call("/index/xx/yy/my-crate")).status).toBe(404);

    const dl = await r.call("/api/v1/crates/My-Crate/0.1.0/download");
    expect(dl.status).toBe(200);
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(crate);
    expect((await r.call("/api/v1/crates/My-Crate/9.9.9/download")).status).toBe(404);

    const owners = await jsonOf(await r.call("/api/v1/crates/my_crate/owners"), 200);
    expect(owners.users).toHaveLength(1);
    expect(owners.users[0].login).toMatch(/^sa-/);
    const addOwner = await r.call("/api/v1/crates/my_crate/owners", { method: "PUT", body: JSON.stringify({ users: ["x"] }) });
    expect(addOwner.status).toBe(400);
    expect((await addOwner.json<any>()).errors[0].detail).toMatch(/project roles/);
  });

  it("serves config.json: 401 anonymously for private repos, auth-required with a token, open for public", async () => {
    const r = await cargoRepo();
    const anon = await r.call("/index/config.json", { auth: null });
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toBe("Cargo");
    expect(await anon.json()).toEqual({ errors: [{ detail: "authentication required" }] });
    const config = await jsonOf(await r.call("/index/config.json"), 200);
    const base = `http://registry.test/cargo/${r.project.slug}/${r.repo.slug}`;
    expect(config).toEqual({ dl: `${base}/api/v1/crates`, api: base, "auth-required": true });

    const pub = await cargoRepo("public");
    expect(await jsonOf(await pub.call("/index/config.json", { auth: null }), 200)).not.toHaveProperty("auth-required");
    await pub.publish(meta("open", "1.0.0"), crateBytes("o"));
    expect((await pub.call("/index/3/o/ope", { auth: null })).status).toBe(404);
    expect((await pub.call("/index/op/en/open", { auth: null })).status).toBe(200);
    expect((await pub.publish(meta("open", "1.0.1"), crateBytes("o2"), null)).status).toBe(401);
  });

  it("refuses duplicates (build metadata included), renamed spellings, and keeps versions immutable", async () => {
    const r = await cargoRepo();
    expect((await r.publish(meta("dup", "1.0.0+a"), crateBytes("1"))).status).toBe(200);
    const again = await r.publish(meta("dup", "1.0.0+b"), crateBytes("2"));
    expect(again.status).toBe(409);
    expect((await again.json<any>()).errors[0].detail).toMatch(/already exists/);
    const respelled = await r.publish(meta("DUP", "2.0.0"), crateBytes("3"));
    expect(respelled.status).toBe(409);
    expect((await respelled.json<any>()).errors[0].detail).toMatch(/previously published as 'dup'/);
  });

  it("rejects bad metadata and malformed framing", async () => {
    const r = await cargoRepo();
    const detail = async (res: Response, status: number) => {
      expect(res.status).toBe(status);
      return (await res.json<any>()).errors[0].detail as string;
    };
    expect(await detail(await r.publish("{not json", crateBytes("x")), 400)).toMatch(/not valid JSON/);
    expect(await detail(await r.publish(meta("bad name", "1.0.0"), crateBytes("x")), 400)).toMatch(/not a valid crate name/);
    expect(await detail(await r.publish(meta("ok", "v1"), crateBytes("x")), 400)).toMatch(/semver/);
    const truncated = frame(meta("ok", "1.0.0"), crateBytes("xyz")).slice(0, 20);
    expect(await detail(await r.call("/api/v1/crates/new", { method: "PUT", body: truncated }), 400)).toMatch(/ended early/);
    const shortCrate = frame(meta("ok", "1.0.0"), crateBytes("xyz")).slice(0, -1);
    expect((await r.call("/api/v1/crates/new", { method: "PUT", body: shortCrate })).status).toBe(400);
    expect((await r.call("/index/ok")).status).toBe(404);
    expect((await r.call("/index/2/ok")).status).toBe(404);
  });

  it("yanks and unyanks, visible in the index at once", async () => {
    const r = await cargoRepo();
    await r.publish(meta("yanky", "1.0.0"), crateBytes("a"));
    await r.publish(meta("yanky", "1.1.0"), crateBytes("b"));
    const events = captureEvents();
    expect(await jsonOf(await r.call("/api/v1/crates/yanky/1.1.0/yank", { method: "DELETE" }), 200)).toEqual({ ok: true });
    const lines = (await (await r.call("/index/ya/nk/yanky")).text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.vers, l.yanked])).toEqual([["1.0.0", false], ["1.1.0", true]]);
    await jsonOf(await r.call("/api/v1/crates/yanky/1.1.0/unyank", { method: "PUT" }), 200);
    expect(await (await r.call("/index/ya/nk/yanky")).text()).not.toContain('"yanked":true');
    expect((await r.call("/api/v1/crates/yanky/3.0.0/yank", { method: "DELETE" })).status).toBe(404);
    // a yank through cargo is the governance change a yank through the API is: audited, and `artifact.updated`
    expect(events.events().map((e) => [e.type, e.data.version, e.data.yanked])).toEqual([["artifact.updated", "1.1.0", "yanked"], ["artifact.updated", "1.1.0", null]]);
    const entries = await audit({ project_id: r.project.id, action: "artifact.update" });
    expect(entries.map((e) => e.after.yanked)).toEqual(["yanked", null]);
  });

  it("searches by name fragment with max_version and description", async () => {
    const r = await cargoRepo();
    await r.publish(meta("search-me", "1.0.0"), crateBytes("a"));
    await r.publish(meta("search-me", "1.2.0"), crateBytes("b"));
    await r.publish(meta("other", "1.0.0"), crateBytes("c"));
    const out = await jsonOf(await r.call("/api/v1/crates?q=search_me&per_page=5"), 200);
    expect(out).toEqual({ crates: [{ name: "search-me", max_version: "1.2.0", description: "the search-me crate" }], meta: { total: 1 } });
    // As crates.io: names first, then descriptions and keywords.
    await r.publish(meta("json-tools", "0.1.0", { description: "Helpers for search_me documents", keywords: ["parsing"] }), crateBytes("d"));
    const both = await jsonOf(await r.call("/api/v1/crates?q=search_me&per_page=5"), 200);
    expect(both.crates.map((c: { name: string }) => c.name)).toEqual(["search-me", "json-tools"]);
    expect(both.meta.total).toBe(2);
    const byKeyword = await jsonOf(await r.call("/api/v1/crates?q=parsing&per_page=5"), 200);
    expect(byKeyword.crates.map((c: { name: string }) => c.name)).toEqual(["json-tools"]);
  });

  it("answers a search page in the same D1 round trips for 2 crates or 12 (no query per crate)", async () => {
    const r = await cargoRepo();
    for (let i = 0; i < 12; i++) await r.publish(meta(`many-${i}`, "1.0.0"), crateBytes(`m${i}`));
    const cost = async (perPage: number) => {
      const m = await measure(`/cargo/${r.project.slug}/${r.repo.slug}/api/v1/crates?q=many&per_page=${perPage}`, { headers: { Authorization: r.token } });
      expect(m.res.status).toBe(200);
      expect(JSON.parse(new TextDecoder().decode(m.body)).crates).toHaveLength(perPage);
      return m.calls.d1;
    };
    expect(await cost(12)).toBe(await cost(2));
  });

  it("denies pushes without write: other project's token, reader token, bad token", async () => {
    const r = await cargoRepo();
    const other = await projectWithToken("admin");
    const foreign = await r.publish(meta("x1", "1.0.0"), crateBytes("a"), other.token);
    expect(foreign.status).toBe(403);
    expect((await foreign.json<any>()).errors[0].detail).toBeTruthy();
    const reader = await createServiceAccount(r.project.id, "reader");
    const readerToken = await mintToken(r.project.id, reader.id);
    expect((await r.publish(meta("x2", "1.0.0"), crateBytes("a"), readerToken)).status).toBe(403);
    expect((await r.call("/index/config.json", { auth: readerToken })).status).toBe(200);
    const bad = await r.publish(meta("x3", "1.0.0"), crateBytes("a"), "orbsa_nope");
    expect(bad.status).toBe(401);
    expect((await bad.json<any>()).errors[0].detail).toMatch(/invalid/);
  });
});
