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
 * - A read that fails (a dropped connection) throws `bodyBroken` (a 400 in every
 *   protocol, never an internal error), and the bytes of that block are lost: what
 *   earlier reads returned is all the caller may count on. An error the stream itself
 *   raises as a RegistryError (a transform that checks framing) passes through as is.
 * - Streams that refuse BYOB reads (ones built in JavaScript) are regrouped in
 *   JavaScript into the same blocks.
 * - A caller that is done with a block (hashed, written, copied, and every write of it
 *   settled) may `release` it: the next read fills the same memory. A fresh 1 MiB
 *   buffer per block costs page faults and frees, measurable under workerd.
 */
import type { Hasher } from "./hasher";
import { RegistryError, isRegistryError } from "./errors";

export const BLOCK = 1024 * 1024;
/**
 * How much of a refused body `drain` reads before giving up on it: 512 MiB, the largest
 * request body Cloudflare lets reach a Worker on any plan, so any client the edge let
 * through reads the refusal instead of a reset.
 */
export const REFUSED_BODY_MAX = 512 * 1024 * 1024;

/** The code of `bodyBroken`: one code for every body that breaks off, whatever read it. */
export const BODY_BROKEN = "InvalidBodyIncomplete";

/**
 * A request body that broke off (the client crashed, the link dropped) or ended before
 * its declared length. A client error (400, and OCI BLOB_UPLOAD_INVALID via core/error-codes.ts),
 * not an internal one: the client may resend. `received` counts the bytes read before
 * the break. (An OCI upload session says the same with InvalidUploadInterrupted and the
 * offset to resume from, objects/upload-types.ts.)
 */
export function bodyBroken(received: number, declared: number | null, cause?: unknown): RegistryError {
  const of = declared !== null ? ` of the ${declared} its Content-Length declared` : "";
  return new RegistryError(BODY_BROKEN, `the request body broke off after ${received} bytes${of}; the upload was not kept: send it again`, {
    detail: { received_bytes: received, declared_bytes: declared },
    cause,
  });
}

/** What a failed read of a body becomes: a RegistryError the stream raised, else `bodyBroken`. */
export const asBodyError = (e: unknown, received: number, declared: number | null): RegistryError =>
  isRegistryError(e) ? e : bodyBroken(received, declared, e);

/**
 * Copies exactly `length` bytes from `blocks` into `writer`, hashing each block on the
 * way and recycling its memory. Returns what stopped the body early (a RegistryError:
 * `bodyBroken` for a dropped connection or a body that ended short), or null once
 * `length` bytes are written; a failing writer throws. Closing or aborting the writer,
 * and reading past `length`, are the caller's.
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
    if (!block) return bodyBroken(received, length);
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

export interface BlockReaderOptions {
  /** The body's declared length (Content-Length), for the message of a body that breaks. */
  declared?: number | null;
  /** Called after every block read (cheap: a quota lease renews from here, throttled). */
  onBlock?: () => void;
}

export class BlockReader {
  /** Bytes read so far. */
  received = 0;
  private readonly declared: number | null;
  private readonly onBlock: (() => void) | undefined;
  private readonly byob: ReadableStreamBYOBReader | null;
  private readonly chunks: ReadableStreamDefaultReader<Uint8Array> | null;
  private spare: ArrayBuffer | null = null;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private ended = false;

  constructor(stream: ReadableStream<Uint8Array>, options: BlockReaderOptions = {}) {
    this.declared = options.declared ?? null;
    this.onBlock = options.onBlock;
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
    let block: Uint8Array | null;
    try {
      block = await this.readBlock(max);
    } catch (e) {
      this.ended = true;
      throw asBodyError(e, this.received, this.declared);
    }
    if (block) {
      this.received += block.byteLength;
      this.onBlock?.();
    }
    return block;
  }

  private async readBlock(max: number): Promise<Uint8Array | null> {
    if (this.ended || max <= 0) return null;
    const want = Math.min(max, BLOCK);
    if (this.byob) {
      const buffer = this.spare ?? new ArrayBuffer(BLOCK);
      this.spare = null;
      const { done, value } = await this.byob.readAtLeast(want, new Uint8Array(buffer, 0, want));
      if (value && value.byteLength > 0) return value;
      if (done) this.ended = true;
      return done ? null : this.readBlock(max);
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
