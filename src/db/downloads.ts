/** Queries over the download log (who pulled what) and the last-downloaded times it keeps. */
import { and, eq, getTableColumns, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import { templateItem, type Db } from "./client";
import { downloads, ociManifests, packages, versions } from "./schema";
import { keysetPage } from "./paging";
import type { PageKey } from "../core/pagination";

export type DownloadRow = typeof downloads.$inferSelect;

/**
 * The consumer's statements, bound per message to SQL built once per isolate
 * (`templateItem`): a batch of 100 downloads was 100 drizzle builds of each, most of the
 * consumer's CPU. `claims` goes in as its JSON text (a raw placeholder, so null stays NULL).
 */
const columns = Object.keys(getTableColumns(downloads)) as (keyof DownloadRow)[];

/** Idempotent: a message delivered twice writes one row (its id is the message's). */
export const insertDownload = (db: Db, row: DownloadRow) =>
  templateItem(
    db,
    "downloads|insert",
    () =>
      db
        .insert(downloads)
        .values(Object.fromEntries(columns.map((c) => [c, c === "claims" ? sql`${sql.placeholder(c)}` : sql.placeholder(c)])) as never)
        .onConflictDoNothing(),
    { ...row, claims: row.claims === null ? null : JSON.stringify(row.claims) },
  );

/** last_downloaded_at = max(old, at): messages of a version may arrive in any order. */
export const touchVersion = (db: Db, versionId: string, at: number) =>
  templateItem(
    db,
    "downloads|touchVersion",
    () =>
      db
        .update(versions)
        .set({ lastDownloadedAt: sql`max(coalesce(${versions.lastDownloadedAt}, 0), ${sql.placeholder("at")})` })
        .where(eq(versions.id, sql.placeholder("id"))),
    { id: versionId, at },
  );

export const touchManifest = (db: Db, repoId: string, image: string, digest: string, at: number) =>
  templateItem(
    db,
    "downloads|touchManifest",
    () =>
      db
        .update(ociManifests)
        .set({ lastDownloadedAt: sql`max(coalesce(${ociManifests.lastDownloadedAt}, 0), ${sql.placeholder("at")})` })
        .where(and(eq(ociManifests.repoId, sql.placeholder("repo")), eq(ociManifests.image, sql.placeholder("image")), eq(ociManifests.digest, sql.placeholder("digest")))),
    { repo: repoId, image, digest, at },
  );

/** Package names and version strings of version ids (for log rows written after the fact). */
export const versionNames = (db: Db, ids: string[]) =>
  ids.length === 0
    ? Promise.resolve([] as { id: string; version: string; package: string }[])
    : db.select({ id: versions.id, version: versions.version, package: packages.displayName }).from(versions).innerJoin(packages, eq(packages.id, versions.packageId)).where(inArray(versions.id, ids)).all();

/** How many times a package or image of a repo was downloaded (within the log's retention). */
export const countDownloads = async (db: Db, repoId: string, pkg: string) =>
  (await db.select({ n: sql<number>`count(*)` }).from(downloads).where(and(eq(downloads.repoId, repoId), eq(downloads.package, pkg))).get())?.n ?? 0;

export const purgeDownloads = (db: Db, before: number) => db.delete(downloads).where(lt(downloads.createdAt, before));

export interface DownloadFilter {
  projectId?: string;
  repoId?: string;
  package?: string;
  version?: string;
  digest?: string;
  principalType?: string;
  principalId?: string;
  tokenId?: string;
  since?: number;
  until?: number;
}

function where(f: DownloadFilter): SQL | undefined {
  return and(
    f.projectId ? eq(downloads.projectId, f.projectId) : undefined,
    f.repoId ? eq(downloads.repoId, f.repoId) : undefined,
    f.package ? eq(downloads.package, f.package) : undefined,
    f.version ? eq(downloads.version, f.version) : undefined,
    f.digest ? eq(downloads.digest, f.digest) : undefined,
    f.principalType ? eq(downloads.principalType, f.principalType) : undefined,
    f.principalId ? eq(downloads.principalId, f.principalId) : undefined,
    f.tokenId ? eq(downloads.tokenId, f.tokenId) : undefined,
    f.since !== undefined ? gte(downloads.createdAt, f.since) : undefined,
    f.until !== undefined ? lt(downloads.createdAt, f.until) : undefined,
  );
}

/** One keyset page of downloads; `until` is exclusive here (who-pulled's documented "before"), unlike paging.ts timeWindow. */
export const listDownloads = (db: Db, f: DownloadFilter, after: PageKey | null, limit: number) => keysetPage(db, downloads, [where(f)], after, limit);

/** Per principal and token: how many downloads, the first and the last (at most 100 of them). */
export const downloadSummary = (db: Db, f: DownloadFilter) =>
  db
    .select({
      principalType: downloads.principalType,
      principalId: downloads.principalId,
      principalName: sql<string | null>`max(${downloads.principalName})`,
      tokenId: downloads.tokenId,
      count: sql<number>`count(*)`,
      firstAt: sql<number>`min(${downloads.createdAt})`,
      lastAt: sql<number>`max(${downloads.createdAt})`,
    })
    .from(downloads)
    .where(where(f))
    .groupBy(downloads.principalType, downloads.principalId, downloads.tokenId)
    .orderBy(sql`min(${downloads.createdAt})`)
    .limit(100)
    .all();
