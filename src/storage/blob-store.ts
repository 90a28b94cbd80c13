/**
 * Streams bytes into and out of R2 while hashing them, without holding a whole blob
 * in memory.
 *
 * Invariants:
 * - `putStream` returns the SHA-256 and size of exactly the bytes R2 stored.
 * - A body of known length up to SINGLE_PUT_MAX goes straight through one streaming
 *   `put` (R2 needs a known length: FixedLengthStream provides it). A body of unknown
 *   length, or a larger one, is cut into equal PART_SIZE parts (R2 multipart requires
 *   all parts but the last to be the same size); one part uploads while the next is
 *   read, so at most two parts are in memory.
 * - The body is read in BLOCK-sized blocks (core/block-reader.ts): hashing and writing
 *   run once per block, not once per 4 KiB request chunk.
 * - A body longer than `maxBytes` (or than its declared length) aborts the write and
 *   leaves no object behind; so does one that ends before its declared length.
 * - `checksums` asks for extra digests (sha1, md5, sha512) computed in the same pass,
 *   for formats that serve them (Maven, generic); they describe the same bytes.
 */
import { RegistryError } from "../core/errors";
import { BlockReader, copyBlocks } from "../core/block-reader";
import { Hasher, type ChecksumAlgorithm, type HashResult } from "../core/hasher";
import { PART_SIZE } from "../core/upload-plan";

export type { ChecksumAlgorithm } from "../core/hasher";

export { PART_SIZE };
export const SINGLE_PUT_MAX = 4 * 1024 * 1024 * 1024;

export type PutResult = HashResult;

export interface PutOptions {
  /** Declared length (Content-Length), if known. */
  length?: number | null;
  /** Refuse bodies larger than this. */
  maxBytes?: number;
  contentType?: string;
  /** Extra digests to compute while streaming. */
  checksums?: readonly ChecksumAlgorithm[];
  /** Called after every block read (a quota lease renews from here, throttled). */
  onBlock?: () => void;
}

const tooLarge = (max: number) =>
  new RegistryError("PayloadTooLargeBody", `the body is larger than the ${max} bytes allowed here`);
const badLength = (cause?: unknown) =>
  new RegistryError("InvalidBodyLength", "the body did not match its declared Content-Length", { cause });

export async function putStream(bucket: R2Bucket, key: string, body: ReadableStream<Uint8Array>, opts: PutOptions = {}): Promise<PutResult> {
  const max = Math.min(opts.maxBytes ?? Number.MAX_SAFE_INTEGER, opts.length ?? Number.MAX_SAFE_INTEGER);
  const hasher = new Hasher(opts.checksums);
  const blocks = new BlockReader(body, { declared: opts.length ?? null, onBlock: opts.onBlock });
  const httpMetadata = opts.contentType ? { contentType: opts.contentType } : undefined;
  try {
    if (opts.length != null && opts.length > max) throw tooLarge(max);
    if (opts.length != null && opts.length <= SINGLE_PUT_MAX) await putKnownLength(bucket, key, blocks, hasher, opts.length, httpMetadata);
    else await putMultipart(bucket, key, blocks, hasher, max, httpMetadata);
  } catch (e) {
    await blocks.cancel(e);
    await bucket.delete(key).catch(() => undefined);
    if (e instanceof RegistryError) throw e;
    if (opts.length != null && /length|expected bytes/.test(String(e))) throw badLength(e);
    throw e;
  }
  return hasher.result();
}

async function putKnownLength(bucket: R2Bucket, key: string, blocks: BlockReader, hasher: Hasher, length: number, httpMetadata?: R2HTTPMetadata) {
  const fixed = new FixedLengthStream(length);
  const writer = fixed.writable.getWriter();
  const putting = bucket.put(key, fixed.readable, { httpMetadata });
  try {
    const broke = await copyBlocks(blocks, writer, length, hasher);
    if (broke) throw broke;
    if (await blocks.read(1)) throw tooLarge(length);
    await writer.close();
  } catch (e) {
    await writer.abort(e).catch(() => undefined);
    await putting.catch(() => undefined);
    throw e;
  }
  await putting;
}

/** Fills one PART_SIZE buffer from the body (shorter only at its end; empty once it has ended). */
async function readPart(blocks: BlockReader, hasher: Hasher, max: number): Promise<Uint8Array> {
  const part = new Uint8Array(PART_SIZE);
  let filled = 0;
  while (filled < PART_SIZE) {
    const block = await blocks.read(PART_SIZE - filled);
    if (!block) break;
    await hasher.update(block);
    if (hasher.bytes > max) throw tooLarge(max);
    part.set(block, filled);
    filled += block.byteLength;
    blocks.release(block);
  }
  return filled === PART_SIZE ? part : part.subarray(0, filled);
}

/** Re-chunks a body of any chunk sizes into PART_SIZE parts. Small bodies use one put. */
async function putMultipart(bucket: R2Bucket, key: string, blocks: BlockReader, hasher: Hasher, max: number, httpMetadata?: R2HTTPMetadata) {
  const first = await readPart(blocks, hasher, max);
  if (first.byteLength < PART_SIZE) {
    await bucket.put(key, first, { httpMetadata });
    return;
  }
  const upload = await bucket.createMultipartUpload(key, { httpMetadata });
  let sending: Promise<R2UploadedPart> | null = null;
  try {
    const uploaded: R2UploadedPart[] = [];
    let part = first;
    while (part.byteLength > 0) {
      sending = upload.uploadPart(uploaded.length + 1, part);
      // Read the next part while this one uploads (R2 accepts parts in any order).
      const next = part.byteLength === PART_SIZE ? await readPart(blocks, hasher, max) : new Uint8Array(0);
      uploaded.push(await sending);
      sending = null;
      part = next;
    }
    await upload.complete(uploaded);
  } catch (e) {
    await sending?.catch(() => undefined);
    await upload.abort().catch(() => undefined);
    throw e;
  }
}

export interface GetOptions {
  range?: R2Range;
}

export const getObject = (bucket: R2Bucket, key: string, opts: GetOptions = {}) => bucket.get(key, opts.range ? { range: opts.range } : undefined);
export const headObject = (bucket: R2Bucket, key: string) => bucket.head(key);
export const deleteObject = (bucket: R2Bucket, key: string) => bucket.delete(key);

/** One page of stored objects under `prefix` (the collector's orphan sweep): key, size, upload time. */
export async function listObjects(bucket: R2Bucket, prefix: string, cursor: string | null, limit: number) {
  const page = await bucket.list({ prefix, limit, ...(cursor ? { cursor } : {}) });
  return {
    objects: page.objects.map((o) => ({ key: o.key, size: o.size, uploaded: o.uploaded.getTime() })),
    cursor: page.truncated ? page.cursor : null,
  };
}
