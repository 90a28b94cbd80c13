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

/**
 * `source` gzipped, on demand: workerd's CompressionStream takes every write at once (its
 * writable never pushes back), so a pipe into it reads the whole source into memory
 * when the client is slower than the source. Here input goes in only while the client
 * is waiting for output:
 *
 *   pull():  until the compressor has output: write one more chunk of `source` (or close it)
 *            then hand the client that output
 *
 * so what is held is at most what zlib has not yet emitted (output is looked for after
 * each chunk, one timer turn later: zlib's output is not there within the same turn).
 */
export function gzipOnDemand(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const gz = new CompressionStream("gzip");
  const writer = gz.writable.getWriter();
  const output = gz.readable.getReader();
  const input = source.getReader();
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  let inputDone = false;
  const tick = () => new Promise<null>((r) => setTimeout(() => r(null), 0));
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        pending ??= output.read();
        for (;;) {
          const ready = inputDone ? await pending : await Promise.race([pending, tick()]);
          if (ready) {
            pending = null;
            if (ready.done) c.close();
            else c.enqueue(ready.value);
            return;
          }
          const next = await input.read();
          if (next.done) {
            inputDone = true;
            await writer.close();
          } else {
            await writer.write(next.value);
          }
        }
      },
      async cancel(reason) {
        await input.cancel(reason).catch(() => undefined);
        await writer.abort(reason).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
