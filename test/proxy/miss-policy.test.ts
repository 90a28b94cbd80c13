// Policy and the download log on an upstream repo's cache MISS (services/policy
// enforceMiss, services/proxy/pull.ts): the first pull of an artifact gets the answer
// every later (cached) pull gets: a security block or a refusing licence policy answers
// 451 before anything is fetched, a quarantine holds it (and caches it, so its
// cool-down starts), and a served miss is logged as a download of the version's file.
// An image's blob not pulled yet is judged by the cached manifests that reference it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, BASE, createProject, createRepo, createServiceAccount, jsonOf, mintToken, req, unique } from "../helpers";
import { installOutbound, uninstallOutbound } from "../support/outbound";
import { downloadLog } from "../support/download-log";
import { StubUpstream, bytesOf, digestHex, readAll, sri512 } from "../support/upstream";
import { DOCKER_MANIFEST, bytesOf as ociBytes, errorsOf, oci, sha256 } from "../oci-helpers";

beforeAll(installOutbound);
afterAll(uninstallOutbound);

const MESSAGE = "This release was compromised; upgrade to the next one.";

/** An npm package on the stub upstream, one tarball per version, each with its licence. */
async function npmPackage(up: StubUpstream, name: string, versions: Record<string, { bytes: Uint8Array; license?: string }>) {
  const doc: Record<string, any> = { _id: name, name, "dist-tags": { latest: Object.keys(versions).at(-1) }, versions: {} };
  for (const [v, { bytes, license }] of Object.entries(versions)) {
    const path = `/${name}/-/${name}-${v}.tgz`;
    doc.versions[v] = { name, version: v, ...(license ? { license } : {}), dist: { tarball: `${up.origin}${path}`, integrity: await sri512(bytes), shasum: await digestHex("SHA-1", bytes) } };
    up.on(path, () => new Response(bytes, { headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.byteLength) } }));
  }
  up.on(`/${name}`, () => new Response(JSON.stringify(doc), { headers: { "Content-Type": "application/json" } }));
}

async function setup(versions: Record<string, { bytes: Uint8Array; license?: string }>) {
  const up = new StubUpstream();
  const name = unique("pkg");
  await npmPackage(up, name, versions);
  const project = await createProject();
  const repo = await createRepo(project.id, "npm", { kind: "upstream", upstream_url: up.origin });
  const sa = await createServiceAccount(project.id, "reader");
  const reader = await mintToken(project.id, sa.id);
  const tarball = (v: string) => `/npm/${project.slug}/${repo.slug}/${name}/-/${name}-${v}.tgz`;
  return { up, name, project, repo, reader, tarball, fetched: (v: string) => up.count(`/${name}/-/${name}-${v}.tgz`) };
}

describe("a cache miss of an upstream repo", () => {
  it("answers 451 with the why-blocked envelope for a blocked version, before fetching it, and serves the others", async () => {
    const s = await setup({ "1.0.0": { bytes: bytesOf("bad release") }, "1.0.1": { bytes: bytesOf("fixed release") } });
    const block = await jsonOf(await req("/api/admin/security", { method: "POST", token: ADMIN, json: { format: "npm", package: s.name, versions: ["1.0.0"], reason: "malware", customer_message: MESSAGE } }), 201);
    const refused = await req(s.tarball("1.0.0"), { token: s.reader });
    expect(await jsonOf(refused, 451)).toMatchObject({ code: "BlockedSecurity", block_id: block.id, customer_message: MESSAGE, public_url: `${BASE}/blocked/${block.id}` });
    expect(s.fetched("1.0.0")).toBe(0);
    const fine = await req(s.tarball("1.0.1"), { token: s.reader });
    expect(fine.status).toBe(200);
    expect(fine.headers.get("x-orbitalreg-cache")).toBe("MISS");
    expect(await readAll(fine)).toEqual(bytesOf("fixed release"));
  });

  it("answers 451 for a version a licence policy refuses, before fetching it", async () => {
    const s = await setup({ "2.0.0": { bytes: bytesOf("copyleft"), license: "GPL-3.0-only" }, "2.0.1": { bytes: bytesOf("permissive"), license: "MIT" } });
    const policy = await jsonOf(await req("/api/admin/license-policies", { method: "POST", token: ADMIN, json: { name: unique("lp"), repo_id: s.repo.id, deny: ["GPL-*"], action: "block" } }), 201);
    const refused = await req(s.tarball("2.0.0"), { token: s.reader });
    expect(await jsonOf(refused, 451)).toMatchObject({ code: "BlockedLicense", block_id: policy.id });
    expect(s.fetched("2.0.0")).toBe(0);
    expect((await req(s.tarball("2.0.1"), { token: s.reader })).status).toBe(200);
  });

  it("holds a quarantined version from readers (and from whoever pulled it first), caches it once, and serves it to admins", async () => {
    const s = await setup({ "3.0.0": { bytes: bytesOf("brand new") } });
    await jsonOf(await req("/api/admin/quarantine/policies", { method: "POST", token: ADMIN, json: { project_id: s.project.id, repo_id: s.repo.id, cooldown_hours: 24 } }), 201);
    const held = await req(s.tarball("3.0.0"), { token: s.reader });
    expect(await jsonOf(held, 451)).toMatchObject({ code: "BlockedQuarantine", block_id: null });
    // The admin's pull waits for (or makes) the one fetch, and is then served from the cache.
    const admin = await req(s.tarball("3.0.0"), { token: ADMIN });
    expect(admin.status).toBe(200);
    expect(await readAll(admin)).toEqual(bytesOf("brand new"));
    expect(s.fetched("3.0.0")).toBe(1);
    // Stored and held: the reader whose miss cached it does not own it.
    const again = await req(s.tarball("3.0.0"), { token: s.reader });
    expect(again.headers.get("x-orbitalreg-cache")).toBeNull();
    expect(await jsonOf(again, 451)).toMatchObject({ code: "BlockedQuarantine" });
    expect(s.fetched("3.0.0")).toBe(1);
  });

  it("is logged as a download of the version's file once it is recorded, like a cached pull", async () => {
    const s = await setup({ "4.0.0": { bytes: bytesOf("logged") } });
    const log = downloadLog();
    try {
      const miss = await req(s.tarball("4.0.0"), { token: s.reader, headers: { "User-Agent": "npm/11.0.0 miss" } });
      expect(miss.headers.get("x-orbitalreg-cache")).toBe("MISS");
      expect(await readAll(miss)).toEqual(bytesOf("logged"));
      const hit = await req(s.tarball("4.0.0"), { token: s.reader, headers: { "User-Agent": "npm/11.0.0 hit" } });
      expect(hit.headers.get("x-orbitalreg-cache")).toBeNull();
      await readAll(hit);
      const messages = await log.messages();
      expect(messages.map((m) => m.user_agent).sort()).toEqual(["npm/11.0.0 hit", "npm/11.0.0 miss"]);
      const [fromMiss, fromHit] = ["npm/11.0.0 miss", "npm/11.0.0 hit"].map((ua) => messages.find((m) => m.user_agent === ua)!);
      expect(fromMiss).toMatchObject({ repo_id: s.repo.id, file: fromHit!.file, version_id: fromHit!.version_id, digest: fromHit!.digest });
      expect(fromMiss!.version_id).toEqual(expect.any(String));
    } finally {
      log.restore();
    }
  });
});

describe("a cache miss of an upstream docker repo's blob", () => {
  it("answers 451 when only blocked cached manifests reference the blob, before fetching it", async () => {
    const up = new StubUpstream();
    const image = unique("img");
    const enc = (s: string) => new TextEncoder().encode(s);
    const config = enc(JSON.stringify({ architecture: "amd64", os: "linux" }));
    const layer = ociBytes(200_000, 3);
    const manifest = enc(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: DOCKER_MANIFEST,
        config: { mediaType: "application/vnd.docker.container.image.v1+json", digest: await sha256(config), size: config.byteLength },
        layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", digest: await sha256(layer), size: layer.byteLength }],
      }),
    );
    const digest = await sha256(manifest);
    const layerDigest = await sha256(layer);
    up.on(`/v2/${image}/manifests/${digest}`, (r) => new Response(r.method === "HEAD" ? null : manifest, { headers: { "Content-Type": DOCKER_MANIFEST, "Docker-Content-Digest": digest } }));
    up.on(`/v2/${image}/blobs/${layerDigest}`, (r) => new Response(r.method === "HEAD" ? null : layer, { headers: { "Content-Length": String(layer.byteLength) } }));
    const project = await createProject();
    const repo = await createRepo(project.id, "docker", { kind: "upstream", upstream_url: up.origin });
    const name = `${project.slug}/${repo.slug}/${image}`;
    const block = await jsonOf(await req("/api/admin/security", { method: "POST", token: ADMIN, json: { format: "docker", package: image, versions: [digest], reason: "malware", customer_message: MESSAGE } }), 201);
    const accept = { Accept: DOCKER_MANIFEST };
    // The manifest is cached (and blocked) on its first pull; its layer is not pulled yet.
    expect((await oci(`/v2/${name}/manifests/${digest}`, { headers: { Authorization: `Bearer ${ADMIN}`, ...accept } })).status).toBe(451);
    const sa = await createServiceAccount(project.id, "reader");
    const reader = await mintToken(project.id, sa.id);
    const pull = await oci(`/v2/${name}/blobs/${layerDigest}`, { auth: reader });
    const [error] = await errorsOf(pull, 451);
    expect(error!.detail).toMatchObject({ block_id: block.id, customer_message: MESSAGE });
    expect((await oci(`/v2/${name}/blobs/${layerDigest}`, { method: "HEAD", auth: reader })).status).toBe(451);
    expect(up.count(`/v2/${image}/blobs/${layerDigest}`)).toBe(0);
  });
});

describe("a cache miss of an upstream PyPI repo", () => {
  it("answers 451 in PyPI's plain-text form for a blocked release, before fetching the file", async () => {
    const up = new StubUpstream();
    const name = unique("lib");
    const wheel = bytesOf("wheel of a bad release");
    const file = `${name.replace(/-/g, "_")}-1.0-py3-none-any.whl`;
    up.on(`/simple/${name}/`, () =>
      Response.json({ name, files: [{ filename: file, url: `/files/${file}`, hashes: { sha256: "0".repeat(64) } }] }, { headers: { "Content-Type": "application/vnd.pypi.simple.v1+json" } }),
    );
    up.on(`/files/${file}`, () => new Response(wheel));
    const project = await createProject();
    const repo = await createRepo(project.id, "pypi", { kind: "upstream", upstream_url: up.origin });
    const base = `/pypi/${project.slug}/${repo.slug}`;
    const block = await jsonOf(await req("/api/admin/security", { method: "POST", token: ADMIN, json: { format: "pypi", package: name, versions: ["1.0"], reason: "malware", customer_message: MESSAGE } }), 201);
    expect((await req(`${base}/simple/${name}/`, { token: ADMIN })).status).toBe(200);
    const refused = await req(`${base}/files/${file}`, { token: ADMIN });
    const text = await refused.text();
    expect(refused.status, text).toBe(451);
    expect(text).toContain(MESSAGE);
    expect(text).toContain(`block_id: ${block.id}`);
    expect(up.count(`/files/${file}`)).toBe(0);
  });
});
