/**
 * Trash queries. An entry, its snapshot parts and the digests it holds are written in
 * the batch that removes the live rows (services/lifecycle/trash.ts), and deleted
 * together (the parts and digests cascade with the entry).
 */
import { and, asc, eq, gt, inArray, lte, or } from "drizzle-orm";
import type { Db } from "./client";
import { trashBlobs, trashEntries, trashParts } from "./schema";
import type { PageKey } from "../core/pagination";
import { inSlices, slices } from "./paging";

export type TrashRow = typeof trashEntries.$inferSelect;

export const insertEntry = (db: Db, row: TrashRow) => db.insert(trashEntries).values(row);
export const insertPart = (db: Db, entryId: string, part: number, content: Uint8Array) => db.insert(trashParts).values({ entryId, part, content });
export const insertHeld = (db: Db, entryId: string, repoId: string, digests: string[]) =>
  slices(digests, 3).map((slice) => db.insert(trashBlobs).values(slice.map((digest) => ({ entryId, repoId, digest }))).onConflictDoNothing());

export const findEntry = (db: Db, repoId: string, id: string) => db.select().from(trashEntries).where(and(eq(trashEntries.repoId, repoId), eq(trashEntries.id, id))).get();
export const partsOf = (db: Db, entryId: string) => db.select().from(trashParts).where(eq(trashParts.entryId, entryId)).orderBy(asc(trashParts.part)).all();
export const heldBy = (db: Db, entryId: string) => db.select({ digest: trashBlobs.digest }).from(trashBlobs).where(eq(trashBlobs.entryId, entryId)).all();
/** Digests any trash entry of the repo holds, among `digests`. */
export const heldInRepo = (db: Db, repoId: string, digests: string[]) =>
  inSlices(digests, (slice) => db.selectDistinct({ digest: trashBlobs.digest }).from(trashBlobs).where(and(eq(trashBlobs.repoId, repoId), inArray(trashBlobs.digest, slice))).all());
export const deleteEntry = (db: Db, id: string) => db.delete(trashEntries).where(eq(trashEntries.id, id));

/** Oldest deletion first (the next to expire), keyset on (deleted_at, id). */
export const listEntries = (db: Db, repoId: string, after: PageKey | null, limit: number) =>
  db
    .select()
    .from(trashEntries)
    .where(
      and(
        eq(trashEntries.repoId, repoId),
        after ? or(gt(trashEntries.deletedAt, after.createdAt), and(eq(trashEntries.deletedAt, after.createdAt), gt(trashEntries.id, after.id))) : undefined,
      ),
    )
    .orderBy(asc(trashEntries.deletedAt), asc(trashEntries.id))
    .limit(limit + 1)
    .all();

/** Entries whose window has passed (the expiry job purges them). */
export const expiredEntries = (db: Db, now: number, limit: number) =>
  db.select().from(trashEntries).where(lte(trashEntries.expiresAt, now)).orderBy(asc(trashEntries.expiresAt)).limit(limit).all();
