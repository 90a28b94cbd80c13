// A blob larger than 5 GiB (R2's largest single part, and past the 4 GiB limit of one
// streamed put): pushed as docker and podman send a layer (one PATCH, no length), then
// a Range read past 5 GiB, a manifest that references it, and the whole blob pulled back
// and compared by sha256. The bytes are generated and hashed on the fly, so the test
// needs no 5 GiB file, only the registry's own state on disk.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createCipheriv, createHash } from "node:crypto";
import { request } from "node:http";
import { Readable } from "node:stream";
import { URL_, send, setup } from "./lib.mjs";

const SIZE = 5 * 2 ** 30 + 2 ** 20 + 123;
const BLOCK = 2 ** 20;

/** Deterministic pseudo-random bytes: AES-128-CTR over zeros. */
function bytesAt(start, length) {
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(start / 16), 8); // every offset used here is a multiple of 16
  const cipher = createCipheriv("aes-128-ctr", Buffer.alloc(16, 7), iv);
  return cipher.update(Buffer.alloc(length));
}

function generated(size, onBlock) {
  let off = 0;
  return new Readable({
    read() {
      if (off >= size) return this.push(null);
      const n = Math.min(BLOCK, size - off);
      const block = bytesAt(off, Math.ceil(n / 16) * 16).subarray(0, n);
      onBlock(block);
      off += n;
      this.push(block);
    },
  });
}

/** GETs `path` and hashes the body as it streams, never holding it. */
function hashDownload(path, auth) {
  return new Promise((resolve, reject) => {
    request(`${URL_}${path}`, { headers: { Authorization: auth } }, (res) => {
      const hash = createHash("sha256");
      let size = 0;
      res.on("data", (c) => {
        hash.update(c);
        size += c.length;
      });
      res.on("end", () => resolve({ status: res.statusCode, size, digest: `sha256:${hash.digest("hex")}` }));
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
}

test("a 5 GiB+ layer: streamed PATCH push, Range past 5 GiB, manifest, pull back bit-identical", { timeout: 20 * 60_000 }, async (t) => {
  let t0 = performance.now();
  const lap = (what, bytes = SIZE) => {
    const s = (performance.now() - t0) / 1000;
    t.diagnostic(`${what}: ${s.toFixed(1)} s${bytes ? `, ${(bytes / 2 ** 20 / s).toFixed(0)} MiB/s` : ""}`);
    t0 = performance.now();
  };
  const ctx = await setup("docker");
  const auth = `Basic ${Buffer.from(`ci:${ctx.token}`).toString("base64")}`;
  const name = `${ctx.project.slug}/${ctx.repo.slug}/big`;

  const start = await send("POST", `/v2/${name}/blobs/uploads/`, auth, { "Content-Length": "0" });
  assert.equal(start.status, 202);
  const hash = createHash("sha256");
  const patched = await send("PATCH", start.headers.location, auth, { "Content-Type": "application/octet-stream", "Transfer-Encoding": "chunked" }, generated(SIZE, (b) => hash.update(b)));
  assert.equal(patched.status, 202, patched.body.toString());
  assert.equal(patched.headers.range, `0-${SIZE - 1}`);
  const digest = `sha256:${hash.digest("hex")}`;
  lap("push (one PATCH, no length)");
  const put = await send("PUT", `${patched.headers.location}?digest=${digest}`, auth, { "Content-Length": "0" });
  assert.equal(put.status, 201, put.body.toString());
  lap("finish (PUT ?digest=)", 0);

  const head = await send("HEAD", `/v2/${name}/blobs/${digest}`, auth, {});
  assert.equal(head.status, 200);
  assert.equal(Number(head.headers["content-length"]), SIZE);
  const from = 5 * 2 ** 30 + 4096;
  const range = await send("GET", `/v2/${name}/blobs/${digest}`, auth, { Range: `bytes=${from}-${from + 99}` });
  assert.equal(range.status, 206);
  assert.equal(range.headers["content-range"], `bytes ${from}-${from + 99}/${SIZE}`);
  assert.deepEqual(range.body, bytesAt(from, 112).subarray(0, 100));

  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
  const configDigest = `sha256:${createHash("sha256").update(config).digest("hex")}`;
  const cfg = await send("POST", `/v2/${name}/blobs/uploads/?digest=${configDigest}`, auth, { "Content-Length": String(config.length) }, Readable.from([config]));
  assert.equal(cfg.status, 201);
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest, size: SIZE }],
  };
  const body = Buffer.from(JSON.stringify(manifest));
  const tagged = await send("PUT", `/v2/${name}/manifests/huge`, auth, { "Content-Type": manifest.mediaType, "Content-Length": String(body.length) }, Readable.from([body]));
  assert.equal(tagged.status, 201, tagged.body.toString());

  const pulled = await hashDownload(`/v2/${name}/blobs/${digest}`, auth);
  lap("pull");
  assert.deepEqual(pulled, { status: 200, size: SIZE, digest });
});
