/**
 * Queries behind generated repository indexes (schema/indexes.ts): the content
 * revision every package change bumps, the repo's files as an index builder reads them,
 * and built indexes with their parts.
 */
import { and, asc, desc, eq, gte, inArray, isNull, lt, notExists, sql } from "drizzle-orm";
import type { Db, Read, Ref } from "./client";
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

export const revisionOf = (db: Db, repoId: Ref) => db.select({ rev: repoRevisions.rev }).from(repoRevisions).where(eq(repoRevisions.repoId, repoId));

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

export const latestIndex = (db: Db, repoId: Ref) =>
  db.select().from(repoIndexes).where(eq(repoIndexes.repoId, repoId)).orderBy(desc(repoIndexes.rev)).limit(1);

/** The parts of documents of the repo's newest index (by path), in order. */
export const partsOfLatest = (db: Db, repoId: Ref, paths: string[]) =>
  db
    .select({ path: repoIndexParts.path, part: repoIndexParts.part, content: repoIndexParts.content })
    .from(repoIndexParts)
    .where(
      and(
        eq(repoIndexParts.indexId, sql`(select ${repoIndexes.id} from ${repoIndexes} where ${repoIndexes.repoId} = ${repoId} order by ${repoIndexes.rev} desc limit 1)`),
        inArray(repoIndexParts.path, paths),
      ),
    )
    .orderBy(asc(repoIndexParts.path), asc(repoIndexParts.part));

export interface IndexPart {
  path: string;
  part: number;
  content: Uint8Array;
}

export interface CurrentIndexRead {
  /** The repo's content revision (0: never changed). */
  rev: number;
  latest: RepoIndexRow | undefined;
  /** The newest index's parts of the path asked for and of its `.gz` (a gunzipped document is served from it). */
  parts: IndexPart[];
}

/** What serving a document of the current index needs, one batch: revision, newest index, the document's parts. */
export function currentIndexRead(db: Db, repoId: Ref, path: string): Read<CurrentIndexRead> {
  return {
    items: [revisionOf(db, repoId), latestIndex(db, repoId), partsOfLatest(db, repoId, [path, `${path}.gz`])],
    decode: ([rev, latest, parts]) => ({ rev: (rev as { rev: number }[])[0]?.rev ?? 0, latest: (latest as RepoIndexRow[])[0], parts: parts as IndexPart[] }),
  };
}

/** A match for a document of any kept index: by path, by SHA-256 (under a path prefix). */
export interface KeptMatch {
  path?: string;
  sha256?: string;
  under?: string;
}

/**
 * The repo's kept indexes and the parts of the newest one's document that matches, one
 * batch: the match is found in the manifests by a subquery (json_each), and a gunzipped
 * document's parts are those of the document it is gunzipped from.
 */
export function keptIndexFileRead(db: Db, repoId: Ref, match: KeptMatch): Read<{ kept: RepoIndexRow[]; parts: (IndexPart & { indexId: string })[] }> {
  const conditions = [sql`i.repo_id = ${repoId}`];
  if (match.path !== undefined) conditions.push(sql`json_extract(e.value, '$.path') = ${match.path}`);
  if (match.sha256 !== undefined) conditions.push(sql`json_extract(e.value, '$.sha256') = ${match.sha256}`);
  if (match.under !== undefined) conditions.push(sql`substr(json_extract(e.value, '$.path'), 1, ${match.under.length}) = ${match.under}`);
  const found = sql`(select i.id, coalesce(json_extract(e.value, '$.gunzipOf'), json_extract(e.value, '$.path')) from ${repoIndexes} i, json_each(i.manifest) e where ${sql.join(conditions, sql` and `)} order by i.rev desc limit 1)`;
  return {
    items: [
      db.select().from(repoIndexes).where(eq(repoIndexes.repoId, repoId)).orderBy(desc(repoIndexes.rev)),
      db
        .select({ indexId: repoIndexParts.indexId, path: repoIndexParts.path, part: repoIndexParts.part, content: repoIndexParts.content })
        .from(repoIndexParts)
        .where(sql`(${repoIndexParts.indexId}, ${repoIndexParts.path}) = ${found}`)
        .orderBy(asc(repoIndexParts.part)),
    ],
    decode: ([kept, parts]) => ({ kept: kept as RepoIndexRow[], parts: parts as (IndexPart & { indexId: string })[] }),
  };
}

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
