/**
 * The one read path for stored bytes: every protocol's download (OCI blobs, npm
 * tarballs, PyPI files, jars, crates, module zips, generic files) answers through
 * `sendStored`, so all of them get the same Range, conditional and HEAD behaviour.
 *
 * Invariants:
 * - Every response carries a Content-Type (wrangler dev gzips responses without one,
 *   and bodies must come back byte for byte), an ETag (the sha256 digest, which never
 *   changes for these bytes), Accept-Ranges and Content-Length.
 * - `If-None-Match` with the digest answers 304; one `bytes=` range answers 206, a range
 *   past the end 416 (its Content-Range names the size); any other Range is ignored and
 *   the whole body served (RFC 9110 §14.2).
 * - A HEAD never opens the R2 object; a GET opens it once, for exactly the bytes sent,
 *   from the edge cache when it holds them (services/artifacts openBytes).
 * - Generated documents already in memory (repository indexes) answer through the same
 *   path (`sendBytes`), their ETag the digest of their bytes.
 * - Security blocks, licence refusals and quarantine holds are the caller's to check
 *   (services/policy enforceVersion / enforceDownload, on the policy columns that came
 *   with the file: from D1, or from the package document this isolate read within its
 *   2 s window, services/artifacts reads.ts) before `sendFile`; bytes are only ever
 *   looked up by digest after that check, so no cached bytes can outlive a block longer
 *   than the row they came with.
 * - A package file's successful GET (200, or 206 from byte 0: a client's first range)
 *   is a download: `sendFile` hands it to the download log (services/artifacts
 *   recordDownload, a queue message sent after the response), unless the format says the
 *   file is metadata (`record: false`: a Go .mod, a PyPI .metadata).
 * - An upstream repo's cache miss streams the upstream's verified bytes as they arrive
 *   (`sendStreamed`): a whole 200 (a Range is ignored, as RFC 9110 allows), with the
 *   same Content-Type and checksum headers a hit gets and `X-Orbitalreg-Cache: MISS`;
 *   the next request for it is a hit served by `sendStored`. Policy and the download
 *   log are applied before and after it by services/proxy pullThrough (enforceMiss,
 *   recordDownload once the version's file is recorded), with the same outcome as here.
 */
import type { Context } from "hono";
import type { AppEnv } from "./types";
import { openBytes, recordDownload, type StoredFile } from "../services/artifacts";
import { RegistryError, notFound } from "../core/errors";
import { contentRange, parseRange } from "../core/range";

export interface StoredBytes {
  digest: string;
  size: number;
  /** When the bytes were stored (Last-Modified), if known. */
  createdAt?: number;
}

export interface DownloadOptions {
  contentType: string;
  /** Extra headers (checksums, Docker-Content-Digest, Cache-Control, …). */
  headers?: Record<string, string>;
  /** Opens the stored object, or just the range asked for (a stream, or bytes in memory); null when it is gone. */
  open: (range?: { offset: number; length: number }) => Promise<{ body: ReadableStream | Uint8Array } | null>;
}

/** Conditional, ranged and HEAD answers over `open` (policy checks are the caller's, made before). */
export async function sendStored(c: Context<AppEnv>, stored: StoredBytes, opts: DownloadOptions): Promise<Response> {
  const headers = new Headers(opts.headers);
  headers.set("Content-Type", opts.contentType);
  headers.set("ETag", `"${stored.digest}"`);
  headers.set("Accept-Ranges", "bytes");
  if (stored.createdAt !== undefined) headers.set("Last-Modified", new Date(stored.createdAt).toUTCString());
  if (c.req.header("if-none-match") === `"${stored.digest}"`) return new Response(null, { status: 304, headers });
  const range = parseRange(c.req.header("range"), stored.size);
  if (range.kind === "unsatisfiable") {
    throw new RegistryError("RangeNotSatisfiable", `the range is outside the ${stored.size}-byte content`, {
      headers: { "Content-Range": `bytes */${stored.size}` },
    });
  }
  const partial = range.kind === "partial";
  headers.set("Content-Length", String(partial ? range.length : stored.size));
  if (partial) headers.set("Content-Range", contentRange(range.offset, range.length, stored.size));
  const status = partial ? 206 : 200;
  if (c.req.method === "HEAD") return new Response(null, { status, headers });
  const object = await opts.open(partial ? { offset: range.offset, length: range.length } : undefined);
  if (!object) throw notFound("Blob", `the content ${stored.digest} is missing`);
  return new Response(object.body, { status, headers });
}

/**
 * A package file of a repo (services/artifacts `storedFile`): its media type unless the
 * format says otherwise, `Cache-Control` by the repo's visibility unless the name can
 * be given other bytes later (`mutable`: generic paths), and the bytes through the edge
 * cache (keyed by digest, so a changed path never serves old bytes).
 */
export async function sendFile(
  c: Context<AppEnv>,
  repo: { id: string; projectId: string; format: string; visibility: string },
  stored: StoredFile,
  opts: { contentType?: string; headers?: Record<string, string>; mutable?: boolean; record?: boolean } = {},
): Promise<Response> {
  const scope = c.var.scope;
  const { file } = stored;
  const res = await sendStored(c, { digest: file.digest, size: file.size, createdAt: file.createdAt }, {
    contentType: opts.contentType ?? file.mediaType ?? "application/octet-stream",
    headers: { ...(opts.mutable ? {} : { "Cache-Control": immutableCacheControl(repo) }), ...opts.headers },
    open: async (range) => (stored.bytes ? bytesBody(stored.bytes, range) : openBytes(scope, { digest: file.digest, size: file.size, r2Key: stored.r2Key }, range)),
  });
  const whole = res.status === 200 || (res.status === 206 && res.headers.get("content-range")?.startsWith("bytes 0-"));
  if (c.req.method === "GET" && whole && opts.record !== false) {
    recordDownload(scope, { repo, versionId: file.versionId, file: file.name, digest: file.digest, userAgent: c.req.header("user-agent") ?? null });
  }
  return res;
}

/** Bytes in memory (a generated index document) through the same read path. */
export function sendBytes(
  c: Context<AppEnv>,
  doc: { bytes: Uint8Array; sha256: string; builtAt?: number },
  opts: { contentType: string; headers?: Record<string, string> },
): Promise<Response> {
  return sendStored(c, { digest: `sha256:${doc.sha256}`, size: doc.bytes.byteLength, createdAt: doc.builtAt }, {
    ...opts,
    open: async (range) => bytesBody(doc.bytes, range),
  });
}

// Bytes in memory go out as bytes: no stream to set up, and the runtime knows their length.
const bytesBody = (bytes: Uint8Array, range?: { offset: number; length: number }) => ({ body: range ? bytes.subarray(range.offset, range.offset + range.length) : bytes });

/** Content that never changes under its URL: cacheable for a year, by shared caches only when the repo is public. */
export const immutableCacheControl = (repo: { visibility: string }) => `${repo.visibility === "public" ? "public" : "private"}, max-age=31536000, immutable`;

/** What a response says about an upstream repo's cache: `HIT`, `MISS`, `REVALIDATED` or `STALE` (see docs/proxy.md). */
export const CACHE_HEADER = "X-Orbitalreg-Cache";

/** Headers that mark an answer as served from an upstream repo's cache after the upstream failed. */
export function cacheStateHeaders(state: string): Record<string, string> {
  return state === "STALE" ? { [CACHE_HEADER]: state, Warning: '110 - "Response is Stale"' } : { [CACHE_HEADER]: state };
}

/** A cache miss of an upstream repo: the upstream's bytes, verified as they stream (services/proxy/pull.ts). */
export function sendStreamed(
  c: Context<AppEnv>,
  miss: { body: ReadableStream<Uint8Array>; size: number | null; digest?: string | null },
  opts: { contentType: string; headers?: Record<string, string> },
): Response {
  const headers = new Headers(opts.headers);
  headers.set("Content-Type", opts.contentType);
  headers.set(CACHE_HEADER, "MISS");
  if (miss.digest) headers.set("ETag", `"${miss.digest}"`);
  if (miss.size !== null) headers.set("Content-Length", String(miss.size));
  if (c.req.method === "HEAD") {
    void miss.body.cancel().catch(() => undefined);
    return new Response(null, { status: 200, headers });
  }
  return new Response(miss.body, { status: 200, headers });
}
