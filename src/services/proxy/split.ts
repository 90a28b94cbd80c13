/**
 * One upstream body, two readers: the client being answered and the blob store filling
 * the cache, with the bytes verified on the way.
 *
 *   for each block of the upstream body (read with an idle timeout):
 *     hash it; queue it for the store; send the block *before* it to the client
 *   at the end: digests match what the upstream promised?
 *     yes → send the last block, close the client; close the store after its queue
 *     no  → abort the client (a broken transfer, never a complete-looking body) and
 *           the store (nothing is kept)
 *
 * Invariants:
 * - The client never receives the final block of bytes that fail verification: the
 *   last block is held back until the digests are known, so a mismatch always shows
 *   as a truncated or reset transfer.
 * - Memory is bounded: the client is the pace; the store may lag by at most LAG_MAX
 *   bytes. A store that falls further behind (a slow blob store) is detached: it stops
 *   receiving blocks from this pass and reads the rest of the body with a ranged
 *   request of its own (`resume`), so neither reader waits for the other and nothing
 *   is buffered. Without `resume` the client waits for the store instead.
 * - A client that goes away does not stop the store: the pump continues at the store's
 *   pace, so the cache still fills.
 * - Any failure (upstream broke off or stalled, too long, too short) aborts both
 *   readers; the store branch's consumer (ingestBlob) then keeps nothing.
 */
import { BlockReader } from "../../core/block-reader";
import { Hasher, type ChecksumAlgorithm } from "../../core/hasher";
import { RegistryError } from "../../core/errors";

/** How far the store may fall behind the client before it reads on its own. */
export const LAG_MAX = 32 * 1024 * 1024;

/** Digests the upstream promised, lowercase hex; `size` in bytes. */
export interface Expected {
  sha256?: string;
  sha1?: string;
  sha512?: string;
  md5?: string;
  size?: number;
}

export interface SplitOptions {
  /** The body's declared length, if any. */
  size: number | null;
  max: number;
  expect: Expected;
  idleMs: number;
  /** Cancels the upstream request (stall, error). */
  abortSource: (reason: unknown) => void;
  /** Whether a store branch is wanted. */
  store: boolean;
  /** The upstream body again from `offset` (a ranged request), or null when that can't be had. */
  resume?: (offset: number) => Promise<ReadableStream<Uint8Array> | null>;
  lagMax?: number;
}

export interface SplitOutcome {
  verified: boolean;
  bytes: number;
  sha256: string | null;
  error?: unknown;
  /** Whether the store branch was detached and read the rest itself. */
  detached: boolean;
}

export interface Split {
  client: ReadableStream<Uint8Array>;
  store: ReadableStream<Uint8Array> | null;
  /** Settles (never rejects) when both branches have all they will get. */
  done: Promise<SplitOutcome>;
}

const ALGS: ChecksumAlgorithm[] = ["sha1", "sha512", "md5"];

export function mismatchOf(expect: Expected, got: { size: number; sha256: string; checksums: Partial<Record<ChecksumAlgorithm, string>> }): string | null {
  if (expect.size !== undefined && expect.size !== got.size) return `the upstream sent ${got.size} bytes, ${expect.size} were expected`;
  if (expect.sha256 && expect.sha256.toLowerCase() !== got.sha256) return `the upstream's bytes have sha256 ${got.sha256}, not ${expect.sha256}`;
  for (const alg of ALGS) {
    const want = expect[alg];
    if (want && want.toLowerCase() !== got.checksums[alg]) return `the upstream's bytes have ${alg} ${got.checksums[alg]}, not ${want}`;
  }
  return null;
}

export function splitVerified(source: ReadableStream<Uint8Array>, o: SplitOptions): Split {
  const clientPipe = o.size !== null ? new FixedLengthStream(o.size) : new IdentityTransformStream();
  const storePipe = o.store ? new IdentityTransformStream() : null;
  const done = pump(source, clientPipe.writable.getWriter(), storePipe?.writable.getWriter() ?? null, o);
  return { client: clientPipe.readable as ReadableStream<Uint8Array>, store: (storePipe?.readable as ReadableStream<Uint8Array>) ?? null, done };
}

async function readWithin(blocks: BlockReader, ms: number): Promise<Uint8Array | null> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RegistryError("UnavailableUpstream", `the upstream sent nothing for ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([blocks.read(1024 * 1024), stall]);
  } finally {
    clearTimeout(timer);
  }
}

type Writer = WritableStreamDefaultWriter<Uint8Array>;

async function pump(source: ReadableStream<Uint8Array>, client: Writer, store: Writer | null, o: SplitOptions): Promise<SplitOutcome> {
  const lagMax = o.lagMax ?? LAG_MAX;
  const hasher = new Hasher(ALGS.filter((a) => o.expect[a]));
  const blocks = new BlockReader(source);
  let clientOpen = true;
  let storeMode = (store ? "inline" : "off") as "inline" | "detached" | "off";
  const detached = () => storeMode === "detached";
  let storeChain: Promise<void> = Promise.resolve();
  let queued = 0;
  let detachedTask: Promise<void> = Promise.resolve();
  let offset = 0;
  let pending: Uint8Array | null = null;

  const toClient = async (b: Uint8Array) => {
    if (!clientOpen) return;
    try {
      await client.write(b);
    } catch {
      clientOpen = false; // the client went away; the store goes on
    }
  };
  const toStore = (b: Uint8Array) => {
    if (storeMode !== "inline") return;
    queued += b.byteLength;
    storeChain = storeChain
      .then(async () => {
        if (storeMode === "off") return;
        await store!.write(b);
        queued -= b.byteLength;
      })
      .catch(() => {
        storeMode = "off"; // the store's reader failed (quota, blob store): stop feeding it, the client goes on
        queued = 0;
      });
  };
  const detach = (at: number) => {
    storeMode = "detached";
    detachedTask = (async () => {
      await storeChain;
      const rest = await o.resume!(at);
      if (!rest) throw new RegistryError("UnavailableUpstream", "the upstream could not resume the body for the store");
      const more = new BlockReader(rest);
      for (let b = await readWithin(more, o.idleMs); b; b = await readWithin(more, o.idleMs)) await store!.write(b);
    })();
    detachedTask.catch(() => undefined);
  };
  const fail = async (error: unknown): Promise<SplitOutcome> => {
    o.abortSource(error);
    await blocks.cancel(error);
    await Promise.all([client.abort(error).catch(() => undefined), store?.abort(error).catch(() => undefined)]);
    return { verified: false, bytes: offset, sha256: null, error, detached: detached() };
  };

  try {
    for (;;) {
      const block = await readWithin(blocks, o.idleMs);
      if (!block) break;
      offset += block.byteLength;
      if (offset > o.max) throw new RegistryError("UnavailableUpstreamInvalid", `the upstream's body is larger than ${o.max} bytes`);
      if (o.size !== null && offset > o.size) throw new RegistryError("UnavailableUpstreamInvalid", `the upstream's body is longer than its Content-Length (${o.size})`);
      await hasher.update(block);
      toStore(block);
      if (pending) await toClient(pending);
      pending = block;
      if (storeMode === "inline" && queued > lagMax) {
        if (clientOpen && o.resume) detach(offset);
        else await storeChain;
      }
      if (!clientOpen && storeMode !== "inline") {
        // Nobody wants the rest of this pass: the client left and the store reads on its own (or failed).
        await blocks.cancel();
        o.abortSource(new Error("no reader left"));
        await detachedTask.then(() => store?.close()).catch((e) => store?.abort(e).catch(() => undefined));
        return { verified: false, bytes: offset, sha256: null, detached: detached() };
      }
    }
    if (o.size !== null && offset !== o.size) throw new RegistryError("UnavailableUpstream", `the upstream's body ended after ${offset} of ${o.size} bytes`);
    const result = await hasher.result();
    const mismatch = mismatchOf(o.expect, result);
    if (mismatch) return await fail(new RegistryError("UnavailableUpstreamInvalid", mismatch));
    if (pending) await toClient(pending);
    if (clientOpen) await client.close().catch(() => undefined);
    if (store && storeMode !== "off") {
      try {
        await storeChain;
        await detachedTask;
        await store.close();
      } catch (e) {
        await store.abort(e).catch(() => undefined);
      }
    }
    return { verified: true, bytes: offset, sha256: result.sha256, detached: detached() };
  } catch (e) {
    return fail(e);
  }
}
