/**
 * Queries of the lifecycle domain: retention policies, runs and their items, legal
 * holds and last-download times. Trash queries are in db/trash.ts, the collector's in
 * db/gc.ts.
 */
import { and, asc, eq, gt, gte, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "./client";
import { legalHolds, repos, retentionPolicies, retentionRunItems, retentionRuns } from "./schema";
import { inIdList, inSlices, pageWhere, slices } from "./paging";
import type { PageKey } from "../core/pagination";
import type { ArtifactKind } from "../core/vocabulary";

export type PolicyRow = typeof retentionPolicies.$inferSelect;
export type RunRow = typeof retentionRuns.$inferSelect;
export type RunItemRow = typeof retentionRunItems.$inferSelect;
export type HoldRow = typeof legalHolds.$inferSelect;

// ---- policies ----
export const listPolicies = (db: Db, repoId: string) =>
  db.select().from(retentionPolicies).where(eq(retentionPolicies.repoId, repoId)).orderBy(asc(retentionPolicies.createdAt), asc(retentionPolicies.id)).all();
export const policiesOfRepos = (db: Db, repoIds: string[]) =>
  repoIds.length === 0 ? Promise.resolve([] as PolicyRow[]) : db.select().from(retentionPolicies).where(inIdList(retentionPolicies.repoId, repoIds)).all();
export const findPolicy = (db: Db, repoId: string, id: string) =>
  db.select().from(retentionPolicies).where(and(eq(retentionPolicies.repoId, repoId), eq(retentionPolicies.id, id))).get();
export const insertPolicy = (db: Db, row: PolicyRow) => db.insert(retentionPolicies).values(row);
export const updatePolicy = (db: Db, id: string, patch: Partial<PolicyRow>) => db.update(retentionPolicies).set(patch).where(eq(retentionPolicies.id, id));
export const deletePolicy = (db: Db, id: string) => db.delete(retentionPolicies).where(eq(retentionPolicies.id, id));
/** Repos with at least one enabled policy (what the scheduler looks at). */
export const reposWithPolicies = (db: Db) =>
  db.selectDistinct({ repoId: retentionPolicies.repoId }).from(retentionPolicies).where(eq(retentionPolicies.enabled, true)).all();

// ---- runs ----
export const insertRun = (db: Db, row: RunRow) => db.insert(retentionRuns).values(row);
export const findRun = (db: Db, id: string) => db.select().from(retentionRuns).where(eq(retentionRuns.id, id)).get();
export const updateRun = (db: Db, id: string, patch: Partial<RunRow>) => db.update(retentionRuns).set(patch).where(eq(retentionRuns.id, id));
export const listRuns = (db: Db, repoId: string | null, after: PageKey | null, limit: number) =>
  db
    .select()
    .from(retentionRuns)
    .where(and(repoId ? eq(retentionRuns.repoId, repoId) : undefined, pageWhere(retentionRuns, after)))
    .orderBy(asc(retentionRuns.createdAt), asc(retentionRuns.id))
    .limit(limit + 1)
    .all();
/** The last real run of a repo started by the scheduler (it decides when the next is due). */
export const lastScheduledRun = (db: Db, repoId: string) =>
  db
    .select({ createdAt: retentionRuns.createdAt })
    .from(retentionRuns)
    .where(and(eq(retentionRuns.repoId, repoId), eq(retentionRuns.trigger, "schedule")))
    .orderBy(sql`${retentionRuns.createdAt} DESC`)
    .limit(1)
    .get();
/** Real runs whose lease lapsed while unfinished: the worker holding them died. */
export const staleRuns = (db: Db, now: number) =>
  db
    .select()
    .from(retentionRuns)
    .where(and(eq(retentionRuns.dryRun, false), inArray(retentionRuns.status, ["planning", "running"]), lt(retentionRuns.leaseUntil, now)))
    .all();
/** Claims items [from, to) for one batch: only one worker's claim changes the row. */
export const claimBatch = (db: Db, id: string, from: number, to: number, leaseUntil: number, now: number) =>
  db
    .update(retentionRuns)
    .set({ cursor: to, leaseUntil, updatedAt: now })
    .where(and(eq(retentionRuns.id, id), eq(retentionRuns.cursor, from), eq(retentionRuns.status, "running")))
    .returning({ id: retentionRuns.id })
    .all();
/** Adds a batch's outcome to the run's counters (`errors`: the run's whole new list, or undefined to keep it). */
export const addToRun = (db: Db, id: string, d: { deleted: number; skipped: number; failed: number; deletedBytes: number; errors?: string[] }, now: number) =>
  db
    .update(retentionRuns)
    .set({
      deleted: sql`${retentionRuns.deleted} + ${d.deleted}`,
      skipped: sql`${retentionRuns.skipped} + ${d.skipped}`,
      failed: sql`${retentionRuns.failed} + ${d.failed}`,
      deletedBytes: sql`${retentionRuns.deletedBytes} + ${d.deletedBytes}`,
      errors: d.errors,
      updatedAt: now,
    })
    .where(eq(retentionRuns.id, id));

// ---- run items ----
export const insertItems = (db: Db, rows: RunItemRow[]) => db.insert(retentionRunItems).values(rows);
export const deleteItems = (db: Db, runId: string) => db.delete(retentionRunItems).where(eq(retentionRunItems.runId, runId));
export const pendingItems = (db: Db, runId: string, from: number, limit: number) =>
  db
    .select()
    .from(retentionRunItems)
    .where(and(eq(retentionRunItems.runId, runId), eq(retentionRunItems.decision, "delete"), eq(retentionRunItems.status, "pending"), gte(retentionRunItems.seq, from)))
    .orderBy(asc(retentionRunItems.seq))
    .limit(limit)
    .all();
export const firstPendingSeq = (db: Db, runId: string) =>
  db
    .select({ seq: retentionRunItems.seq })
    .from(retentionRunItems)
    .where(and(eq(retentionRunItems.runId, runId), eq(retentionRunItems.decision, "delete"), eq(retentionRunItems.status, "pending")))
    .orderBy(asc(retentionRunItems.seq))
    .limit(1)
    .get();
export const finishItem = (db: Db, runId: string, seq: number, patch: Pick<RunItemRow, "status" | "detail" | "trashId">) =>
  db.update(retentionRunItems).set(patch).where(and(eq(retentionRunItems.runId, runId), eq(retentionRunItems.seq, seq)));
export const listItems = (db: Db, runId: string, decision: "delete" | "keep" | undefined, afterSeq: number, limit: number) =>
  db
    .select()
    .from(retentionRunItems)
    .where(and(eq(retentionRunItems.runId, runId), decision ? eq(retentionRunItems.decision, decision) : undefined, gt(retentionRunItems.seq, afterSeq)))
    .orderBy(asc(retentionRunItems.seq))
    .limit(limit + 1)
    .all();

// ---- legal holds ----
export const listHolds = (db: Db, repoId: string, after: PageKey | null, limit: number) =>
  db
    .select()
    .from(legalHolds)
    .where(and(eq(legalHolds.repoId, repoId), pageWhere(legalHolds, after)))
    .orderBy(asc(legalHolds.createdAt), asc(legalHolds.id))
    .limit(limit + 1)
    .all();
export const allHolds = (db: Db, repoId: string) => db.select().from(legalHolds).where(eq(legalHolds.repoId, repoId)).all();
export const findHold = (db: Db, repoId: string, id: string) => db.select().from(legalHolds).where(and(eq(legalHolds.repoId, repoId), eq(legalHolds.id, id))).get();
/** Holds on any of these targets (kind, name, ref). */
export const holdsOn = (db: Db, repoId: string, kind: ArtifactKind, name: string, refs: string[]) =>
  inSlices(refs, (slice) =>
    db
      .select()
      .from(legalHolds)
      .where(and(eq(legalHolds.repoId, repoId), eq(legalHolds.kind, kind), eq(legalHolds.name, name), inArray(legalHolds.ref, slice)))
      .all(),
  );
export const insertHold = (db: Db, row: HoldRow) => db.insert(legalHolds).values(row);
export const deleteHold = (db: Db, id: string) => db.delete(legalHolds).where(eq(legalHolds.id, id));

