/**
 * The garbage collector's queries (protocol: docs/gc.md). Each state change is one
 * conditional statement, so it is atomic against every push that runs at the same time
 * on D1's single primary: a blob is condemned only while nothing links it, an orphan key
 * is doomed only while no row names it, and a condemned row is dropped only while it
 * still names the key that was condemned.
 */
import { and, asc, eq, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "./client";
import { blobs, files, gcDoomedKeys, gcRuns, ociManifestRefs, ociManifests, repoBlobs, repos, trashBlobs } from "./schema";
import { inSlices, pageWhere } from "./paging";
import type { PageKey } from "../core/pagination";

export type GcRunRow = typeof gcRuns.$inferSelect;

const noLink = sql`NOT EXISTS (SELECT 1 FROM ${repoBlobs} WHERE ${repoBlobs.digest} = ${blobs.digest})`;
const idleSince = sql`coalesce(${blobs.unlinkedAt}, ${blobs.createdAt})`;

/** A link nothing in its repo needs (no file, manifest reference, large manifest body or trash entry). */
const unusedLink = sql`NOT EXISTS (SELECT 1 FROM ${files} WHERE ${files.repoId} = ${repoBlobs.repoId} AND ${files.digest} = ${repoBlobs.digest})
  AND NOT EXISTS (SELECT 1 FROM ${ociManifestRefs} WHERE ${ociManifestRefs.repoId} = ${repoBlobs.repoId} AND ${ociManifestRefs.childDigest} = ${repoBlobs.digest})
  AND NOT EXISTS (SELECT 1 FROM ${ociManifests} WHERE ${ociManifests.repoId} = ${repoBlobs.repoId} AND ${ociManifests.digest} = ${repoBlobs.digest} AND ${ociManifests.body} IS NULL)
  AND NOT EXISTS (SELECT 1 FROM ${trashBlobs} WHERE ${trashBlobs.repoId} = ${repoBlobs.repoId} AND ${trashBlobs.digest} = ${repoBlobs.digest})`;

/** Links older than `cutoff` that nothing needs, after the key (repo id, digest), with the repo's project. */
export const unusedLinks = (db: Db, cutoff: number, after: { repoId: string; digest: string } | null, limit: number) =>
  db
    .select({ repoId: repoBlobs.repoId, digest: repoBlobs.digest, projectId: repos.projectId })
    .from(repoBlobs)
    .innerJoin(repos, eq(repos.id, repoBlobs.repoId))
    .where(
      and(
        lt(repoBlobs.createdAt, cutoff),
        after ? or(gt(repoBlobs.repoId, after.repoId), and(eq(repoBlobs.repoId, after.repoId), gt(repoBlobs.digest, after.digest))) : undefined,
        unusedLink,
      ),
    )
    .orderBy(asc(repoBlobs.repoId), asc(repoBlobs.digest))
    .limit(limit)
    .all();

/** Live blobs nothing links, idle since before `cutoff`, after `afterDigest`. */
export const unlinkedBlobs = (db: Db, cutoff: number, afterDigest: string | null, limit: number) =>
  db
    .select({ digest: blobs.digest, r2Key: blobs.r2Key, size: blobs.size, idleSince: idleSince.mapWith(Number) })
    .from(blobs)
    .where(and(eq(blobs.state, "live"), lt(idleSince, cutoff), afterDigest ? gt(blobs.digest, afterDigest) : undefined, noLink))
    .orderBy(asc(blobs.digest))
    .limit(limit)
    .all();

/** Condemns the blob if it still qualifies; returns the key condemned (the only one GC may delete). */
export const condemn = (db: Db, digest: string, cutoff: number, now: number) =>
  db
    .update(blobs)
    .set({ state: "condemned", condemnedAt: now })
    .where(and(eq(blobs.digest, digest), eq(blobs.state, "live"), lt(idleSince, cutoff), noLink))
    .returning({ digest: blobs.digest, r2Key: blobs.r2Key, size: blobs.size })
    .all();

/** Condemned rows left by a collector that stopped before dropping them. */
export const condemnedBefore = (db: Db, before: number, limit: number) =>
  db
    .select({ digest: blobs.digest, r2Key: blobs.r2Key, size: blobs.size })
    .from(blobs)
    .where(and(eq(blobs.state, "condemned"), lt(blobs.condemnedAt, before)))
    .orderBy(asc(blobs.digest))
    .limit(limit)
    .all();

/** Drops the row once its object is gone, unless a push revived it (it then names another key). */
export const dropCondemned = (db: Db, digest: string, r2Key: string) =>
  db.delete(blobs).where(and(eq(blobs.digest, digest), eq(blobs.state, "condemned"), eq(blobs.r2Key, r2Key)));

/** Which of these R2 keys a blob row names (live or condemned); a listing page may hold more keys than one statement may bind. */
export const keysNamed = (db: Db, keys: string[]) => inSlices(keys, (slice) => db.select({ r2Key: blobs.r2Key }).from(blobs).where(inArray(blobs.r2Key, slice)).all());

/** Dooms an orphan key while no row names it (a trigger then refuses any row naming it). */
export const doomKey = (db: Db, key: string, now: number) =>
  db.run(sql`INSERT INTO ${gcDoomedKeys} (r2_key, doomed_at) SELECT ${key}, ${now} WHERE NOT EXISTS (SELECT 1 FROM ${blobs} WHERE ${blobs.r2Key} = ${key}) ON CONFLICT DO NOTHING`);
export const isDoomed = (db: Db, key: string) => db.select().from(gcDoomedKeys).where(eq(gcDoomedKeys.r2Key, key)).get();
export const pruneDoomed = (db: Db, before: number) => db.delete(gcDoomedKeys).where(lt(gcDoomedKeys.doomedAt, before));

// ---- runs ----
export const insertGcRun = (db: Db, row: GcRunRow) => db.insert(gcRuns).values(row);
export const findGcRun = (db: Db, id: string) => db.select().from(gcRuns).where(eq(gcRuns.id, id)).get();
export const activeGcRun = (db: Db) => db.select().from(gcRuns).where(eq(gcRuns.status, "running")).get();
export const lastGcRun = (db: Db) => db.select().from(gcRuns).orderBy(sql`${gcRuns.createdAt} DESC`).limit(1).get();
export const listGcRuns = (db: Db, after: PageKey | null, limit: number) =>
  db.select().from(gcRuns).where(pageWhere(gcRuns, after)).orderBy(asc(gcRuns.createdAt), asc(gcRuns.id)).limit(limit + 1).all();
/** Claims step `step` of a running run: only one worker's claim changes the row. */
export const claimGcStep = (db: Db, id: string, step: number, leaseUntil: number, now: number) =>
  db
    .update(gcRuns)
    .set({ step: step + 1, leaseUntil, updatedAt: now })
    .where(and(eq(gcRuns.id, id), eq(gcRuns.step, step), eq(gcRuns.status, "running")))
    .returning()
    .all();
export const updateGcRun = (db: Db, id: string, patch: Partial<GcRunRow>) => db.update(gcRuns).set(patch).where(eq(gcRuns.id, id));
export const staleGcRuns = (db: Db, now: number) =>
  db.select().from(gcRuns).where(and(eq(gcRuns.status, "running"), or(isNull(gcRuns.leaseUntil), lt(gcRuns.leaseUntil, now)))).all();
