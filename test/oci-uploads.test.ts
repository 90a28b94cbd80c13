import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { PART_SIZE } from "../src/storage/blob-store";
import { blobBytes, bytesOf, errorsOf, oci, ociRepo, patchUpload as patch, sha256, startUpload as start, streamOf } from "./oci-helpers";

// Multi-MiB chunked uploads through a Durable Object: give them a loaded machine's time.
describe("OCI uploads: sessions in a Durable Object", { timeout: 300_000 }, () => {
  it("POST, one PATCH with the whole blob, PUT ?digest= with an empty body (skopeo)", async () => {
    const r = await ociRepo();
    const data = bytesOf(300_000, 3);
    const digest = await sha256(data);
    const loc = await start(r.name, r.token);
    const p = await patch(loc, r.token, data);
    expect(p.status).toBe(202);
    expect(p.headers.get("range")).toBe(`0-${data.length - 1}`);
    expect(p.headers.get("location")).toBe(loc);
    const put = await oci(`${loc}?digest=${digest}`, { method: "PUT", auth: r.token, headers: { "Content-Length": "0" } });
    expect(put.status).toBe(201);
    expect(put.headers.get("location")).toBe(`/v2/${r.name}/blobs/${digest}`);
    expect(put.headers.get("docker-content-digest")).toBe(digest);
    expect(await blobBytes(r.name, r.token, digest)).toEqual(data);
    // the session is gone once finished
    expect((await errorsOf(await oci(loc, { auth: r.token }), 404))[0]!.code).toBe("BLOB_UPLOAD_UNKNOWN");
  });

  it("re-chunks streamed PATCHes without Content-Length into equal parts across requests (podman)", async () => {
    const r = await ociRepo();
    const data = bytesOf(2 * PART_SIZE + 777_777, 4);
    const digest = await sha256(data);
    const loc = await start(r.name, r.token);
    const cuts = [0, 3_000_001, 3_000_002, PART_SIZE + 5, data.length];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const res = await patch(loc, r.token, streamOf(data.slice(cuts[i], cuts[i + 1]), 65_537));
      expect(res.status).toBe(202);
      expect(res.headers.get("range")).toBe(`0-${cuts[i + 1]! - 1}`);
    }
    const put = await oci(`${loc}?digest=${digest}`, { method: "PUT", auth: r.token });
    expect(put.status).toBe(201);
    const back = await blobBytes(r.name, r.token, digest);
    expect(back.length).toBe(data.length);
    expect(await sha256(back)).toBe(digest);
  });

  it("takes chunks with Content-Range (no bytes= prefix), 416 out of order, 204 status with Range", async () => {
    const r = await ociRepo();
    const data = bytesOf(1000, 5);
    const digest = await sha256(data);
    const loc = await start(r.name, r.token);
    const second = await patch(loc, r.token, data.slice(400), { "Content-Range": "400-999", "Content-Length": "600" });
    expect((await errorsOf(second, 416))[0]!.code).toBe("BLOB_UPLOAD_INVALID");
    expect(second.headers.get("range")).toBe("0-0");
    const first = await patch(loc, r.token, data.slice(0, 400), { "Content-Range": "0-399", "Content-Length": "400" });
    expect(first.status).toBe(202);
    expect(first.headers.get("range")).toBe("0-399");
    const retry = await patch(loc, r.token, data.slice(0, 400), { "Content-Range": "0-399", "Content-Length": "400" });
    expect(retry.status).toBe(416);
    expect(retry.headers.get("range")).toBe("0-399");
    const status = await oci(loc, { auth: r.token });
    expect(status.status).toBe(204);
    expect(status.headers.get("range")).toBe("0-399");
    expect(status.headers.get("location")).toBe(loc);
    const mismatch = await patch(loc, r.token, data.slice(400), { "Content-Range": "bytes=400-998", "Content-Length": "600" });
    expect((await errorsOf(mismatch, 416))[0]!.code).toBe("BLOB_UPLOAD_INVALID");
    expect((await patch(loc, r.token, data.slice(400), { "Content-Range": "bytes=400-999", "Content-Length": "600" })).status).toBe(202);
    expect((await oci(`${loc}?digest=${digest}`, { method: "PUT", auth: r.token, headers: { "Content-Length": "0" } })).status).toBe(201);
    expect(await blobBytes(r.name, r.token, digest)).toEqual(data);
  });

  it("reads to the end a chunk it refuses (out of order, unknown upload, mismatched range), so a client gets the answer, not a reset", async () => {
    const r = await ociRepo();
    const loc = await start(r.name, r.token);
    const MiB = 1024 * 1024;
    const data = bytesOf(3 * MiB, 9);
    const refused = async (path: string, headers: Record<string, string>, status: number, code: string) => {
      let pulled = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (pulled >= data.length) return c.close();
          c.enqueue(data.slice(pulled, pulled + 64 * 1024));
          pulled += 64 * 1024;
        },
      });
      const res = await patch(path, r.token, body, { "Content-Length": String(data.length), ...headers });
      expect((await errorsOf(res, status))[0]!.code).toBe(code);
      expect(pulled).toBe(data.length); // without draining, the body is cancelled after the first pieces
      return res;
    };
    // refused by the session object, which holds the body
    const outOfOrder = await refused(loc, { "Content-Range": `${MiB}-${4 * MiB - 1}` }, 416, "BLOB_UPLOAD_INVALID");
    expect(outOfOrder.headers.get("range")).toBe("0-0");
    const gone = `/v2/${r.name}/blobs/uploads/${env.UPLOAD_SESSIONS.newUniqueId().toString()}`;
    await refused(gone, { "Content-Range": `0-${3 * MiB - 1}` }, 404, "BLOB_UPLOAD_UNKNOWN");
    // refused by the route, before the body goes anywhere
    await refused(loc, { "Content-Range": `0-${MiB - 1}` }, 416, "BLOB_UPLOAD_INVALID");
    // the session is untouched: the whole blob still goes in
    expect((await patch(loc, r.token, data, { "Content-Range": `0-${data.length - 1}`, "Content-Length": String(data.length) })).status).toBe(202);
  });

  it("finishes with the whole blob in the PUT body, and with a last chunk in the PUT", async () => {
    const r = await ociRepo();
    const data = bytesOf(70_000, 6);
    const digest = await sha256(data);
    const loc = await start(r.name, r.token);
    expect((await oci(`${loc}?digest=${digest}`, { method: "PUT", auth: r.token, body: data })).status).toBe(201);
    expect(await blobBytes(r.name, r.token, digest)).toEqual(data);

    const data2 = bytesOf(50_000, 7);
    const digest2 = await sha256(data2);
    const loc2 = await start(r.name, r.token);
    expect((await patch(loc2, r.token, data2.slice(0, 20_000))).status).toBe(202);
    const put = await oci(`${loc2}?digest=${digest2}`, { method: "PUT", auth: r.token, body: data2.slice(20_000), headers: { "Content-Range": "20000-49999" } });
    expect(put.status).toBe(201);
    expect(await blobBytes(r.name, r.token, digest2)).toEqual(data2);
  });

  it("keeps what arrived before a dropped connection and resumes from the reported offset", async () => {
    const r = await ociRepo();
    const data = bytesOf(PART_SIZE + 3_333_333, 8);
    const digest = await sha256(data);
    const loc = await start(r.name, r.token);
    await patch(loc, r.token, streamOf(data, 1024 * 1024, 9 * 1024 * 1024)).then(
      (res) => res.arrayBuffer(),
      () => undefined,
    );
    const status = await oci(loc, { auth: r.token });
    expect(status.status).toBe(204);
    const offset = Number(status.headers.get("range")!.split("-")[1]) + 1;
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(9 * 1024 * 1024);
    const rest = await patch(loc, r.token, data.slice(offset), { "Content-Range": `${offset}-${data.length - 1}` });
    expect(rest.status).toBe(202);
    expect((await oci(`${loc}?digest=${digest}`, { method: "PUT", auth: r.token })).status).toBe(201);
    expect(await sha256(await blobBytes(r.name, r.token, digest))).toBe(digest);
  });

  it("recomputes the digest from the stored object when the in-memory hash state is lost (eviction)", async () => {
    const r = await ociRepo();
    const data = bytesOf(PART_SIZE + 4321, 11);
    const digest = await sha256(data);
    const loc = await start(r.name, r.token);
    // no Content-Length: the bytes go through the session (a length would take the fast path)
    expect((await patch(loc, r.token, streamOf(data.slice(0, 5000), 1000))).status).toBe(202);
    const stub = env.UPLOAD_SESSIONS.get(env.UPLOAD_SESSIONS.idFromString(loc.split("/").pop()!));
    await runInDurableObject(stub, (instance) => {
      expect((instance as unknown as { hasher: unknown }).hasher).not.toBeNull();
      (instance as unknown as { hasher: unknown }).hasher = null;
    });
    expect((await patch(loc, r.token, data.slice(5000))).status).toBe(202);
    expect((await oci(`${loc}?digest=${digest}`, { method: "PUT", auth: r.token })).status).toBe(201);
    const bad = await start(r.name, r.token);
    await patch(bad, r.token, streamOf(data.slice(0, 100), 10));
    await runInDurableObject(env.UPLOAD_SESSIONS.get(env.UPLOAD_SESSIONS.idFromString(bad.split("/").pop()!)), (instance) => {
      (instance as unknown as { hasher: unknown }).hasher = null;
    });
    expect((await errorsOf(await oci(`${bad}?digest=${digest}`, { method: "PUT", auth: r.token }), 400))[0]!.code).toBe("DIGEST_INVALID");
  });

  it("verifies the digest at the end and leaves nothing behind on mismatch", async () => {
    const r = await ociRepo();
    const data = bytesOf(10_000, 9);
    const loc = await start(r.name, r.token);
    await patch(loc, r.token, data);
    const wrong = `sha256:${"1".repeat(64)}`;
    const put = await oci(`${loc}?digest=${wrong}`, { method: "PUT", auth: r.token });
    expect((await errorsOf(put, 400))[0]!.code).toBe("DIGEST_INVALID");
    expect((await oci(`/v2/${r.name}/blobs/${await sha256(data)}`, { method: "HEAD", auth: r.token })).status).toBe(404);
    const noDigest = await oci(`${await start(r.name, r.token)}`, { method: "PUT", auth: r.token });
    expect((await errorsOf(noDigest, 400))[0]!.code).toBe("DIGEST_INVALID");
  });

  it("cancels with DELETE (204), after which the session is unknown", async () => {
    const r = await ociRepo();
    const loc = await start(r.name, r.token);
    await patch(loc, r.token, bytesOf(100));
    expect((await oci(loc, { method: "DELETE", auth: r.token })).status).toBe(204);
    expect((await errorsOf(await oci(loc, { auth: r.token }), 404))[0]!.code).toBe("BLOB_UPLOAD_UNKNOWN");
    expect((await errorsOf(await oci(loc, { method: "DELETE", auth: r.token }), 404))[0]!.code).toBe("BLOB_UPLOAD_UNKNOWN");
  });

  it("answers BLOB_UPLOAD_UNKNOWN for forged ids and for sessions of another image", async () => {
    const r = await ociRepo();
    expect((await errorsOf(await oci(`/v2/${r.name}/blobs/uploads/not-an-id`, { auth: r.token }), 404))[0]!.code).toBe("BLOB_UPLOAD_UNKNOWN");
    const loc = await start(r.name, r.token);
    const uuid = loc.split("/").pop();
    const other = await oci(`/v2/${r.prefix}/other/blobs/uploads/${uuid}`, { auth: r.token });
    expect((await errorsOf(other, 404))[0]!.code).toBe("BLOB_UPLOAD_UNKNOWN");
    const reader = await ociRepo("reader");
    const denied = await oci(`/v2/${reader.name}/blobs/uploads/`, { method: "POST", auth: reader.token });
    expect((await errorsOf(denied, 403))[0]!.code).toBe("DENIED");
  });

  it("expires an abandoned upload: the alarm aborts its R2 multipart upload and forgets it", async () => {
    const r = await ociRepo();
    const loc = await start(r.name, r.token);
    await patch(loc, r.token, streamOf(bytesOf(PART_SIZE + 10, 10), 1 << 20));
    const stub = env.UPLOAD_SESSIONS.get(env.UPLOAD_SESSIONS.idFromString(loc.split("/").pop()!));
    const meta = await runInDurableObject(stub, async (_o, state) => {
      expect(await state.storage.getAlarm()).toBeGreaterThan(Date.now());
      return (await state.storage.get<{ key: string; uploadId: string }>("meta"))!;
    });
    expect(meta.uploadId).toBeTruthy();
    await stub.expireNow();
    expect((await errorsOf(await oci(loc, { auth: r.token }), 404))[0]!.code).toBe("BLOB_UPLOAD_UNKNOWN");
    const upload = env.BLOBS.resumeMultipartUpload(meta.key, meta.uploadId);
    await expect(upload.complete([])).rejects.toThrow();
  });
});
