// Chunked uploads whose chunks are whole parts: the first chunk fixes the upload's part
// size, equal chunks stream straight into R2 parts, anything else is re-cut.
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { PART_SIZE } from "../src/storage/blob-store";
import type { UploadMeta } from "../src/objects/upload-types";
import { blobBytes, bytesOf, oci, ociRepo, patchUpload, sha256, startUpload as start, streamOf } from "./oci-helpers";

const MiB = 1024 * 1024;
const stubOf = (loc: string) => env.UPLOAD_SESSIONS.get(env.UPLOAD_SESSIONS.idFromString(loc.split("/").pop()!));
const metaOf = (loc: string) => runInDurableObject(stubOf(loc), async (_o, state) => (await state.storage.get<UploadMeta>("meta"))!);
const hashedBytes = (loc: string) => runInDurableObject(stubOf(loc), (o) => (o as unknown as { hasher: { bytes: number } | null }).hasher?.bytes ?? null);
const partCount = async (key: string) => Number(/-(\d+)$/.exec((await env.BLOBS.head(key))!.etag)?.[1] ?? 1);
const chunk = (loc: string, token: string, data: Uint8Array, from: number, to: number, body: BodyInit = data.slice(from, to)) =>
  patchUpload(loc, token, body, { "Content-Range": `${from}-${to - 1}`, "Content-Length": String(to - from) });

async function pushInChunks(loc: string, token: string, data: Uint8Array, cuts: number[]) {
  for (let i = 0; i + 1 < cuts.length; i++) {
    const res = await chunk(loc, token, data, cuts[i]!, cuts[i + 1]!);
    expect(res.status).toBe(202);
    expect(res.headers.get("range")).toBe(`0-${cuts[i + 1]! - 1}`);
  }
}

/** Finishes the upload with `digest` and checks that the blob reads back as `data`. */
async function finishAndReadBack(r: { name: string; token: string }, loc: string, data: Uint8Array, digest: string) {
  expect((await oci(`${loc}?digest=${digest}`, { method: "PUT", auth: r.token })).status).toBe(201);
  expect(await blobBytes(r.name, r.token, digest)).toEqual(data);
}

// Each test pushes 10–20 MiB in parts through a Durable Object: minutes on a loaded machine, not seconds.
describe("OCI uploads: chunks that are whole parts", { timeout: 300_000 }, () => {
  it("equal chunks become the parts as they are, hashed on the way; a short last chunk is the last part", async () => {
    const r = await ociRepo();
    const size = 6 * MiB;
    const data = bytesOf(3 * size + 1234, 31);
    const digest = await sha256(data);
    const loc = await start(r.name, r.token);
    await pushInChunks(loc, r.token, data, [0, size, 2 * size, 3 * size]);
    const meta = await metaOf(loc);
    expect(meta).toMatchObject({ partSize: size, parts: 3, tailBytes: 0, offset: 3 * size });
    expect(await hashedBytes(loc)).toBe(3 * size); // the digest needs no second read of the blob
    await pushInChunks(loc, r.token, data, [3 * size, data.length]);
    expect(await metaOf(loc)).toMatchObject({ parts: 3, tailBytes: 1234 });
    await finishAndReadBack(r, loc, data, digest);
    expect(await partCount(meta.key)).toBe(4);
  });

  it("re-cuts chunks of other sizes into the part size the first chunk set", async () => {
    const r = await ociRepo();
    const size = 5 * MiB;
    const data = bytesOf(4 * size + 77, 32);
    const digest = await sha256(data);
    const loc = await start(r.name, r.token);
    // 5 MiB, then 3 MiB (re-cut: tail), 5 MiB misaligned (re-cut), 2 MiB (aligns again), 5 MiB (a whole part again), rest
    const cuts = [0, size, size + 3 * MiB, 2 * size + 3 * MiB, 3 * size, 4 * size, data.length];
    await pushInChunks(loc, r.token, data, cuts.slice(0, 5));
    expect(await metaOf(loc)).toMatchObject({ partSize: size, parts: 3, tailBytes: 0 });
    await pushInChunks(loc, r.token, data, cuts.slice(4));
    expect(await metaOf(loc)).toMatchObject({ partSize: size, parts: 4, tailBytes: 77 });
    expect(await hashedBytes(loc)).toBe(data.length);
    await finishAndReadBack(r, loc, data, digest);
  });

  it("keeps the default part size when the first chunk is too small or too large to be a part", async () => {
    const r = await ociRepo();
    for (const first of [4 * MiB, 17 * MiB]) {
      const data = bytesOf(first + 100, first);
      const loc = await start(r.name, r.token);
      await pushInChunks(loc, r.token, data, [0, first]);
      expect((await metaOf(loc)).partSize).toBe(PART_SIZE);
      await pushInChunks(loc, r.token, data, [first, data.length]);
      const digest = await sha256(data);
      await finishAndReadBack(r, loc, data, digest);
    }
  });

  it("a part whose body breaks is not kept: the offset stays, the chunk is sent again, the digest is recomputed", async () => {
    const r = await ociRepo();
    const size = 5 * MiB;
    const data = bytesOf(2 * size + 10, 33);
    const digest = await sha256(data);
    const loc = await start(r.name, r.token);
    await pushInChunks(loc, r.token, data, [0, size]);
    await chunk(loc, r.token, data, size, 2 * size, streamOf(data.slice(size, 2 * size), MiB, 3 * MiB)).then(
      (res) => res.arrayBuffer(),
      () => undefined,
    );
    const status = await oci(loc, { auth: r.token });
    expect(status.headers.get("range")).toBe(`0-${size - 1}`);
    expect(await metaOf(loc)).toMatchObject({ parts: 1, offset: size });
    expect(await hashedBytes(loc)).toBeNull(); // the broken chunk's bytes reached the hash
    await pushInChunks(loc, r.token, data, [size, 2 * size, data.length]);
    await finishAndReadBack(r, loc, data, digest);
  });
});
