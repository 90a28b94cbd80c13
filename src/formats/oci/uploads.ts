/**
 * `/v2/<name>/blobs/uploads/` (POST: start, monolithic, mount) and
 * `/v2/<name>/blobs/uploads/<uuid>` (PATCH chunk, PUT finish, GET status, DELETE cancel).
 * Invariants: every upload response carries Location (relative), Docker-Upload-UUID
 * and Range `0-<last byte>` (a started one also OCI-Chunk-Min-Length, a hint: smaller
 * chunks are taken too, and OCI-Chunk-Max-Length when the Worker caps request bodies); an out-of-order Content-Range answers 416 with the
 * current Range; the route never buffers a body (it streams to R2 or to the session
 * object, services/oci/uploads.ts).
 */
import type { Ctx } from "./http";
import { maxRequestBodyBytes } from "../../http/body";
import { blobUrl, bodyOf, contentLength, empty, uploadUrl } from "./http";
import { parseRange, uploadRange, type OciRoute, openImage, requireDigest, tryMount, uploadMonolithic, MIN_CHUNK_LENGTH, appendChunk, cancelUpload, finishUpload, startUpload, uploadStatus } from "../../services/oci";
import { RegistryError } from "../../core/errors";

type UploadsRoute = Extract<OciRoute, { kind: "uploads" }>;
type UploadRoute = Extract<OciRoute, { kind: "upload" }>;

const created = (name: string, digest: string) => empty(201, { Location: blobUrl(name, digest), "Docker-Content-Digest": digest });
const progress = (status: number, name: string, uuid: string, offset: number) =>
  empty(status, { Location: uploadUrl(name, uuid), Range: uploadRange(offset), "Docker-Upload-UUID": uuid });

/** Start offset from Content-Range, checked against Content-Length. */
function chunkStart(c: Ctx): number | null {
  const header = c.req.header("content-range");
  if (!header) return null;
  const range = parseRange(header);
  if (!range) throw new RegistryError("RangeNotSatisfiableContentRange", `Content-Range '${header}' is not start-end`);
  const length = contentLength(c);
  if (length !== null && length !== range.end - range.start + 1) {
    throw new RegistryError("RangeNotSatisfiableContentLength", "Content-Length does not match Content-Range");
  }
  return range.start;
}

export const uploads = {
  POST: async (c: Ctx, r: UploadsRoute) => {
    const scope = c.var.scope;
    const img = await openImage(scope, r.name, "write");
    const mount = c.req.query("mount");
    if (mount) {
      const mounted = await tryMount(scope, img, mount, c.req.query("from") ?? null);
      if (mounted) return created(r.name, mounted);
    }
    const digest = c.req.query("digest");
    if (digest !== undefined) {
      const body = bodyOf(c) ?? new ReadableStream<Uint8Array>({ start: (ctl) => ctl.close() });
      const stored = await uploadMonolithic(scope, img, digest, body, contentLength(c) ?? null);
      return created(r.name, stored.digest);
    }
    const uuid = await startUpload(scope, img);
    const started = progress(202, r.name, uuid, 0);
    started.headers.set("OCI-Chunk-Min-Length", String(MIN_CHUNK_LENGTH));
    // distribution-spec issue #485 (proposed): the largest chunk a request may carry.
    const max = maxRequestBodyBytes(c.env);
    if (max !== null) started.headers.set("OCI-Chunk-Max-Length", String(max));
    return started;
  },
};

export const upload = {
  GET: async (c: Ctx, r: UploadRoute) => {
    const img = await openImage(c.var.scope, r.name, "write");
    return progress(204, r.name, r.uuid, await uploadStatus(c.var.scope, img, r.uuid));
  },
  PATCH: async (c: Ctx, r: UploadRoute) => {
    const img = await openImage(c.var.scope, r.name, "write");
    const offset = await appendChunk(c.var.scope, img, r.uuid, bodyOf(c), chunkStart(c), contentLength(c));
    return progress(202, r.name, r.uuid, offset);
  },
  PUT: async (c: Ctx, r: UploadRoute) => {
    const img = await openImage(c.var.scope, r.name, "write");
    requireDigest(c.req.query("digest"));
    const body = bodyOf(c);
    const start = chunkStart(c);
    if (body || start !== null) await appendChunk(c.var.scope, img, r.uuid, body, start, contentLength(c), true);
    const done = await finishUpload(c.var.scope, img, r.uuid, c.req.query("digest"));
    return created(r.name, done.digest);
  },
  DELETE: async (c: Ctx, r: UploadRoute) => {
    const img = await openImage(c.var.scope, r.name, "write");
    await cancelUpload(c.var.scope, img, r.uuid);
    return empty(204, {});
  },
};
