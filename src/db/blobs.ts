/**
 * Queries over content-addressed blobs and the per-repo links that grant access to them.
 * The garbage-collection protocol (docs/gc.md) is partly enforced by triggers on these
 * tables (migrations/0006): a link is only inserted to a `live` blob, and a file or
 * manifest only while its blob is linked; `unlinkIfUnused` is the only way a link goes
 * (besides a repo's cascade), and it never drops one something still needs.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db, Read } from "./client";
import { inSlices } from "./paging";
import { blobs, files, ociManifestRefs, ociManifests, repoBlobs, trashBlobs } from "./schema";

export type BlobRow = typeof blobs.$inferSelect;
export type NewBlobRow = Pick<BlobRow, "digest" | "r2Key" | "size" | "mediaType" | "createdAt">;

export const findBlob = (db: Db, digest: string) => db.select().from(blobs).where(eq(blobs.digest, digest)).get();

/** A digest's blob row (any state) and whether the repo links it, as one batchable read. */
export const blobAndLinkRead = (db: Db, repoId: string, digest: string): Read<{ row: BlobRow | undefined; linked: boolean }> => ({
  items: [
    db.select().from(blobs).where(eq(blobs.digest, digest)).limit(1),
    db.select({ one: sql<number>`1` }).from(repoBlobs).where(and(eq(repoBlobs.repoId, repoId), eq(repoBlobs.digest, digest))).limit(1),
  ],
  decode: ([row, link]) => ({ row: (row as BlobRow[])[0], linked: (link as unknown[]).length > 0 }),
});

export const insertBlobIfAbsent = (db: Db, row: NewBlobRow) => db.insert(blobs).values(row).onConflictDoNothing();

/** Brings a condemned blob back with freshly uploaded bytes of the same digest (its old object is GC's to delete). */
export const reviveBlob = (db: Db, row: NewBlobRow) =>
  db
    .update(blobs)
    .set({ r2Key: row.r2Key, size: row.size, mediaType: row.mediaType, state: "live", condemnedAt: null, unlinkedAt: null })
    .where(and(eq(blobs.digest, row.digest), eq(blobs.state, "condemned")));

export const linkBlob = (db: Db, repoId: string, digest: string, at: number) =>
  db.insert(repoBlobs).values({ repoId, digest, createdAt: at }).onConflictDoNothing();

/**
 * Drops the repo's link unless a file, a manifest's reference or a large manifest body of
 * the repo still needs the blob (and, with `respectTrash`, unless a trash entry of the
 * repo holds it). One statement, so nothing can start needing the link in between.
 */
export const unlinkIfUnused = (db: Db, repoId: string, digest: string, respectTrash: boolean) =>
  db.delete(repoBlobs).where(
    and(
      eq(repoBlobs.repoId, repoId),
      eq(repoBlobs.digest, digest),
      sql`NOT EXISTS (SELECT 1 FROM ${files} WHERE ${files.repoId} = ${repoId} AND ${files.digest} = ${digest})`,
      sql`NOT EXISTS (SELECT 1 FROM ${ociManifestRefs} WHERE ${ociManifestRefs.repoId} = ${repoId} AND ${ociManifestRefs.childDigest} = ${digest})`,
      sql`NOT EXISTS (SELECT 1 FROM ${ociManifests} WHERE ${ociManifests.repoId} = ${repoId} AND ${ociManifests.digest} = ${digest} AND ${ociManifests.body} IS NULL)`,
      respectTrash ? sql`NOT EXISTS (SELECT 1 FROM ${trashBlobs} WHERE ${trashBlobs.repoId} = ${repoId} AND ${trashBlobs.digest} = ${digest})` : undefined,
    ),
  );

/** Starts the blob's GC grace period (batched with an unlink). */
export const markUnlinked = (db: Db, digest: string, at: number) => db.update(blobs).set({ unlinkedAt: at }).where(eq(blobs.digest, digest));

/** The blob, if this repo may read it. */
export const findLinkedBlob = (db: Db, repoId: string, digest: string) =>
  db
    .select({ blob: blobs })
    .from(repoBlobs)
    .innerJoin(blobs, eq(repoBlobs.digest, blobs.digest))
    .where(and(eq(repoBlobs.repoId, repoId), eq(repoBlobs.digest, digest)))
    .get()
    .then((r) => r?.blob);

/** Every digest a repo links, with its size (a deleted repo's quota is given back from this). */
export const linkedDigests = (db: Db, repoId: string) =>
  db.select({ digest: repoBlobs.digest }).from(repoBlobs).where(eq(repoBlobs.repoId, repoId)).all();

/** Sizes of the blobs among `digests` that are stored. */
export const blobSizes = (db: Db, digests: string[]) =>
  inSlices(digests, (slice) => db.select({ digest: blobs.digest, size: blobs.size }).from(blobs).where(inArray(blobs.digest, slice)).all());

/** Which of `digests` a repo other than `repoId` links (a blob linked elsewhere frees nothing). */
export const linkedElsewhere = (db: Db, repoId: string, digests: string[]) =>
  inSlices(digests, (slice) => db.selectDistinct({ digest: repoBlobs.digest }).from(repoBlobs).where(and(inArray(repoBlobs.digest, slice), sql`${repoBlobs.repoId} <> ${repoId}`)).all());
