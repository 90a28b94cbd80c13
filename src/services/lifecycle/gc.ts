/**
 * Garbage collection: bytes nothing needs leave R2, safely while pushes run (the
 * protocol and why it holds: docs/gc.md). A run walks four phases in bounded steps
 * through the JOBS queue, one run at a time (a partial unique index):
 *
 *   links:   a repo link nothing in its repo needs (no file, manifest reference, large
 *            manifest body, trash entry) for linkGrace → dropped by the same
 *            conditional statement purges use; the project's quota goes down
 *   blobs:   a live blob nothing links, idle for blobGrace →
 *              condemn (UPDATE … WHERE live AND no link  RETURNING r2_key)   ← atomic
 *              delete THAT key from R2
 *              drop the row WHERE still condemned AND still that key
 *            a push of the same bytes meanwhile revives the row with its own key
 *            (services/artifacts/blobs.ts recordBlob), so only a dead key is deleted;
 *            condemned rows a dead step left behind are finished first
 *   orphans: an R2 object under blobs/ no row names, uploaded before orphanGrace →
 *              doom the key (INSERT … WHERE no row names it)   ← a trigger then refuses
 *                                                                 any row naming it
 *              delete the object
 *   tombstones: doomed keys older than TOMBSTONE_MS are forgotten
 *
 * Invariants: every decision to delete is one conditional D1 statement on the single
 * primary, made before the R2 delete; the R2 delete only ever names a key the decision
 * returned. In-progress multipart uploads are not listed by the R2 binding: the upload
 * session's alarm aborts them, and R2's lifecycle rule aborts what a dead session left.
 */
import type { Scope } from "../scope";
import { actorOf, emitEvent } from "../events/audit";
import { unlinkBlob } from "../artifacts/blobs";
import type { Jobs } from "./runs";
import * as q from "../../db/gc";
import { isUniqueViolation } from "../../db/errors";
import { BLOB_PREFIX } from "../../storage/keys";
import { deleteObject, listObjects } from "../../storage/blob-store";
import { config } from "../../config";
import { conflict, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import type { RunTrigger } from "../../core/vocabulary";
import type { GcCounts } from "../../db/schema";

export type { GcRunRow } from "../../db/gc";

/** Links or blobs one step handles; R2 objects one step lists. */
export const GC_BATCH = 100;
export const GC_LIST_PAGE = 500;
export const GC_LEASE_MS = 5 * 60 * 1000;
/** A condemned row older than this was left by a step that died: finish it. */
const CONDEMNED_STALE_MS = 10 * 60 * 1000;
/** How long a doomed key is remembered: far longer than any upload takes to record its bytes. */
export const TOMBSTONE_MS = 30 * 86_400_000;

export type GcPhase = "links" | "blobs" | "orphans" | "tombstones" | "done";
const NEXT: Record<GcPhase, GcPhase> = { links: "blobs", blobs: "orphans", orphans: "tombstones", tombstones: "done", done: "done" };

export interface GcGraces {
  linkGraceMs: number;
  blobGraceMs: number;
  orphanGraceMs: number;
}

const ZERO: GcCounts = { linksDropped: 0, blobsCondemned: 0, blobsDeleted: 0, blobBytes: 0, orphansDeleted: 0, orphanBytes: 0, objectsListed: 0, tombstonesPruned: 0 };

export async function startGc(scope: Scope, trigger: RunTrigger, jobs: Jobs, graces: Partial<GcGraces> = {}) {
  const d = config(scope.env).gc;
  const now = Date.now();
  const actor = actorOf(scope);
  const run: q.GcRunRow = {
    id: newId(),
    trigger,
    status: "running",
    phase: "links",
    cursor: null,
    step: 0,
    linkGraceMs: graces.linkGraceMs ?? d.linkGraceMs,
    blobGraceMs: graces.blobGraceMs ?? d.blobGraceMs,
    orphanGraceMs: graces.orphanGraceMs ?? d.orphanGraceMs,
    counts: ZERO,
    errors: [],
    leaseUntil: now + GC_LEASE_MS,
    actorType: actor.actorType,
    actorName: actor.actorName,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
  };
  try {
    await q.insertGcRun(scope.db, run).run();
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("GcRunActive", "a garbage-collection run is already in progress");
    throw e;
  }
  await jobs.send({ type: "gc.step", run_id: run.id, step: 0 });
  return run;
}

/** One step: claims the run at `step`, does one bounded chunk of its phase, sends the next step. */
export async function gcStep(scope: Scope, runId: string, step: number, jobs: Jobs): Promise<void> {
  const now = Date.now();
  const [run] = await q.claimGcStep(scope.db, runId, step, now + GC_LEASE_MS, now);
  if (!run) return; // finished, or another worker took this step
  const counts = { ...run.counts };
  const phase = run.phase as GcPhase;
  let next: { phase: GcPhase; cursor: string | null };
  try {
    next = await PHASES[phase](scope, run, counts, now);
  } catch (e) {
    const errors = [...run.errors, `${phase}: ${e instanceof Error ? e.message : String(e)}`].slice(0, 20);
    await q.updateGcRun(scope.db, run.id, { status: "failed", errors, counts, leaseUntil: null, finishedAt: Date.now(), updatedAt: Date.now() }).run();
    await completed(scope, run, counts, "failed");
    return;
  }
  if (next.phase === "done") {
    await q.updateGcRun(scope.db, run.id, { status: "succeeded", phase: "done", cursor: null, counts, leaseUntil: null, finishedAt: Date.now(), updatedAt: Date.now() }).run();
    await completed(scope, run, counts, "succeeded");
    return;
  }
  await q.updateGcRun(scope.db, run.id, { phase: next.phase, cursor: next.cursor, counts, updatedAt: Date.now() }).run();
  await jobs.send({ type: "gc.step", run_id: run.id, step: run.step });
}

type PhaseFn = (scope: Scope, run: q.GcRunRow, counts: GcCounts, now: number) => Promise<{ phase: GcPhase; cursor: string | null }>;

const PHASES: Record<GcPhase, PhaseFn> = {
  async links(scope, run, counts, now) {
    const [repoId, digest] = run.cursor ? run.cursor.split(" ") : [];
    const rows = await q.unusedLinks(scope.db, now - run.linkGraceMs, repoId && digest ? { repoId, digest } : null, GC_BATCH);
    for (const r of rows) if (await unlinkBlob(scope, { id: r.repoId, projectId: r.projectId }, r.digest)) counts.linksDropped++;
    const last = rows[rows.length - 1];
    return rows.length < GC_BATCH ? { phase: NEXT.links, cursor: null } : { phase: "links", cursor: `${last!.repoId} ${last!.digest}` };
  },
  async blobs(scope, run, counts, now) {
    // First what a dead step condemned and did not finish.
    for (const b of await q.condemnedBefore(scope.db, now - CONDEMNED_STALE_MS, GC_BATCH)) await collectCondemned(scope, b, counts);
    const rows = await q.unlinkedBlobs(scope.db, now - run.blobGraceMs, run.cursor, GC_BATCH);
    for (const r of rows) {
      const [condemned] = await q.condemn(scope.db, r.digest, now - run.blobGraceMs, now);
      if (!condemned) continue; // linked again, or revived, since it was listed
      counts.blobsCondemned++;
      await collectCondemned(scope, condemned, counts);
    }
    return rows.length < GC_BATCH ? { phase: NEXT.blobs, cursor: null } : { phase: "blobs", cursor: rows[rows.length - 1]!.digest };
  },
  async orphans(scope, run, counts, now) {
    const page = await listObjects(scope.env.BLOBS, BLOB_PREFIX, run.cursor, GC_LIST_PAGE);
    counts.objectsListed += page.objects.length;
    const named = new Set((await q.keysNamed(scope.db, page.objects.map((o) => o.key))).map((k) => k.r2Key));
    for (const o of page.objects) {
      if (named.has(o.key) || o.uploaded > now - run.orphanGraceMs) continue;
      const doomed = await q.doomKey(scope.db, o.key, now);
      if (doomed.meta.changes === 0 && !(await q.isDoomed(scope.db, o.key))) continue; // a row names it now
      await deleteObject(scope.env.BLOBS, o.key);
      counts.orphansDeleted++;
      counts.orphanBytes += o.size;
    }
    return page.cursor ? { phase: "orphans", cursor: page.cursor } : { phase: NEXT.orphans, cursor: null };
  },
  async tombstones(scope, _run, counts, now) {
    const pruned = await q.pruneDoomed(scope.db, now - TOMBSTONE_MS).run();
    counts.tombstonesPruned += pruned.meta.changes;
    return { phase: NEXT.tombstones, cursor: null };
  },
  async done() {
    return { phase: "done", cursor: null };
  },
};

/** Deletes the condemned key's object, then the row if it still names that key. */
async function collectCondemned(scope: Scope, b: { digest: string; r2Key: string; size: number }, counts: GcCounts) {
  await deleteObject(scope.env.BLOBS, b.r2Key);
  const dropped = await q.dropCondemned(scope.db, b.digest, b.r2Key).run();
  if (dropped.meta.changes > 0) {
    counts.blobsDeleted++;
    counts.blobBytes += b.size;
  }
}

async function completed(scope: Scope, run: q.GcRunRow, c: GcCounts, status: "succeeded" | "failed") {
  await emitEvent(scope, {
    type: "gc.completed",
    project_id: null,
    data: { run_id: run.id, trigger: run.trigger, status, links_dropped: c.linksDropped, blobs_deleted: c.blobsDeleted, orphans_deleted: c.orphansDeleted, bytes_freed: c.blobBytes + c.orphanBytes },
  });
}

/** Runs whose worker died mid-run get their current step sent again. */
export async function resumeStaleGc(scope: Scope, jobs: Jobs, now = Date.now()): Promise<number> {
  const stale = await q.staleGcRuns(scope.db, now);
  for (const run of stale) {
    await q.updateGcRun(scope.db, run.id, { leaseUntil: now + GC_LEASE_MS, updatedAt: now }).run();
    await jobs.send({ type: "gc.step", run_id: run.id, step: run.step });
  }
  return stale.length;
}

// ---- admin views ----

export const lastGc = (scope: Scope) => q.lastGcRun(scope.db);
export const activeGc = (scope: Scope) => q.activeGcRun(scope.db);

export async function listGcRuns(scope: Scope, cursor?: string, limit?: number) {
  const n = clampLimit(limit);
  return toPage(await q.listGcRuns(scope.db, decodeCursor(cursor), n), n);
}

export async function getGcRun(scope: Scope, id: string) {
  const run = await q.findGcRun(scope.db, id);
  if (!run) throw notFound("GcRun", `no garbage-collection run ${id}`);
  return run;
}

/** What a run with these graces would collect now, without collecting (samples are bounded). */
export async function gcDryRun(scope: Scope, graces: Partial<GcGraces> = {}, sample = 1000) {
  const d = { ...config(scope.env).gc, ...graces };
  const now = Date.now();
  const links = await q.unusedLinks(scope.db, now - d.linkGraceMs, null, sample);
  const blobs = await q.unlinkedBlobs(scope.db, now - d.blobGraceMs, null, sample);
  const orphans: { key: string; size: number; uploaded: number }[] = [];
  let cursor: string | null = null;
  let listed = 0;
  let pages = 0;
  do {
    const page = await listObjects(scope.env.BLOBS, BLOB_PREFIX, cursor, GC_LIST_PAGE);
    listed += page.objects.length;
    const named = new Set((await q.keysNamed(scope.db, page.objects.map((o) => o.key))).map((k) => k.r2Key));
    for (const o of page.objects) if (!named.has(o.key) && o.uploaded <= now - d.orphanGraceMs) orphans.push(o);
    cursor = page.cursor;
  } while (cursor && ++pages < 20 && orphans.length < sample);
  return {
    graces: d,
    links: links.slice(0, sample),
    blobs,
    orphans: orphans.slice(0, sample),
    objectsListed: listed,
    truncated: links.length >= sample || blobs.length >= sample || orphans.length >= sample || cursor !== null,
    bytes: blobs.reduce((n, b) => n + b.size, 0) + orphans.reduce((n, o) => n + o.size, 0),
  };
}
