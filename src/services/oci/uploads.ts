/**
 * Chunked and resumable blob uploads: the use-case side of the UploadSession Durable
 * Object (objects/upload-session.ts), which owns the state.
 *
 * Invariants:
 * - An upload id is the Durable Object id (unguessable, verified by the namespace);
 *   a session answers only to the repo and image that started it.
 * - Fast path: a body with a Content-Length that is the whole blob (a PATCH without
 *   Content-Range, or a finishing PUT starting at 0) while the session is at offset 0
 *   is streamed here, hashed on the way, into ONE R2 object at a fresh key, which the
 *   session then adopts (`adoptWhole`). This is how skopeo, docker and monolithic
 *   clients upload; such a blob is never a multipart object and is never copied. Every
 *   other body (chunks with Content-Range, bodies without a length) streams into the
 *   session, which re-chunks it into parts.
 * - A fast-path body that breaks leaves no object (putStream deletes it) and the session
 *   at offset 0: the client starts again (the 400 says `Range: 0-0`). An object the session refuses (it moved on
 *   meanwhile) is deleted; one whose adoption failed in transit is left for GC, since it
 *   may have been adopted.
 * - Every other R2 key is chosen when the upload starts, so finishing is a multipart
 *   `complete` (no copy); `recordBlob` then maps digest → key (or drops the object when
 *   the digest is already stored: deduplication).
 * - A digest mismatch at finish deletes the object and fails with DIGEST_INVALID.
 */
import type { Scope } from "../scope";
import type { OpenedImage } from "./access";
import { ownerOf } from "./access";
import { recordBlob } from "../artifacts/blobs";
import { requireDigest } from "./blobs";
import { newBlobKey } from "../../storage/keys";
import { SINGLE_PUT_MAX, deleteObject, putStream } from "../../storage/blob-store";
import { MIN_PART_SIZE } from "../../storage/multipart";
import { RegistryError, isRegistryError } from "../../core/errors";
import { BODY_BROKEN } from "../../core/block-reader";
import { sha256Digest } from "../../core/digest";
import { uploadRange } from "./names";
import type { UploadFailure, UploadStatus } from "../../objects/upload-session";
import { interrupted } from "../../objects/upload-types";

/**
 * Advertised as OCI-Chunk-Min-Length when an upload starts: R2's smallest part. Smaller
 * chunks are taken too (and re-cut), but a client that reads the header sends chunks
 * that can become R2 parts as they arrive (objects/upload-session.ts).
 */
export const MIN_CHUNK_LENGTH = MIN_PART_SIZE;

const uploadUnknown = () => new RegistryError("NotFoundUpload", "no such upload session (finished, cancelled or expired)");

function stubOf(scope: Scope, uuid: string) {
  let id: DurableObjectId;
  try {
    id = scope.env.UPLOAD_SESSIONS.idFromString(uuid);
  } catch {
    throw uploadUnknown();
  }
  return scope.env.UPLOAD_SESSIONS.get(id);
}

function fail(f: UploadFailure): never {
  const headers: Record<string, string> = f.offset !== undefined ? { Range: uploadRange(f.offset) } : {};
  throw new RegistryError(f.code, f.message, { headers });
}

const ok = (s: UploadStatus) => (s.ok ? s.offset : fail(s));

export async function startUpload(scope: Scope, img: OpenedImage): Promise<string> {
  const id = scope.env.UPLOAD_SESSIONS.newUniqueId();
  const stub = scope.env.UPLOAD_SESSIONS.get(id);
  ok(await stub.start(ownerOf(img), newBlobKey()));
  return id.toString();
}

export async function uploadStatus(scope: Scope, img: OpenedImage, uuid: string): Promise<number> {
  return ok(await stubOf(scope, uuid).status(ownerOf(img)));
}

/**
 * PATCH (and the body of a PUT): append at `start` when the client gave a Content-Range.
 * `length` is the body's Content-Length, when it has one; `last` says no chunk follows
 * (the finishing PUT).
 */
export async function appendChunk(scope: Scope, img: OpenedImage, uuid: string, body: ReadableStream<Uint8Array> | null, start: number | null, length: number | null, last = false): Promise<number> {
  const stub = stubOf(scope, uuid);
  // A PATCH with a Content-Range is a chunk of many (a first one taken whole would cost a
  // conversion, ~10 % of a 16 MiB-chunk push); one without, or a PUT, sends the blob whole.
  const whole = start === null || (last && start === 0);
  if (body && length && length <= SINGLE_PUT_MAX && whole && ok(await stub.status(ownerOf(img))) === 0) {
    return appendWhole(scope, img, stub, body, length);
  }
  return ok(await stub.append(ownerOf(img), body, start, length));
}

async function appendWhole(scope: Scope, img: OpenedImage, stub: ReturnType<typeof stubOf>, body: ReadableStream<Uint8Array>, length: number): Promise<number> {
  const key = newBlobKey();
  let stored: Awaited<ReturnType<typeof putStream>>;
  try {
    stored = await putStream(scope.env.BLOBS, key, body, { length, contentType: "application/octet-stream" });
  } catch (e) {
    // The session is still at 0: say so, as every other upload failure says where to resume.
    if (isRegistryError(e) && e.code === BODY_BROKEN) fail(interrupted(0));
    throw e;
  }
  const adopted = await stub.adoptWhole(ownerOf(img), { key, size: stored.size, sha256: stored.sha256 });
  if (!adopted.ok) await deleteObject(scope.env.BLOBS, key);
  return ok(adopted);
}

export async function finishUpload(scope: Scope, img: OpenedImage, uuid: string, digest: string | undefined) {
  const expected = requireDigest(digest);
  const done = await stubOf(scope, uuid).finish(ownerOf(img));
  if (!done.ok) fail(done);
  const actual = sha256Digest(done.sha256);
  if (actual !== expected) {
    await deleteObject(scope.env.BLOBS, done.key);
    throw new RegistryError("InvalidDigestMismatch", `the uploaded content's digest is ${actual}, not ${expected}`);
  }
  await recordBlob(scope, img.repo, { digest: actual, size: done.size, key: done.key, mediaType: null });
  return { digest: actual, size: done.size };
}

export async function cancelUpload(scope: Scope, img: OpenedImage, uuid: string): Promise<void> {
  ok(await stubOf(scope, uuid).cancel(ownerOf(img)));
}
