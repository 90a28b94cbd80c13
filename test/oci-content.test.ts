import { describe, expect, it } from "vitest";
import { createRepo, projectWithToken, req } from "./helpers";
import { DOCKER_LIST, OCI_INDEX, OCI_MANIFEST, bytesOf, errorsOf, oci, ociRepo, pushBlob, pushImage, putManifest, sha256 } from "./oci-helpers";

const EMPTY_JSON = "{}";

describe("OCI indexes (multi-arch)", () => {
  it("accepts an index whose children exist, refuses one with a missing child", async () => {
    const r = await ociRepo();
    const amd = await pushImage(r.name, r.token, "amd64", 1);
    const arm = await pushImage(r.name, r.token, "arm64", 2);
    const index = {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: amd.manifest.digest, size: amd.manifest.size, platform: { architecture: "amd64", os: "linux" } },
        { mediaType: OCI_MANIFEST, digest: arm.manifest.digest, size: arm.manifest.size, platform: { architecture: "arm64", os: "linux" } },
      ],
    };
    const put = await putManifest(r.name, r.token, "multi", index, OCI_INDEX);
    expect(put.res.status).toBe(201);
    const get = await oci(`/v2/${r.name}/manifests/multi`, { auth: r.token, headers: { Accept: OCI_INDEX } });
    expect(get.headers.get("content-type")).toBe(OCI_INDEX);
    expect(await get.text()).toBe(put.body);
    const missing = { ...index, manifests: [...index.manifests, { mediaType: OCI_MANIFEST, digest: `sha256:${"9".repeat(64)}`, size: 10 }] };
    expect((await errorsOf((await putManifest(r.name, r.token, "broken", missing, OCI_INDEX)).res, 400))[0]!.code).toBe("MANIFEST_BLOB_UNKNOWN");
    const list = { ...index, mediaType: DOCKER_LIST };
    expect((await putManifest(r.name, r.token, "list", list, DOCKER_LIST)).res.status).toBe(201);
  });

  it("pushes by digest with extra ?tag= parameters", async () => {
    const r = await ociRepo();
    const img = await pushImage(r.name, r.token, "first");
    const res = await oci(`/v2/${r.name}/manifests/${img.manifest.digest}?tag=x&tag=y`, { method: "PUT", auth: r.token, body: img.manifest.body, headers: { "Content-Type": OCI_MANIFEST } });
    expect(res.status).toBe(201);
    expect(await (await oci(`/v2/${r.name}/tags/list`, { auth: r.token })).json()).toEqual({ name: r.name, tags: ["first", "x", "y"] });
  });
});

describe("OCI: many references in one manifest", () => {
  // Docker allows 127 layers; D1 binds at most 100 parameters per statement.
  it("takes an image of 120 layers and an index of 120 manifests, serves them back, and lists the index's tag with its size", async () => {
    const { name, token, repo } = await ociRepo();
    const config = await pushBlob(name, token, JSON.stringify({ architecture: "amd64", os: "linux" }));
    const layers = [];
    for (let i = 0; i < 120; i++) layers.push(await pushBlob(name, token, `layer ${i}`));
    const image = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: l.digest, size: l.size })),
    };
    const put = await putManifest(name, token, "tall", image);
    expect(put.res.status, await put.res.clone().text()).toBe(201);
    const children = [];
    for (let i = 0; i < 120; i++) {
      const child = await putManifest(name, token, `sha256-${i}`, { ...image, layers: image.layers.slice(0, 1), annotations: { n: String(i) } });
      expect(child.res.status).toBe(201);
      children.push({ mediaType: OCI_MANIFEST, digest: child.digest, size: child.size, platform: { architecture: "amd64", os: "linux", variant: `v${i}` } });
    }
    const index = await putManifest(name, token, "wide", { schemaVersion: 2, mediaType: OCI_INDEX, manifests: children }, OCI_INDEX);
    expect(index.res.status, await index.res.clone().text()).toBe(201);
    for (const [tag, digest, type] of [["tall", put.digest, OCI_MANIFEST], ["wide", index.digest, OCI_INDEX]] as const) {
      const got = await oci(`/v2/${name}/manifests/${tag}`, { auth: token, headers: { Accept: type } });
      expect(got.status).toBe(200);
      expect(await sha256(new Uint8Array(await got.arrayBuffer()))).toBe(digest);
    }
    const tags = await req(`/api/v1/repos/${repo.id}/images/app/tags`, { token });
    expect(tags.status, await tags.clone().text()).toBe(200);
    const wide = ((await tags.json()) as { items: { tag: string; size: number }[] }).items.find((t) => t.tag === "wide")!;
    expect(wide.size).toBeGreaterThan(120 * children[0]!.size);
  });
});

describe("OCI 1.1 referrers", () => {
  it("indexes manifests with a subject (even before the subject exists) and filters by artifactType", async () => {
    const r = await ociRepo();
    const empty = await pushBlob(r.name, r.token, EMPTY_JSON);
    const sig = await pushBlob(r.name, r.token, "signature-bytes");
    const sbom = await pushBlob(r.name, r.token, '{"spdx":true}');
    const base = await pushImage(r.name, r.token, "v1");
    const subject = { mediaType: OCI_MANIFEST, digest: base.manifest.digest, size: base.manifest.size };
    const artifact = (type: string, blob: { digest: string; size: number }, note: string, viaConfig = false) => ({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      ...(viaConfig ? {} : { artifactType: type }),
      config: viaConfig ? { mediaType: type, digest: empty.digest, size: empty.size } : { mediaType: "application/vnd.oci.empty.v1+json", digest: empty.digest, size: empty.size },
      layers: [{ mediaType: "application/octet-stream", digest: blob.digest, size: blob.size }],
      subject,
      annotations: { "org.example.note": note },
    });
    const a = artifact("application/vnd.dev.cosign.simplesigning.v1+json", sig, "sig");
    const b = artifact("application/spdx+json", sbom, "sbom", true);
    const pa = await putManifest(r.name, r.token, await sha256(JSON.stringify(a)), a);
    expect(pa.res.status).toBe(201);
    expect(pa.res.headers.get("oci-subject")).toBe(base.manifest.digest);
    const pb = await putManifest(r.name, r.token, await sha256(JSON.stringify(b)), b);
    expect(pb.res.headers.get("oci-subject")).toBe(base.manifest.digest);
    // a referrer whose subject does not exist (yet) is accepted too
    const orphan = { ...a, subject: { mediaType: OCI_MANIFEST, digest: `sha256:${"7".repeat(64)}`, size: 123 } };
    expect((await putManifest(r.name, r.token, await sha256(JSON.stringify(orphan)), orphan)).res.status).toBe(201);

    const all = await oci(`/v2/${r.name}/referrers/${base.manifest.digest}`, { auth: r.token });
    expect(all.status).toBe(200);
    expect(all.headers.get("content-type")).toBe(OCI_INDEX);
    expect(all.headers.get("oci-filters-applied")).toBeNull();
    const index = await all.json<any>();
    expect(index.schemaVersion).toBe(2);
    expect(index.mediaType).toBe(OCI_INDEX);
    expect(index.manifests).toEqual([
      { mediaType: OCI_MANIFEST, digest: pa.digest, size: pa.size, artifactType: "application/vnd.dev.cosign.simplesigning.v1+json", annotations: { "org.example.note": "sig" } },
      { mediaType: OCI_MANIFEST, digest: pb.digest, size: pb.size, artifactType: "application/spdx+json", annotations: { "org.example.note": "sbom" } },
    ]);
    const filtered = await oci(`/v2/${r.name}/referrers/${base.manifest.digest}?artifactType=application/spdx%2Bjson`, { auth: r.token });
    expect(filtered.headers.get("oci-filters-applied")).toBe("artifactType");
    expect((await filtered.json<any>()).manifests.map((m: any) => m.digest)).toEqual([pb.digest]);
    const none = await oci(`/v2/${r.name}/referrers/sha256:${"8".repeat(64)}`, { auth: r.token });
    expect(await none.json()).toEqual({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
    expect((await errorsOf(await oci(`/v2/${r.name}/referrers/nope`, { auth: r.token }), 400))[0]!.code).toBe("DIGEST_INVALID");
  });
});

describe("OCI cross-repo mount", () => {
  it("mounts from a readable repo (201), falls back to an upload otherwise (202)", async () => {
    const { project, token } = await projectWithToken("writer");
    const src = await createRepo(project.id, "docker");
    const dst = await createRepo(project.id, "docker");
    const from = `${project.slug}/${src.slug}/app`;
    const to = `${project.slug}/${dst.slug}/app`;
    const layer = await pushBlob(from, token, bytesOf(4000, 21));
    const res = await oci(`/v2/${to}/blobs/uploads/?from=${encodeURIComponent(from)}&mount=${encodeURIComponent(layer.digest)}`, { method: "POST", auth: token });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/v2/${to}/blobs/${layer.digest}`);
    expect(res.headers.get("docker-content-digest")).toBe(layer.digest);
    expect((await oci(`/v2/${to}/blobs/${layer.digest}`, { auth: token })).status).toBe(200);

    const unknown = await oci(`/v2/${to}/blobs/uploads/?from=${from}&mount=sha256:${"5".repeat(64)}`, { method: "POST", auth: token });
    expect(unknown.status).toBe(202);
    expect(unknown.headers.get("location")).toMatch(new RegExp(`^/v2/${to}/blobs/uploads/`));

    // a source the caller can't read: no mount, an upload session instead
    const other = await ociRepo();
    const secret = await pushBlob(other.name, other.token, "other-project-secret");
    const denied = await oci(`/v2/${to}/blobs/uploads/?from=${other.name}&mount=${secret.digest}`, { method: "POST", auth: token });
    expect(denied.status).toBe(202);
    expect((await oci(`/v2/${to}/blobs/${secret.digest}`, { auth: token })).status).toBe(404);
    // without from: automatic only when readable somewhere
    expect((await oci(`/v2/${to}/blobs/uploads/?mount=${secret.digest}`, { method: "POST", auth: token })).status).toBe(202);
    const third = await createRepo(project.id, "docker");
    const auto = await oci(`/v2/${project.slug}/${third.slug}/x/blobs/uploads/?mount=${layer.digest}`, { method: "POST", auth: token });
    expect(auto.status).toBe(201);
  });
});

describe("OCI catalog", () => {
  it("lists only images the caller may read, paginated with n, last and Link", async () => {
    const a = await ociRepo();
    await pushImage(`${a.prefix}/one`, a.token, "v1");
    await pushImage(`${a.prefix}/two`, a.token, "v1");
    const b = await ociRepo();
    await pushImage(b.name, b.token, "v1");
    const pub = await ociRepo("writer", { visibility: "public" });
    await pushImage(pub.name, pub.token, "v1");
    const res = await oci("/v2/_catalog?n=1000", { auth: a.token });
    const names: string[] = (await res.json<any>()).repositories;
    expect(names).toEqual(expect.arrayContaining([`${a.prefix}/one`, `${a.prefix}/two`, pub.name]));
    expect(names).not.toContain(b.name);
    expect([...names].sort()).toEqual(names);
    const first = await oci("/v2/_catalog?n=1", { auth: a.token });
    const page = (await first.json<any>()).repositories;
    expect(page).toHaveLength(1);
    expect(first.headers.get("link")).toBe(`</v2/_catalog?n=1&last=${encodeURIComponent(page[0])}>; rel="next"`);
    const anon = await oci("/v2/_catalog?n=1000");
    const anonNames: string[] = (await anon.json<any>()).repositories;
    expect(anonNames).toContain(pub.name);
    expect(anonNames).not.toContain(`${a.prefix}/one`);
  });
});

describe("OCI deletes", () => {
  it("deletes a tag (202) leaving the manifest, then the manifest by digest (202) with its tags", async () => {
    const r = await ociRepo();
    const img = await pushImage(r.name, r.token, "v1");
    await putManifest(r.name, r.token, "v2", img.manifest.body);
    expect((await oci(`/v2/${r.name}/manifests/v1`, { method: "DELETE", auth: r.token })).status).toBe(202);
    expect((await oci(`/v2/${r.name}/manifests/v1`, { auth: r.token })).status).toBe(404);
    expect((await oci(`/v2/${r.name}/manifests/${img.manifest.digest}`, { auth: r.token })).status).toBe(200);
    const del = await oci(`/v2/${r.name}/manifests/${img.manifest.digest}`, { method: "DELETE", auth: r.token });
    expect(del.status).toBe(202);
    expect((await errorsOf(await oci(`/v2/${r.name}/manifests/${img.manifest.digest}`, { auth: r.token }), 404))[0]!.code).toBe("MANIFEST_UNKNOWN");
    expect((await oci(`/v2/${r.name}/manifests/v2`, { auth: r.token })).status).toBe(404);
    expect((await errorsOf(await oci(`/v2/${r.name}/manifests/${img.manifest.digest}`, { method: "DELETE", auth: r.token }), 404))[0]!.code).toBe("MANIFEST_UNKNOWN");
  });

  it("deletes a blob link (202), then answers 404; needs the delete permission", async () => {
    const r = await ociRepo();
    const blob = await pushBlob(r.name, r.token, "to-delete");
    expect((await oci(`/v2/${r.name}/blobs/${blob.digest}`, { method: "DELETE", auth: r.token })).status).toBe(202);
    expect((await oci(`/v2/${r.name}/blobs/${blob.digest}`, { auth: r.token })).status).toBe(404);
    expect((await errorsOf(await oci(`/v2/${r.name}/blobs/${blob.digest}`, { method: "DELETE", auth: r.token }), 404))[0]!.code).toBe("BLOB_UNKNOWN");
    const { token: readerToken } = await projectWithToken("reader");
    const res = await oci(`/v2/${r.name}/blobs/${blob.digest}`, { method: "DELETE", auth: readerToken });
    expect((await errorsOf(res, 403))[0]!.code).toBe("DENIED");
  });

  it("refuses deletes in a read-only repo", async () => {
    const r = await ociRepo();
    await pushImage(r.name, r.token, "v1");
    const { req, ADMIN } = await import("./helpers");
    await req(`/api/v1/repos/${r.repo.id}`, { method: "PATCH", token: ADMIN, json: { state: "read_only" } });
    const res = await oci(`/v2/${r.name}/manifests/v1`, { method: "DELETE", auth: r.token });
    expect((await errorsOf(res, 403))[0]!.code).toBe("DENIED");
    expect((await oci(`/v2/${r.name}/manifests/v1`, { auth: r.token })).status).toBe(200);
  });
});
