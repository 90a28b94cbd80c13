/**
 * One Durable Object per in-progress OCI blob upload (chunked, streamed, resumable).
 *
 * The decisions (part size, where a chunk may start, part or re-cut, numbering, keys)
 * are pure functions in core/upload-plan.ts; this object does the I/O around them.
 *
 * Storage (this object's own SQLite-backed KV):
 *   meta        UploadMeta (upload-types.ts): owner, R2 key, multipart id, offset, counts,
 *               and the segment when the blob arrived whole
 *   part:NNNNN  R2UploadedPart of each completed part (all of the upload's partSize)
 *   tail:NNNN   bytes received after the last completed part, in pieces ≤ TAIL_PIECE
 *
 * Bytes arrive in one of two ways:
 * - whole: a request carrying the whole blob with a Content-Length while the session is
 *   at offset 0 is streamed by the Worker into ONE R2 object at a fresh key (hashed on
 *   the way, services/oci/uploads.ts), then adopted here as the segment {key, size,
 *   sha256}. Finishing hands that object over as it is: no multipart, no copy.
 * - as parts: a chunk of exactly `partSize` bytes that starts on a part boundary streams
 *   straight into one R2 part, hashed block by block on the way (nothing buffered, so
 *   the request ends when R2 has the part). An upload's first chunk sets `partSize` to
 *   its own length when that is a valid part size ≤ MAX_DIRECT_PART, so a client that
 *   sends equal chunks (the usual kind) never has its bytes re-cut.
 * - re-chunked: any other body (no length, another size, misaligned) is re-cut into
 *   `partSize` parts; the remainder stays here as tail pieces.
 *
 * Invariants:
 * - segment ≠ null ⇒ offset = segment.size, and no multipart upload, parts or tail.
 *   An append after a segment first converts it (the rare path: a client that sent a
 *   whole blob, then more): the segment object is read back from R2 into parts and tail
 *   like any body — a copy, the one this design pays only for such clients — and then
 *   deleted. Meta forgets the segment at the conversion's first save; from then on its
 *   object is garbage and is deleted when the conversion ends, whichever way.
 * - offset = parts × partSize + tailBytes (or segment.size), and every byte below offset
 *   is durable (R2 parts, tail pieces or the segment object) before a call returns. A
 *   dropped connection keeps every block (core/block-reader.ts) read before it and
 *   answers `interrupted` (400 BLOB_UPLOAD_INVALID with the offset), also when the body
 *   arrives here ending cleanly short of its Content-Length (how a request body that
 *   broke off looks after the RPC hop); the client resumes from the offset it reads
 *   back. A whole-blob request that breaks leaves no object and the offset stays 0.
 * - Calls are serialized by a promise-chain lock: R2 I/O opens the input gate, so
 *   without it two PATCHes could interleave.
 * - While re-chunking, one part uploads while the next is read (at most two parts in
 *   memory). Uploaded parts count (meta, offset) once recorded in storage: every
 *   RECORD_EVERY parts and when the call ends, however it ends. A part uploaded but not
 *   recorded (the object crashed) is simply sent again by the resuming client.
 * - The R2 key is fixed at start: finishing completes the multipart upload (or writes
 *   the tail as the whole object when it never reached one part) and never copies.
 * - The digest is computed inline by a Hasher kept in memory while the same instance
 *   has seen every byte from 0 (a conversion re-hashes the segment's bytes from 0);
 *   after an eviction, or any failed call, it is recomputed at finish by streaming the
 *   finished object (hashObject). A segment carries the digest the Worker computed.
 * - An upload idle for UPLOAD_TTL_MS is expired by the alarm (armed by start, re-armed
 *   by itself from meta.updatedAt): the multipart upload is aborted, the segment object
 *   deleted, all state deleted. Cancel does the same;
 *   finish deletes the state and hands the object to the caller.
 * - Expected failures (unknown session, wrong offset, broken body, too many parts) cross
 *   the RPC boundary as values (UploadFailure); only unexpected ones (R2 errors) throw.
 *   A chunk refused before it is read (unknown session, wrong offset) is drained first
 *   (up to REFUSED_BODY_MAX), so the client reads the 416 or 404 instead of a reset.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { deleteObject, getObject } from "../storage/blob-store";
import { abortMultipart, completeMultipart, createMultipart, hashObject, openPart, putBytes, uploadPart } from "../storage/multipart";
import { MAX_PARTS, checkStart, endedShort, isWholePart, nextPartNumber, partKey, partSizeFor, tailKeys, tailPieces } from "../core/upload-plan";
import { BlockReader, REFUSED_BODY_MAX, copyBlocks, drain } from "../core/block-reader";
import { Hasher } from "../core/hasher";
import {
  interrupted,
  unknownUpload,
  wrongOffset,
  type UploadFailure,
  type UploadFinish,
  type UploadMeta,
  type UploadOwner,
  type UploadSegment,
  type UploadStatus,
} from "./upload-types";

export type { UploadFailure, UploadFinish, UploadOwner, UploadSegment, UploadStatus } from "./upload-types";

export const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;
/** Uploaded parts are recorded in storage at least this often (and when a call ends). */
const RECORD_EVERY = 8;
const CONTENT_TYPE = "application/octet-stream";

const warn = (what: string) => (e: unknown) => console.warn(what, String(e));

export class UploadSession extends DurableObject<Env> {
  private lock: Promise<unknown> = Promise.resolve();
  private hasher: Hasher | null = null;

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async meta(owner: UploadOwner): Promise<UploadMeta | null> {
    const m = await this.ctx.storage.get<UploadMeta>("meta");
    return m && m.repoId === owner.repoId && m.image === owner.image ? m : null;
  }

  /** Writes meta (and `extra` keys) in one storage batch. The alarm is armed by start() and re-arms itself. */
  private async save(m: UploadMeta, extra: Record<string, unknown> = {}) {
    m.updatedAt = Date.now();
    await this.ctx.storage.put({ ...extra, meta: m });
  }

  async start(owner: UploadOwner, key: string): Promise<UploadStatus> {
    const now = Date.now();
    const m: UploadMeta = { ...owner, key, uploadId: null, parts: 0, tailPieces: 0, tailBytes: 0, offset: 0, segment: null, createdAt: now, updatedAt: now };
    await this.save(m);
    await this.ctx.storage.setAlarm(now + UPLOAD_TTL_MS);
    return { ok: true, offset: 0 };
  }

  async status(owner: UploadOwner): Promise<UploadStatus> {
    const m = await this.meta(owner);
    return m ? { ok: true, offset: m.offset } : unknownUpload();
  }

  /**
   * Takes a whole blob the Worker stored as one object. Refused (the caller deletes the
   * object) unless the session is still at offset 0.
   */
  adoptWhole(owner: UploadOwner, segment: UploadSegment): Promise<UploadStatus> {
    return this.serialized(async () => {
      const m = await this.meta(owner);
      if (!m) return unknownUpload();
      if (m.offset !== 0) return wrongOffset(m.offset, 0);
      m.segment = segment;
      m.offset = segment.size;
      this.hasher = null;
      await this.save(m);
      return { ok: true, offset: m.offset };
    });
  }

  /**
   * Appends a body at `start` (when the client said where); `length` is its
   * Content-Length when it has one.
   */
  append(owner: UploadOwner, body: ReadableStream<Uint8Array> | null, start: number | null, length: number | null = null): Promise<UploadStatus> {
    return this.serialized(async () => {
      const m = await this.meta(owner);
      if (!m) return refuse(body, unknownUpload());
      const where = checkStart(m.offset, start);
      if (!where.ok) return refuse(body, wrongOffset(where.expected, start!));
      if (!body) return { ok: true, offset: m.offset };
      try {
        m.partSize = partSizeFor(m, length);
        if (m.segment && !(await this.convert(m, m.segment))) return interrupted(m.offset);
        if (isWholePart(m, m.partSize, length)) return await this.appendPart(m, body, length!);
        const from = m.offset;
        if (!(await this.consume(m, body))) return interrupted(m.offset);
        if (endedShort(length, m.offset - from)) return interrupted(m.offset);
      } catch (e) {
        this.hasher = null;
        if (e instanceof TooLarge) return { ok: false, code: "PayloadTooLargeUpload", message: e.message, offset: m.offset };
        throw e;
      }
      return { ok: true, offset: m.offset };
    });
  }

  /**
   * Streams one whole part into R2 block by block, hashing each block on the way: no
   * buffering, so the part is stored as soon as its last byte arrives. (A native
   * `tee()` into the digest costs ~8 ms/MiB more CPU under workerd than this loop.)
   * The part counts once recorded; a broken body leaves the offset where it was.
   */
  private async appendPart(m: UploadMeta, body: ReadableStream<Uint8Array>, length: number): Promise<UploadStatus> {
    const n = await this.nextPart(m, length);
    const hasher = this.hasherAt(m.offset);
    this.hasher = null; // until this part is stored: a failure leaves the digest unknown
    const part = openPart(this.env.BLOBS, m.key, m.uploadId!, n, length);
    const writer = part.writable.getWriter();
    const blocks = new BlockReader(body);
    let broke: unknown; // the body failing (a dropped connection, a short body), as opposed to R2
    try {
      broke = await copyBlocks(blocks, writer, length, hasher);
      await (broke ? writer.abort(broke) : writer.close());
    } catch (e) {
      await blocks.cancel(e);
      throw e; // R2 refused the part: nothing was recorded
    }
    if (broke) {
      await part.uploaded.catch(() => undefined);
      return interrupted(m.offset); // logged once, by the Worker that answers
    }
    const uploaded = await part.uploaded; // an R2 failure propagates: nothing was recorded
    this.hasher = hasher;
    Object.assign(m, { parts: n, offset: m.offset + length });
    await this.save(m, { [partKey(n)]: uploaded });
    return { ok: true, offset: m.offset };
  }

  /** The number of the next part of `size` bytes, starting the multipart upload on the first. */
  private async nextPart(m: UploadMeta, size: number): Promise<number> {
    const n = nextPartNumber(m.parts);
    if (n === null) throw new TooLarge(`an upload may hold at most ${MAX_PARTS} parts of ${size} bytes`);
    if (!m.uploadId) {
      m.uploadId = await createMultipart(this.env.BLOBS, m.key, CONTENT_TYPE);
      await this.save(m); // so the alarm or a cancel can abort it even if the part fails
    }
    return n;
  }

  /** The in-memory hash if it covers exactly the bytes below `offset` (a fresh one at 0), else null. */
  private hasherAt(offset: number): Hasher | null {
    if (offset === 0 && this.hasher?.bytes !== 0) this.hasher = new Hasher();
    if (this.hasher?.bytes !== offset) this.hasher = null;
    return this.hasher;
  }

  /** Moves a segment's bytes into parts and tail (a copy from R2); false if reading it broke off. */
  private async convert(m: UploadMeta, segment: UploadSegment): Promise<boolean> {
    const object = await getObject(this.env.BLOBS, segment.key);
    if (!object) throw new Error(`upload segment ${segment.key} is missing`);
    m.segment = null;
    m.offset = 0;
    this.hasher = null;
    try {
      return (await this.consume(m, object.body)) && m.offset === segment.size;
    } finally {
      const stored = await this.ctx.storage.get<UploadMeta>("meta");
      if (stored?.segment?.key !== segment.key) await deleteObject(this.env.BLOBS, segment.key).catch(warn("deleting a converted segment failed"));
    }
  }

  /** Reads the whole body into parts and tail; false when the body broke off (what was read is kept). */
  private async consume(m: UploadMeta, body: ReadableStream<Uint8Array>): Promise<boolean> {
    const partSize = partSizeOf(m);
    this.hasherAt(m.offset);
    const blocks = new BlockReader(body);
    const log: PartLog = { parts: {}, staleTail: [] };
    let kept = m.tailBytes; // bytes at the start of `part` already stored as tail pieces
    let part = new Uint8Array(partSize);
    if (kept) part.set(await this.tail(m));
    let filled = kept;
    let uploading: Promise<void> | null = null;
    let failure: unknown = null;
    try {
      for (;;) {
        let block: Uint8Array | null;
        try {
          block = await blocks.read(partSize - filled);
        } catch (e) {
          failure = e; // a dropped connection: keep what was read, then report the failure
          break;
        }
        if (!block) break;
        await this.hasher?.update(block);
        part.set(block, filled);
        filled += block.byteLength;
        blocks.release(block);
        if (filled < partSize) continue;
        await uploading; // at most one part in flight
        uploading = this.uploadNext(m, part, log);
        uploading.catch(() => undefined); // handled where it is awaited
        part = new Uint8Array(partSize);
        filled = kept = 0;
      }
      await uploading; // an R2 failure propagates: offset still names only durable bytes
    } catch (e) {
      await blocks.cancel(e);
      await this.record(m, log).catch(warn("recording uploaded parts failed"));
      throw e;
    }
    await this.record(m, log, part.subarray(kept, filled));
    return !failure;
  }

  /** Uploads one full part (stored tail + new bytes); `record` makes it count. */
  private async uploadNext(m: UploadMeta, part: Uint8Array, log: PartLog) {
    const n = await this.nextPart(m, part.byteLength);
    log.parts[partKey(n)] = await uploadPart(this.env.BLOBS, m.key, m.uploadId!, n, part);
    log.staleTail.push(...tailKeys(m.tailPieces));
    Object.assign(m, { parts: n, offset: n * part.byteLength, tailPieces: 0, tailBytes: 0 });
    if (Object.keys(log.parts).length >= RECORD_EVERY) await this.record(m, log);
  }

  /**
   * Stores meta with the parts uploaded since the last record and `tail` as new tail
   * pieces, and drops tail pieces a part has absorbed: one storage batch, so meta and
   * keys always agree. Until then, uploaded parts don't count (a crash re-sends them).
   */
  private async record(m: UploadMeta, log: PartLog, tail = new Uint8Array(0)) {
    const cut = tailPieces(m.tailPieces, tail);
    const pieces = Object.fromEntries(cut.map((p) => [p.key, p.bytes]));
    m.tailPieces += cut.length;
    m.tailBytes += tail.byteLength;
    m.offset += tail.byteLength;
    const stale = log.staleTail.filter((k) => !(k in pieces));
    const writes = [this.save(m, { ...log.parts, ...pieces })];
    if (stale.length) writes.push(this.ctx.storage.delete(stale).then(() => undefined));
    log.parts = {};
    log.staleTail = [];
    await Promise.all(writes);
  }

  /** The stored tail pieces, joined. */
  private async tail(m: UploadMeta): Promise<Uint8Array> {
    const out = new Uint8Array(m.tailBytes);
    if (m.tailPieces === 0) return out;
    const keys = tailKeys(m.tailPieces);
    const got = await this.ctx.storage.get<Uint8Array>(keys);
    let o = 0;
    for (const k of keys) {
      out.set(got.get(k)!, o);
      o += got.get(k)!.byteLength;
    }
    return out;
  }

  /** Writes the object (completing the multipart upload), or hands over the segment, and reports its digest. */
  finish(owner: UploadOwner): Promise<UploadFinish> {
    return this.serialized(async () => {
      const m = await this.meta(owner);
      if (!m) return unknownUpload();
      if (m.segment) {
        const segment = m.segment;
        await this.clear();
        return { ok: true, ...segment };
      }
      try {
        const tail = await this.tail(m);
        if (!m.uploadId) {
          await putBytes(this.env.BLOBS, m.key, tail, CONTENT_TYPE);
        } else {
          if (tail.byteLength) await this.flushLast(m, tail);
          const listed = await this.ctx.storage.list<R2UploadedPart>({ prefix: "part:" });
          await completeMultipart(this.env.BLOBS, m.key, m.uploadId, [...listed.values()]);
        }
        let sha256: string;
        if (this.hasher && this.hasher.bytes === m.offset) {
          sha256 = (await this.hasher.result()).sha256;
        } else {
          const hashed = await hashObject(this.env.BLOBS, m.key);
          if (!hashed) throw new Error(`finished upload object ${m.key} is missing`);
          sha256 = hashed.sha256;
        }
        await this.clear();
        return { ok: true, key: m.key, size: m.offset, sha256 };
      } catch (e) {
        this.hasher = null;
        throw e;
      }
    });
  }

  private async flushLast(m: UploadMeta, tail: Uint8Array) {
    const uploaded = await uploadPart(this.env.BLOBS, m.key, m.uploadId!, m.parts + 1, tail);
    await this.ctx.storage.put(partKey(m.parts + 1), uploaded);
  }

  /** Cancels: aborts the multipart upload, deletes a segment object, forgets everything. */
  cancel(owner: UploadOwner): Promise<UploadStatus> {
    return this.serialized(async () => {
      const m = await this.meta(owner);
      if (!m) return unknownUpload();
      await this.discard(m);
      return { ok: true, offset: 0 };
    });
  }

  override async alarm() {
    await this.serialized(async () => {
      const m = await this.ctx.storage.get<UploadMeta>("meta");
      if (!m) return this.clear();
      if (Date.now() - m.updatedAt < UPLOAD_TTL_MS) return this.ctx.storage.setAlarm(m.updatedAt + UPLOAD_TTL_MS);
      await this.discard(m);
    });
  }

  /** Test hook: pretend the upload has been idle past its TTL and run the alarm now. */
  async expireNow(): Promise<void> {
    const m = await this.ctx.storage.get<UploadMeta>("meta");
    if (m) await this.ctx.storage.put("meta", { ...m, updatedAt: 0 });
    await this.alarm();
  }

  private async discard(m: UploadMeta) {
    if (m.uploadId) await abortMultipart(this.env.BLOBS, m.key, m.uploadId).catch(warn("abort multipart failed"));
    if (m.segment) await deleteObject(this.env.BLOBS, m.segment.key).catch(warn("deleting an upload segment failed"));
    await this.clear();
  }

  private async clear() {
    this.hasher = null;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}

class TooLarge extends Error {}

/** Answers `failure` once the refused body is drained: the client then reads the answer, not a reset. */
async function refuse(body: ReadableStream<Uint8Array> | null, failure: UploadFailure): Promise<UploadFailure> {
  if (body) await drain(body, REFUSED_BODY_MAX);
  return failure;
}

/** Set by `append` before any bytes are read, so always present where parts are made. */
const partSizeOf = (m: UploadMeta) => m.partSize!;

/** Parts uploaded but not yet recorded, and tail keys they made redundant. */
interface PartLog {
  parts: Record<string, R2UploadedPart>;
  staleTail: string[];
}
