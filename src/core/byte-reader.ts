/**
 * Reads a request body in pieces: exact-length prefixes (framing headers, length-
 * prefixed JSON) and then the rest as a stream, without buffering the rest.
 * Invariant: bytes come out in order, each exactly once; `readExact` fails on a body
 * that ends early instead of returning a short read.
 */
export class ByteReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private pending: Uint8Array = new Uint8Array(0);

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  /** Exactly `n` bytes, or null if the body ended first. */
  async readExact(n: number): Promise<Uint8Array | null> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (this.pending.byteLength === 0) {
        const { done, value } = await this.reader.read();
        if (done) return null;
        this.pending = value;
        continue;
      }
      const take = Math.min(n - filled, this.pending.byteLength);
      out.set(this.pending.subarray(0, take), filled);
      this.pending = this.pending.subarray(take);
      filled += take;
    }
    return out;
  }

  async readUint32LE(): Promise<number | null> {
    const b = await this.readExact(4);
    return b ? new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true) : null;
  }

  /** Everything not read yet, as a stream. */
  rest(): ReadableStream<Uint8Array> {
    const reader = this.reader;
    let first: Uint8Array | null = this.pending.byteLength ? this.pending : null;
    this.pending = new Uint8Array(0);
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (first) {
          controller.enqueue(first);
          first = null;
          return;
        }
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
  }
}

/**
 * Passes exactly `n` bytes through; fails with `onError()` when the stream ends early
 * or carries more, so a short body is reported before a sink sees a clean close.
 */
export function exactLength(n: number, onError: (got: number) => Error): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > n) throw onError(seen);
      controller.enqueue(chunk);
    },
    flush() {
      if (seen !== n) throw onError(seen);
    },
  });
}

/** Reads a whole (small) body, failing with `tooLarge()` as soon as it passes `max` bytes. */
export async function readCapped(stream: ReadableStream<Uint8Array> | null, max: number, tooLarge: () => Error): Promise<Uint8Array> {
  if (!stream) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return concatChunks(chunks, size);
}

/** The chunks as one array (`total`: their summed length, when the caller counted it). */
export function concatChunks(chunks: readonly Uint8Array[], total = chunks.reduce((n, c) => n + c.byteLength, 0)): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
