/** An error as a stream reports it in-band (an NDJSON line, a frame header): code and message, no 5xx detail. */
import { RegistryError } from "../../core/errors";

export function asError(e: unknown): { code: string; message: string } {
  if (e instanceof RegistryError) return { code: e.code, message: e.message };
  console.error("internal API stream failed:", e);
  return { code: "InternalError", message: "the stream failed; the log has the cause" };
}
