/**
 * Security blocks: the admin API, and every format's download paths answering 451 with
 * the why-blocked envelope in the protocol's own error format, metadata documents
 * showing or hiding blocked versions as each format's folder says, ranges in each
 * format's grammar, the block following an image's digest (and an index's children),
 * later publishes, lifting with overlapping blocks, coalesced hits, and enforcement
 * that needs no cache to be cleared.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN, BASE, audit, captureEvents, expectError, jsonOf, req, unique } from "../helpers";
import { OCI_INDEX, OCI_MANIFEST, pushBlob, pushImage, putManifest, oci, errorsOf } from "../oci-helpers";
import { ADAPTERS } from "../contract/adapters";
import { call, basicAuth, cargoPublish, genericPut, goPut, mavenPut, npmPublish, ok, pypiUpload, repoOf, type Where } from "./publish";

const MESSAGE = "This release was compromised; upgrade to the next one.";
const REASON = "Confirmed-malicious sample FAS-2025-0042";

async function block(body: Record<string, unknown>) {
  return jsonOf(await req("/api/admin/security", { method: "POST", token: ADMIN, json: { reason: REASON, customer_message: MESSAGE, ...body } }), 201);
}

function expectEnvelope(e: Record<string, unknown>, id: string) {
  expect(e).toMatchObject({ block_id: id, reason: REASON, customer_message: MESSAGE, blocked_until: null, public_url: `${BASE}/blocked/${id}` });
}

/** A plain-text 451 (Maven, Go, generic, PyPI): the message, then the envelope as lines. */
async function expectPlain451(res: Response, id: string) {
  const text = await res.text();
  expect(res.status, text).toBe(451);
  expect(text).toContain(MESSAGE);
  expect(text).toContain(`block_id: ${id}`);
  expect(text).toContain(`public_url: ${BASE}/blocked/${id}`);
  expect(text).toContain(`reason: ${REASON}`);
  return text;
}

describe("blocks API", () => {
  it("refuses specs outside the format's grammar, past ends and foreign scopes", async () => {
    const post = (json: Record<string, unknown>) => req("/api/admin/security", { method: "POST", token: ADMIN, json: { reason: "r", customer_message: "m", ...json } });
    await expectError(await post({ format: "nuget", package: "x" }), 400, "InvalidRequest");
    await expectError(await post({ format: "npm", package: "x", versions: ["not a range"] }), 400, "InvalidBlockVersions");
    await expectError(await post({ format: "pypi", package: "x", versions: ["=>1.0"] }), 400, "InvalidBlockVersions");
    await expectError(await post({ format: "maven", package: "g:a", versions: ["[1.0,2.0"] }), 400, "InvalidBlockVersions");
    await expectError(await post({ format: "go", package: "example.com/m", versions: ["vx"] }), 400, "InvalidBlockVersions");
    await expectError(await post({ format: "docker", package: "app", versions: ["not a tag!"] }), 400, "InvalidBlockVersions");
    await expectError(await post({ format: "npm", package: "x", blocked_until: new Date(Date.now() - 1000).toISOString() }), 400, "InvalidBlockUntil");
    const w = await repoOf("pypi");
    await expectError(await post({ format: "npm", package: "x", repo_id: w.repo.id }), 400, "InvalidBlockScope");
    await expectError(await post({ format: "npm", package: "has space" }), 400, "InvalidBlockPackage");
  });

  it("creates (audited, block.created), lists, changes and lifts a block; lifting serves again", async () => {
    const w = await repoOf("npm");
    const name = unique("lib");
    const p = await npmPublish(w, name, "1.0.0");
    await ok(p.res);
    const events = captureEvents();
    const b = await block({ format: "npm", package: name, versions: ["1.0.0"] });
    expect(b).toMatchObject({ format: "npm", package: name, versions: ["1.0.0"], status: "active", origin: "security", affected: { versions: 1, manifests: 0 }, created_by: { type: "instance_admin" } });
    expect(events.events().find((e) => e.type === "block.created")).toMatchObject({ project_id: null, data: { block_id: b.id, match: { format: "npm", package: name }, affected: { versions: 1 } } });
    expect((await audit({ action: "block.create" })).some((a) => a.resource_id === b.id)).toBe(true);
    // npm 11 prints "***" for anything shaped like a UUID (@npmcli/redact): the public URL
    // in its 451 output must survive that.
    expect(b.id).toMatch(/^[0-9a-f]{32}$/);

    const listed = await jsonOf(await req("/api/admin/security?status=active&format=npm&limit=500", { token: ADMIN }), 200);
    expect(listed.items.map((i: { id: string }) => i.id)).toContain(b.id);

    const changed = await jsonOf(await req(`/api/admin/security/${b.id}`, { method: "PATCH", token: ADMIN, json: { customer_message: "Use 1.0.1." } }), 200);
    expect(changed.customer_message).toBe("Use 1.0.1.");
    expect(events.types()).toContain("block.updated");
    const refused = await jsonOf(await call(p.tarball, `Bearer ${w.token}`), 451);
    expect(refused.customer_message).toBe("Use 1.0.1.");

    const lifted = await jsonOf(await req(`/api/admin/security/${b.id}`, { method: "DELETE", token: ADMIN }), 200);
    expect(lifted).toMatchObject({ status: "lifted", affected: { versions: 1 } });
    expect(lifted.lifted_at).not.toBeNull();
    expect(events.types()).toContain("block.lifted");
    expect((await call(p.tarball, `Bearer ${w.token}`)).status).toBe(200);
    await expectError(await req(`/api/admin/security/${b.id}`, { method: "DELETE", token: ADMIN }), 409, "ConflictBlockLifted");
    const got = await jsonOf(await req(`/api/admin/security/${b.id}`, { token: ADMIN }), 200);
    expect(got).toMatchObject({ status: "lifted", affected: { versions: 0 }, hits: { count: 1 } });
  });
});

describe("npm", () => {
  it("answers 451 for a blocked version's tarball and shows it deprecated with the refusal; ranges are npm's", async () => {
    const w = await repoOf("npm");
    const name = unique("widgets");
    const pubs: Record<string, Awaited<ReturnType<typeof npmPublish>>> = {};
    for (const v of ["1.0.0", "1.1.0", "1.2.0"]) pubs[v] = await npmPublish(w, name, v);
    for (const p of Object.values(pubs)) await ok(p.res);
    const b = await block({ format: "npm", package: name, versions: [">=1.1.0 <1.2.0"] });
    expect(b.affected.versions).toBe(1);

    const res = await call(pubs["1.1.0"]!.tarball, `Bearer ${w.token}`);
    const body = await jsonOf(res, 451);
    expect(body).toMatchObject({ code: "BlockedSecurity" });
    expect(body.error).toContain(MESSAGE);
    expect(body.error).toContain(`${BASE}/blocked/${b.id}`);
    expectEnvelope(body, b.id);
    expect((await call(pubs["1.1.0"]!.tarball, `Bearer ${w.token}`, { method: "HEAD" })).status).toBe(451);
    expect((await call(pubs["1.0.0"]!.tarball, `Bearer ${w.token}`)).status).toBe(200);
    expect((await call(pubs["1.2.0"]!.tarball, `Bearer ${w.token}`)).status).toBe(200);

    const doc = await jsonOf(await call(pubs["1.0.0"]!.packument, `Bearer ${w.token}`), 200);
    expect(Object.keys(doc.versions)).toEqual(["1.0.0", "1.1.0", "1.2.0"]);
    expect(doc.versions["1.1.0"].deprecated).toContain(MESSAGE);
    expect(doc.versions["1.0.0"].deprecated).toBeUndefined();
    const abbreviated = await jsonOf(await call(pubs["1.0.0"]!.packument, `Bearer ${w.token}`, { headers: { Accept: "application/vnd.npm.install-v1+json" } }), 200);
    expect(abbreviated.versions["1.1.0"].deprecated).toContain(MESSAGE);
    // The document npm edits (deprecate, unpublish) is the stored one: no refusal leaks into it.
    const stored = await jsonOf(await call(`${pubs["1.0.0"]!.packument}?write=true`, `Bearer ${w.token}`), 200);
    expect(stored.versions["1.1.0"].deprecated).toBeUndefined();

    // A later release inside the range is refused from its first moment.
    const later = await npmPublish(w, name, "1.1.5");
    await ok(later.res);
    expectEnvelope(await jsonOf(await call(later.tarball, `Bearer ${w.token}`), 451), b.id);
  });
});

describe("PyPI", () => {
  it("yanks a blocked version's files on the simple page with the refusal, and answers 451 for them", async () => {
    const w = await repoOf("pypi");
    const name = unique("demo").replace(/-/g, "_");
    const ups: Record<string, Awaited<ReturnType<typeof pypiUpload>>> = {};
    for (const v of ["1.0", "1.5", "2.0"]) ups[v] = await pypiUpload(w, name, v);
    for (const u of Object.values(ups)) await ok(u.res);
    const b = await block({ format: "pypi", package: name.toUpperCase(), versions: [">=1.5,<2.0"] });
    expect(b.affected.versions).toBe(1);

    const res = await call(ups["1.5"]!.file, basicAuth(w.token, "__token__"));
    expect(res.statusText).toContain("is blocked");
    await expectPlain451(res, b.id);
    expect((await call(ups["1.0"]!.file, basicAuth(w.token, "__token__"))).status).toBe(200);

    const page = await jsonOf(await call(ups["1.0"]!.simple, basicAuth(w.token, "__token__"), { headers: { Accept: "application/vnd.pypi.simple.v1+json" } }), 200);
    const yanked = Object.fromEntries(page.files.map((f: { filename: string; yanked: unknown }) => [f.filename.split("-")[1], f.yanked]));
    expect(yanked["1.0"]).toBe(false);
    expect(yanked["1.5"]).toEqual(expect.stringContaining(MESSAGE));
    const html = await (await call(ups["1.0"]!.simple, basicAuth(w.token, "__token__"), { headers: { Accept: "text/html" } })).text();
    expect(html).toMatch(/data-yanked="[^"]*This release was compromised/);
  });
});

describe("Maven", () => {
  it("leaves a blocked version out of maven-metadata.xml and answers 451 for its files and checksums", async () => {
    const w = await repoOf("maven");
    const artifact = unique("lib");
    const puts: Record<string, Awaited<ReturnType<typeof mavenPut>>> = {};
    for (const v of ["1.0", "1.5", "2.0"]) puts[v] = await mavenPut(w, artifact, v, "jar");
    for (const p of Object.values(puts)) await ok(p.res);
    const b = await block({ format: "maven", package: `com.example:${artifact}`, versions: ["[1.5,2.0)"] });
    expect(b.affected.versions).toBe(1);
    await expectPlain451(await call(puts["1.5"]!.path, basicAuth(w.token)), b.id);
    await expectPlain451(await call(`${puts["1.5"]!.path}.sha1`, basicAuth(w.token)), b.id);
    expect((await call(puts["2.0"]!.path, basicAuth(w.token))).status).toBe(200);
    const xml = await (await call(puts["1.0"]!.metadata, basicAuth(w.token))).text();
    expect(xml).toContain("<version>1.0</version>");
    expect(xml).toContain("<version>2.0</version>");
    expect(xml).not.toContain("<version>1.5</version>");
  });
});

describe("Cargo", () => {
  it("lists a blocked version as yanked in the index (Cargo's caret for a bare partial version) and answers 451 with the detail", async () => {
    const w = await repoOf("cargo");
    const name = `c${unique("x").replace(/-/g, "_")}`;
    const pubs: Record<string, Awaited<ReturnType<typeof cargoPublish>>> = {};
    for (const v of ["0.1.0", "0.2.0", "0.2.7", "1.0.0"]) pubs[v] = await cargoPublish(w, name, v);
    for (const p of Object.values(pubs)) await ok(p.res);
    const b = await block({ format: "cargo", package: name.replace(/_/g, "-"), versions: ["0.2"] });
    expect(b.affected.versions).toBe(2);
    const body = await jsonOf(await call(pubs["0.2.7"]!.download, w.token), 451);
    expect(body.errors[0].detail).toContain(MESSAGE);
    expectEnvelope(body, b.id);
    expect((await call(pubs["0.1.0"]!.download, w.token)).status).toBe(200);
    const lines = (await (await call(pubs["0.1.0"]!.index, w.token)).text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(Object.fromEntries(lines.map((l: { vers: string; yanked: boolean }) => [l.vers, l.yanked]))).toEqual({ "0.1.0": false, "0.2.0": true, "0.2.7": true, "1.0.0": false });
  });
});

describe("Go", () => {
  it("drops blocked versions from @v/list and @latest and answers 451 for their .info, .mod and .zip", async () => {
    const w = await repoOf("go");
    const module = `example.com/${unique("m")}`;
    const puts: Record<string, Awaited<ReturnType<typeof goPut>>> = {};
    for (const v of ["v1.0.0", "v1.2.0", "v1.3.0"]) puts[v] = await goPut(w, module, v);
    for (const p of Object.values(puts)) await ok(p.res);
    const auth = basicAuth(w.token);
    const b = await block({ format: "go", package: module, versions: [">=v1.2.0 <v1.3.0"] });
    expect(b.affected.versions).toBe(1);
    expect((await (await call(`${puts["v1.0.0"]!.root}/@v/list`, auth)).text()).trim().split("\n")).toEqual(["v1.0.0", "v1.3.0"]);
    for (const path of [puts["v1.2.0"]!.info, puts["v1.2.0"]!.mod, puts["v1.2.0"]!.zip]) await expectPlain451(await call(path, auth), b.id);
    expect((await jsonOf(await call(`${puts["v1.0.0"]!.root}/@latest`, auth), 200)).Version).toBe("v1.3.0");
    await block({ format: "go", package: module, versions: ["v1.3.0"] });
    expect((await jsonOf(await call(`${puts["v1.0.0"]!.root}/@latest`, auth), 200)).Version).toBe("v1.0.0");
    const all = await block({ format: "go", package: module });
    const latest = await call(`${puts["v1.0.0"]!.root}/@latest`, auth);
    expect(latest.status).toBe(451);
    expect(await latest.text()).toMatch(/v1\.3\.0 is blocked/);
    expect((await (await call(`${puts["v1.0.0"]!.root}/@v/list`, auth)).text()).trim()).toBe("");
    void all;
  });
});

describe("generic", () => {
  it("answers 451 for GET and HEAD of a blocked path (a glob of paths)", async () => {
    const w = await repoOf("generic");
    const dir = unique("tools");
    const bad = await genericPut(w, `${dir}/evil.bin`);
    const good = await genericPut(w, `other-${dir}/fine.bin`);
    await ok(bad.res);
    await ok(good.res);
    const b = await block({ format: "generic", package: `${dir}/*` });
    await expectPlain451(await call(bad.url, `Bearer ${w.token}`), b.id);
    expect((await call(bad.url, `Bearer ${w.token}`, { method: "HEAD" })).status).toBe(451);
    expect((await call(good.url, `Bearer ${w.token}`)).status).toBe(200);
  });
});

describe("long globs", () => {
  // D1 refuses a GLOB pattern past 50 bytes; a block's glob may have up to 300 characters.
  it("a block whose glob is past 50 bytes refuses what it matches (files and images), and only that", async () => {
    const w = await repoOf("generic");
    const dir = `${unique("tools")}/${"nested-directory/".repeat(4)}`;
    const bad = await genericPut(w, `${dir}evil.bin`);
    const good = await genericPut(w, `${dir}sub/fine.txt`);
    await ok(bad.res);
    await ok(good.res);
    const glob = `${dir}*.bin`;
    expect(new TextEncoder().encode(glob).byteLength).toBeGreaterThan(50);
    const b = await block({ format: "generic", package: glob });
    expect(b.affected).toEqual({ versions: 1, manifests: 0 });
    await expectPlain451(await call(bad.url, `Bearer ${w.token}`), b.id);
    expect((await call(good.url, `Bearer ${w.token}`)).status).toBe(200);

    const img = await repoOf("docker");
    const image = `${unique("team")}/${"very-long-image-path-segment/".repeat(2)}app`;
    await pushImage(`${img.project.slug}/${img.repo.slug}/${image}`, img.token, "v1");
    await pushImage(`${img.project.slug}/${img.repo.slug}/${image}-other`, img.token, "v1", 2);
    const ib = await block({ format: "docker", package: `${image.slice(0, -3)}?pp`, versions: ["v1"] });
    expect(ib.affected).toEqual({ versions: 0, manifests: 1 });
    expect((await oci(`/v2/${img.project.slug}/${img.repo.slug}/${image}/manifests/v1`, { auth: img.token, headers: { Accept: OCI_MANIFEST } })).status).toBe(451);
    expect((await oci(`/v2/${img.project.slug}/${img.repo.slug}/${image}-other/manifests/v1`, { auth: img.token, headers: { Accept: OCI_MANIFEST } })).status).toBe(200);
  });
});

describe("many versions", () => {
  it("a block naming 100 tags (the most it takes) of an image is made, and refuses the tags it names", async () => {
    const img = await repoOf("docker");
    const image = unique("many");
    await pushImage(`${img.project.slug}/${img.repo.slug}/${image}`, img.token, "v1");
    const tags = ["v1", ...Array.from({ length: 99 }, (_, i) => `t${i}`)];
    const b = await block({ format: "docker", package: image, versions: tags, project_id: img.project.id, repo_id: img.repo.id });
    expect(b.affected).toEqual({ versions: 0, manifests: 1 });
    expect((await oci(`/v2/${img.project.slug}/${img.repo.slug}/${image}/manifests/v1`, { auth: img.token, headers: { Accept: OCI_MANIFEST } })).status).toBe(451);
  });
});

describe("deb, rpm, classic Helm", () => {
  // apt, dnf and helm read their generated indexes (which still list the version: the
  // index is signed and cached by clients) and then fail on the package download with
  // the 451, whose plain-text or ChartMuseum body carries the message.
  it.each([
    ["deb", "1.0"],
    ["rpm", "1.0-1"],
    ["helm-classic", "1.0.0"],
  ])("%s: answers 451 for a blocked version's package file (GET and HEAD), and serves the others", async (name, version) => {
    const adapter = ADAPTERS.find((a) => a.name === name)!;
    const w = await repoOf(adapter.repoFormat);
    const r = { project: w.project.slug, repo: w.repo.slug };
    const bad = await adapter.publish(r, w.token, unique("osbad"));
    const good = await adapter.publish(r, w.token, unique("osgood"));
    expect(adapter.published).toContain(bad.res.status);
    expect(adapter.published).toContain(good.res.status);
    const pkg = decodeURIComponent(bad.download.split("/").pop()!).split(/[-_]1\.0/)[0]!;
    const b = await block({ format: adapter.repoFormat, package: pkg, versions: [version] });
    expect(b.affected.versions).toBe(1);
    const res = await call(bad.download, adapter.auth(w.token));
    const text = await res.text();
    expect(res.status, text).toBe(451);
    expect(text).toContain(MESSAGE);
    expect(text).toContain(`${BASE}/blocked/${b.id}`);
    expect((await call(bad.download, adapter.auth(w.token), { method: "HEAD" })).status).toBe(451);
    expect((await call(good.download, adapter.auth(w.token))).status).toBe(200);
  });
});

describe("OCI", () => {
  async function ociWhere() {
    const w = await repoOf("docker");
    const image = unique("app");
    return { w, image, name: `${w.project.slug}/${w.repo.slug}/${image}` };
  }

  it("answers 451 DENIED with the envelope for a blocked manifest by tag and digest, and for blobs only blocked manifests use; the block follows the digest", async () => {
    const { w, image, name } = await ociWhere();
    const config1 = await pushBlob(name, w.token, JSON.stringify({ os: "linux", v: 1 }));
    const config2 = await pushBlob(name, w.token, JSON.stringify({ os: "linux", v: 2 }));
    const shared = await pushBlob(name, w.token, "shared layer bytes");
    const own = await pushBlob(name, w.token, "only v2's layer");
    const doc = (config: { digest: string; size: number }, layers: { digest: string; size: number }[]) => ({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...l })),
    });
    const v1 = await putManifest(name, w.token, "v1", doc(config1, [shared]));
    const v2 = await putManifest(name, w.token, "v2", doc(config2, [shared, own]));
    expect([v1.res.status, v2.res.status]).toEqual([201, 201]);

    const b = await block({ format: "docker", package: image, versions: ["v1"] });
    expect(b).toMatchObject({ digests: [v1.digest], affected: { manifests: 1 } });
    const accept = { Accept: OCI_MANIFEST };
    for (const ref of ["v1", v1.digest]) {
      const errs = await errorsOf(await oci(`/v2/${name}/manifests/${ref}`, { auth: w.token, headers: accept }), 451);
      expect(errs[0]).toMatchObject({ code: "DENIED" });
      expect(errs[0]!.message).toContain(MESSAGE);
      expectEnvelope(errs[0]!.detail as Record<string, unknown>, b.id);
    }
    expect((await oci(`/v2/${name}/manifests/v1`, { method: "HEAD", auth: w.token, headers: accept })).status).toBe(451);
    expect((await oci(`/v2/${name}/blobs/${config1.digest}`, { auth: w.token })).status).toBe(451);
    expect((await oci(`/v2/${name}/blobs/${config1.digest}`, { method: "HEAD", auth: w.token })).status).toBe(451);
    expect((await oci(`/v2/${name}/blobs/${shared.digest}`, { auth: w.token })).status).toBe(200);
    expect((await oci(`/v2/${name}/manifests/v2`, { auth: w.token, headers: accept })).status).toBe(200);
    expect((await jsonOf(await oci(`/v2/${name}/tags/list`, { auth: w.token }), 200)).tags).toEqual(["v1", "v2"]);

    // The block follows the digest: another tag on it is refused, the tag moved elsewhere is not.
    await putManifest(name, w.token, "alias", v1.body);
    expect((await oci(`/v2/${name}/manifests/alias`, { auth: w.token, headers: accept })).status).toBe(451);
    expect((await putManifest(name, w.token, "v1", v2.body)).res.status).toBe(201);
    expect((await oci(`/v2/${name}/manifests/v1`, { auth: w.token, headers: accept })).status).toBe(200);
  });

  it("blocks an index's platform manifests with it, and a digest pushed again later", async () => {
    const { w, image, name } = await ociWhere();
    const a = await pushImage(name, w.token, "amd64", 11);
    const bImg = await pushImage(name, w.token, "arm64", 12);
    const index = {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: a.manifest.digest, size: a.manifest.size, platform: { os: "linux", architecture: "amd64" } },
        { mediaType: OCI_MANIFEST, digest: bImg.manifest.digest, size: bImg.manifest.size, platform: { os: "linux", architecture: "arm64" } },
      ],
    };
    const idx = await putManifest(name, w.token, "multi", index, OCI_INDEX);
    expect(idx.res.status).toBe(201);
    const b = await block({ format: "docker", package: image, versions: ["multi"] });
    expect(b.affected.manifests).toBe(3);
    expect([...b.digests].sort()).toEqual([idx.digest, a.manifest.digest, bImg.manifest.digest].sort());
    expect((await oci(`/v2/${name}/manifests/${a.manifest.digest}`, { auth: w.token, headers: { Accept: OCI_MANIFEST } })).status).toBe(451);
    expect((await oci(`/v2/${name}/blobs/${bImg.layer.digest}`, { auth: w.token })).status).toBe(451);

    // The same manifest pushed into another image of a matching name later is refused at once.
    const other = `${w.project.slug}/${w.repo.slug}/${image}`;
    await pushImage(other, w.token, "again", 11);
    expect((await oci(`/v2/${other}/manifests/again`, { auth: w.token, headers: { Accept: OCI_MANIFEST } })).status).toBe(451);
  });
});

describe("overlapping blocks, hits and immediacy", () => {
  afterEach(() => void vi.useRealTimers());

  it("keeps a version blocked while another block still matches it after one is lifted", async () => {
    const w = await repoOf("npm");
    const name = unique("twice");
    const one = await npmPublish(w, name, "1.0.0");
    const two = await npmPublish(w, name, "1.1.0");
    await ok(one.res);
    await ok(two.res);
    const everything = await block({ format: "npm", package: name });
    const exact = await block({ format: "npm", package: name, versions: ["1.0.0"] });
    expect(exact.affected.versions).toBe(0); // the first block holds both rows
    await jsonOf(await req(`/api/admin/security/${everything.id}`, { method: "DELETE", token: ADMIN }), 200);
    expectEnvelope(await jsonOf(await call(one.tarball, `Bearer ${w.token}`), 451), exact.id);
    expect((await call(two.tarball, `Bearer ${w.token}`)).status).toBe(200);
  });

  it("counts every refused download and sends block.hit once per window", async () => {
    const w = await repoOf("generic");
    const f = await genericPut(w, `${unique("hit")}.bin`);
    await ok(f.res);
    const b = await block({ format: "generic", package: f.url.split("/").slice(4).join("/") });
    const events = captureEvents();
    for (let i = 0; i < 3; i++) expect((await call(f.url, `Bearer ${w.token}`)).status).toBe(451);
    const hits = events.events().filter((e) => e.type === "block.hit");
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ data: { block_id: b.id, format: "generic", repo_id: w.repo.id, window_seconds: 900 } });
    expect((await jsonOf(await req(`/api/admin/security/${b.id}`, { token: ADMIN }), 200)).hits.count).toBe(3);
  });

  it("is enforced by the next pull with every per-isolate cache warm and nothing cleared (as another isolate would see it)", async () => {
    const w = await repoOf("npm");
    const name = unique("warm");
    const p = await npmPublish(w, name, "1.0.0");
    await ok(p.res);
    expect((await call(p.tarball, `Bearer ${w.token}`)).status).toBe(200); // token, grants, repo: cached
    // Written behind the services' back: no event, so no cache of this isolate is cleared.
    const id = crypto.randomUUID();
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO security_blocks (id, format, package, package_key, versions, digests, reason, customer_message, origin, created_by_type, created_at, updated_at) VALUES (?, 'npm', ?, ?, '[]', '[]', ?, ?, 'security', 'instance_admin', ?, ?)").bind(id, name, name, REASON, MESSAGE, now, now),
      env.DB.prepare("UPDATE versions SET blocked_by = ? WHERE id IN (SELECT v.id FROM versions v JOIN packages p ON p.id = v.package_id WHERE p.repo_id = ? AND p.name = ?)").bind(id, w.repo.id, name),
    ]);
    expectEnvelope(await jsonOf(await call(p.tarball, `Bearer ${w.token}`), 451), id);
  });

  it("serves an install's tarball from the packument it just read: a block through the API stops it at once, one from another isolate within 2 s", async () => {
    const w = await repoOf("npm");
    const auth = `Bearer ${w.token}`;
    const install = async () => {
      expect((await call(p.packument, auth, { headers: { Accept: "application/vnd.npm.install-v1+json" } })).status).toBe(200);
      return call(p.tarball, auth);
    };
    const name = unique("window");
    const p = await npmPublish(w, name, "1.0.0");
    await ok(p.res);
    expect((await call(p.tarball, auth)).status).toBe(200); // its bytes are now in isolate memory
    expect((await install()).status).toBe(200); // the packument's document is now in the window
    // Another isolate's block (written behind the services' back: nothing here is cleared).
    const id = crypto.randomUUID();
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO security_blocks (id, format, package, package_key, versions, digests, reason, customer_message, origin, created_by_type, created_at, updated_at) VALUES (?, 'npm', ?, ?, '[]', '[]', ?, ?, 'security', 'instance_admin', ?, ?)").bind(id, name, name, REASON, MESSAGE, now, now),
      env.DB.prepare("UPDATE versions SET blocked_by = ? WHERE id IN (SELECT v.id FROM versions v JOIN packages p ON p.id = v.package_id WHERE p.repo_id = ? AND p.name = ?)").bind(id, w.repo.id, name),
    ]);
    expect((await call(p.tarball, auth)).status).toBe(200); // the document read a moment ago: within its 2 s
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 2_100 });
    expectEnvelope(await jsonOf(await call(p.tarball, auth), 451), id);
    vi.useRealTimers();

    // A block made here, through the API, with the window warm: the very next download is refused.
    const other = unique("window-api");
    const q = await npmPublish(w, other, "1.0.0");
    await ok(q.res);
    expect((await call(q.tarball, auth)).status).toBe(200);
    expect((await call(q.packument, auth, { headers: { Accept: "application/vnd.npm.install-v1+json" } })).status).toBe(200);
    expect((await call(q.tarball, auth)).status).toBe(200);
    const b = await block({ format: "npm", package: other, versions: ["1.0.0"] });
    expectEnvelope(await jsonOf(await call(q.tarball, auth), 451), b.id as string);
  });

  it("refuses an image's blobs at once with the manifest cache warm, and the cached manifest within its 2 s", async () => {
    const w = await repoOf("docker");
    const name = `${w.project.slug}/${w.repo.slug}/${unique("img")}`;
    const img = await pushImage(name, w.token, "v1", 21);
    const accept = { Accept: OCI_MANIFEST };
    expect((await oci(`/v2/${name}/manifests/v1`, { auth: w.token, headers: accept })).status).toBe(200); // manifest cached
    const id = crypto.randomUUID();
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO security_blocks (id, format, package, package_key, versions, digests, reason, customer_message, origin, created_by_type, created_at, updated_at) VALUES (?, 'docker', 'x', 'x', '[]', '[]', ?, ?, 'security', 'instance_admin', ?, ?)").bind(id, REASON, MESSAGE, now, now),
      env.DB.prepare("UPDATE oci_manifests SET blocked_by = ? WHERE repo_id = ? AND digest = ?").bind(id, w.repo.id, img.manifest.digest),
    ]);
    expect((await oci(`/v2/${name}/blobs/${img.layer.digest}`, { auth: w.token })).status).toBe(451);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 2_100 });
    expect((await oci(`/v2/${name}/manifests/v1`, { auth: w.token, headers: accept })).status).toBe(451);
  });
});

describe("the public page", () => {
  it("explains a block without credentials: HTML with a strict CSP, or JSON; never the reason", async () => {
    const name = unique("pagepkg");
    const b = await block({ format: "npm", package: name, versions: ["1.0.0", "^2"] });
    const html = await call(`/blocked/${b.id}`, null);
    const text = await html.text();
    expect(html.status, text).toBe(200);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(text).toContain('<html lang="en">');
    expect(text).toContain(MESSAGE);
    expect(text).toContain(name);
    expect(text).toContain("^2");
    expect(text).not.toContain(REASON);
    expect(text).not.toMatch(/https?:\/\/(?!registry\.test)/); // no external asset
    const json = await jsonOf(await call(`/blocked/${b.id}`, null, { headers: { Accept: "application/json" } }), 200);
    expect(json).toMatchObject({ block_id: b.id, kind: "security", format: "npm", package: name, versions: ["1.0.0", "^2"], customer_message: MESSAGE, status: "active", public_url: `${BASE}/blocked/${b.id}` });
    expect(JSON.stringify(json)).not.toContain(REASON);
    await jsonOf(await req(`/api/admin/security/${b.id}`, { method: "DELETE", token: ADMIN }), 200);
    expect(await (await call(`/blocked/${b.id}`, null)).text()).toContain("Lifted");
    expect((await call(`/blocked/${crypto.randomUUID()}`, null)).status).toBe(404);
    expect((await call(`/blocked/${crypto.randomUUID()}`, null, { headers: { Accept: "application/json" } })).status).toBe(404);
    expect((await call(`/blocked/${b.id}`, "Bearer orbsa_wrong")).status).toBe(401);
  });
});
