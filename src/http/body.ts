/**
 * Reading request bodies that a protocol requires whole (npm's JSON packument with
 * base64 attachments).
 * Invariant: never holds more than `max` bytes: a declared Content-Length above it is
 * refused before reading, and an undeclared (chunked) body is counted as it streams
 * and abandoned the moment it passes the cap.
 */
import { RegistryError } from "../core/errors";

const tooLarge = (max: number) =>
  new RegistryError("PayloadTooLargeBody", `the request body is larger than the ${max} bytes allowed here`);

export async function readCapped(request: Request, max: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
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
