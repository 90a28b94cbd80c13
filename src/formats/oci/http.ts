/** Small helpers shared by the OCI route files: request bodies, lengths, URLs. */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import { RegistryError } from "../../core/errors";

export type Ctx = Context<AppEnv>;

/** Content-Length as a number, or null when absent (chunked transfer encoding). */
export function contentLength(c: Ctx): number | null {
  const v = c.req.header("content-length");
  if (v === undefined || v === "") return null;
  if (!/^\d+$/.test(v)) throw new RegistryError("InvalidContentLength", "Content-Length is not a number");
  return Number(v);
}

/** The request body stream, or null when there is none (or it is declared empty). */
export function bodyOf(c: Ctx): ReadableStream<Uint8Array> | null {
  if (contentLength(c) === 0) return null;
  return c.req.raw.body;
}

export const blobUrl = (name: string, digest: string) => `/v2/${name}/blobs/${digest}`;
export const uploadUrl = (name: string, uuid: string) => `/v2/${name}/blobs/uploads/${uuid}`;
export const manifestUrl = (name: string, ref: string) => `/v2/${name}/manifests/${ref}`;

/** `Link: <…?n=N&last=X>; rel="next"` for paginated lists. */
export function nextLink(path: string, n: string | undefined, last: string): string {
  const params = new URLSearchParams();
  if (n) params.set("n", n);
  params.set("last", last);
  return `<${path}?${params.toString()}>; rel="next"`;
}

export const empty = (status: number, headers: Record<string, string>) => new Response(null, { status, headers: { "Content-Length": "0", ...headers } });
