/**
 * Stream plumbing shared by the scanner's responses.
 * Invariant: a failure after a response started is reported in-band, as the stream's
 * last item (an NDJSON error line, an error frame), with a code and a message and no
 * internal detail (that goes to the log).
 */
import { RegistryError } from "../../core/errors";

export function asError(e: unknown): { code: string; message: string } {
  if (e instanceof RegistryError) return { code: e.code, message: e.message };
  console.error("internal API stream failed:", e);
  return { code: "InternalError", message: "the stream failed; the log has the cause" };
}

/** A response body pulling from `items`; a failure ends it with `failed(error)`. */
export function bodyOf(items: AsyncGenerator<Uint8Array>, failed: (e: { code: string; message: string }) => Uint8Array): ReadableStream<Uint8Array> {
  let finished = false;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      if (finished) return c.close();
      try {
        const next = await items.next();
        if (!next.done) return c.enqueue(next.value);
      } catch (e) {
        c.enqueue(failed(asError(e)));
      }
      finished = true;
      c.close();
    },
    async cancel() {
      await items.return(undefined);
    },
  });
}

/** The first `limit` bytes of a stream (fewer if it ends first); the rest is not read. */
export async function readHead(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const out = new Uint8Array(limit);
  let filled = 0;
  const reader = stream.getReader();
  try {
    while (filled < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      const k = Math.min(value.byteLength, limit - filled);
      out.set(value.subarray(0, k), filled);
      filled += k;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return out.subarray(0, filled);
}
