/**
 * R2 multipart uploads driven step by step (one part per call) by the upload-session
 * Durable Object, plus re-reading an object to hash it.
 *
 * Invariants:
 * - Callers pass parts of one size per upload except the last (R2 requires all but
 *   the last part to be the same size, 5 MiB–5 GiB, at most MAX_PARTS of them).
 * - An upload id is only meaningful with its key; both are kept by the caller.
 * - `hashObject` streams the object through crypto.DigestStream: never buffered whole.
 */
import { hex } from "../core/ids";

export { MAX_PARTS, MIN_PART_SIZE } from "../core/upload-plan";

export async function createMultipart(bucket: R2Bucket, key: string, contentType: string): Promise<string> {
  const upload = await bucket.createMultipartUpload(key, { httpMetadata: { contentType } });
  return upload.uploadId;
}

export async function uploadPart(bucket: R2Bucket, key: string, uploadId: string, partNumber: number, bytes: Uint8Array): Promise<R2UploadedPart> {
  return bucket.resumeMultipartUpload(key, uploadId).uploadPart(partNumber, bytes);
}

/**
 * Opens part `partNumber` for streaming: write exactly `length` bytes to `writable`
 * and close it; `uploaded` settles when R2 has stored the part (it fails when the
 * writable is aborted or gets a different number of bytes).
 */
export function openPart(bucket: R2Bucket, key: string, uploadId: string, partNumber: number, length: number): { writable: WritableStream<Uint8Array>; uploaded: Promise<R2UploadedPart> } {
  const { readable, writable } = new FixedLengthStream(length);
  const uploaded = bucket.resumeMultipartUpload(key, uploadId).uploadPart(partNumber, readable);
  uploaded.catch(() => undefined); // handled by whoever awaits it
  return { writable, uploaded };
}

export async function completeMultipart(bucket: R2Bucket, key: string, uploadId: string, parts: R2UploadedPart[]): Promise<void> {
  await bucket.resumeMultipartUpload(key, uploadId).complete(parts);
}

export async function abortMultipart(bucket: R2Bucket, key: string, uploadId: string): Promise<void> {
  await bucket.resumeMultipartUpload(key, uploadId).abort();
}

export async function putBytes(bucket: R2Bucket, key: string, bytes: Uint8Array, contentType: string): Promise<void> {
  await bucket.put(key, bytes, { httpMetadata: { contentType } });
}

/** SHA-256 (hex) and size of a stored object, streamed. */
export async function hashObject(bucket: R2Bucket, key: string): Promise<{ size: number; sha256: string } | null> {
  const object = await bucket.get(key);
  if (!object) return null;
  const digest = new crypto.DigestStream("SHA-256");
  let size = 0;
  await object.body
    .pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, c) {
          size += chunk.byteLength;
          c.enqueue(chunk);
        },
      }),
    )
    .pipeTo(digest);
  return { size, sha256: hex(new Uint8Array(await digest.digest)) };
}
