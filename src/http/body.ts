/**
 * Reading request bodies that a protocol requires whole (npm's JSON packument with
 * base64 attachments).
 * Invariants: never holds more than `max` bytes: a declared Content-Length above it is
 * refused before reading (the error answer drains the body, http/errors.ts), and an
 * undeclared (chunked) body is counted as it streams and drained, unkept, from the
 * moment it passes the cap; either way the client reads the 413 instead of a reset.
 * A body that breaks off is `bodyBroken` (400).
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./types";
import { config } from "../config";
import { RegistryError } from "../core/errors";
import { readCapped as readStreamCapped } from "../core/byte-reader";

const tooLarge = (max: number) =>
  new RegistryError("PayloadTooLargeBody", `the request body is larger than the ${max} bytes allowed here`);

export async function readCapped(request: Request, max: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
  return readStreamCapped(request.body, max, () => tooLarge(max), { requestBody: true, declared: Number.isFinite(declared) ? declared : null });
}

/** Parses a capped body as JSON; a body that isn't JSON is `InvalidJson`. */
export async function readJsonCapped(request: Request, max: number): Promise<unknown> {
  const bytes = await readCapped(request, max);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new RegistryError("InvalidJson", "the request body is not valid JSON");
  }
}

const SHA256_HEX = /^[a-f0-9]{64}$/;

/**
 * A request body a use-case streams into the blob store, with its declared length and
 * the digest an optional `X-Checksum-Sha256` header declares (checked for shape here,
 * against the bytes by the blob store). Nothing is read.
 */
export function streamedUpload(request: Request): { body: ReadableStream<Uint8Array>; length: number | null; sha256?: string } {
  const declared = request.headers.get("x-checksum-sha256")?.trim().toLowerCase();
  if (declared && !SHA256_HEX.test(declared)) throw new RegistryError("InvalidChecksum", "X-Checksum-Sha256 must be 64 hex digits");
  const length = request.headers.get("content-length");
  return {
    body: request.body ?? new ReadableStream({ start: (ctl) => ctl.close() }),
    length: length === null ? null : Number(length),
    sha256: declared || undefined,
  };
}

/**
 * Refuses, before a byte of it is read, a body longer than the Worker accepts in one
 * request (`ORBITALREG_MAX_REQUEST_BODY_BYTES`, set to the Cloudflare plan's limit, which
 * would otherwise cut the upload off with a bare 413 from the edge). The error says how
 * to get a large layer in: a client that pushes in chunks. A body without a length
 * (chunked transfer encoding) can't be judged here; the edge enforces the plan's limit.
 */
/** The largest body one request may carry (null: no limit of our own). */
export const maxRequestBodyBytes = (env: AppEnv["Bindings"]) => config(env).maxRequestBodyBytes;

export const requestBodyLimit = createMiddleware<AppEnv>(async function requestBodyLimit(c, next) {
  const max = config(c.env).maxRequestBodyBytes;
  const length = Number(c.req.header("content-length") ?? 0);
  if (max !== null && length > max) {
    throw new RegistryError(
      "PayloadTooLargeRequest",
      `the body is ${length} bytes and this registry accepts at most ${max} bytes in one request (its Cloudflare plan's limit). Push large layers in chunks of at most ${max} bytes: e.g. regclient's regctl (regctl image copy), which honours OCI-Chunk-Max-Length`,
      { detail: { length, max_bytes: max } },
    );
  }
  await next();
});
