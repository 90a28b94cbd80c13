/**
 * Streams bytes into and out of R2 while hashing them, without holding a whole blob
 * in memory.
 *
 * Invariants:
 * - `putStream` returns the SHA-256 and size of exactly the bytes R2 stored.
 * - A body of known length up to SINGLE_PUT_MAX goes straight through one streaming
 *   `put` (R2 needs a known length: FixedLengthStream provides it). A body of unknown
 *   length, or a larger one, is cut into equal PART_SIZE parts (R2 multipart requires
 *   all parts but the last to be the same size), so at most one part is in memory.
 * - A body longer than `maxBytes` (or than its declared length) aborts the write and
 *   leaves no object behind.
 * - `checksums` asks for extra digests (sha1, md5, sha512) computed in the same pass,
 *   for formats that serve them (Maven, generic); they describe the same bytes.
 */
import { RegistryError } from "../core/errors";
import { hex } from "../core/ids";

export const PART_SIZE = 8 * 1024 * 1024;
export const SINGLE_PUT_MAX = 4 * 1024 * 1024 * 1024;

export type ChecksumAlgorithm = "sha1" | "md5" | "sha512";
const DIGEST_NAMES: Record<ChecksumAlgorithm, string> = { sha1: "SHA-1", md5: "MD5", sha512: "SHA-512" };

export interface PutResult {
  size: number;
  sha256: string;
  /** Lowercase hex of each extra digest asked for in `checksums`. */
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

export interface PutOptions {
  /** Declared length (Content-Length), if known. */
  length?: number | null;
  /** Refuse bodies larger than this. */
  maxBytes?: number;
  contentType?: string;
  /** Extra digests to compute while streaming. */
  checksums?: readonly ChecksumAlgorithm[];
}

const tooLarge = (max: number) =>
  new RegistryError("PayloadTooLargeBody", `the body is larger than the ${max} bytes allowed here`, { protocolCode: "SIZE_INVALID" });

/** A pass-through stream that hashes and counts what flows through it. */
export function hashingStream(maxBytes: number, extra: readonly ChecksumAlgorithm[] = []) {
  const digest = new crypto.DigestStream("SHA-256");
  const writer = digest.getWriter();
  const extras = extra.map((alg) => {
    const d = new crypto.DigestStream(DIGEST_NAMES[alg]);
    return { alg, d, w: d.getWriter() };
  });
  let size = 0;
  const transform = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      size += chunk.byteLength;
      if (size > maxBytes) throw tooLarge(maxBytes);
      await Promise.all([writer.write(chunk), ...extras.map((e) => e.w.write(chunk))]);
      controller.enqueue(chunk);
    },
    async flush() {
      await Promise.all([writer.close(), ...extras.map((e) => e.w.close())]);
    },
  });
  return {
    transform,
    result: async (): Promise<PutResult> => {
      const checksums: PutResult["checksums"] = {};
      for (const e of extras) checksums[e.alg] = hex(new Uint8Array(await e.d.digest));
      return { size, sha256: hex(new Uint8Array(await digest.digest)), checksums };
    },
  };
}

export async function putStream(bucket: R2Bucket, key: string, body: ReadableStream<Uint8Array>, opts: PutOptions = {}): Promise<PutResult> {
  const max = Math.min(opts.maxBytes ?? Number.MAX_SAFE_INTEGER, opts.length ?? Number.MAX_SAFE_INTEGER);
  const hashing = hashingStream(max, opts.checksums);
  const hashed = body.pipeThrough(hashing.transform);
  const httpMetadata = opts.contentType ? { contentType: opts.contentType } : undefined;
  try {
    if (opts.length != null && opts.length <= SINGLE_PUT_MAX) {
      const fixed = new FixedLengthStream(opts.length);
      const piping = hashed.pipeTo(fixed.writable);
      await Promise.all([bucket.put(key, fixed.readable, { httpMetadata }), piping]);
    } else {
      await putMultipart(bucket, key, hashed, httpMetadata);
    }
  } catch (e) {
    await bucket.delete(key).catch(() => undefined);
    if (e instanceof RegistryError) throw e;
    if (opts.length != null && /length|expected bytes/.test(String(e))) {
      throw new RegistryError("InvalidBodyLength", "the body did not match its declared Content-Length", { cause: e, protocolCode: "SIZE_INVALID" });
    }
    throw e;
  }
  return hashing.result();
}

/** Re-chunks a stream of any chunk sizes into PART_SIZE parts. Small bodies use one put. */
async function putMultipart(bucket: R2Bucket, key: string, body: ReadableStream<Uint8Array>, httpMetadata?: R2HTTPMetadata) {
  const parts = partsOf(body, PART_SIZE);
  const first = await parts.next();
  if (first.done) {
    await bucket.put(key, new Uint8Array(0), { httpMetadata });
    return;
  }
  if (first.value.byteLength < PART_SIZE) {
    await bucket.put(key, first.value, { httpMetadata });
    return;
  }
  const upload = await bucket.createMultipartUpload(key, { httpMetadata });
  try {
    const uploaded: R2UploadedPart[] = [await upload.uploadPart(1, first.value)];
    for await (const part of { [Symbol.asyncIterator]: () => parts }) {
      uploaded.push(await upload.uploadPart(uploaded.length + 1, part));
    }
    await upload.complete(uploaded);
  } catch (e) {
    await upload.abort().catch(() => undefined);
    throw e;
  }
}

/** Yields buffers of exactly `size` bytes (the last may be shorter, never empty). */
export async function* partsOf(body: ReadableStream<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let buf = new Uint8Array(size);
  let filled = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    let offset = 0;
    while (offset < value.byteLength) {
      const n = Math.min(size - filled, value.byteLength - offset);
      buf.set(value.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === size) {
        yield buf;
        buf = new Uint8Array(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buf.subarray(0, filled);
}

export interface GetOptions {
  range?: R2Range;
}

export const getObject = (bucket: R2Bucket, key: string, opts: GetOptions = {}) => bucket.get(key, opts.range ? { range: opts.range } : undefined);
export const headObject = (bucket: R2Bucket, key: string) => bucket.head(key);
export const deleteObject = (bucket: R2Bucket, key: string) => bucket.delete(key);
