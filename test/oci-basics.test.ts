import { describe, expect, it } from "vitest";
import { ADMIN, createProject, createRepo, projectWithToken } from "./helpers";
import { DOCKER_MANIFEST, OCI_MANIFEST, bytesOf, errorsOf, oci, ociRepo, pushBlob, pushImage, putManifest, sha256 } from "./oci-helpers";

describe("OCI base, auth and token flow", () => {
  it("answers anonymous GET /v2/ with 401 and a Bearer challenge, credentials with 200", async () => {
    const anon = await oci("/v2/");
    const errors = await errorsOf(anon, 401);
    expect(errors[0]!.code).toBe("UNAUTHORIZED");
    expect(anon.headers.get("www-authenticate")).toBe('Bearer realm="http://registry.test/v2/token",service="orbitalreg"');
    expect(anon.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
    const { token } = await projectWithToken("reader");
    const ok = await oci("/v2/", { auth: token });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({});
    expect((await oci("/v2", { auth: token })).status).toBe(200);
  });

  it("refuses an invalid credential with 401 even on public repos", async () => {
    const r = await ociRepo("writer", { visibility: "public" });
    const res = await oci(`/v2/${r.name}/tags/list`, { auth: "orbsa_nope" });
    expect((await errorsOf(res, 401))[0]!.code).toBe("UNAUTHORIZED");
  });

  it("puts the repository scope in the challenge of repo routes", async () => {
    const r = await ociRepo();
    const res = await oci(`/v2/${r.name}/manifests/latest`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(`Bearer realm="http://registry.test/v2/token",service="orbitalreg",scope="repository:${r.name}:pull"`);
    const push = await oci(`/v2/${r.name}/blobs/uploads/`, { method: "POST" });
    expect(push.headers.get("www-authenticate")).toContain(`scope="repository:${r.name}:pull,push"`);
    const del = await oci(`/v2/${r.name}/manifests/latest`, { method: "DELETE" });
    expect(del.headers.get("www-authenticate")).toContain(`scope="repository:${r.name}:delete"`);
  });

  it("issues a JWT for Basic credentials that then works as Bearer, with granted actions only", async () => {
    const r = await ociRepo("reader");
    const res = await oci(`/v2/token?service=orbitalreg&scope=repository:${r.name}:pull,push`, { auth: r.token });
    const body = await res.json<any>();
    expect(res.status).toBe(200);
    expect(body.token).toBe(body.access_token);
    expect(body.expires_in).toBe(300);
    const claims = JSON.parse(atob(body.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    expect(claims.access).toEqual([{ type: "repository", name: r.name, actions: ["pull"] }]);
    const list = await oci(`/v2/${r.name}/tags/list`, { headers: { Authorization: `Bearer ${body.token}` } });
    expect(list.status).toBe(404); // authenticated: the image simply has no tags yet
    const push = await oci(`/v2/${r.name}/blobs/uploads/`, { method: "POST", headers: { Authorization: `Bearer ${body.token}` } });
    expect((await errorsOf(push, 403))[0]!.code).toBe("DENIED");
  });

  it("gives anonymous callers a JWT good for public pulls only", async () => {
    const pub = await ociRepo("writer", { visibility: "public" });
    await pushImage(pub.name, pub.token, "v1");
    const priv = await ociRepo();
    const res = await oci(`/v2/token?scope=repository:${pub.name}:pull&scope=repository:${priv.name}:pull`);
    const { token } = await res.json<any>();
    const bearer = { Authorization: `Bearer ${token}` };
    expect((await oci(`/v2/${pub.name}/manifests/v1`, { headers: bearer })).status).toBe(200);
    expect((await oci(`/v2/${priv.name}/tags/list`, { headers: bearer })).status).toBe(401);
    const push = await oci(`/v2/${pub.name}/blobs/uploads/`, { method: "POST", headers: bearer });
    expect(push.status).toBe(401);
    // anonymous pulls of public repos work without any token too
    expect((await oci(`/v2/${pub.name}/manifests/v1`)).status).toBe(200);
  });

  it("refuses a token from another project (403 DENIED) and unknown repos (404 NAME_UNKNOWN)", async () => {
    const r = await ociRepo();
    const other = await projectWithToken("writer");
    const res = await oci(`/v2/${r.name}/tags/list`, { auth: other.token });
    expect((await errorsOf(res, 403))[0]!.code).toBe("DENIED");
    const missing = await oci(`/v2/${r.project.slug}/nope/app/tags/list`, { auth: r.token });
    expect((await errorsOf(missing, 404))[0]!.code).toBe("NAME_UNKNOWN");
  });

  it("rejects invalid names with NAME_INVALID", async () => {
    const r = await ociRepo();
    expect((await errorsOf(await oci(`/v2/${r.prefix}/tags/list`, { auth: r.token }), 400))[0]!.code).toBe("NAME_INVALID");
    expect((await errorsOf(await oci(`/v2/${r.prefix}/Bad_/tags/list`, { auth: r.token }), 400))[0]!.code).toBe("NAME_INVALID");
  });

  it("answers unsupported methods with 405 UNSUPPORTED", async () => {
    const r = await ociRepo();
    const res = await oci(`/v2/${r.name}/tags/list`, { method: "POST", auth: r.token });
    expect((await errorsOf(res, 405))[0]!.code).toBe("UNSUPPORTED");
  });

  it("refuses writes to a read-only repo with DENIED", async () => {
    const r = await ociRepo("writer", { state: "read_only" });
    const res = await oci(`/v2/${r.name}/blobs/uploads/`, { method: "POST", auth: r.token });
    const errors = await errorsOf(res, 403);
    expect(errors[0]!.code).toBe("DENIED");
    expect(errors[0]!.message).toContain("read-only");
  });
});

describe("OCI blobs: monolithic push and pull", () => {
  it("pushes with POST ?digest= and pulls with HEAD, GET, Range and ETag", async () => {
    const r = await ociRepo();
    const data = bytesOf(5000);
    const { digest } = await pushBlob(r.name, r.token, data);
    const head = await oci(`/v2/${r.name}/blobs/${digest}`, { method: "HEAD", auth: r.token });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("5000");
    expect(head.headers.get("docker-content-digest")).toBe(digest);
    expect(head.headers.get("content-type")).toBe("application/octet-stream");
    expect(head.headers.get("etag")).toBe(`"${digest}"`);
    const get = await oci(`/v2/${r.name}/blobs/${digest}`, { auth: r.token });
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(data);
    const part = await oci(`/v2/${r.name}/blobs/${digest}`, { auth: r.token, headers: { Range: "bytes=10-19" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 10-19/5000");
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(data.slice(10, 20));
    const suffix = await oci(`/v2/${r.name}/blobs/${digest}`, { auth: r.token, headers: { Range: "bytes=-5" } });
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(data.slice(4995));
    const bad = await oci(`/v2/${r.name}/blobs/${digest}`, { auth: r.token, headers: { Range: "bytes=6000-" } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get("content-range")).toBe("bytes */5000");
    const cached = await oci(`/v2/${r.name}/blobs/${digest}`, { auth: r.token, headers: { "If-None-Match": `"${digest}"` } });
    expect(cached.status).toBe(304);
  });

  it("answers unknown blobs with 404 BLOB_UNKNOWN and bad digests with 400 DIGEST_INVALID", async () => {
    const r = await ociRepo();
    const missing = await oci(`/v2/${r.name}/blobs/sha256:${"a".repeat(64)}`, { auth: r.token });
    expect((await errorsOf(missing, 404))[0]!.code).toBe("BLOB_UNKNOWN");
    const head = await oci(`/v2/${r.name}/blobs/sha256:${"a".repeat(64)}`, { method: "HEAD", auth: r.token });
    expect(head.status).toBe(404);
    expect(await head.text()).toBe("");
    const bad = await oci(`/v2/${r.name}/blobs/sha256:xyz`, { auth: r.token });
    expect((await errorsOf(bad, 400))[0]!.code).toBe("DIGEST_INVALID");
  });

  it("rejects a monolithic push whose content does not match the digest", async () => {
    const r = await ociRepo();
    const res = await oci(`/v2/${r.name}/blobs/uploads/?digest=sha256:${"0".repeat(64)}`, { method: "POST", auth: r.token, body: "hello" });
    expect((await errorsOf(res, 400))[0]!.code).toBe("DIGEST_INVALID");
  });

  it("does not let one repo read another repo's blob", async () => {
    const a = await ociRepo();
    const b = await ociRepo();
    const { digest } = await pushBlob(a.name, a.token, "secret-bytes");
    expect((await oci(`/v2/${b.name}/blobs/${digest}`, { auth: b.token })).status).toBe(404);
  });
});

describe("OCI manifests and tags", () => {
  it("pushes a manifest by tag (201 + Location) and pulls it byte for byte by tag and digest", async () => {
    const r = await ociRepo();
    const { manifest } = await pushImage(r.name, r.token, "v1");
    expect(manifest.res.headers.get("location")).toBe(`/v2/${r.name}/manifests/${manifest.digest}`);
    expect(manifest.res.headers.get("docker-content-digest")).toBe(manifest.digest);
    for (const ref of ["v1", manifest.digest]) {
      const get = await oci(`/v2/${r.name}/manifests/${ref}`, { auth: r.token, headers: { Accept: OCI_MANIFEST } });
      expect(get.status).toBe(200);
      expect(get.headers.get("content-type")).toBe(OCI_MANIFEST);
      expect(get.headers.get("docker-content-digest")).toBe(manifest.digest);
      expect(await get.text()).toBe(manifest.body);
      const head = await oci(`/v2/${r.name}/manifests/${ref}`, { method: "HEAD", auth: r.token });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe(String(manifest.size));
    }
  });

  it("keeps odd formatting byte for byte (whitespace, key order)", async () => {
    const r = await ociRepo();
    const { config, layer } = await pushImage(r.name, r.token, "base");
    const body = `{\n  "schemaVersion" : 2,  "layers":[{"size":${layer.size},"digest":"${layer.digest}","mediaType":"application/vnd.oci.image.layer.v1.tar"}],\n"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${config.digest}","size":${config.size}}}\n\n`;
    const put = await putManifest(r.name, r.token, "odd", body);
    expect(put.res.status).toBe(201);
    expect(await (await oci(`/v2/${r.name}/manifests/odd`, { auth: r.token })).text()).toBe(body);
  });

  it("accepts Docker schema 2 manifests and refuses clients whose Accept excludes the type", async () => {
    const r = await ociRepo();
    const config = await pushBlob(r.name, r.token, "{}");
    const doc = { schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: { mediaType: "application/vnd.docker.container.image.v1+json", digest: config.digest, size: config.size }, layers: [] };
    const put = await putManifest(r.name, r.token, "docker", doc, DOCKER_MANIFEST);
    expect(put.res.status).toBe(201);
    const ok = await oci(`/v2/${r.name}/manifests/docker`, { auth: r.token, headers: { Accept: `${OCI_MANIFEST}, ${DOCKER_MANIFEST}` } });
    expect(ok.headers.get("content-type")).toBe(DOCKER_MANIFEST);
    const refused = await oci(`/v2/${r.name}/manifests/docker`, { auth: r.token, headers: { Accept: OCI_MANIFEST } });
    expect((await errorsOf(refused, 404))[0]!.code).toBe("MANIFEST_UNKNOWN");
    expect((await oci(`/v2/${r.name}/manifests/docker`, { auth: r.token, headers: { Accept: "*/*" } })).status).toBe(200);
  });

  it("validates manifests: unknown blobs, size mismatch, bad JSON, media type mismatch, digest mismatch, schema 1", async () => {
    const r = await ociRepo();
    const config = await pushBlob(r.name, r.token, "{}");
    const good = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size }, layers: [] as unknown[] };
    const unknownLayer = { ...good, layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${"b".repeat(64)}`, size: 3 }] };
    expect((await errorsOf((await putManifest(r.name, r.token, "t", unknownLayer)).res, 400))[0]!.code).toBe("MANIFEST_BLOB_UNKNOWN");
    const wrongSize = { ...good, config: { ...good.config, size: 99 } };
    expect((await errorsOf((await putManifest(r.name, r.token, "t", wrongSize)).res, 400))[0]!.code).toBe("MANIFEST_INVALID");
    expect((await errorsOf((await putManifest(r.name, r.token, "t", "{not json")).res, 400))[0]!.code).toBe("MANIFEST_INVALID");
    expect((await errorsOf((await putManifest(r.name, r.token, "t", good, DOCKER_MANIFEST)).res, 400))[0]!.code).toBe("MANIFEST_INVALID");
    expect((await errorsOf((await putManifest(r.name, r.token, `sha256:${"c".repeat(64)}`, good)).res, 400))[0]!.code).toBe("DIGEST_INVALID");
    const v1 = { schemaVersion: 1, name: "x", tag: "y", fsLayers: [] };
    expect((await errorsOf((await putManifest(r.name, r.token, "t", v1, "application/vnd.docker.distribution.manifest.v1+json")).res, 400))[0]!.code).toBe("MANIFEST_INVALID");
    expect((await errorsOf((await putManifest(r.name, r.token, "bad%20tag", good)).res, 400))[0]!.code).toBe("MANIFEST_INVALID");
    const foreign = { ...good, layers: [{ mediaType: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", digest: `sha256:${"d".repeat(64)}`, size: 5, urls: ["https://example.com/x"] }] };
    expect((await putManifest(r.name, r.token, "foreign", foreign)).res.status).toBe(201);
  });

  it("stores manifests over 1 MiB in R2 and serves them byte for byte", async () => {
    const r = await ociRepo();
    const config = await pushBlob(r.name, r.token, "{}");
    const doc = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size },
      layers: [],
      annotations: { "org.example.big": "x".repeat(1_500_000), "org.example.small": "yes" },
    };
    const put = await putManifest(r.name, r.token, "big", doc);
    expect(put.res.status).toBe(201);
    const get = await oci(`/v2/${r.name}/manifests/big`, { auth: r.token });
    expect(get.headers.get("content-length")).toBe(String(put.size));
    expect(await sha256(new Uint8Array(await get.arrayBuffer()))).toBe(put.digest);
    const head = await oci(`/v2/${r.name}/manifests/${put.digest}`, { method: "HEAD", auth: r.token });
    expect(head.headers.get("docker-content-digest")).toBe(put.digest);
  });

  it("refuses manifests larger than 4 MiB with SIZE_INVALID", async () => {
    const r = await ociRepo();
    const res = await oci(`/v2/${r.name}/manifests/big`, { method: "PUT", auth: r.token, body: new Uint8Array(4 * 1024 * 1024 + 1), headers: { "Content-Type": OCI_MANIFEST } });
    expect((await errorsOf(res, 413))[0]!.code).toBe("SIZE_INVALID");
  });

  it("answers unknown manifests with 404 MANIFEST_UNKNOWN", async () => {
    const r = await ociRepo();
    await pushImage(r.name, r.token, "v1");
    expect((await errorsOf(await oci(`/v2/${r.name}/manifests/nope`, { auth: r.token }), 404))[0]!.code).toBe("MANIFEST_UNKNOWN");
    // a malformed tag names nothing: 404 on reads (the conformance suite's ".INVALID_MANIFEST_NAME")
    expect((await errorsOf(await oci(`/v2/${r.name}/manifests/.INVALID_MANIFEST_NAME`, { auth: r.token }), 404))[0]!.code).toBe("MANIFEST_UNKNOWN");
    expect((await oci(`/v2/${r.name}/manifests/.INVALID_MANIFEST_NAME`, { method: "HEAD", auth: r.token })).status).toBe(404);
    expect((await errorsOf(await oci(`/v2/${r.name}/manifests/sha256:${"e".repeat(64)}`, { auth: r.token }), 404))[0]!.code).toBe("MANIFEST_UNKNOWN");
  });

  it("lists tags in order with n, last and a Link header", async () => {
    const r = await ociRepo();
    const { manifest } = await pushImage(r.name, r.token, "a");
    for (const t of ["d", "c", "b"]) expect((await putManifest(r.name, r.token, t, manifest.body)).res.status).toBe(201);
    const all = await oci(`/v2/${r.name}/tags/list`, { auth: r.token });
    expect(await all.json()).toEqual({ name: r.name, tags: ["a", "b", "c", "d"] });
    const page = await oci(`/v2/${r.name}/tags/list?n=2`, { auth: r.token });
    expect(await page.json()).toEqual({ name: r.name, tags: ["a", "b"] });
    expect(page.headers.get("link")).toBe(`</v2/${r.name}/tags/list?n=2&last=b>; rel="next"`);
    const next = await oci(`/v2/${r.name}/tags/list?n=2&last=b`, { auth: r.token });
    expect(await next.json()).toEqual({ name: r.name, tags: ["c", "d"] });
    expect(next.headers.get("link")).toBeNull();
    expect(await (await oci(`/v2/${r.name}/tags/list?n=0`, { auth: r.token })).json()).toEqual({ name: r.name, tags: [] });
    expect((await errorsOf(await oci(`/v2/${r.prefix}/unknown/tags/list`, { auth: r.token }), 404))[0]!.code).toBe("NAME_UNKNOWN");
  });

  it("supports multi-segment image names", async () => {
    const r = await ociRepo();
    const name = `${r.prefix}/team/sub/app`;
    await pushImage(name, r.token, "v1");
    expect((await oci(`/v2/${name}/manifests/v1`, { auth: r.token })).status).toBe(200);
    expect(await (await oci(`/v2/${name}/tags/list`, { auth: r.token })).json()).toEqual({ name, tags: ["v1"] });
  });
});
