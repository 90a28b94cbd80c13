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
 * - Quotas: a body of known length is reserved in the project's quota before a byte is
 *   written (a QuotaTicket: a lease renewed from the streaming loop, committed by the
 *   link, released on every other path); a new link is charged before it is written to
 *   D1 (services/artifacts/quotas.ts), so a push over the Reject limit fails and leaves
 *   no object, row or link behind.
 * - A body that breaks off fails with `bodyBroken` (core/block-reader.ts, 400) and
 *   leaves no object, and no reservation.
 * - Two concurrent uploads of the same new digest race on `insert … on conflict do
 *   nothing`: the loser sees the winner's row and deletes its own object.
 */
import type { Scope } from "../scope";
import * as q from "../../db/blobs";
import { findRepo } from "../../db/projects";
import { newBlobKey } from "../../storage/keys";
import { deleteObject, getObject, putStream, type ChecksumAlgorithm, type PutOptions, type PutResult } from "../../storage/blob-store";
import { RegistryError, notFound } from "../../core/errors";
import { sha256Digest } from "../../core/digest";
import { chargeLink, reserveBytes, unchargeLink } from "./quotas";
import { QuotaTicket } from "../../core/quota-ticket";

export type { ChecksumAlgorithm } from "../../storage/blob-store";

/** A repo id, or the repo with its project id when the caller already has it. */
export type RepoRef = string | { id: string; projectId: string };

async function resolveRepo(scope: Scope, ref: RepoRef): Promise<{ id: string; projectId: string }> {
  if (typeof ref !== "string") return ref;
  const repo = await findRepo(scope.db, ref);
  if (!repo) throw notFound("Repo", `repository ${ref} not found`);
  return repo;
}

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

export async function ingestBlob(scope: Scope, ref: RepoRef, body: ReadableStream<Uint8Array>, opts: IngestOptions = {}): Promise<IngestedBlob> {
  const repo = await resolveRepo(scope, ref);
  const ticket = opts.length != null ? await reserveBytes(scope, repo.projectId, opts.length) : QuotaTicket.none();
  try {
    const key = newBlobKey();
    const expected = Object.entries(opts.expectedChecksums ?? {}) as [ChecksumAlgorithm, string][];
    const algorithms = [...new Set([...(opts.checksums ?? []), ...expected.map(([alg]) => alg)])];
    const { size, sha256, checksums } = await putStream(scope.env.BLOBS, key, body, { ...opts, checksums: algorithms, onBlock: ticket.renew });
    const digest = sha256Digest(sha256);
    const mismatch =
      opts.expectedDigest && opts.expectedDigest !== digest
        ? `the content's digest is ${digest}, not ${opts.expectedDigest}`
        : expected.filter(([alg, hex]) => checksums[alg] !== hex.toLowerCase()).map(([alg, hex]) => `the content's ${alg} is ${checksums[alg]}, not ${hex}`)[0];
    if (mismatch) {
      await deleteObject(scope.env.BLOBS, key);
      throw new RegistryError("InvalidDigestMismatch", mismatch);
    }
    const { created } = await recordBlob(scope, repo, { digest, size, key, mediaType: opts.mediaType ?? null }, ticket);
    return { digest, size, created, checksums };
  } finally {
    await ticket.release(); // a no-op once the link consumed it
  }
}

/**
 * Records that `key` holds `digest` and links it to the repo. Used by ingestBlob and by
 * multi-request uploads (OCI) that wrote the object themselves. On any failure the
 * object at `key` is deleted unless it is the one the blob row names.
 */
export async function recordBlob(
  scope: Scope,
  ref: RepoRef,
  b: { digest: string; size: number; key: string; mediaType: string | null },
  ticket: QuotaTicket = QuotaTicket.none(),
): Promise<{ created: boolean }> {
  const repo = await resolveRepo(scope, ref);
  const existing = await q.findBlob(scope.db, b.digest);
  const dropOurs = () => (existing?.r2Key === b.key ? Promise.resolve() : deleteObject(scope.env.BLOBS, b.key));
  if (existing && (await q.findLinkedBlob(scope.db, repo.id, b.digest))) {
    await Promise.all([dropOurs(), ticket.release()]);
    return { created: false };
  }
  try {
    await chargeLink(scope, repo.projectId, b.digest, existing?.size ?? b.size, ticket);
  } catch (e) {
    await dropOurs();
    throw e;
  }
  const now = Date.now();
  try {
    const linked = existing
      ? await q.linkBlob(scope.db, repo.id, b.digest, now).run()
      : (
          await scope.db.batch([
            q.insertBlobIfAbsent(scope.db, { digest: b.digest, r2Key: b.key, size: b.size, mediaType: b.mediaType, createdAt: now }),
            q.linkBlob(scope.db, repo.id, b.digest, now),
          ])
        )[1];
    // A concurrent request linked the same digest first: its charge stands, ours goes.
    if ((linked as D1Result).meta?.changes === 0) await unchargeLink(scope, repo.projectId, b.digest);
  } catch (e) {
    await unchargeLink(scope, repo.projectId, b.digest);
    await dropOurs();
    throw e;
  }
  const winner = existing ?? (await q.findBlob(scope.db, b.digest));
  const created = winner?.r2Key === b.key;
  if (!created) await deleteObject(scope.env.BLOBS, b.key);
  return { created };
}

/** Links an already-stored blob to another repo (cross-repo mount), charging the quota. */
export async function linkExistingBlob(scope: Scope, ref: RepoRef, digest: string): Promise<q.BlobRow | undefined> {
  const blob = await q.findBlob(scope.db, digest);
  if (blob) await recordBlob(scope, ref, { digest, size: blob.size, key: blob.r2Key, mediaType: blob.mediaType });
  return blob;
}

export const findRepoBlob = (scope: Scope, repoId: string, digest: string) => q.findLinkedBlob(scope.db, repoId, digest);

/** Removes a repo's link to a blob and gives the bytes back to the quota. */
export async function unlinkBlob(scope: Scope, ref: RepoRef, digest: string): Promise<void> {
  const repo = await resolveRepo(scope, ref);
  const removed = await q.unlinkBlob(scope.db, repo.id, digest).run();
  if (removed.meta.changes > 0) await unchargeLink(scope, repo.projectId, digest);
}

/** Opens a blob row already found (e.g. by `findRepoBlob`), optionally a byte range of it. */
export const openBlobObject = (scope: Scope, blob: { r2Key: string }, range?: R2Range) => getObject(scope.env.BLOBS, blob.r2Key, { range });

/** Opens a blob this repo may read, optionally a byte range of it. */
export async function readBlob(scope: Scope, repoId: string, digest: string, range?: R2Range) {
  const blob = await q.findLinkedBlob(scope.db, repoId, digest);
  if (!blob) return null;
  const object = await getObject(scope.env.BLOBS, blob.r2Key, { range });
  if (!object) return null;
  return { blob, object };
}
