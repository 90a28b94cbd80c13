// The three things measured side by side: OrbitalReg, the floor Worker, and CNCF
// distribution (Debian's docker-registry). Each exposes the same operations.
import { request, expectStatus } from "./lib.mjs";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

/** An OCI registry (OrbitalReg or distribution) at `base`, image `name`, with optional auth header. */
export function registryTarget(label, base, name, auth) {
  const h = (extra = {}) => ({ ...(auth ? { Authorization: auth } : {}), ...extra });
  const abs = (loc) => new URL(loc, base).href;
  const withDigest = (loc, digest) => {
    const u = new URL(loc, base);
    u.searchParams.set("digest", digest);
    return u.href;
  };
  return {
    label,
    /** `blob`: {size, digest, open(start, end)} (lib.mjs makeBlob). */
    async pushMonolithic(blob) {
      const start = await expectStatus(await request(`${base}/v2/${name}/blobs/uploads/`, { method: "POST", headers: h({ "Content-Length": "0" }) }), 202, `${label} POST upload`);
      await expectStatus(
        await request(withDigest(start.headers.location, blob.digest), {
          method: "PUT",
          headers: h({ "Content-Type": "application/octet-stream", "Content-Length": String(blob.size) }),
          body: () => blob.open(),
        }),
        201,
        `${label} PUT blob`,
      );
    },
    async pushChunked(blob, chunk) {
      const upload = await this.startChunks();
      for (let off = 0; off < blob.size; off += chunk) await this.sendChunk(upload, blob, off, Math.min(blob.size, off + chunk) - 1);
      await this.finishChunks(upload, blob.digest);
    },
    /** A chunked upload, one step at a time: start, then a PATCH per chunk, then PUT ?digest=. */
    async startChunks() {
      const start = await expectStatus(await request(`${base}/v2/${name}/blobs/uploads/`, { method: "POST", headers: h({ "Content-Length": "0" }) }), 202, `${label} POST`);
      return { loc: start.headers.location };
    },
    async sendChunk(upload, blob, off, end) {
      const res = await expectStatus(
        await request(abs(upload.loc), {
          method: "PATCH",
          headers: h({ "Content-Type": "application/octet-stream", "Content-Length": String(end - off + 1), "Content-Range": `${off}-${end}` }),
          body: () => blob.open(off, end),
        }),
        202,
        `${label} PATCH`,
      );
      upload.loc = res.headers.location;
    },
    async finishChunks(upload, digest) {
      await expectStatus(await request(withDigest(upload.loc, digest), { method: "PUT", headers: h({ "Content-Length": "0" }) }), 201, `${label} PUT`);
    },
    /** skopeo/docker: POST, one PATCH with the whole blob and its Content-Length, PUT ?digest= with no body. */
    async pushPatch(blob) {
      await this.pushOnePatch(blob, { "Content-Length": String(blob.size) });
    },
    /** podman: like pushPatch, but the PATCH body has chunked transfer encoding (no length). */
    async pushStreamed(blob) {
      await this.pushOnePatch(blob, {});
    },
    async pushOnePatch(blob, lengthHeader) {
      const start = await expectStatus(await request(`${base}/v2/${name}/blobs/uploads/`, { method: "POST", headers: h({ "Content-Length": "0" }) }), 202, `${label} POST`);
      const res = await expectStatus(
        await request(abs(start.headers.location), { method: "PATCH", headers: h({ "Content-Type": "application/octet-stream", ...lengthHeader }), body: () => blob.open() }),
        202,
        `${label} PATCH`,
      );
      await expectStatus(await request(withDigest(res.headers.location, blob.digest), { method: "PUT", headers: h({ "Content-Length": "0" }) }), 201, `${label} PUT`);
    },
    async pull(digest) {
      const res = await request(`${base}/v2/${name}/blobs/${digest}`, { headers: h(), sink: true });
      if (res.status !== 200) throw new Error(`${label} pull: HTTP ${res.status}`);
      return res.bytes;
    },
    async putManifest(tag, bytes) {
      await expectStatus(await request(`${base}/v2/${name}/manifests/${tag}`, { method: "PUT", headers: h({ "Content-Type": OCI_MANIFEST }), body: bytes }), 201, `${label} PUT manifest`);
    },
    manifestUrl: (tag) => `${base}/v2/${name}/manifests/${tag}`,
    manifestHeaders: h({ Accept: OCI_MANIFEST }),
  };
}

/** The floor Worker: the same byte movements with nothing but R2 in between. */
export function floorTarget(base) {
  return {
    label: "floor",
    async pushMonolithic(blob) {
      await expectStatus(await request(`${base}/obj/${blob.digest}`, { method: "PUT", headers: { "Content-Length": String(blob.size) }, body: () => blob.open() }), 201, "floor PUT");
    },
    /** One request with a known length is one put: the same floor as pushMonolithic. */
    async pushPatch(blob) {
      await this.pushMonolithic(blob);
    },
    // No pushStreamed: R2 refuses a body of unknown length, so there is no bare floor for it.
    async pushChunked(blob, chunk) {
      const upload = await this.startChunks(blob.digest);
      for (let off = 0; off < blob.size; off += chunk) await this.sendChunk(upload, blob, off, Math.min(blob.size, off + chunk) - 1);
      await this.finishChunks(upload);
    },
    /** The same steps as a registry's chunked upload: one multipart upload, a part per chunk. */
    async startChunks(digest = "blob") {
      const key = `chunked/${digest}/${Date.now()}`;
      const { uploadId } = JSON.parse((await expectStatus(await request(`${base}/mpu/${key}`, { method: "POST" }), 200, "floor mpu")).body);
      return { key, uploadId, parts: [] };
    },
    async sendChunk(upload, blob, off, end) {
      const n = upload.parts.length + 1;
      const res = await expectStatus(
        await request(`${base}/mpu/${upload.key}/${n}?uploadId=${encodeURIComponent(upload.uploadId)}`, { method: "PUT", headers: { "Content-Length": String(end - off + 1) }, body: () => blob.open(off, end) }),
        200,
        "floor part",
      );
      upload.parts.push(JSON.parse(res.body));
    },
    async finishChunks(upload) {
      await expectStatus(await request(`${base}/mpu/${upload.key}/complete?uploadId=${encodeURIComponent(upload.uploadId)}`, { method: "POST", body: JSON.stringify(upload.parts) }), 201, "floor complete");
    },
    async pull(digest) {
      const res = await request(`${base}/obj/${digest}`, { sink: true });
      if (res.status !== 200) throw new Error(`floor pull: HTTP ${res.status}`);
      return res.bytes;
    },
    async putManifest(tag, bytes) {
      await expectStatus(await request(`${base}/obj/manifest-${tag}`, { method: "PUT", headers: { "Content-Length": String(bytes.length) }, body: bytes }), 201, "floor manifest");
    },
    manifestUrl: (tag) => `${base}/obj/manifest-${tag}`,
    manifestHeaders: {},
  };
}
