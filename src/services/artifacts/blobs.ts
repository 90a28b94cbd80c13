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
 * - Safe against the garbage collector running anywhere at the same time (docs/gc.md):
 *   links go only to live blobs, a condemned blob is revived with the pusher's own
 *   bytes, and a link is dropped only when nothing in the repo needs it (recordBlob,
 *   unlinkBlob).
 */
import type { Scope } from "../scope";
import * as q from "../../db/blobs";
import { findRepo } from "../../db/projects";
import { newBlobKey } from "../../storage/keys";
import { deleteObject, getObject, putStream, type ChecksumAlgorithm, type PutOptions, type PutResult } from "../../storage/blob-store";
import { matchBytes, storeBytes } from "../../storage/edge-cache";
import { config } from "../../config";
import { runRead } from "../../db/client";
import { TtlCache } from "../../core/ttl-cache";
import { RegistryError, notFound } from "../../core/errors";
import { gcRefusal } from "../../db/errors";
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
  /**
   * A reservation the caller already holds for `length` bytes (reserveBytes): a caller
   * that must learn of a quota refusal before it starts answering (a pull-through that
   * streams to its client while storing) reserves first and hands it over; ingestBlob
   * then settles it like its own.
   */
  ticket?: QuotaTicket;
  /**
   * The caller hashed the bytes already (they are in memory) and read the digest's blob
   * row and this repo's link with its own reads (services/artifacts readForPublish): a
   * blob the repo links already is not written again, and recording it reads nothing.
   */
  known?: KnownBlob;
}

/** A digest's blob row (any state, or none) and whether the repo links it, as read before an ingest. */
export interface KnownBlob {
  digest: string;
  row: q.BlobRow | undefined;
  linked: boolean;
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
  const known = opts.known;
  if (known?.row?.state === "live" && known.linked && !opts.checksums?.length && !opts.expectedChecksums) {
    // Already stored and linked here: the same bytes (the caller hashed them) are not written again.
    await body.cancel();
    return { digest: known.digest, size: known.row.size, created: false, checksums: {} };
  }
  const ticket = opts.ticket ?? (opts.length != null ? await reserveBytes(scope, repo.projectId, opts.length) : QuotaTicket.none());
  try {
    const key = newBlobKey();
    const expected = Object.entries(opts.expectedChecksums ?? {}) as [ChecksumAlgorithm, string][];
    const algorithms = [...new Set([...(opts.checksums ?? []), ...expected.map(([alg]) => alg)])];
    const { size, sha256, checksums } = await putStream(scope.env.BLOBS, key, body, { ...opts, checksums: algorithms, onBlock: ticket.renew });
    const digest = sha256Digest(sha256);
    const expectedDigest = opts.expectedDigest ?? known?.digest;
    const mismatch =
      expectedDigest && expectedDigest !== digest
        ? `the content's digest is ${digest}, not ${expectedDigest}`
        : expected.filter(([alg, hex]) => checksums[alg] !== hex.toLowerCase()).map(([alg, hex]) => `the content's ${alg} is ${checksums[alg]}, not ${hex}`)[0];
    if (mismatch) {
      await deleteObject(scope.env.BLOBS, key);
      throw new RegistryError("InvalidDigestMismatch", mismatch);
    }
    const { created } = await recordBlob(scope, repo, { digest, size, key, mediaType: opts.mediaType ?? null }, ticket, known ? { row: known.row, linked: known.linked } : undefined);
    return { digest, size, created, checksums };
  } finally {
    await ticket.release(); // a no-op once the link consumed it
  }
}

/**
 * Records that `key` holds `digest` and links it to the repo. Used by ingestBlob and by
 * multi-request uploads (OCI) that wrote the object themselves. On any failure the
 * object at `key` is deleted unless it is the one the blob row names.
 *
 * Against a concurrent garbage collector (docs/gc.md), in a loop of at most
 * LINK_ATTEMPTS, each step one atomic D1 write that a trigger refuses if GC got there
 * first:
 *   row live       → link it; our own object is a duplicate and goes
 *   row condemned  → revive the row with OUR key (GC deletes only the key it condemned)
 *                    and link it, in one batch
 *   no row         → insert the row with our key and link it, in one batch
 *   refused        → read again and retry (the row changed state under us)
 * The quota is charged once, before the loop, and given back if no attempt links.
 * `read`: the row and link as the caller already read them (then nothing is read first).
 * Whether our object became the blob's is told by the attempt's own write (an insert or
 * revive that changed a row wrote our key), not read back.
 */
export async function recordBlob(
  scope: Scope,
  ref: RepoRef,
  b: { digest: string; size: number; key: string; mediaType: string | null },
  ticket: QuotaTicket = QuotaTicket.none(),
  read?: { row: q.BlobRow | undefined; linked: boolean },
): Promise<{ created: boolean }> {
  const repo = await resolveRepo(scope, ref);
  const found = read ?? (await runRead(scope.db, q.blobAndLinkRead(scope.db, repo.id, b.digest)));
  const first = found.row;
  if (first?.state === "live" && found.linked) {
    await Promise.all([first.r2Key === b.key ? undefined : deleteObject(scope.env.BLOBS, b.key), ticket.release()]);
    return { created: false };
  }
  const dropOurs = () => deleteObject(scope.env.BLOBS, b.key);
  try {
    await chargeLink(scope, repo.projectId, b.digest, first?.size ?? b.size, ticket);
  } catch (e) {
    await dropOurs();
    throw e;
  }
  let row: q.BlobRow | undefined = first;
  let created = false;
  try {
    for (let attempt = 1; ; attempt++) {
      const result = await linkOnce(scope, repo.id, row, b);
      if (result !== "refused") {
        // A concurrent request linked the same digest first: its charge stands, ours goes.
        if (!result.linked) await unchargeLink(scope, repo.projectId, b.digest);
        created = result.wroteOurKey;
        break;
      }
      if (attempt >= LINK_ATTEMPTS) throw collecting(b.digest);
      row = await q.findBlob(scope.db, b.digest);
    }
  } catch (e) {
    // Every attempt was atomic and none wrote: no row names our key.
    await unchargeLink(scope, repo.projectId, b.digest);
    await dropOurs().catch(() => undefined);
    throw gcRefusal(e) === "collected" ? collected() : e;
  }
  if (!created) await dropOurs();
  return { created };
}

const LINK_ATTEMPTS = 4;
const collecting = (digest: string) =>
  new RegistryError("UnavailableBlobCollected", `the blob ${digest} changed state while it was being linked (garbage collection); try again`);
const collected = () =>
  new RegistryError("UnavailableBlobCollected", "the upload's bytes were removed by garbage collection before it finished (it waited longer than the collector's grace period); upload again");

/**
 * One atomic attempt to link. `linked`: the link was written now (false: it already was);
 * `wroteOurKey`: the blob row now names our object (we inserted or revived it); "refused":
 * a GC trigger said no.
 */
async function linkOnce(
  scope: Scope,
  repoId: string,
  row: q.BlobRow | undefined,
  b: { digest: string; size: number; key: string; mediaType: string | null },
): Promise<{ linked: boolean; wroteOurKey: boolean } | "refused"> {
  const now = Date.now();
  const fresh: q.NewBlobRow = { digest: b.digest, r2Key: b.key, size: b.size, mediaType: b.mediaType, createdAt: now };
  try {
    const results =
      row?.state === "live"
        ? [await q.linkBlob(scope.db, repoId, b.digest, now).run()]
        : await scope.db.batch([row ? q.reviveBlob(scope.db, fresh) : q.insertBlobIfAbsent(scope.db, fresh), q.linkBlob(scope.db, repoId, b.digest, now)]);
    const changed = (r: unknown) => (r as D1Result).meta.changes > 0;
    return { linked: changed(results.at(-1)), wroteOurKey: results.length === 2 && changed(results[0]) };
  } catch (e) {
    const refusal = gcRefusal(e);
    if (refusal === "condemned") return "refused";
    throw e;
  }
}

/**
 * Links an already-stored blob to another repo (cross-repo mount), charging the quota.
 * Only a live blob can be mounted: undefined when there is none (or GC is collecting it),
 * and the client uploads the bytes instead.
 */
export async function linkExistingBlob(scope: Scope, ref: RepoRef, digest: string): Promise<q.BlobRow | undefined> {
  const repo = await resolveRepo(scope, ref);
  const blob = await q.findBlob(scope.db, digest);
  if (blob?.state !== "live") return undefined;
  if (await q.findLinkedBlob(scope.db, repo.id, digest)) return blob;
  await chargeLink(scope, repo.projectId, digest, blob.size);
  try {
    const linked = await q.linkBlob(scope.db, repo.id, digest, Date.now()).run();
    if (linked.meta.changes === 0) await unchargeLink(scope, repo.projectId, digest);
    return blob;
  } catch (e) {
    await unchargeLink(scope, repo.projectId, digest);
    if (gcRefusal(e) === "condemned") return undefined;
    throw e;
  }
}

/**
 * Links again blobs this request itself just uploaded (their bytes were hashed here, so
 * the caller holds them) when a concurrent purge unlinked them before the file rows that
 * need them landed (the `files_need_link` trigger refused the write). False when a blob
 * is no longer live: the caller must upload again.
 */
export async function relinkUploaded(scope: Scope, ref: RepoRef, digests: string[]): Promise<boolean> {
  for (const digest of new Set(digests)) if (!(await linkExistingBlob(scope, ref, digest))) return false;
  return true;
}

export const findRepoBlob = (scope: Scope, repoId: string, digest: string) => q.findLinkedBlob(scope.db, repoId, digest);

/**
 * Removes a repo's link to a blob, unless a file or manifest of the repo still needs it
 * (and, with `respectTrash`, a trash entry of the repo), and gives the bytes back to the
 * quota. The blob's GC grace period starts now. True when the link went.
 */
export async function unlinkBlob(scope: Scope, ref: RepoRef, digest: string, opts: { respectTrash?: boolean } = {}): Promise<boolean> {
  const repo = await resolveRepo(scope, ref);
  const [removed] = await scope.db.batch([q.unlinkIfUnused(scope.db, repo.id, digest, opts.respectTrash ?? true), q.markUnlinked(scope.db, digest, Date.now())]);
  if ((removed as D1Result).meta.changes === 0) return false;
  await unchargeLink(scope, repo.projectId, digest);
  return true;
}

/** Opens a blob row already found (e.g. by `findRepoBlob`), optionally a byte range of it. */
export const openBlobObject = (scope: Scope, blob: { r2Key: string }, range?: R2Range) => getObject(scope.env.BLOBS, blob.r2Key, { range });

/**
 * Small blobs (npm tarballs, .mod files, small wheels) kept in isolate memory by digest:
 * a hot package is then served without even a Cache API call. Bounded: at most
 * SMALL_BLOB_MAX bytes each and SMALL_BLOBS entries (8 MiB of the isolate's 128 MB).
 * A digest's bytes never change, so nothing here is ever stale.
 */
const smallBlobs = new TtlCache<string, Uint8Array>(60_000, "artifacts", 64);
const SMALL_BLOB_MAX = 128 * 1024;

/**
 * The bytes of a blob the caller was allowed to read (the one read path for downloads,
 * http/download.ts): from isolate memory (small blobs), else the edge cache (no R2
 * operation), else R2; a whole object up to the configured size is put in the edge cache
 * on the way out (storage/edge-cache.ts). Null when the object is gone.
 */
export async function openBytes(scope: Scope, blob: { digest: string; size: number; r2Key: string }, range?: { offset: number; length: number }): Promise<{ body: ReadableStream | Uint8Array } | null> {
  const max = config(scope.env).edgeCacheMaxBytes;
  if (blob.size > 0 && blob.size <= Math.min(SMALL_BLOB_MAX, max)) return openSmall(scope, blob, range);
  const cacheable = blob.size > 0 && blob.size <= max;
  if (cacheable) {
    const cached = await matchBytes(scope.baseUrl, blob.digest, range);
    if (cached) return { body: cached };
  }
  const object = await getObject(scope.env.BLOBS, blob.r2Key, { range });
  if (!object) return null;
  if (!cacheable || range) return object;
  const [served, stored] = object.body.tee();
  scope.waitUntil(storeBytes(scope.baseUrl, blob.digest, blob.size, stored));
  return { body: served };
}

/** A small blob's bytes if this isolate holds them (the reference stays valid after eviction). */
export function smallBytesInMemory(digest: string, size: number): Uint8Array | null {
  const bytes = smallBlobs.get(digest);
  return bytes && bytes.byteLength === size ? bytes : null;
}

/** A small blob, whole, from memory, the edge cache or R2 (then kept in both); served as a range when asked. */
async function openSmall(scope: Scope, blob: { digest: string; size: number; r2Key: string }, range?: { offset: number; length: number }): Promise<{ body: Uint8Array } | null> {
  let bytes = smallBlobs.get(blob.digest);
  if (!bytes) {
    const cached = await matchBytes(scope.baseUrl, blob.digest);
    const body = cached ?? (await getObject(scope.env.BLOBS, blob.r2Key))?.body;
    if (!body) return null;
    bytes = new Uint8Array(await new Response(body).arrayBuffer());
    if (bytes.byteLength !== blob.size) return null;
    if (!cached) scope.waitUntil(storeBytes(scope.baseUrl, blob.digest, blob.size, new Blob([bytes]).stream()));
    smallBlobs.set(blob.digest, bytes);
  }
  return { body: range ? bytes.subarray(range.offset, range.offset + range.length) : bytes };
}

/** Opens a blob this repo may read, optionally a byte range of it. */
export async function readBlob(scope: Scope, repoId: string, digest: string, range?: R2Range) {
  const blob = await q.findLinkedBlob(scope.db, repoId, digest);
  if (!blob) return null;
  const object = await getObject(scope.env.BLOBS, blob.r2Key, { range });
  if (!object) return null;
  return { blob, object };
}
