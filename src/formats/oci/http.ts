/** Small helpers shared by the OCI route files: request bodies, lengths, URLs. */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import { RegistryError } from "../../core/errors";
import { REFUSED_BODY_MAX, drain } from "../../core/block-reader";

export type Ctx = Context<AppEnv>;

/** Content-Length as a number, or null when absent (chunked transfer encoding). */
export function contentLength(c: Ctx): number | null {
  const v = c.req.header("content-length");
  if (v === undefined || v === "") return null;
  if (!/^\d+$/.test(v)) throw new RegistryError("InvalidContentLength", "Content-Length is not a number", { protocolCode: "SIZE_INVALID" });
  return Number(v);
}

/** The request body stream, or null when there is none (or it is declared empty). */
export function bodyOf(c: Ctx): ReadableStream<Uint8Array> | null {
  if (contentLength(c) === 0) return null;
  return c.req.raw.body;
}

/**
 * Runs a handler that takes a request body; when it fails before the body was read (or
 * handed on), drains the body first, so the client reads the error instead of a reset.
 */
export async function refusingUnreadBody(c: Ctx, handler: () => Promise<Response>): Promise<Response> {
  try {
    return await handler();
  } catch (e) {
    const body = c.req.raw.body;
    if (body && !c.req.raw.bodyUsed) await drain(body, REFUSED_BODY_MAX);
    throw e;
  }
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
