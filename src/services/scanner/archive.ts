/**
 * An artifact's stored parts as one tar.gz stream (`GET /internal/…/archive`).
 *
 *   for each part:  tar header from the size D1 recorded → the R2 body piped through
 *                   → padding;   then the end blocks;   all through CompressionStream("gzip")
 *
 * Invariants:
 * - Never buffers a part: each R2 body is piped as it comes (constant memory, any size;
 *   sizes past 8 GiB get pax headers), one part open at a time.
 * - A part's bytes must be exactly its recorded size; a short or missing object errors
 *   the stream (the client sees a truncated gzip, never a well-formed archive with
 *   wrong contents).
 * - An image is written as an OCI image layout (`oci-layout`, `index.json`,
 *   `blobs/sha256/<hex>`), which `skopeo copy oci-archive:` reads.
 */
import type { Scope } from "../scope";
import { openPart, type Part, type Subject } from "./artifact";
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

/** The tar.gz stream of `parts` (errors the stream when a part's bytes are missing or the wrong size). */
export function archiveStream(scope: Scope, s: Subject, parts: Part[]): ReadableStream<Uint8Array> {
  const repoId = s.opened.repo.id;
  const members = [...layoutMembers(s, parts), ...parts];
  const mtime = s.type === "image" ? s.manifest.createdAt : s.version.createdAt;
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const write = async () => {
    const writer = writable.getWriter();
    try {
      for (const part of members) {
        await writer.write(tarHeader(part.name, part.size, mtime));
        const body = await openPart(scope, repoId, part);
        if (!body) throw new Error(`the content of ${part.name} (${part.digest}) is missing`);
        let written = 0;
        const reader = body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          written += value.byteLength;
          if (written > part.size) throw new Error(`${part.name} is longer than its recorded ${part.size} bytes`);
          await writer.write(value);
        }
        if (written !== part.size) throw new Error(`${part.name} is ${written} bytes, not its recorded ${part.size}`);
        const pad = tarPadding(part.size);
        if (pad.length) await writer.write(pad);
      }
      await writer.write(TAR_END);
      await writer.close();
    } catch (e) {
      console.error(`internal archive of ${s.opened.repo.id} broke off:`, e);
      await writer.abort(e).catch(() => undefined);
    }
  };
  scope.waitUntil(write());
  return readable.pipeThrough(new CompressionStream("gzip"));
}
