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
 * - A HEAD never opens the R2 object; a GET opens it once, for exactly the bytes sent.
 * - Generated documents already in memory (repository indexes) answer through the same
 *   path (`sendBytes`), their ETag the digest of their bytes.
 */
import type { Context } from "hono";
import type { AppEnv } from "./types";
import { readBlob, recordDownload, type FileRow } from "../services/artifacts";
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
  /** Opens the stored object, or just the range asked for; null when it is gone. */
  open: (range?: { offset: number; length: number }) => Promise<{ body: ReadableStream } | null>;
}

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
 * A package file (a `files` row) of a repo: its media type unless the format says
 * otherwise. A GET records the download of its version (off the request path).
 */
export function sendFile(c: Context<AppEnv>, repoId: string, file: FileRow, opts: { contentType?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const scope = c.var.scope;
  if (c.req.method === "GET") recordDownload(scope, { repoId, kind: "version", versionId: file.versionId });
  return sendStored(c, file, {
    contentType: opts.contentType ?? file.mediaType ?? "application/octet-stream",
    headers: opts.headers,
    open: async (range) => (await readBlob(scope, repoId, file.digest, range))?.object ?? null,
  });
}

/** Bytes in memory (a generated index document) through the same read path. */
export function sendBytes(
  c: Context<AppEnv>,
  doc: { bytes: Uint8Array; sha256: string; builtAt?: number },
  opts: { contentType: string; headers?: Record<string, string> },
): Promise<Response> {
  return sendStored(c, { digest: `sha256:${doc.sha256}`, size: doc.bytes.byteLength, createdAt: doc.builtAt }, {
    ...opts,
    open: async (range) => ({ body: new Blob([range ? doc.bytes.subarray(range.offset, range.offset + range.length) : doc.bytes]).stream() }),
  });
}
