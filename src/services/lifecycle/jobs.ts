/**
 * Background work of the lifecycle domain: what the JOBS queue consumer and the cron
 * trigger run, as the `system` actor.
 *
 *   cron (every 15 min) → {lifecycle.tick}:
 *     resume retention and GC runs whose worker died (lease lapsed)
 *     start a scheduled retention run for each repo with enabled policies whose last
 *       scheduled run is older than RETENTION_EVERY_MS
 *     {trash.expire}: purge trash entries whose window ended, TRASH_BATCH at a time
 *     start a scheduled GC run when the last one is older than GC_EVERY_MS
 *
 * Invariants: every message is idempotent (a retried or duplicated message finds its
 * step already claimed and does nothing); work is bounded per message and continues
 * with a new message. `runInline` drives the same steps inside one request for an admin
 * who asks to wait (and for tests), handing what is left to the queue after its budget.
 */
import type { Env } from "../../env";
import type { Scope } from "../scope";
import { Access } from "../../auth/access";
import { INSTANCE_ADMIN } from "../../auth/principal";
import { database } from "../../db/client";
import { findProject, findRepo } from "../../db/projects";
import { lastScheduledRun, reposWithPolicies } from "../../db/lifecycle";
import { activeGcRun, lastGcRun } from "../../db/gc";
import { isRegistryError } from "../../core/errors";
import { newId } from "../../core/ids";
import { batchStep, planStep, queueJobs, resumeStaleRuns, startRun, type JobMessage, type Jobs } from "./runs";
import { expireTrash } from "./restore";
import { gcStep, resumeStaleGc, startGc } from "./gc";

export const RETENTION_EVERY_MS = 24 * 3600 * 1000;
export const GC_EVERY_MS = 24 * 3600 * 1000;
const TRASH_BATCH = 25;

/** A scope for background work: instance-level rights, audited as `system:<name>`. */
export function systemScope(env: Env, name: string, waitUntil: (p: Promise<unknown>) => void = (p) => void p.catch((e) => console.error(e))): Scope {
  const db = database(env.DB);
  return {
    env,
    db,
    access: new Access(db, INSTANCE_ADMIN),
    requestId: `job-${newId()}`,
    ip: null,
    baseUrl: "",
    waitUntil,
    actor: { actorType: "system", actorId: null, actorName: name },
  };
}

const NAMES: Record<JobMessage["type"], string> = {
  "retention.plan": "retention",
  "retention.batch": "retention",
  "trash.expire": "trash",
  "gc.step": "gc",
  "lifecycle.tick": "scheduler",
};

export function isJobMessage(body: unknown): body is JobMessage {
  return typeof body === "object" && body !== null && typeof (body as { type?: unknown }).type === "string" && (body as { type: string }).type in NAMES;
}

/** Runs one job message; `jobs` receives its continuations. */
export async function handleJob(env: Env, message: JobMessage, jobs?: Jobs): Promise<void> {
  const scope = systemScope(env, NAMES[message.type]);
  const next = jobs ?? queueJobs(scope);
  switch (message.type) {
    case "retention.plan":
      return planStep(scope, message.run_id, next);
    case "retention.batch":
      return batchStep(scope, message.run_id, message.from, next);
    case "gc.step":
      return gcStep(scope, message.run_id, message.step, next);
    case "trash.expire": {
      const { more } = await expireTrash(scope, TRASH_BATCH);
      if (more) await next.send({ type: "trash.expire" });
      return;
    }
    case "lifecycle.tick":
      return tick(scope, next);
  }
}

export async function tick(scope: Scope, jobs: Jobs, now = Date.now()): Promise<void> {
  await resumeStaleRuns(scope, jobs, now);
  await resumeStaleGc(scope, jobs, now);
  for (const { repoId } of await reposWithPolicies(scope.db)) {
    const last = await lastScheduledRun(scope.db, repoId);
    if (last && now - last.createdAt < RETENTION_EVERY_MS) continue;
    const repo = await findRepo(scope.db, repoId);
    const project = repo && (await findProject(scope.db, repo.projectId));
    if (!repo || !project) continue;
    try {
      await startRun(scope, { repo, project }, "schedule", jobs);
    } catch (e) {
      if (!(isRegistryError(e) && e.code === "ConflictRetentionRunActive")) throw e;
    }
  }
  await jobs.send({ type: "trash.expire" });
  const lastGc = await lastGcRun(scope.db);
  if (!(await activeGcRun(scope.db)) && (!lastGc || now - lastGc.createdAt >= GC_EVERY_MS)) {
    try {
      await startGc(scope, "schedule", jobs);
    } catch (e) {
      if (!(isRegistryError(e) && e.code === "ConflictGcRunActive")) throw e;
    }
  }
}

/**
 * Drives a run's messages inside this request until none is left or `budgetMs` has
 * passed; what is left goes to the queue. `first` is what starting the run sent.
 */
export async function runInline(env: Env, start: (jobs: Jobs) => Promise<unknown>, budgetMs = 20_000, queue?: Jobs): Promise<void> {
  const pending: JobMessage[] = [];
  const recorder: Jobs = { send: async (m) => void pending.push(m) };
  await start(recorder);
  const until = Date.now() + budgetMs;
  while (pending.length && Date.now() < until) await handleJob(env, pending.shift()!, recorder);
  const later = queue ?? queueJobs(systemScope(env, "scheduler"));
  for (const m of pending) await later.send(m);
}
