/**
 * Chunked and resumable blob uploads: the use-case side of the UploadSession Durable
 * Object (objects/upload-session.ts), which owns the bytes and the state.
 *
 * Invariants:
 * - An upload id is the Durable Object id (unguessable, verified by the namespace);
 *   a session answers only to the repo and image that started it.
 * - The R2 key of the blob is chosen here when the upload starts, so finishing is a
 *   multipart `complete` (no copy); `recordBlob` then maps digest → key (or drops the
 *   object when the digest is already stored: deduplication).
 * - A digest mismatch at finish deletes the object and fails with DIGEST_INVALID.
 */
import type { Scope } from "./scope";
import type { OpenedImage } from "./oci-access";
import { ownerOf } from "./oci-access";
import { recordBlob } from "./blobs";
import { requireDigest } from "./oci-blobs";
import { newBlobKey } from "../storage/keys";
import { deleteObject } from "../storage/blob-store";
import { RegistryError } from "../core/errors";
import { sha256Digest } from "../core/digest";
import { uploadRange } from "../core/oci-names";
import type { UploadFailure, UploadStatus } from "../objects/upload-session";

const uploadUnknown = () => new RegistryError("NotFoundUpload", "no such upload session (finished, cancelled or expired)", { protocolCode: "BLOB_UPLOAD_UNKNOWN" });

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
  throw new RegistryError(f.code, f.message, { protocolCode: f.protocolCode, headers });
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

/** PATCH (and the body of a PUT): append at `start` when the client gave a Content-Range. */
export async function appendChunk(scope: Scope, img: OpenedImage, uuid: string, body: ReadableStream<Uint8Array> | null, start: number | null): Promise<number> {
  return ok(await stubOf(scope, uuid).append(ownerOf(img), body, start));
}

export async function finishUpload(scope: Scope, img: OpenedImage, uuid: string, digest: string | undefined, body: ReadableStream<Uint8Array> | null) {
  const expected = requireDigest(digest);
  const stub = stubOf(scope, uuid);
  if (body) ok(await stub.append(ownerOf(img), body, null));
  const done = await stub.finish(ownerOf(img));
  if (!done.ok) fail(done);
  const actual = sha256Digest(done.sha256);
  if (actual !== expected) {
    await deleteObject(scope.env.BLOBS, done.key);
    throw new RegistryError("InvalidDigestMismatch", `the uploaded content's digest is ${actual}, not ${expected}`, { protocolCode: "DIGEST_INVALID" });
  }
  await recordBlob(scope, img.repo.id, { digest: actual, size: done.size, key: done.key, mediaType: null });
  return { digest: actual, size: done.size };
}

export async function cancelUpload(scope: Scope, img: OpenedImage, uuid: string): Promise<void> {
  ok(await stubOf(scope, uuid).cancel(ownerOf(img)));
}
