/**
 * Serves a stored file (a `files` row) as an HTTP download: GET with `Range`, HEAD.
 * Invariants: every response carries a Content-Type (wrangler dev gzips responses
 * without one, and bodies must come back byte for byte), an ETag (the sha256 digest),
 * Accept-Ranges and Content-Length; a HEAD never opens the R2 object body.
 */
import type { Context } from "hono";
import type { AppEnv } from "./types";
import type { FileRow } from "../services/artifacts";
import { readBlob } from "../services/artifacts";
import { RegistryError, notFound } from "../core/errors";
import { contentRange, parseRange } from "../core/range";

export interface DownloadOptions {
  contentType?: string;
  /** Extra headers (checksums, Content-Disposition, …). */
  headers?: Record<string, string>;
}

export async function sendFile(c: Context<AppEnv>, repoId: string, file: FileRow, opts: DownloadOptions = {}): Promise<Response> {
  const headers = new Headers(opts.headers);
  headers.set("Content-Type", opts.contentType ?? file.mediaType ?? "application/octet-stream");
  headers.set("ETag", `"${file.digest}"`);
  headers.set("Accept-Ranges", "bytes");
  headers.set("Last-Modified", new Date(file.createdAt).toUTCString());
  if (c.req.header("if-none-match") === `"${file.digest}"`) return new Response(null, { status: 304, headers });
  const range = parseRange(c.req.header("range"), file.size);
  if (range.kind === "unsatisfiable") {
    throw new RegistryError("RangeNotSatisfiable", `the range is outside the ${file.size}-byte file`, {
      headers: { "Content-Range": `bytes */${file.size}` },
    });
  }
  const partial = range.kind === "partial";
  const length = partial ? range.length : file.size;
  headers.set("Content-Length", String(length));
  if (partial) headers.set("Content-Range", contentRange(range.offset, range.length, file.size));
  const status = partial ? 206 : 200;
  if (c.req.method === "HEAD") return new Response(null, { status, headers });
  const read = await readBlob(c.get("scope"), repoId, file.digest, partial ? { offset: range.offset, length: range.length } : undefined);
  if (!read) throw notFound("Blob", `the content of ${file.name} is missing`);
  return new Response(read.object.body, { status, headers });
}
