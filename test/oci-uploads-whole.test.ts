// The upload fast path: a blob sent whole in one request (skopeo, docker, monolithic
// PUT) becomes one R2 object that the session adopts; what happens when more follows.
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { PART_SIZE } from "../src/storage/blob-store";
import type { UploadMeta } from "../src/objects/upload-types";
import { blobBytes, bytesOf, errorsOf, oci, ociRepo, patchUpload as patch, sha256, startUpload as start, streamOf } from "./oci-helpers";

const stubOf = (loc: string) => env.UPLOAD_SESSIONS.get(env.UPLOAD_SESSIONS.idFromString(loc.split("/").pop()!));
const metaOf = (loc: string) => runInDurableObject(stubOf(loc), async (_o, state) => (await state.storage.get<UploadMeta>("meta"))!);
const hashedBytes = (loc: string) => runInDurableObject(stubOf(loc), (o) => (o as unknown as { hasher: { bytes: number } | null }).hasher?.bytes ?? null);
const blobKey = async (digest: string) => (await env.DB.prepare("select r2_key as k from blobs where digest = ?").bind(digest).first<{ k: string }>())?.k;
const objectCount = async () => (await env.BLOBS.list({ prefix: "blobs/" })).objects.length;
/** R2 (and its local simulator) gives an object completed from N parts the ETag `<md5 of md5s>-N`. */
const multipart = async (key: string) => /-\d+$/.test((await env.BLOBS.head(key))!.etag);
const finish = (loc: string, token: string, digest: string, init: RequestInit = {}) => oci(`${loc}?digest=${digest}`, { method: "PUT", auth: token, ...init });

// Several tests move multi-MiB blobs (and convert them into parts): give them a loaded machine's time.
describe("OCI uploads: a blob sent whole goes straight into one R2 object", { timeout: 300_000 }, () => {
  it("one PATCH with a Content-Length: adopted as one object, finished without multipart or copy (skopeo)", async () => {
    const r = await ociRepo();
    const data = bytesOf(PART_SIZE + 1234, 21);
    const digest = await sha256(data);
    const loc = await start(r.name, r.token);
    const p = await patch(loc, r.token, data);
    expect(p.status).toBe(202);
    expect(p.headers.get("range")).toBe(`0-${data.length - 1}`);
    const meta = await metaOf(loc);
    expect(meta.segment).toMatchObject({ size: data.length, sha256: digest.slice(7) });
    expect(meta.uploadId).toBeNull();
    expect(meta.segment!.key).not.toBe(meta.key);
    expect((await env.BLOBS.head(meta.segment!.key))!.size).toBe(data.length);
    expect((await oci(loc, { auth: r.token })).headers.get("range")).toBe(`0-${data.length - 1}`);

    expect((await finish(loc, r.token, digest, { headers: { "Content-Length": "0" } })).status).toBe(201);
    expect(await blobKey(digest)).toBe(meta.segment!.key);
    expect(await multipart(meta.segment!.key)).toBe(false);
    expect(await env.BLOBS.head(meta.key)).toBeNull(); // the session's own key was never written
    expect(await blobBytes(r.name, r.token, digest)).toEqual(data);
  });

  it("takes the same path for a PUT carrying the whole blob, not for a PATCH with a Content-Range (a chunk of many)", async () => {
    const r = await ociRepo();
    const data = bytesOf(PART_SIZE + 99, 22);
    const digest = await sha256(data);
    const loc = await start(r.name, r.token);
    const { key } = await metaOf(loc);
    expect((await finish(loc, r.token, digest, { body: data })).status).toBe(201);
    const stored = (await blobKey(digest))!;
    expect(stored).not.toBe(key);
    expect(await multipart(stored)).toBe(false);

    const data2 = bytesOf(5000, 23);
    const loc2 = await start(r.name, r.token);
    expect((await patch(loc2, r.token, data2, { "Content-Range": "0-4999" })).status).toBe(202);
    expect((await metaOf(loc2)).segment ?? null).toBeNull();
    expect((await metaOf(loc2)).tailBytes).toBe(5000);
    expect((await finish(loc2, r.token, await sha256(data2))).status).toBe(201);
    expect(await blobBytes(r.name, r.token, await sha256(data2))).toEqual(data2);

    // a finishing PUT whose Content-Range starts at 0 carries the whole blob
    const data3 = bytesOf(6000, 29);
    const loc3 = await start(r.name, r.token);
    const key3 = (await metaOf(loc3)).key;
    expect((await finish(loc3, r.token, await sha256(data3), { body: data3, headers: { "Content-Range": "0-5999" } })).status).toBe(201);
    expect(await blobKey(await sha256(data3))).not.toBe(key3);
    expect(await env.BLOBS.head(key3)).toBeNull();
  });

  it("converts the whole blob into parts when more bytes follow, hashing every byte inline (rare path)", async () => {
    const r = await ociRepo();
    const data = bytesOf(3_000_000 + PART_SIZE + 5, 24);
    const digest = await sha256(data);
    const loc = await start(r.name, r.token);
    expect((await patch(loc, r.token, data.slice(0, 3_000_000))).status).toBe(202);
    const segment = (await metaOf(loc)).segment!;
    const more = await patch(loc, r.token, data.slice(3_000_000), { "Content-Range": `3000000-${data.length - 1}` });
    expect(more.status).toBe(202);
    expect(more.headers.get("range")).toBe(`0-${data.length - 1}`);
    const meta = await metaOf(loc);
    expect(meta.segment ?? null).toBeNull();
    expect(meta.parts).toBe(1);
    expect(meta.offset).toBe(data.length);
    expect(await hashedBytes(loc)).toBe(data.length);
    expect(await env.BLOBS.head(segment.key)).toBeNull();
    expect((await finish(loc, r.token, digest)).status).toBe(201);
    expect(await multipart((await blobKey(digest))!)).toBe(true);
    expect(await blobBytes(r.name, r.token, digest)).toEqual(data);

    // small pieces, the second without a length: the segment becomes the tail
    const small = bytesOf(30_000, 25);
    const loc2 = await start(r.name, r.token);
    expect((await patch(loc2, r.token, small.slice(0, 10_000))).status).toBe(202);
    const seg2 = (await metaOf(loc2)).segment!;
    expect((await patch(loc2, r.token, streamOf(small.slice(10_000), 4096))).headers.get("range")).toBe("0-29999");
    expect(await env.BLOBS.head(seg2.key)).toBeNull();
    expect((await finish(loc2, r.token, await sha256(small))).status).toBe(201);
    expect(await blobBytes(r.name, r.token, await sha256(small))).toEqual(small);
  });

  it("refuses an out-of-place chunk after a whole blob without converting it", async () => {
    const r = await ociRepo();
    const data = bytesOf(2000, 26);
    const loc = await start(r.name, r.token);
    await patch(loc, r.token, data);
    const wrong = await patch(loc, r.token, data, { "Content-Range": "0-1999" });
    expect((await errorsOf(wrong, 416))[0]!.code).toBe("BLOB_UPLOAD_INVALID");
    expect(wrong.headers.get("range")).toBe("0-1999");
    expect((await metaOf(loc)).segment?.size).toBe(2000);
    // the session refuses to adopt a second whole blob once it holds bytes
    const m = await metaOf(loc);
    const refused = await stubOf(loc).adoptWhole({ repoId: m.repoId, image: m.image }, { key: "blobs/x", size: 1, sha256: "00" });
    expect(refused).toMatchObject({ ok: false, code: "RangeNotSatisfiableUpload", offset: 2000 });
  });

  it("deletes the object on a digest mismatch, on cancel and on expiry", async () => {
    const r = await ociRepo();
    const data = bytesOf(70_000, 27);
    const before = await objectCount();

    const loc = await start(r.name, r.token);
    await patch(loc, r.token, data);
    const seg = (await metaOf(loc)).segment!;
    expect((await errorsOf(await finish(loc, r.token, `sha256:${"2".repeat(64)}`), 400))[0]!.code).toBe("DIGEST_INVALID");
    expect(await env.BLOBS.head(seg.key)).toBeNull();
    expect((await oci(`/v2/${r.name}/blobs/${await sha256(data)}`, { method: "HEAD", auth: r.token })).status).toBe(404);
    const mono = await start(r.name, r.token);
    expect((await errorsOf(await finish(mono, r.token, `sha256:${"3".repeat(64)}`, { body: data }), 400))[0]!.code).toBe("DIGEST_INVALID");
    expect(await objectCount()).toBe(before);

    const cancelled = await start(r.name, r.token);
    await patch(cancelled, r.token, data);
    const seg2 = (await metaOf(cancelled)).segment!;
    expect((await oci(cancelled, { method: "DELETE", auth: r.token })).status).toBe(204);
    expect(await env.BLOBS.head(seg2.key)).toBeNull();

    const abandoned = await start(r.name, r.token);
    await patch(abandoned, r.token, data);
    const seg3 = (await metaOf(abandoned)).segment!;
    expect(await env.BLOBS.head(seg3.key)).not.toBeNull();
    await stubOf(abandoned).expireNow();
    expect(await env.BLOBS.head(seg3.key)).toBeNull();
    expect((await errorsOf(await oci(abandoned, { auth: r.token }), 404))[0]!.code).toBe("BLOB_UPLOAD_UNKNOWN");
    expect(await objectCount()).toBe(before);
  });

  it("leaves nothing and the offset at 0 when a whole-blob request breaks off, so the client can start again", async () => {
    const r = await ociRepo();
    const data = bytesOf(3 * 1024 * 1024, 28);
    const before = await objectCount();
    const loc = await start(r.name, r.token);
    const init = { method: "PATCH", auth: r.token, body: streamOf(data, 256 * 1024, 2 * 1024 * 1024), headers: { "Content-Length": String(data.length) }, duplex: "half" };
    await oci(loc, init as RequestInit).then(
      (res) => res.arrayBuffer(),
      () => undefined,
    );
    expect((await oci(loc, { auth: r.token })).headers.get("range")).toBe("0-0");
    expect((await metaOf(loc)).segment ?? null).toBeNull();
    expect(await objectCount()).toBe(before);
    expect((await patch(loc, r.token, data)).status).toBe(202);
    expect((await finish(loc, r.token, await sha256(data))).status).toBe(201);
  });
});
