/**
 * One Durable Object per in-progress OCI blob upload (chunked, streamed, resumable).
 *
 * Storage (this object's own SQLite-backed KV):
 *   meta        UploadMeta: owner (repo, image), R2 key, multipart id, offset, counts
 *   part:NNNNN  R2UploadedPart of each completed part (parts are PART_SIZE bytes)
 *   tail:NNNN   bytes received after the last completed part, in pieces ≤ TAIL_PIECE
 *
 * Invariants:
 * - offset = parts × PART_SIZE + tailBytes, and every byte below offset is durable
 *   (in R2 parts or tail pieces) before a call returns; a dropped connection keeps what
 *   arrived, so the client resumes from the offset it reads back.
 * - Calls are serialized by a promise-chain lock: R2 I/O opens the input gate, so
 *   without it two PATCHes could interleave.
 * - The R2 key is fixed at start: finishing completes the multipart upload (or writes
 *   the tail as the whole object when it never reached one part) and never copies.
 * - The digest is computed inline by a DigestStream kept in memory while the same
 *   instance has seen every byte from 0; after an eviction, or any failed call, it is
 *   recomputed at finish by streaming the finished object (hashObject).
 * - An upload idle for UPLOAD_TTL_MS is expired by the alarm: the multipart upload is
 *   aborted and all state deleted. Finish and cancel delete all state too.
 * - Expected failures (unknown session, wrong offset, broken body, too many parts) cross
 *   the RPC boundary as values (UploadFailure); only unexpected ones (R2 errors) throw.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { PART_SIZE } from "../storage/blob-store";
import { MAX_PARTS, abortMultipart, completeMultipart, createMultipart, hashObject, putBytes, uploadPart } from "../storage/multipart";
import { hex } from "../core/ids";

export const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;
const TAIL_PIECE = 1024 * 1024;
const CONTENT_TYPE = "application/octet-stream";

export interface UploadOwner {
  repoId: string;
  image: string;
}

interface UploadMeta extends UploadOwner {
  key: string;
  uploadId: string | null;
  parts: number;
  tailPieces: number;
  tailBytes: number;
  offset: number;
  createdAt: number;
  updatedAt: number;
}

export interface UploadFailure {
  ok: false;
  code: string;
  message: string;
  protocolCode: string;
  offset?: number;
}
export type UploadStatus = { ok: true; offset: number } | UploadFailure;
export type UploadFinish = { ok: true; key: string; size: number; sha256: string } | UploadFailure;

const unknown = (): UploadFailure => ({ ok: false, code: "NotFoundUpload", message: "no such upload session (finished, cancelled or expired)", protocolCode: "BLOB_UPLOAD_UNKNOWN" });
const pad = (n: number, w: number) => String(n).padStart(w, "0");

interface Hasher {
  writer: WritableStreamDefaultWriter<Uint8Array>;
  digest: Promise<ArrayBuffer>;
  bytes: number;
}

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

  private async save(m: UploadMeta, extra: Record<string, unknown> = {}) {
    m.updatedAt = Date.now();
    await this.ctx.storage.put({ ...extra, meta: m });
    await this.ctx.storage.setAlarm(m.updatedAt + UPLOAD_TTL_MS);
  }

  async start(owner: UploadOwner, key: string): Promise<UploadStatus> {
    const now = Date.now();
    const m: UploadMeta = { ...owner, key, uploadId: null, parts: 0, tailPieces: 0, tailBytes: 0, offset: 0, createdAt: now, updatedAt: now };
    await this.save(m);
    return { ok: true, offset: 0 };
  }

  async status(owner: UploadOwner): Promise<UploadStatus> {
    const m = await this.meta(owner);
    return m ? { ok: true, offset: m.offset } : unknown();
  }

  /** Appends a body at `start` (when the client said where), re-chunking into parts. */
  append(owner: UploadOwner, body: ReadableStream<Uint8Array> | null, start: number | null): Promise<UploadStatus> {
    return this.serialized(async () => {
      const m = await this.meta(owner);
      if (!m) return unknown();
      if (start !== null && start !== m.offset) {
        return { ok: false, code: "RangeNotSatisfiableUpload", message: `the upload is at offset ${m.offset}, not ${start}`, protocolCode: "BLOB_UPLOAD_INVALID", offset: m.offset };
      }
      if (!body) return { ok: true, offset: m.offset };
      try {
        if (!(await this.consume(m, body))) {
          return { ok: false, code: "InvalidUploadInterrupted", message: "the request body ended early; resume from the reported offset", protocolCode: "BLOB_UPLOAD_INVALID", offset: m.offset };
        }
      } catch (e) {
        this.hasher = null;
        if (e instanceof TooLarge) return { ok: false, code: "PayloadTooLargeUpload", message: e.message, protocolCode: "SIZE_INVALID", offset: m.offset };
        throw e;
      }
      return { ok: true, offset: m.offset };
    });
  }

  /** Reads the whole body into parts and tail; false when the body broke off (what arrived is kept). */
  private async consume(m: UploadMeta, body: ReadableStream<Uint8Array>): Promise<boolean> {
    if (m.offset === 0 && !this.hasher) {
      const digest = new crypto.DigestStream("SHA-256");
      this.hasher = { writer: digest.getWriter(), digest: digest.digest, bytes: 0 };
    }
    if (this.hasher && this.hasher.bytes !== m.offset) this.hasher = null;
    const reader = body.getReader();
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let failure: unknown = null;
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        failure = e; // a dropped connection: keep what arrived, then report the failure
        break;
      }
      if (chunk.done) break;
      const value = chunk.value;
      if (!value.byteLength) continue;
      if (this.hasher) {
        await this.hasher.writer.write(value);
        this.hasher.bytes += value.byteLength;
      }
      pending.push(value);
      pendingBytes += value.byteLength;
      while (m.tailBytes + pendingBytes >= PART_SIZE) {
        const need = PART_SIZE - m.tailBytes;
        const [head, rest] = split(pending, need);
        await this.flushPart(m, head); // an R2 failure propagates: offset still names only durable bytes
        pending = rest;
        pendingBytes -= need;
      }
    }
    await this.persistTail(m, pending, pendingBytes);
    if (failure) console.warn("upload body interrupted", String(failure));
    return !failure;
  }

  /** Uploads tail pieces + `head` (exactly one PART_SIZE part), then drops the tail. */
  private async flushPart(m: UploadMeta, head: Uint8Array[]) {
    if (m.parts + 1 > MAX_PARTS) throw new TooLarge(`an upload may hold at most ${MAX_PARTS} parts of ${PART_SIZE} bytes`);
    const part = concat([...(await this.tail(m)), ...head], PART_SIZE);
    if (!m.uploadId) {
      m.uploadId = await createMultipart(this.env.BLOBS, m.key, CONTENT_TYPE);
      await this.save(m); // so the alarm or a cancel can abort it even if the part fails
    }
    const uploaded = await uploadPart(this.env.BLOBS, m.key, m.uploadId, m.parts + 1, part);
    const dropped = Array.from({ length: m.tailPieces }, (_, i) => `tail:${pad(i, 4)}`);
    m.parts += 1;
    m.offset = m.parts * PART_SIZE;
    m.tailPieces = 0;
    m.tailBytes = 0;
    await this.save(m, { [`part:${pad(m.parts, 5)}`]: uploaded });
    if (dropped.length) await this.ctx.storage.delete(dropped);
  }

  private async persistTail(m: UploadMeta, pending: Uint8Array[], bytes: number) {
    if (bytes === 0) return;
    const data = concat(pending, bytes);
    const pieces: Record<string, Uint8Array> = {};
    for (let o = 0; o < data.byteLength; o += TAIL_PIECE) pieces[`tail:${pad(m.tailPieces++, 4)}`] = data.slice(o, o + TAIL_PIECE);
    m.tailBytes += bytes;
    m.offset += bytes;
    await this.save(m, pieces);
  }

  private async tail(m: UploadMeta): Promise<Uint8Array[]> {
    if (m.tailPieces === 0) return [];
    const keys = Array.from({ length: m.tailPieces }, (_, i) => `tail:${pad(i, 4)}`);
    const got = await this.ctx.storage.get<Uint8Array>(keys);
    return keys.map((k) => got.get(k)!);
  }

  /** Writes the object (completing the multipart upload) and reports its digest. */
  finish(owner: UploadOwner): Promise<UploadFinish> {
    return this.serialized(async () => {
      const m = await this.meta(owner);
      if (!m) return unknown();
      try {
        const tail = concat(await this.tail(m), m.tailBytes);
        if (!m.uploadId) {
          await putBytes(this.env.BLOBS, m.key, tail, CONTENT_TYPE);
        } else {
          if (tail.byteLength) await this.flushLast(m, tail);
          const listed = await this.ctx.storage.list<R2UploadedPart>({ prefix: "part:" });
          await completeMultipart(this.env.BLOBS, m.key, m.uploadId, [...listed.values()]);
        }
        let sha256: string;
        if (this.hasher && this.hasher.bytes === m.offset) {
          await this.hasher.writer.close();
          sha256 = hex(new Uint8Array(await this.hasher.digest));
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
    await this.ctx.storage.put(`part:${pad(m.parts + 1, 5)}`, uploaded);
  }

  /** Cancels: aborts the multipart upload and forgets everything. */
  cancel(owner: UploadOwner): Promise<UploadStatus> {
    return this.serialized(async () => {
      const m = await this.meta(owner);
      if (!m) return unknown();
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
    if (m.uploadId) await abortMultipart(this.env.BLOBS, m.key, m.uploadId).catch((e) => console.warn("abort multipart failed", e));
    await this.clear();
  }

  private async clear() {
    this.hasher = null;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}

class TooLarge extends Error {}

/** Splits a list of chunks after `n` bytes. */
function split(chunks: Uint8Array[], n: number): [Uint8Array[], Uint8Array[]] {
  const head: Uint8Array[] = [];
  let left = n;
  let i = 0;
  for (; i < chunks.length && left > 0; i++) {
    const c = chunks[i]!;
    if (c.byteLength <= left) {
      head.push(c);
      left -= c.byteLength;
    } else {
      head.push(c.subarray(0, left));
      return [head, [c.subarray(left), ...chunks.slice(i + 1)]];
    }
  }
  return [head, chunks.slice(i)];
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.byteLength === total) return chunks[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}
