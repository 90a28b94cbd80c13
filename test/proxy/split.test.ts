// The pull-through split (services/proxy/split.ts) on its own, in workerd: the client
// is served first (the store's writes wait until it has its last byte), a slow client
// does not hold the store past its deferral, and a full queue detaches the store onto a
// ranged read of its own.
import { describe, expect, it } from "vitest";
import { splitVerified, type SplitOptions } from "../../src/services/proxy/split";
import { digestHex } from "../support/upstream";

const MiB = 1024 * 1024;

function bodyOf(bytes: Uint8Array, from = 0): ReadableStream<Uint8Array> {
  let at = from;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (at >= bytes.byteLength) return c.close();
      const end = Math.min(at + 256 * 1024, bytes.byteLength);
      c.enqueue(bytes.slice(at, end));
      at = end;
    },
  });
}

function patterned(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + (i >> 12)) & 0xff;
  return b;
}

/** Reads a stream to its end, noting when its first byte and its end arrived (a shared clock). */
async function drain(stream: ReadableStream<Uint8Array>, clock: { tick: number }, opts: { pauseAfter?: number; pause?: Promise<void> } = {}) {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let bytes = 0;
  let first = -1;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (first < 0) first = clock.tick++;
    parts.push(value);
    bytes += value.byteLength;
    if (opts.pause && opts.pauseAfter !== undefined && bytes >= opts.pauseAfter) {
      await opts.pause;
      opts.pause = undefined;
    }
  }
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.byteLength));
  return { bytes: out, first, end: clock.tick++ };
}

const options = async (bytes: Uint8Array, extra: Partial<SplitOptions> = {}): Promise<SplitOptions> => ({
  size: bytes.byteLength,
  max: 1024 * MiB,
  expect: { sha256: await digestHex("SHA-256", bytes) },
  idleMs: 10_000,
  abortSource: () => undefined,
  store: true,
  ...extra,
});

/** A ranged re-read of `bytes` (what `resume` does against an upstream), noting each offset asked for. */
function resumable(bytes: Uint8Array) {
  const resumedAt: number[] = [];
  const resume = async (offset: number) => {
    resumedAt.push(offset);
    return bodyOf(bytes, offset);
  };
  return { resume, resumedAt };
}

/** Reads the client and the store side by side to their ends, with what the split reports. */
async function drainBoth(split: ReturnType<typeof splitVerified>) {
  const clock = { tick: 0 };
  const [client, store, done] = await Promise.all([drain(split.client, clock), drain(split.store!, clock), split.done]);
  return { client, store, done };
}

describe("the pull-through split", () => {
  it("serves the client first: the store gets its first byte only after the client has the whole body", async () => {
    const bytes = patterned(6 * MiB);
    const split = splitVerified(bodyOf(bytes), await options(bytes));
    const { client, store, done } = await drainBoth(split);
    expect(client.bytes).toEqual(bytes);
    expect(store.bytes).toEqual(bytes);
    expect(done).toMatchObject({ verified: true, bytes: bytes.byteLength, detached: false });
    expect(store.first).toBeGreaterThan(client.end);
  });

  it("does not let a slow client hold a detached store back beyond the deferral", async () => {
    const bytes = patterned(6 * MiB);
    let resumeClient!: () => void;
    const clientPaused = new Promise<void>((r) => (resumeClient = r));
    const { resume } = resumable(bytes);
    const split = splitVerified(bodyOf(bytes), await options(bytes, { storeDeferMs: 50, lagMax: 1 * MiB, resume }));
    const clock = { tick: 0 };
    const clientRead = drain(split.client, clock, { pauseAfter: 3 * MiB, pause: clientPaused });
    const store = await drain(split.store!, clock);
    resumeClient();
    const client = await clientRead;
    // The store had its whole body while the client was still paused halfway.
    expect(store.end).toBeLessThan(client.end);
    expect(store.bytes).toEqual(bytes);
    expect(client.bytes).toEqual(bytes);
    expect((await split.done).verified).toBe(true);
  });

  it("detaches a store whose queue is full, and the store reads the rest with a ranged read once the client is done", async () => {
    const bytes = patterned(8 * MiB);
    const { resume, resumedAt } = resumable(bytes);
    const split = splitVerified(bodyOf(bytes), await options(bytes, { lagMax: 2 * MiB, resume }));
    const { client, store, done } = await drainBoth(split);
    expect(client.bytes).toEqual(bytes);
    expect(store.bytes).toEqual(bytes);
    expect(done.detached).toBe(true);
    expect(resumedAt).toHaveLength(1);
    expect(resumedAt[0]).toBeGreaterThan(2 * MiB);
    expect(resumedAt[0]).toBeLessThan(bytes.byteLength);
    expect(store.first).toBeGreaterThan(client.end);
  });

  it("with no deferral (ORBITALREG_UPSTREAM_STORE_DEFER_MS=0) stores while streaming: one upstream pass, no ranged read", async () => {
    const bytes = patterned(8 * MiB);
    const { resume, resumedAt } = resumable(bytes);
    const split = splitVerified(bodyOf(bytes), await options(bytes, { storeDeferMs: 0, lagMax: 2 * MiB, resume }));
    const { client, store, done } = await drainBoth(split);
    expect(client.bytes).toEqual(bytes);
    expect(store.bytes).toEqual(bytes);
    expect(done).toMatchObject({ verified: true, detached: false });
    expect(resumedAt).toEqual([]);
    expect(store.first).toBeLessThan(client.end);
  });

  it("keeps the last block from the client, and nothing reaches the store, when the digest does not match", async () => {
    const bytes = patterned(3 * MiB);
    const split = splitVerified(bodyOf(bytes), await options(bytes, { expect: { sha256: "0".repeat(64) } }));
    const clock = { tick: 0 };
    const [client, store, done] = await Promise.all([drain(split.client, clock).catch((e) => e), drain(split.store!, clock).catch((e) => e), split.done]);
    expect(client).toBeInstanceOf(Error);
    expect(store).toBeInstanceOf(Error);
    expect(done.verified).toBe(false);
  });
});
