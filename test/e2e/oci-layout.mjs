// Builds OCI image layouts on disk for the e2e tests, without any network: tar layers
// written by hand, gzip-compressed (so skopeo pushes them unchanged), streamed to disk
// so a layer of hundreds of MB never sits in memory.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createGzip } from "node:zlib";
import { once } from "node:events";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

function tarHeader(name, size) {
  const h = Buffer.alloc(512, 0);
  h.write(name, 0, 100, "utf8");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(size.toString(8).padStart(11, "0") + "\0", 124);
  h.write("00000000000\0", 136);
  h.write("        ", 148);
  h.write("0", 156);
  h.write("ustar\0", 257);
  h.write("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return h;
}

export function newLayout(dir) {
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  return dir;
}

export function writeBlob(dir, data) {
  const hex = createHash("sha256").update(data).digest("hex");
  writeFileSync(join(dir, "blobs", "sha256", hex), data);
  return { digest: `sha256:${hex}`, size: data.length };
}

/**
 * A gzip-compressed tar layer holding one file of `size` bytes (random when `random`,
 * else repeated text), streamed to disk. Returns the blob descriptor and the diff id.
 */
export async function writeLayer(dir, fileName, size, random = true) {
  const tmp = join(dir, `layer-${randomBytes(4).toString("hex")}.tmp`);
  const out = createWriteStream(tmp);
  const gzip = createGzip({ level: 1 });
  const compressedHash = createHash("sha256");
  const diffHash = createHash("sha256");
  gzip.on("data", (c) => compressedHash.update(c));
  gzip.pipe(out);
  const write = async (buf) => {
    diffHash.update(buf);
    if (!gzip.write(buf)) await once(gzip, "drain");
  };
  await write(tarHeader(fileName, size));
  const CHUNK = 1024 * 1024;
  for (let left = size; left > 0; left -= CHUNK) {
    const n = Math.min(CHUNK, left);
    await write(random ? randomBytes(n) : Buffer.alloc(n, `${fileName}\n`));
  }
  const pad = (512 - (size % 512)) % 512;
  await write(Buffer.alloc(pad + 1024, 0));
  gzip.end();
  await once(out, "close");
  const hex = compressedHash.digest("hex");
  renameSync(tmp, join(dir, "blobs", "sha256", hex));
  return {
    layer: { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: `sha256:${hex}`, size: statSync(join(dir, "blobs", "sha256", hex)).size },
    diffId: `sha256:${diffHash.digest("hex")}`,
  };
}

/** An image (config + layers) for one platform; returns its manifest descriptor. */
export function writeImage(dir, layers, arch = "amd64") {
  const config = writeBlob(
    dir,
    Buffer.from(JSON.stringify({ architecture: arch, os: "linux", config: { Cmd: ["/bin/true"] }, rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) } })),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: layers.map((l) => l.layer),
    }),
  );
  return { mediaType: OCI_MANIFEST, ...writeBlob(dir, manifest), platform: { architecture: arch, os: "linux" } };
}

/** Writes index.json naming each descriptor by its tag (`org.opencontainers.image.ref.name`). */
export function writeIndex(dir, tagged) {
  const manifests = Object.entries(tagged).map(([tag, d]) => ({ ...d, annotations: { "org.opencontainers.image.ref.name": tag } }));
  writeFileSync(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests }));
}

/** sha256 (hex) of a file, streamed. */
export async function sha256File(path) {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk);
  return h.digest("hex");
}
