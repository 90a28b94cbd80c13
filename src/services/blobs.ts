/**
 * Content-addressed blobs shared by every format.
 *
 * Invariants:
 * - `ingestBlob` writes to a fresh R2 key, hashes while streaming, and only then
 *   decides: a digest mismatch deletes the object and fails (nothing half-written
 *   stays visible); a digest already known reuses the existing object and deletes the
 *   new one (deduplication); a new digest gets its `blobs` row. Declared extra
 *   checksums (sha1/md5/sha512) are verified the same way as the declared digest.
 * - A repo reads a blob only through its `repo_blobs` link; linking is idempotent.
 * - Two concurrent uploads of the same new digest race on `insert … on conflict do
 *   nothing`: the loser sees the winner's row and deletes its own object.
 */
import type { Scope } from "./scope";
import * as q from "../db/blobs";
import { newBlobKey } from "../storage/keys";
import { deleteObject, getObject, putStream, type ChecksumAlgorithm, type PutOptions, type PutResult } from "../storage/blob-store";
import { RegistryError } from "../core/errors";
import { sha256Digest } from "../core/digest";

export interface IngestOptions extends PutOptions {
  /** The digest the client declared; the upload fails if the bytes differ. */
  expectedDigest?: string;
  /** Other digests the client declared (lowercase hex); checked like expectedDigest. */
  expectedChecksums?: PutResult["checksums"];
  mediaType?: string | null;
}

export interface IngestedBlob {
  digest: string;
  size: number;
  /** false when the bytes were already stored (deduplicated). */
  created: boolean;
  /** Extra digests asked for with `checksums` (lowercase hex). */
  checksums: PutResult["checksums"];
}

export async function ingestBlob(scope: Scope, repoId: string, body: ReadableStream<Uint8Array>, opts: IngestOptions = {}): Promise<IngestedBlob> {
  const key = newBlobKey();
  const expected = Object.entries(opts.expectedChecksums ?? {}) as [ChecksumAlgorithm, string][];
  const algorithms = [...new Set([...(opts.checksums ?? []), ...expected.map(([alg]) => alg)])];
  const { size, sha256, checksums } = await putStream(scope.env.BLOBS, key, body, { ...opts, checksums: algorithms });
  const digest = sha256Digest(sha256);
  const mismatch =
    opts.expectedDigest && opts.expectedDigest !== digest
      ? `the content's digest is ${digest}, not ${opts.expectedDigest}`
      : expected.filter(([alg, hex]) => checksums[alg] !== hex.toLowerCase()).map(([alg, hex]) => `the content's ${alg} is ${checksums[alg]}, not ${hex}`)[0];
  if (mismatch) {
    await deleteObject(scope.env.BLOBS, key);
    throw new RegistryError("InvalidDigestMismatch", mismatch, { protocolCode: "DIGEST_INVALID" });
  }
  const { created } = await recordBlob(scope, repoId, { digest, size, key, mediaType: opts.mediaType ?? null });
  return { digest, size, created, checksums };
}

/**
 * Records that `key` holds `digest` and links it to the repo. Used by ingestBlob and by
 * multi-request uploads (OCI) that wrote the object themselves.
 */
export async function recordBlob(
  scope: Scope,
  repoId: string,
  b: { digest: string; size: number; key: string; mediaType: string | null },
): Promise<{ created: boolean }> {
  const now = Date.now();
  const existing = await q.findBlob(scope.db, b.digest);
  if (!existing) {
    await scope.db.batch([
      q.insertBlobIfAbsent(scope.db, { digest: b.digest, r2Key: b.key, size: b.size, mediaType: b.mediaType, createdAt: now }),
      q.linkBlob(scope.db, repoId, b.digest, now),
    ]);
  } else {
    await q.linkBlob(scope.db, repoId, b.digest, now).run();
  }
  const winner = existing ?? (await q.findBlob(scope.db, b.digest));
  const created = winner?.r2Key === b.key;
  if (!created) await deleteObject(scope.env.BLOBS, b.key);
  return { created };
}

/** Links an already-stored blob to another repo (cross-repo mount). */
export async function linkExistingBlob(scope: Scope, repoId: string, digest: string): Promise<q.BlobRow | undefined> {
  const blob = await q.findBlob(scope.db, digest);
  if (blob) await q.linkBlob(scope.db, repoId, digest, Date.now()).run();
  return blob;
}

export const findRepoBlob = (scope: Scope, repoId: string, digest: string) => q.findLinkedBlob(scope.db, repoId, digest);

export async function unlinkBlob(scope: Scope, repoId: string, digest: string): Promise<void> {
  await q.unlinkBlob(scope.db, repoId, digest).run();
}

/** Opens a blob this repo may read, optionally a byte range of it. */
export async function readBlob(scope: Scope, repoId: string, digest: string, range?: R2Range) {
  const blob = await q.findLinkedBlob(scope.db, repoId, digest);
  if (!blob) return null;
  const object = await getObject(scope.env.BLOBS, blob.r2Key, { range });
  if (!object) return null;
  return { blob, object };
}
