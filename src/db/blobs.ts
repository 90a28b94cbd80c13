/** Queries over content-addressed blobs and the per-repo links that grant access to them. */
import { and, eq } from "drizzle-orm";
import type { Db } from "./client";
import { blobs, repoBlobs } from "./schema";

export type BlobRow = typeof blobs.$inferSelect;

export const findBlob = (db: Db, digest: string) => db.select().from(blobs).where(eq(blobs.digest, digest)).get();

export const insertBlobIfAbsent = (db: Db, row: BlobRow) => db.insert(blobs).values(row).onConflictDoNothing();

export const linkBlob = (db: Db, repoId: string, digest: string, at: number) =>
  db.insert(repoBlobs).values({ repoId, digest, createdAt: at }).onConflictDoNothing();

export const unlinkBlob = (db: Db, repoId: string, digest: string) =>
  db.delete(repoBlobs).where(and(eq(repoBlobs.repoId, repoId), eq(repoBlobs.digest, digest)));

/** The blob, if this repo may read it. */
export const findLinkedBlob = (db: Db, repoId: string, digest: string) =>
  db
    .select({ blob: blobs })
    .from(repoBlobs)
    .innerJoin(blobs, eq(repoBlobs.digest, blobs.digest))
    .where(and(eq(repoBlobs.repoId, repoId), eq(repoBlobs.digest, digest)))
    .get()
    .then((r) => r?.blob);
