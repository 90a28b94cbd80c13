/**
 * Reads a request body in pieces: exact-length prefixes (framing headers, length-
 * prefixed JSON) and then the rest as a stream, without buffering the rest.
 * Invariants: bytes come out in order, each exactly once; `readExact` returns null on
 * a body that ends early instead of returning a short read; a body that breaks off
 * (a failed read, or an end before its declared length) throws `bodyBroken`, from
 * `readExact` and from the `rest()` stream.
 */
import { REFUSED_BODY_MAX, asBodyError, bodyBroken, drain } from "./block-reader";

export class ByteReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private pending: Uint8Array = new Uint8Array(0);
  /** Bytes taken from the stream so far. */
  private received = 0;

  constructor(
    stream: ReadableStream<Uint8Array>,
    private readonly declared: number | null = null,
  ) {
    this.reader = stream.getReader();
  }

  /** The next chunk; a failed read, or an end before the declared length, is `bodyBroken`. */
  private async pull(): Promise<ReadableStreamReadResult<Uint8Array>> {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await this.reader.read();
    } catch (e) {
      throw asBodyError(e, this.received, this.declared);
    }
    if (!r.done) this.received += r.value.byteLength;
    else if (this.declared !== null && this.received < this.declared) throw bodyBroken(this.received, this.declared);
    return r;
  }

  /** Exactly `n` bytes, or null if the body ended first. */
  async readExact(n: number): Promise<Uint8Array | null> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (this.pending.byteLength === 0) {
        const { done, value } = await this.pull();
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
    const pull = () => this.pull();
    let first: Uint8Array | null = this.pending.byteLength ? this.pending : null;
    this.pending = new Uint8Array(0);
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (first) {
          controller.enqueue(first);
          first = null;
          return;
        }
        const { done, value } = await pull();
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

/**
 * Reads a whole (small) body, failing with `tooLarge()` as soon as it passes `max` bytes.
 * With `requestBody`, a failed read (or an end before `declared` bytes) is `bodyBroken`
 * and a refused body is drained (up to REFUSED_BODY_MAX), so the client reads the
 * refusal instead of a reset; any other stream (a response, an inflater) keeps its own
 * errors and is cancelled when refused.
 */
export async function readCapped(
  stream: ReadableStream<Uint8Array> | null,
  max: number,
  tooLarge: () => Error,
  { requestBody = false, declared = null }: { requestBody?: boolean; declared?: number | null } = {},
): Promise<Uint8Array> {
  if (!stream) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch (e) {
      throw requestBody ? asBodyError(e, size, declared) : e;
    }
    if (r.done) {
      if (requestBody && declared !== null && size < declared) throw bodyBroken(size, declared);
      break;
    }
    const value = r.value;
    size += value.byteLength;
    if (size > max) {
      if (requestBody) {
        reader.releaseLock();
        await drain(stream, REFUSED_BODY_MAX);
      } else {
        await reader.cancel().catch(() => undefined);
      }
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
