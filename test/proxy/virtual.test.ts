// Virtual repos: one URL over ordered members (local and upstream), metadata merged,
// artifacts from the first member that has them, writes to the deploy member, the
// caller's own rights on each member, and dependency-confusion protection.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, createProject, createRepo, createServiceAccount, jsonOf, mintToken, req } from "../helpers";
import { installOutbound, uninstallOutbound } from "../support/outbound";
import { StubUpstream, bytesOf, digestHex, readAll, sri512 } from "../support/upstream";
import { esc, publishBody } from "../npm-fixtures";

beforeAll(installOutbound);
afterAll(uninstallOutbound);

async function upstreamNpm(up: StubUpstream, name: string, versions: Record<string, Uint8Array>) {
  const doc: Record<string, any> = { name, "dist-tags": { latest: Object.keys(versions).at(-1) }, versions: {} };
  for (const [v, bytes] of Object.entries(versions)) {
    const path = `/${name}/-/${name}-${v}.tgz`;
    doc.versions[v] = { name, version: v, dist: { tarball: `${up.origin}${path}`, integrity: await sri512(bytes), shasum: await digestHex("SHA-1", bytes) } };
    up.on(path, () => new Response(bytes));
  }
  up.on(`/${name}`, () => Response.json(doc));
}

async function npmVirtual(opts: { config?: Record<string, unknown>; upstreamProject?: string } = {}) {
  const project = await createProject();
  const local = await createRepo(project.id, "npm");
  const up = new StubUpstream();
  const upstream = await createRepo(opts.upstreamProject ?? project.id, "npm", { kind: "upstream", upstream_url: up.origin });
  const virtual = await createRepo(project.id, "npm", { kind: "virtual", virtual_members: [local.id, upstream.id], config: { deploy_member: local.id, ...(opts.config ?? {}) } });
  const publish = async (base: string, name: string, version: string) =>
    jsonOf(await req(`${base}/${esc(name)}`, { method: "PUT", token: ADMIN, json: (await publishBody(name, version)).body }), 201);
  return { project, local, upstream, virtual, up, base: `/npm/${project.slug}/${virtual.slug}`, localBase: `/npm/${project.slug}/${local.slug}`, publish };
}

describe("virtual npm repos", () => {
  it("serves local and upstream packages through one URL, tarball URLs under the virtual repo", async () => {
    const v = await npmVirtual();
    await v.publish(v.localBase, "@acme/local-lib", "1.0.0");
    const pad = bytesOf("left-pad tarball");
    await upstreamNpm(v.up, "left-pad", { "1.3.0": pad });

    const local = await req(`${v.base}/@acme%2flocal-lib`, { token: ADMIN });
    expect(local.headers.get("x-orbitalreg-member")).toBe(`${v.project.slug}/${v.local.slug}`);
    const ldoc = await jsonOf(local, 200);
    expect(ldoc.versions["1.0.0"].dist.tarball).toBe(`http://registry.test${v.base}/@acme/local-lib/-/local-lib-1.0.0.tgz`);
    expect((await req(`${v.base}/@acme/local-lib/-/local-lib-1.0.0.tgz`, { token: ADMIN })).status).toBe(200);

    const remote = await jsonOf(await req(`${v.base}/left-pad`, { token: ADMIN }), 200);
    expect(remote.versions["1.3.0"].dist.tarball).toBe(`http://registry.test${v.base}/left-pad/-/left-pad-1.3.0.tgz`);
    expect(await readAll(await req(`${v.base}/left-pad/-/left-pad-1.3.0.tgz`, { token: ADMIN }))).toEqual(pad);
    expect((await req(`${v.base}/nothing-anywhere`, { token: ADMIN })).status).toBe(404);
  });

  it("resolves a name a local member has only from local members (dependency-confusion protection), merges when it is off", async () => {
    const v = await npmVirtual();
    await v.publish(v.localBase, "acme-internal", "1.0.0");
    await upstreamNpm(v.up, "acme-internal", { "9.9.9": bytesOf("a hostile higher version") });

    const doc = await jsonOf(await req(`${v.base}/acme-internal`, { token: ADMIN }), 200);
    expect(Object.keys(doc.versions)).toEqual(["1.0.0"]);
    expect(doc["dist-tags"].latest).toBe("1.0.0");
    expect((await req(`${v.base}/acme-internal/-/acme-internal-9.9.9.tgz`, { token: ADMIN })).status).toBe(404);
    expect(v.up.count("/acme-internal")).toBe(0);

    await jsonOf(await req(`/api/v1/repos/${v.virtual.id}`, { method: "PATCH", token: ADMIN, json: { config: { deploy_member: v.local.id, dependency_confusion_protection: false } } }), 200);
    const merged = await req(`${v.base}/acme-internal`, { token: ADMIN });
    expect(merged.headers.get("x-orbitalreg-member")).toBe(`${v.project.slug}/${v.local.slug}, ${v.project.slug}/${v.upstream.slug}`);
    const both = await jsonOf(merged, 200);
    expect(Object.keys(both.versions).sort()).toEqual(["1.0.0", "9.9.9"]);
    expect(both["dist-tags"].latest).toBe("1.0.0"); // the first member's tag wins
  });

  it("publishes through the deploy member, refuses writes without one", async () => {
    const v = await npmVirtual();
    await v.publish(v.base, "via-virtual", "1.0.0");
    expect((await req(`${v.localBase}/via-virtual`, { token: ADMIN })).status).toBe(200);

    const project = await createProject();
    const member = await createRepo(project.id, "npm");
    const noDeploy = await createRepo(project.id, "npm", { kind: "virtual", virtual_members: [member.id] });
    const res = await req(`/npm/${project.slug}/${noDeploy.slug}/x`, { method: "PUT", token: ADMIN, json: (await publishBody("x", "1.0.0")).body });
    expect(res.status).toBe(403);
    expect((await jsonOf(res)).code).toBe("ForbiddenRepoVirtualNoDeploy");
  });

  it("serves a caller only from members it may read", async () => {
    const other = await createProject();
    const v = await npmVirtual({ upstreamProject: other.id });
    await v.publish(v.localBase, "mine", "1.0.0");
    await upstreamNpm(v.up, "theirs", { "1.0.0": bytesOf("theirs") });
    const sa = await createServiceAccount(v.project.id, "reader");
    const token = await mintToken(v.project.id, sa.id);
    expect((await req(`${v.base}/mine`, { token })).status).toBe(200);
    const refused = await req(`${v.base}/theirs`, { token });
    expect(refused.status).toBe(403);
    expect(v.up.count("/theirs")).toBe(0);
    expect((await req(`${v.base}/theirs`, { token: ADMIN })).status).toBe(200);
    expect((await req(`${v.base}/mine`)).status).toBe(401);
  });

  it("checks members when the virtual repo is saved", async () => {
    const project = await createProject();
    const pypi = await createRepo(project.id, "pypi");
    const npm = await createRepo(project.id, "npm");
    const inner = await createRepo(project.id, "npm", { kind: "virtual", virtual_members: [npm.id] });
    for (const members of [[pypi.id], [inner.id], ["no-such-repo"], [npm.id, npm.id]]) {
      const res = await req("/api/v1/repos", { method: "POST", token: ADMIN, json: { project_id: project.id, slug: `v${Math.random().toString(36).slice(2, 8)}`, format: "npm", kind: "virtual", virtual_members: members } });
      expect((await jsonOf(res, 400)).error.code).toBe("InvalidRepoVirtualMembers");
    }
    const badDeploy = await req("/api/v1/repos", { method: "POST", token: ADMIN, json: { project_id: project.id, slug: "vd", format: "npm", kind: "virtual", virtual_members: [npm.id], config: { deploy_member: pypi.id } } });
    expect((await jsonOf(badDeploy, 400)).error.code).toBe("InvalidRepoConfig");
  });
});

import { DOCKER_MANIFEST, oci, pushImage } from "../oci-helpers";

async function virtualOf(format: string, members: string[], projectId: string, config: Record<string, unknown> = {}) {
  return createRepo(projectId, format, { kind: "virtual", virtual_members: members, config });
}

describe("virtual repos of the other formats", () => {
  it("PyPI: merges project pages (each file from the first member listing it), in the rendering asked for", async () => {
    const project = await createProject();
    const a = new StubUpstream();
    const b = new StubUpstream();
    const page = (files: { filename: string; sha256: string }[]) => () =>
      Response.json({ name: "shared", files: files.map((f) => ({ ...f, url: `/pkgs/${f.filename}`, hashes: { sha256: f.sha256 } })) }, { headers: { "Content-Type": "application/vnd.pypi.simple.v1+json" } });
    a.on("/simple/shared/", page([{ filename: "shared-1.0.tar.gz", sha256: "a".repeat(64) }]));
    b.on("/simple/shared/", page([{ filename: "shared-1.0.tar.gz", sha256: "b".repeat(64) }, { filename: "shared-2.0.tar.gz", sha256: "c".repeat(64) }]));
    const ra = await createRepo(project.id, "pypi", { kind: "upstream", upstream_url: a.origin });
    const rb = await createRepo(project.id, "pypi", { kind: "upstream", upstream_url: b.origin });
    const v = await virtualOf("pypi", [ra.id, rb.id], project.id);
    const base = `/pypi/${project.slug}/${v.slug}`;
    const json = await jsonOf(await req(`${base}/simple/shared/`, { token: ADMIN, headers: { Accept: "application/vnd.pypi.simple.v1+json" } }), 200);
    expect(json.files.map((f: any) => [f.filename, f.hashes.sha256, f.url])).toEqual([
      ["shared-1.0.tar.gz", "a".repeat(64), `http://registry.test${base}/files/shared-1.0.tar.gz`],
      ["shared-2.0.tar.gz", "c".repeat(64), `http://registry.test${base}/files/shared-2.0.tar.gz`],
    ]);
    const html = await (await req(`${base}/simple/shared/`, { token: ADMIN, headers: { Accept: "text/html" } })).text();
    expect(html).toContain(`${base}/files/shared-2.0.tar.gz#sha256=${"c".repeat(64)}`);
  });

  it("Maven: merges an artifact's maven-metadata.xml across members, with checksums of the merged document", async () => {
    const project = await createProject();
    const local = await createRepo(project.id, "maven");
    const jar = bytesOf("local jar");
    expect((await req(`/maven/${project.slug}/${local.slug}/com/acme/lib/1.0/lib-1.0.jar`, { method: "PUT", token: ADMIN, body: jar })).status).toBe(201);
    const up = new StubUpstream();
    up.on("/com/acme/lib/maven-metadata.xml", () => new Response("<metadata><versioning><versions><version>2.0</version><version>1.0</version></versions></versioning></metadata>"));
    const upstream = await createRepo(project.id, "maven", { kind: "upstream", upstream_url: up.origin });
    const v = await virtualOf("maven", [local.id, upstream.id], project.id, { dependency_confusion_protection: false });
    const base = `/maven/${project.slug}/${v.slug}`;
    const xml = await (await req(`${base}/com/acme/lib/maven-metadata.xml`, { token: ADMIN })).text();
    expect([...xml.matchAll(/<version>([^<]+)<\/version>/g)].map((m) => m[1])).toEqual(["1.0", "2.0"]);
    expect(xml).toContain("<latest>2.0</latest>");
    const sha1 = (await (await req(`${base}/com/acme/lib/maven-metadata.xml.sha1`, { token: ADMIN })).text()).trim();
    expect(sha1).toBe(await digestHex("SHA-1", new TextEncoder().encode(xml)));
    expect(await readAll(await req(`${base}/com/acme/lib/1.0/lib-1.0.jar`, { token: ADMIN }))).toEqual(jar);
  });

  it("Go and Cargo: lists and index files are the union of the members'", async () => {
    const project = await createProject();
    const [g1, g2, c1, c2] = [new StubUpstream(), new StubUpstream(), new StubUpstream(), new StubUpstream()];
    g1.on("/example.com/m/@v/list", () => new Response("v1.0.0\nv1.1.0\n"));
    g2.on("/example.com/m/@v/list", () => new Response("v1.1.0\nv2.0.0\n"));
    const line = (vers: string, cksum: string) => JSON.stringify({ name: "dup", vers, deps: [], cksum, features: {}, yanked: false, links: null, v: 2 });
    c1.on("/3/d/dup", () => new Response(`${line("1.0.0", "a".repeat(64))}\n`));
    c2.on("/3/d/dup", () => new Response(`${line("1.0.0", "b".repeat(64))}\n${line("1.1.0", "c".repeat(64))}\n`));
    const repo = (format: string, s: StubUpstream) => createRepo(project.id, format, { kind: "upstream", upstream_url: `${s.origin}/`, visibility: "public" });
    const vg = await virtualOf("go", [(await repo("go", g1)).id, (await repo("go", g2)).id], project.id);
    const vc = await virtualOf("cargo", [(await repo("cargo", c1)).id, (await repo("cargo", c2)).id], project.id);
    expect(await (await req(`/go/${project.slug}/${vg.slug}/example.com/m/@v/list`, { token: ADMIN })).text()).toBe("v1.0.0\nv1.1.0\nv2.0.0\n");
    const index = await (await req(`/cargo/${project.slug}/${vc.slug}/index/3/d/dup`, { token: ADMIN })).text();
    expect(index).toBe(`${line("1.0.0", "a".repeat(64))}\n${line("1.1.0", "c".repeat(64))}\n`);
  });

  it("OCI: tags resolve in member order, tag lists merge, pushes go to the deploy member", async () => {
    const project = await createProject();
    const local = await createRepo(project.id, "docker");
    const local2 = await createRepo(project.id, "docker");
    const first = await pushImage(`${project.slug}/${local.slug}/app`, ADMIN, "1.0", 1);
    const second = await pushImage(`${project.slug}/${local2.slug}/app`, ADMIN, "1.0", 2);
    await pushImage(`${project.slug}/${local2.slug}/app`, ADMIN, "2.0", 3);
    const v = await virtualOf("docker", [local.id, local2.id], project.id, { deploy_member: local2.id, dependency_confusion_protection: false });
    const auth = { Authorization: `Bearer ${ADMIN}`, Accept: `${DOCKER_MANIFEST}, application/vnd.oci.image.manifest.v1+json` };
    const m = await oci(`/v2/${project.slug}/${v.slug}/app/manifests/1.0`, { headers: auth });
    expect(m.status).toBe(200);
    expect(m.headers.get("docker-content-digest")).toBe(first.manifest.digest);
    expect(m.headers.get("x-orbitalreg-member")).toBe(`${project.slug}/${local.slug}`);
    expect((await oci(`/v2/${project.slug}/${v.slug}/app/blobs/${second.layer.digest}`, { headers: auth })).status).toBe(200);
    expect(await jsonOf(await oci(`/v2/${project.slug}/${v.slug}/app/tags/list`, { headers: auth }), 200)).toEqual({ name: `${project.slug}/${v.slug}/app`, tags: ["1.0", "2.0"] });
    await pushImage(`${project.slug}/${v.slug}/pushed`, ADMIN, "x", 4);
    expect((await oci(`/v2/${project.slug}/${local2.slug}/pushed/manifests/x`, { headers: auth })).status).toBe(200);
    expect((await oci(`/v2/${project.slug}/${v.slug}/nothing/manifests/x`, { headers: auth })).status).toBe(404);
  });
});
