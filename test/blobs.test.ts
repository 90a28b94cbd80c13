import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { ingestBlob, readBlob } from "../src/services/artifacts/blobs";
import { PART_SIZE } from "../src/storage/blob-store";
import { database } from "../src/db/client";
import { Access } from "../src/auth/access";
import { INSTANCE_ADMIN } from "../src/auth/principal";
import type { Scope } from "../src/services/scope";
import { createProject, createRepo } from "./helpers";
import { RegistryError } from "../src/core/errors";

function scope(): Scope {
  const db = database(env.DB);
  return { env, db, access: new Access(db, INSTANCE_ADMIN), requestId: "test", ip: null, baseUrl: "http://x", waitUntil: () => {} };
}

/** A stream of `total` pseudo-random bytes in chunks of `chunk` bytes, and its sha256. */
async function bytes(total: number, chunk: number) {
  const data = new Uint8Array(total);
  for (let i = 0; i < total; i++) data[i] = (i * 2654435761) >>> 24;
  const hex = [...new Uint8Array(await crypto.subtle.digest("SHA-256", data))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const stream = () =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (let o = 0; o < total; o += chunk) c.enqueue(data.slice(o, Math.min(total, o + chunk)));
        c.close();
      },
    });
  return { data, digest: `sha256:${hex}`, stream };
}

async function objectCount() {
  return (await env.BLOBS.list({ prefix: "blobs/" })).objects.length;
}

describe("blob ingestion", () => {
  it("stores a body of known length, hashes it and reads it back, ranges included", async () => {
    const repo = await createRepo((await createProject()).id, "generic");
    const b = await bytes(100_000, 7_000);
    const s = scope();
    const stored = await ingestBlob(s, repo.id, b.stream(), { length: 100_000, expectedDigest: b.digest });
    expect(stored).toEqual({ digest: b.digest, size: 100_000, created: true, checksums: {} });
    const read = await readBlob(s, repo.id, b.digest, { offset: 10, length: 5 });
    expect(new Uint8Array(await new Response(read!.object.body).arrayBuffer())).toEqual(b.data.slice(10, 15));
  });

  it("computes extra checksums in the same pass when asked", async () => {
    const repo = await createRepo((await createProject()).id, "generic");
    const data = new TextEncoder().encode("hello\n");
    const stream = new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(data), c.close()) });
    const stored = await ingestBlob(scope(), repo.id, stream, { length: data.length, checksums: ["sha1", "md5", "sha512"] });
    expect(stored.digest).toBe("sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    expect(stored.checksums.sha1).toBe("f572d396fae9206628714fb2ce00f72e94f2258f");
    expect(stored.checksums.md5).toBe("b1946ac92492d2347c6235b4d2611184");
    expect(stored.checksums.sha512).toMatch(/^e7c22b994c59d9cf2b48e549b1e24666/);
  });

  it("re-chunks a body of unknown length into equal multipart parts", async () => {
    const repo = await createRepo((await createProject()).id, "generic");
    const total = 2 * PART_SIZE + 12345;
    const b = await bytes(total, 1_000_003);
    const s = scope();
    const stored = await ingestBlob(s, repo.id, b.stream(), { expectedDigest: b.digest });
    expect(stored.size).toBe(total);
    const read = await readBlob(s, repo.id, b.digest);
    expect(read!.object.size).toBe(total);
    const back = new Uint8Array(await new Response(read!.object.body).arrayBuffer());
    expect(back.length).toBe(total);
    expect(back[total - 1]).toBe(b.data[total - 1]);
  });

  it("rejects a digest mismatch and leaves no object behind", async () => {
    const repo = await createRepo((await createProject()).id, "generic");
    const b = await bytes(5000, 1000);
    const before = await objectCount();
    const wrong = `sha256:${"0".repeat(64)}`;
    await expect(ingestBlob(scope(), repo.id, b.stream(), { length: 5000, expectedDigest: wrong })).rejects.toMatchObject({
      code: "InvalidDigestMismatch",
    });
    expect(await objectCount()).toBe(before);
  });

  it("refuses a body longer than its declared length or the limit, leaving nothing", async () => {
    const repo = await createRepo((await createProject()).id, "generic");
    const b = await bytes(5000, 1000);
    const before = await objectCount();
    await expect(ingestBlob(scope(), repo.id, b.stream(), { maxBytes: 4000 })).rejects.toBeInstanceOf(RegistryError);
    expect(await objectCount()).toBe(before);
  });

  it("deduplicates identical content across repos and gates reads by link", async () => {
    const project = await createProject();
    const r1 = await createRepo(project.id, "generic");
    const r2 = await createRepo(project.id, "generic");
    const r3 = await createRepo(project.id, "generic");
    const b = await bytes(3000, 3000);
    const s = scope();
    const first = await ingestBlob(s, r1.id, b.stream(), { length: 3000 });
    const count = await objectCount();
    const second = await ingestBlob(s, r2.id, b.stream(), { length: 3000 });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(await objectCount()).toBe(count);
    expect(await readBlob(s, r3.id, b.digest)).toBeNull();
  });
});
