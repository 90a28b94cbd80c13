/**
 * An artifact's stored parts as one tar.gz stream (`GET /internal/…/archive`).
 *
 *   for each part:  tar header from the size D1 recorded → the R2 body piped through
 *                   → padding;   then the end blocks;   all through CompressionStream("gzip")
 *
 * Invariants:
 * - Never buffers a part: each R2 body is piped as it comes (constant memory, any size;
 *   sizes past 8 GiB get pax headers), one part open at a time.
 * - A part's stored object must be exactly its recorded size; a missing or different one
 *   errors the stream (the client sees a truncated gzip, never a well-formed archive with
 *   wrong contents).
 * - gzip is CompressionStream's (about 35 MB/s of incompressible input per core here,
 *   and CPU time a Worker is billed and limited on): `?format=tar` skips it for large
 *   archives of already-compressed layers.
 * - An image is written as an OCI image layout (`oci-layout`, `index.json`,
 *   `blobs/sha256/<hex>`), which `skopeo copy oci-archive:` reads.
 */
import type { Scope } from "../scope";
import { openPartSized, type Part, type Subject } from "./artifact";
import { gzipOnDemand } from "./streams";
import { TAR_END, tarHeader, tarPadding } from "../../core/archive/tar-writer";

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** The in-memory members an image layout adds in front of its blobs. */
function layoutMembers(s: Subject, parts: Part[]): Part[] {
  if (s.type !== "image") return [];
  const top = parts[0]!;
  const index = { schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [{ mediaType: top.mediaType, digest: top.digest, size: top.size, ...(s.tag ? { annotations: { "org.opencontainers.image.ref.name": s.tag } } : {}) }] };
  const mk = (name: string, bytes: Uint8Array): Part => ({ name, digest: "", size: bytes.byteLength, mediaType: "application/json", inline: bytes });
  return [mk("oci-layout", json({ imageLayoutVersion: "1.0.0" })), mk("index.json", json(index))];
}

/**
 * The tar.gz (or, `gzip: false`, plain tar) stream of `parts`; errors the stream when a
 * part's bytes are missing or the wrong size.
 */
export function archiveStream(scope: Scope, s: Subject, parts: Part[], opts: { gzip: boolean } = { gzip: true }): ReadableStream<Uint8Array> {
  const repoId = s.opened.repo.id;
  const members = [...layoutMembers(s, parts), ...parts];
  const mtime = s.type === "image" ? s.manifest.createdAt : s.version.createdAt;
  // R2 bodies are piped natively into an identity stream (no JS hop per chunk, and it
  // pushes back: nothing is read ahead of the client); gzip pulls from it on demand.
  const out = new IdentityTransformStream();
  const put = async (bytes: Uint8Array) => {
    const writer = out.writable.getWriter();
    await writer.write(bytes);
    writer.releaseLock();
  };
  const write = async () => {
    try {
      for (const part of members) {
        await put(tarHeader(part.name, part.size, mtime));
        const opened = await openPartSized(scope, repoId, part);
        if (!opened) throw new Error(`the content of ${part.name} (${part.digest}) is missing`);
        if (opened.size !== part.size) {
          await opened.body.cancel();
          throw new Error(`${part.name} is stored as ${opened.size} bytes, not its recorded ${part.size}`);
        }
        await opened.body.pipeTo(out.writable, { preventClose: true, preventAbort: true });
        const pad = tarPadding(part.size);
        if (pad.length) await put(pad);
      }
      await put(TAR_END);
      await out.writable.close();
    } catch (e) {
      console.error(`internal archive of ${s.opened.repo.id} broke off:`, e);
      await out.writable.abort(e).catch(() => undefined);
    }
  };
  scope.waitUntil(write());
  return opts.gzip ? gzipOnDemand(out.readable) : out.readable;
}
