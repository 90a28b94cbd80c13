/**
 * Retention runs: a dry-run answered at once, and real runs that plan, then delete in
 * bounded batches through the JOBS queue, with a history per repo.
 *
 *   start:  insert run (planning, lease)      ← the partial unique index refuses a second
 *                                              active run of the repo (ConflictRetentionRunActive)
 *           send {retention.plan}
 *   plan:   items := planRetention()           (the dry-run's function: same list)
 *           run := running, cursor 0; send {retention.batch, from: 0}
 *   batch:  items := next RUN_BATCH pending from `from`
 *           claim: UPDATE cursor from→to WHERE cursor = from   ← one worker wins a batch
 *           each item → trash (skipped if gone or held since planned, failed on error)
 *           counters += outcome; retention.deleted per deciding policy
 *           send {retention.batch, from: to}, or finish when none is left
 *   tick:   a run whose lease lapsed (its worker died) is resumed from its first
 *           pending item; so a run survives a restart and no item is deleted twice.
 */
import type { Scope } from "../scope";
import type { OpenedRepo } from "../projects/repos";
import { actorOf, emitEvent } from "../events/audit";
import { planRetention, type Plan, type PlanItem } from "./plan";
import { policiesForRun } from "./policies";
import { imageOf, trashManifest, trashVersion } from "./trash";
import * as q from "../../db/lifecycle";
import * as pq from "../../db/packages";
import { findProject, findRepo } from "../../db/projects";
import { manifestInRepo } from "../../db/oci";
import { isUniqueViolation } from "../../db/errors";
import { runBatch } from "../../db/client";
import { slices } from "../../db/paging";
import { RegistryError, conflict, isRegistryError, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import type { RunTrigger } from "../../core/vocabulary";
import type { RetentionPolicy } from "../../core/retention";

export type { RunRow, RunItemRow } from "../../db/lifecycle";

/** Items one queue message deletes at most. */
export const RUN_BATCH = 25;
/** A run's worker renews its lease every batch; a lapsed lease lets the tick resume the run. */
export const RUN_LEASE_MS = 5 * 60 * 1000;
const MAX_ERRORS = 20;

export type JobMessage =
  | { type: "retention.plan"; run_id: string }
  | { type: "retention.batch"; run_id: string; from: number }
  | { type: "trash.expire" }
  | { type: "gc.step"; run_id: string; step: number }
  | { type: "lifecycle.tick" };

/** Where jobs go: the JOBS queue (tests pass a recorder to drive steps one by one). */
export interface Jobs {
  send(message: JobMessage): Promise<void>;
}
export const queueJobs = (scope: Scope): Jobs => ({
  send: async (m) => {
    await scope.env.JOBS.send(m, { contentType: "json" });
  },
});

function itemRows(runId: string, plan: Plan, dryRun: boolean): q.RunItemRow[] {
  return plan.items.map((i: PlanItem, seq) => {
    const d = i.decision;
    const deciding = d.decision === "delete" ? d.policy : d.escaped;
    return {
      runId,
      seq,
      kind: i.kind,
      package: i.displayName,
      version: i.candidate.version,
      ref: i.ref,
      tags: i.candidate.tags,
      pushedAt: i.candidate.createdAt,
      lastDownloadAt: i.candidate.lastDownloadAt,
      size: i.size,
      freed: i.freed,
      decision: d.decision,
      policyId: deciding?.id ?? null,
      policyName: deciding?.name ?? null,
      keptBy: d.decision === "keep" ? d.keptBy : null,
      status: d.decision === "keep" ? "kept" : dryRun ? "planned" : "pending",
      detail: null,
      trashId: null,
    };
  });
}

const insertItems = (scope: Scope, rows: q.RunItemRow[]) => slices(rows, 19).map((slice) => q.insertItems(scope.db, slice));

async function writeInBatches(scope: Scope, statements: ReturnType<typeof insertItems>) {
  for (let i = 0; i < statements.length; i += 50) await runBatch(scope.db, statements.slice(i, i + 50));
}

const policySummary = (ps: RetentionPolicy[]) => ps.map((p) => ({ id: p.id, name: p.name, action: p.action }));

function newRun(scope: Scope, repoId: string, trigger: RunTrigger, dryRun: boolean, policies: RetentionPolicy[], now: number): q.RunRow {
  const actor = actorOf(scope);
  return {
    id: newId(),
    repoId,
    trigger,
    dryRun,
    status: dryRun ? "succeeded" : "planning",
    policies: policySummary(policies),
    examined: 0,
    planned: 0,
    deleted: 0,
    kept: 0,
    skipped: 0,
    failed: 0,
    plannedBytes: 0,
    deletedBytes: 0,
    errors: [],
    cursor: 0,
    leaseUntil: dryRun ? null : now + RUN_LEASE_MS,
    actorType: actor.actorType,
    actorName: actor.actorName,
    createdAt: now,
    updatedAt: now,
    finishedAt: dryRun ? now : null,
  };
}

const planCounts = (plan: Plan) => ({ examined: plan.items.length, planned: plan.deleted.length, kept: plan.items.length - plan.deleted.length, plannedBytes: plan.freedBytes });

/** Plans without deleting; the run and its items are kept in the history. */
export async function dryRun(scope: Scope, opened: OpenedRepo, policyIds?: string[]) {
  await scope.access.require("read", { projectId: opened.project.id, repo: opened.repo });
  const policies = await policiesForRun(scope, opened.repo.id, policyIds);
  const now = Date.now();
  const plan = await planRetention(scope, opened.repo, policies, now);
  const run = { ...newRun(scope, opened.repo.id, "manual", true, policies, now), ...planCounts(plan) };
  await q.insertRun(scope.db, run).run();
  await writeInBatches(scope, insertItems(scope, itemRows(run.id, plan, true)));
  return { run, items: itemRows(run.id, plan, true) };
}

/** Starts a real run (admin, or the scheduler); it proceeds through the queue. */
export async function startRun(scope: Scope, opened: OpenedRepo, trigger: RunTrigger, jobs: Jobs, policyIds?: string[]) {
  await scope.access.require("admin", { projectId: opened.project.id, repo: opened.repo });
  const policies = await policiesForRun(scope, opened.repo.id, policyIds);
  const run = newRun(scope, opened.repo.id, trigger, false, policies, Date.now());
  try {
    await q.insertRun(scope.db, run).run();
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("RetentionRunActive", "a retention run of this repository is already in progress");
    throw e;
  }
  await jobs.send({ type: "retention.plan", run_id: run.id });
  return run;
}

async function openedOf(scope: Scope, repoId: string): Promise<OpenedRepo | null> {
  const repo = await findRepo(scope.db, repoId);
  const project = repo && (await findProject(scope.db, repo.projectId));
  return repo && project ? { repo, project } : null;
}

/** The plan step of a real run (idempotent: a retried message plans again from scratch). */
export async function planStep(scope: Scope, runId: string, jobs: Jobs): Promise<void> {
  const run = await q.findRun(scope.db, runId);
  if (!run || run.status !== "planning") return;
  const opened = await openedOf(scope, run.repoId);
  if (!opened) return;
  // The policies chosen at start, as they are now (one deleted since is dropped).
  const ids = new Set(run.policies.map((p) => p.id));
  const policies = (await q.listPolicies(scope.db, run.repoId)).filter((p) => ids.has(p.id)).map((p) => ({ id: p.id, name: p.name, action: p.action, condition: p.condition }));
  const now = Date.now();
  const plan = await planRetention(scope, opened.repo, policies, now);
  await q.deleteItems(scope.db, run.id).run();
  await writeInBatches(scope, insertItems(scope, itemRows(run.id, plan, false)));
  await q.updateRun(scope.db, run.id, { status: "running", cursor: 0, ...planCounts(plan), leaseUntil: now + RUN_LEASE_MS, updatedAt: now }).run();
  await jobs.send({ type: "retention.batch", run_id: run.id, from: 0 });
}

/** One batch of a running run; sends its continuation, or finishes the run. */
export async function batchStep(scope: Scope, runId: string, from: number, jobs: Jobs): Promise<void> {
  const run = await q.findRun(scope.db, runId);
  if (!run || run.status !== "running" || run.cursor !== from) return;
  const items = await q.pendingItems(scope.db, run.id, from, RUN_BATCH);
  const now = Date.now();
  if (items.length === 0) return finish(scope, run, now);
  const to = items[items.length - 1]!.seq + 1;
  if ((await q.claimBatch(scope.db, run.id, from, to, now + RUN_LEASE_MS, now)).length === 0) return; // another worker has it
  const opened = await openedOf(scope, run.repoId);
  if (!opened) return;
  const outcome = { deleted: 0, skipped: 0, failed: 0, deletedBytes: 0, errors: [] as string[] };
  const done: { item: q.RunItemRow; trashId: string }[] = [];
  for (const item of items) {
    const result = await deleteItem(scope, opened, run, item);
    await q.finishItem(scope.db, run.id, item.seq, result).run();
    if (result.status === "deleted") {
      outcome.deleted++;
      outcome.deletedBytes += item.freed;
      done.push({ item, trashId: result.trashId! });
    } else if (result.status === "skipped") outcome.skipped++;
    else {
      outcome.failed++;
      outcome.errors.push(`${item.package}@${item.version}: ${result.detail}`);
    }
  }
  const errors = outcome.errors.length ? [...run.errors, ...outcome.errors].slice(0, MAX_ERRORS) : undefined;
  await q.addToRun(scope.db, run.id, { ...outcome, errors }, Date.now()).run();
  await announce(scope, opened, run, done);
  await jobs.send({ type: "retention.batch", run_id: run.id, from: to });
}

async function deleteItem(scope: Scope, opened: OpenedRepo, run: q.RunRow, item: q.RunItemRow): Promise<Pick<q.RunItemRow, "status" | "detail" | "trashId">> {
  const ctx = { reason: "retention" as const, run: { id: run.id, policyName: item.policyName ?? "" } };
  try {
    if (item.kind === "version") {
      const version = await pq.findVersionById(scope.db, item.ref.versionId!);
      const pkg = version && (await pq.findPackageById(scope.db, version.packageId));
      if (!version || !pkg) return { status: "skipped", detail: "deleted since the run planned", trashId: null };
      const entry = await trashVersion(scope, opened, pkg, version, ctx);
      return { status: "deleted", detail: null, trashId: entry.id };
    }
    if (!(await manifestInRepo(scope.db, opened.repo.id, item.ref.digest!))) return { status: "skipped", detail: "deleted since the run planned", trashId: null };
    const entry = await trashManifest(scope, imageOf(opened, item.ref.image!), item.ref.digest!, ctx);
    return { status: "deleted", detail: null, trashId: entry.id };
  } catch (e) {
    const skippable = isRegistryError(e) && ["ForbiddenLegalHold", "ConflictManifestInUse", "ForbiddenTagImmutable", "NotFoundManifest"].includes(e.code);
    return { status: skippable ? "skipped" : "failed", detail: e instanceof Error ? e.message : String(e), trashId: null };
  }
}

/** One `retention.deleted` per deciding policy of the batch. */
async function announce(scope: Scope, opened: OpenedRepo, run: q.RunRow, done: { item: q.RunItemRow; trashId: string }[]) {
  const byPolicy = new Map<string, typeof done>();
  for (const d of done) byPolicy.set(d.item.policyId ?? "", [...(byPolicy.get(d.item.policyId ?? "") ?? []), d]);
  for (const [policyId, list] of byPolicy) {
    await emitEvent(scope, {
      type: "retention.deleted",
      project_id: opened.project.id,
      data: {
        run_id: run.id,
        policy_id: policyId,
        policy_name: list[0]!.item.policyName ?? "",
        repo_id: opened.repo.id,
        format: opened.repo.format,
        deleted: list.map(({ item, trashId }) => ({
          package: item.package,
          version: item.version,
          tags: item.tags,
          digest: item.ref.digest ?? "",
          size: item.size,
          rule: item.policyName ?? "",
          trash_id: trashId,
        })),
        freed_bytes: list.reduce((n, d) => n + d.item.freed, 0),
      },
    });
  }
}

async function finish(scope: Scope, run: q.RunRow, now: number) {
  const fresh = (await q.findRun(scope.db, run.id))!;
  const status = fresh.failed > 0 && fresh.deleted === 0 && fresh.planned > 0 ? "failed" : "succeeded";
  await q.updateRun(scope.db, run.id, { status, leaseUntil: null, finishedAt: now, updatedAt: now }).run();
}

/** Resumes runs whose worker died (lease lapsed): plan again, or continue at the first pending item. */
export async function resumeStaleRuns(scope: Scope, jobs: Jobs, now = Date.now()): Promise<number> {
  const stale = await q.staleRuns(scope.db, now);
  for (const run of stale) {
    if (run.status === "planning") {
      await q.updateRun(scope.db, run.id, { leaseUntil: now + RUN_LEASE_MS, updatedAt: now }).run();
      await jobs.send({ type: "retention.plan", run_id: run.id });
      continue;
    }
    const first = await q.firstPendingSeq(scope.db, run.id);
    const from = first?.seq ?? run.cursor;
    await q.updateRun(scope.db, run.id, { cursor: from, leaseUntil: now + RUN_LEASE_MS, updatedAt: now }).run();
    await jobs.send({ type: "retention.batch", run_id: run.id, from });
  }
  return stale.length;
}

// ---- history ----

export async function listRuns(scope: Scope, repoId: string | null, cursor?: string, limit?: number) {
  const n = clampLimit(limit);
  return toPage(await q.listRuns(scope.db, repoId, decodeCursor(cursor), n), n);
}

export async function getRun(scope: Scope, repoId: string | null, id: string) {
  const run = await q.findRun(scope.db, id);
  if (!run || (repoId !== null && run.repoId !== repoId)) throw notFound("RetentionRun", `no retention run ${id}${repoId ? " in this repository" : ""}`);
  return run;
}

/** A run's items in plan order; `decision` narrows to deletions or kept artifacts. */
export async function runItems(scope: Scope, runId: string, decision: "delete" | "keep" | undefined, cursor?: string, limit?: number) {
  const n = clampLimit(limit);
  const after = cursor ? Number.parseInt(cursor, 10) : -1;
  if (Number.isNaN(after)) throw new RegistryError("InvalidCursor", "cursor is not one this API issued");
  const rows = await q.listItems(scope.db, runId, decision, after, n);
  const items = rows.slice(0, n);
  return { items, nextCursor: rows.length > n ? String(items[items.length - 1]!.seq) : null };
}
