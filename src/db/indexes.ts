/**
 * Queries behind generated repository indexes (schema/indexes.ts): the content
 * revision every package change bumps, the repo's files as an index builder reads them,
 * and built indexes with their parts.
 */
import { and, asc, desc, eq, gte, inArray, isNull, lt, notExists, sql } from "drizzle-orm";
import type { Db } from "./client";
import { files, packages, repoIndexParts, repoIndexes, repoRevisions, repos, versions } from "./schema";
import type { IndexManifestEntry } from "./schema";

export type { IndexManifestEntry } from "./schema";
export type RepoIndexRow = typeof repoIndexes.$inferSelect;

/** Bumps a repo's content revision; part of every batch that changes its packages. */
export const bumpRevision = (db: Db, repoId: string, now: number) =>
  db
    .insert(repoRevisions)
    .values({ repoId, rev: 1, changedAt: now })
    .onConflictDoUpdate({ target: repoRevisions.repoId, set: { rev: sql`${repoRevisions.rev} + 1`, changedAt: now } });

/** The same, for a change known by its package (the repo is the package's). */
export const bumpRevisionOfPackage = (db: Db, packageId: string, now: number) =>
  db
    .insert(repoRevisions)
    .select(db.select({ repoId: packages.repoId, rev: sql<number>`1`.as("rev"), changedAt: sql<number>`${now}`.as("changed_at") }).from(packages).where(eq(packages.id, packageId)))
    .onConflictDoUpdate({ target: repoRevisions.repoId, set: { rev: sql`${repoRevisions.rev} + 1`, changedAt: now } });

export const revisionOf = (db: Db, repoId: string) => db.select({ rev: repoRevisions.rev }).from(repoRevisions).where(eq(repoRevisions.repoId, repoId));

/**
 * A repo's packages, versions and files, as three single-table reads (run them in one
 * batch for a consistent view; drizzle maps joined rows of a D1 batch wrongly).
 */
export const repoContents = (db: Db, repoId: string) =>
  [
    db.select().from(packages).where(eq(packages.repoId, repoId)).orderBy(asc(packages.name)),
    db
      .select()
      .from(versions)
      .where(inArray(versions.packageId, db.select({ id: packages.id }).from(packages).where(eq(packages.repoId, repoId))))
      .orderBy(asc(versions.createdAt), asc(versions.id)),
    db.select().from(files).where(eq(files.repoId, repoId)).orderBy(asc(files.name)),
  ] as const;

export const latestIndex = (db: Db, repoId: string) =>
  db.select().from(repoIndexes).where(eq(repoIndexes.repoId, repoId)).orderBy(desc(repoIndexes.rev)).limit(1);

/** The parts of one document of the repo's newest index, in order. */
export const partsOfLatest = (db: Db, repoId: string, path: string) =>
  db
    .select({ part: repoIndexParts.part, content: repoIndexParts.content })
    .from(repoIndexParts)
    .where(
      and(
        eq(repoIndexParts.indexId, sql`(select ${repoIndexes.id} from ${repoIndexes} where ${repoIndexes.repoId} = ${repoId} order by ${repoIndexes.rev} desc limit 1)`),
        eq(repoIndexParts.path, path),
      ),
    )
    .orderBy(asc(repoIndexParts.part));

export const partsOf = (db: Db, indexId: string, path: string) =>
  db.select({ part: repoIndexParts.part, content: repoIndexParts.content }).from(repoIndexParts).where(and(eq(repoIndexParts.indexId, indexId), eq(repoIndexParts.path, path))).orderBy(asc(repoIndexParts.part)).all();

/** The repo's indexes still kept (the newest and the superseded ones not yet expired), newest first. */
export const keptIndexes = (db: Db, repoId: string) => db.select().from(repoIndexes).where(eq(repoIndexes.repoId, repoId)).orderBy(desc(repoIndexes.rev)).all();

/**
 * Inserts an index row unless the repo already has one built from this revision or a
 * later one (then nothing is inserted, and the parts that follow in the batch fail
 * their foreign key, so the whole batch rolls back).
 */
export const insertIndexIfNewest = (db: Db, row: { id: string; repoId: string; rev: number; manifest: IndexManifestEntry[]; createdAt: number }) =>
  db.insert(repoIndexes).select(
    db
      .select({
        id: sql<string>`${row.id}`.as("id"),
        repoId: repos.id,
        rev: sql<number>`${row.rev}`.as("rev"),
        manifest: sql<string>`${JSON.stringify(row.manifest)}`.as("manifest"),
        createdAt: sql<number>`${row.createdAt}`.as("created_at"),
        supersededAt: sql<null>`null`.as("superseded_at"),
      })
      .from(repos)
      .where(
        and(
          eq(repos.id, row.repoId),
          notExists(db.select({ one: sql`1` }).from(repoIndexes).where(and(eq(repoIndexes.repoId, row.repoId), gte(repoIndexes.rev, row.rev)))),
        ),
      ),
  );

export const insertIndexPart = (db: Db, row: { indexId: string; path: string; part: number; content: Uint8Array }) => db.insert(repoIndexParts).values(row);

export const supersedeOlder = (db: Db, repoId: string, rev: number, now: number) =>
  db
    .update(repoIndexes)
    .set({ supersededAt: now })
    .where(and(eq(repoIndexes.repoId, repoId), lt(repoIndexes.rev, rev), isNull(repoIndexes.supersededAt)));

export const deleteExpired = (db: Db, repoId: string, before: number) =>
  db.delete(repoIndexes).where(and(eq(repoIndexes.repoId, repoId), lt(repoIndexes.supersededAt, before)));
