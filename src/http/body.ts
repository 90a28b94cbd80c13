/**
 * Reading request bodies that a protocol requires whole (npm's JSON packument with
 * base64 attachments).
 * Invariant: never holds more than `max` bytes: a declared Content-Length above it is
 * refused before reading, and an undeclared (chunked) body is counted as it streams
 * and abandoned the moment it passes the cap.
 */
import { RegistryError } from "../core/errors";
import { readCapped as readStreamCapped } from "../core/byte-reader";

const tooLarge = (max: number) =>
  new RegistryError("PayloadTooLargeBody", `the request body is larger than the ${max} bytes allowed here`);

export async function readCapped(request: Request, max: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
  return readStreamCapped(request.body, max, () => tooLarge(max));
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
