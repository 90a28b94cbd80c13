/**
 * Reads a byte stream in large blocks.
 *
 * Request bodies reach a Worker in ~4 KiB chunks, and every chunk that passes through
 * JavaScript (a TransformStream step, an awaited hash write, a copy) costs far more
 * than its bytes: under `wrangler dev` a per-chunk hashing transform doubles the CPU
 * of an upload. Reading through a BYOB reader with workerd's `readAtLeast` lets the
 * runtime fill a whole block natively, so the JavaScript above it runs once per block.
 *
 * Invariants:
 * - Bytes come out in order, each exactly once; `read(max)` returns 1..max bytes, at
 *   least min(max, BLOCK) unless the stream ends, and null once it has ended.
 * - A read that fails (a dropped connection) throws, and the bytes of that block are
 *   lost: what earlier reads returned is all the caller may count on.
 * - Streams that refuse BYOB reads (ones built in JavaScript) are regrouped in
 *   JavaScript into the same blocks.
 * - A caller that is done with a block (hashed, written, copied, and every write of it
 *   settled) may `release` it: the next read fills the same memory. A fresh 1 MiB
 *   buffer per block costs page faults and frees, measurable under workerd.
 */
import type { Hasher } from "./hasher";

export const BLOCK = 1024 * 1024;
/** How much of a refused body `drain` reads before giving up on it (a few chunks' worth). */
export const REFUSED_BODY_MAX = 64 * 1024 * 1024;

/** A body that ended cleanly before its declared length. */
export class ShortBody extends Error {}

/**
 * Copies exactly `length` bytes from `blocks` into `writer`, hashing each block on the
 * way and recycling its memory. Returns what stopped the body early (its read error, or
 * a ShortBody), or null once `length` bytes are written; a failing writer throws.
 * Closing or aborting the writer, and reading past `length`, are the caller's.
 */
export async function copyBlocks(blocks: BlockReader, writer: WritableStreamDefaultWriter<Uint8Array>, length: number, hasher: Hasher | null): Promise<unknown> {
  let received = 0;
  while (received < length) {
    let block: Uint8Array | null;
    try {
      block = await blocks.read(length - received);
    } catch (e) {
      return e;
    }
    if (!block) return new ShortBody(`the body ended after ${received} of ${length} bytes`);
    received += block.byteLength;
    await Promise.all([hasher?.update(block), writer.write(block)]);
    blocks.release(block);
  }
  return null;
}

/**
 * Reads and drops up to `max` bytes of a body the server refuses without reading it, so
 * that the client gets to read the answer. A server that answers while a large body is
 * still arriving, and then closes the connection, makes the client see a reset (through
 * wrangler's proxy: "Network connection lost.") instead of the 416 or 404 it should act
 * on. Past `max` the body is cancelled: a refused client that keeps sending gets the
 * reset. Never throws (a body that breaks is done).
 */
export async function drain(body: ReadableStream<Uint8Array>, max: number): Promise<void> {
  let blocks: BlockReader;
  try {
    blocks = new BlockReader(body);
  } catch {
    return; // already read, or handed on: not ours to drain
  }
  try {
    for (let seen = 0; seen <= max; ) {
      const block = await blocks.read(BLOCK);
      if (!block) return;
      seen += block.byteLength;
      blocks.release(block);
    }
    await blocks.cancel(new Error(`a refused body is drained up to ${max} bytes`));
  } catch {
    await blocks.cancel();
  }
}

export class BlockReader {
  private readonly byob: ReadableStreamBYOBReader | null;
  private readonly chunks: ReadableStreamDefaultReader<Uint8Array> | null;
  private spare: ArrayBuffer | null = null;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    let byob: ReadableStreamBYOBReader | null = null;
    try {
      byob = stream.getReader({ mode: "byob" });
    } catch {
      byob = null; // not a byte stream
    }
    this.byob = byob;
    this.chunks = byob ? null : stream.getReader();
  }

  async read(max: number): Promise<Uint8Array | null> {
    if (this.ended || max <= 0) return null;
    const want = Math.min(max, BLOCK);
    if (this.byob) {
      const buffer = this.spare ?? new ArrayBuffer(BLOCK);
      this.spare = null;
      const { done, value } = await this.byob.readAtLeast(want, new Uint8Array(buffer, 0, want));
      if (value && value.byteLength > 0) return value;
      if (done) this.ended = true;
      return done ? null : this.read(max);
    }
    while (this.pendingBytes < want) {
      const { done, value } = await this.chunks!.read();
      if (done) break;
      if (value.byteLength) {
        this.pending.push(value);
        this.pendingBytes += value.byteLength;
      }
    }
    if (this.pendingBytes === 0) {
      this.ended = true;
      return null;
    }
    return this.take(Math.min(want, this.pendingBytes));
  }

  /** Hands a block's memory back for the next read (BYOB only); the caller must not touch the block again. */
  release(block: Uint8Array): void {
    if (this.byob && block.buffer.byteLength === BLOCK && block.byteOffset === 0) this.spare = block.buffer as ArrayBuffer;
  }

  /** Cancels the underlying stream (after an error downstream). */
  async cancel(reason?: unknown): Promise<void> {
    this.ended = true;
    await (this.byob ?? this.chunks)!.cancel(reason).catch(() => undefined);
  }

  private take(n: number): Uint8Array {
    const first = this.pending[0]!;
    if (first.byteLength === n) {
      this.pending.shift();
      this.pendingBytes -= n;
      return first;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.pending[0]!;
      const k = Math.min(c.byteLength, n - filled);
      out.set(k === c.byteLength ? c : c.subarray(0, k), filled);
      filled += k;
      if (k === c.byteLength) this.pending.shift();
      else this.pending[0] = c.subarray(k);
    }
    this.pendingBytes -= n;
    return out;
  }
}
