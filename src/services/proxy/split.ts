/**
 * One upstream body, two readers: the client being answered and the blob store filling
 * the cache, with the bytes verified on the way.
 *
 *   for each block of the upstream body (read with an idle timeout, the next read
 *   already under way while this block is hashed and the one before it is sent):
 *     hash it; queue it for the store; send the block *before* it to the client
 *   at the end: digests match what the upstream promised?
 *     yes → send the last block, close the client; then the store writes its queue
 *     no  → abort the client (a broken transfer, never a complete-looking body) and
 *           the store (nothing is kept)
 *
 * Invariants:
 * - The client never receives the final block of bytes that fail verification: the
 *   last block is held back until the digests are known, so a mismatch always shows
 *   as a truncated or reset transfer.
 * - The client goes first: the store's queue is written once the client has its last
 *   byte, went away, or has been served for STORE_DEFER_MS (a slow client must not
 *   delay the cache, nor leave a blob store write idle for long). A blob store write competes with the client's transfer
 *   for the same CPU and I/O (under `wrangler dev` the local R2 simulator's put is
 *   JavaScript in the same process, ~15-35 ms/MiB, and slows a concurrent response to
 *   its own pace: docs/performance.md, "Upstream repos"), so a miss is answered at the
 *   upstream's speed and the cache fills right after it.
 * - Memory is bounded: the queue holds at most LAG_MAX bytes. When it is full and the
 *   client is still reading, the store is detached: it stops receiving blocks from this
 *   pass and, once the client is done, writes its queue and reads the rest of the body
 *   with a ranged request of its own (`resume`), so nothing more is buffered and the
 *   client never waits for the store. Without `resume`, or with no deferral
 *   (`storeDeferMs` 0: ORBITALREG_UPSTREAM_STORE_DEFER_MS, for upstreams that must send
 *   each byte once), the store writes at once and the client waits for it when the
 *   queue is full (the slower side sets the pace).
 * - A client that goes away does not stop the store: the pump continues at the store's
 *   pace, so the cache still fills.
 * - Any failure (upstream broke off or stalled, too long, too short) aborts both
 *   readers; the store branch's consumer (ingestBlob) then keeps nothing.
 */
import { BlockReader } from "../../core/block-reader";
import { Hasher, type ChecksumAlgorithm } from "../../core/hasher";
import { RegistryError } from "../../core/errors";

/** How much the store's queue may hold while the client is served, before the store reads on its own. */
export const LAG_MAX = 32 * 1024 * 1024;
/** How long the store waits for the client before it writes anyway. */
export const STORE_DEFER_MS = 5_000;

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
  storeDeferMs?: number;
}

export interface SplitOutcome {
  verified: boolean;
  bytes: number;
  sha256: string | null;
  error?: unknown;
  /** Whether the store branch was detached and read the rest itself. */
  detached: boolean;
  /** Whether the client received the whole, verified body (it did not go away). */
  served: boolean;
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
  // The store's writes wait for this: opened when the client has its last byte or went away.
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const deferMs = o.storeDeferMs ?? STORE_DEFER_MS;
  const deferral = setTimeout(() => openGate(), deferMs);
  void gate.then(() => clearTimeout(deferral));
  if (deferMs === 0) openGate(); // store while streaming: one upstream pass, the slower side sets the pace
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
      openGate();
    }
  };
  const toStore = (b: Uint8Array) => {
    if (storeMode !== "inline") return;
    queued += b.byteLength;
    storeChain = storeChain
      .then(() => gate)
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
      await storeChain; // waits for the gate: the client first
      const rest = await o.resume!(at);
      if (!rest) throw new RegistryError("UnavailableUpstream", "the upstream could not resume the body for the store");
      const more = new BlockReader(rest);
      for (let b = await readWithin(more, o.idleMs); b; b = await readWithin(more, o.idleMs)) await store!.write(b);
      // The store checks what it received against the promised digests itself (ingestBlob): it need not wait for this pass.
      await store!.close();
    })();
    detachedTask.catch(() => undefined);
  };
  const fail = async (error: unknown): Promise<SplitOutcome> => {
    o.abortSource(error);
    await blocks.cancel(error);
    await Promise.all([client.abort(error).catch(() => undefined), store?.abort(error).catch(() => undefined)]);
    openGate();
    return { verified: false, bytes: offset, sha256: null, error, detached: detached(), served: false };
  };
  const readNext = () => {
    const r = readWithin(blocks, o.idleMs);
    r.catch(() => undefined); // awaited by the loop; a loop that already failed must not leave it unhandled
    return r;
  };

  try {
    let next = readNext();
    for (;;) {
      const block = await next;
      if (!block) break;
      offset += block.byteLength;
      if (offset > o.max) throw new RegistryError("UnavailableUpstreamInvalid", `the upstream's body is larger than ${o.max} bytes`);
      if (o.size !== null && offset > o.size) throw new RegistryError("UnavailableUpstreamInvalid", `the upstream's body is longer than its Content-Length (${o.size})`);
      next = readNext(); // the upstream keeps sending while this block is hashed and the one before it is sent
      toStore(block);
      await Promise.all([hasher.update(block), pending ? toClient(pending) : undefined]);
      pending = block;
      if (storeMode === "inline" && queued > lagMax) {
        if (clientOpen && o.resume && deferMs > 0) detach(offset);
        else {
          openGate(); // no other way to the rest: the store writes now, and sets the pace
          await storeChain;
        }
      }
      if (!clientOpen && storeMode !== "inline") {
        // Nobody wants the rest of this pass: the client left and the store reads on its own (or failed).
        await blocks.cancel();
        o.abortSource(new Error("no reader left"));
        await detachedTask.catch((e) => store?.abort(e).catch(() => undefined));
        return { verified: false, bytes: offset, sha256: null, detached: detached(), served: false };
      }
    }
    if (o.size !== null && offset !== o.size) throw new RegistryError("UnavailableUpstream", `the upstream's body ended after ${offset} of ${o.size} bytes`);
    const result = await hasher.result();
    const mismatch = mismatchOf(o.expect, result);
    if (mismatch) return await fail(new RegistryError("UnavailableUpstreamInvalid", mismatch));
    if (pending) await toClient(pending);
    if (clientOpen) await client.close().catch(() => (clientOpen = false));
    openGate();
    if (store && storeMode !== "off") {
      try {
        await storeChain;
        await detachedTask;
        if (!detached()) await store.close();
      } catch (e) {
        await store.abort(e).catch(() => undefined);
      }
    }
    return { verified: true, bytes: offset, sha256: result.sha256, detached: detached(), served: clientOpen };
  } catch (e) {
    return fail(e);
  }
}
