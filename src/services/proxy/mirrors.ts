/**
 * Mirroring (reference 004 §2.9): an upstream repo that copies selected packages (or
 * images) and versions (or tags) from its upstream on a schedule and on `sync-now`,
 * instead of waiting for a client to ask.
 *
 *   sync-now     → status SYNC_NOW, a JOBS message
 *   cron (15 min) → a JOBS message for every enabled mirror whose sync_start_at has come
 *   a JOBS message → claim the run (one D1 update: only when SYNC_NOW, or enabled and due,
 *                    and no live run): status SYNCING, a fresh run id
 *                    for each package, each upstream version matching root_rule:
 *                      still our run? (the progress update only lands while it is)
 *                      copy it through the pull-through path (verified, stored)
 *                    → SUCCESS or FAIL, next sync_start_at = now + interval
 *   sync-cancel  → status CANCEL, run id cleared: the run's next progress update finds
 *                  the mirror no longer its own and stops
 *
 * Invariants:
 * - At most one live run per mirror (the claim); a run that died is stale after
 *   STALE_RUN_MS and the next claim takes over.
 * - A mirror copies through the same code as a client's pull: the upstream's digests
 *   are checked and what is stored is an ordinary artifact of the repo.
 * - Configuration changes, sync-now and sync-cancel are audited and emit
 *   `mirror.changed`; a finished run emits `mirror.synced` (actor: system `mirror`).
 * - Upstream credentials are the repo's own (write-only on the repo).
 */
import type { Scope } from "../scope";
import type { Env } from "../../env";
import { auditQuery, emitEvent } from "../events/audit";
import { getRepo, type OpenedRepo } from "../projects/repos";
import * as q from "../../db/proxy";
import { findProject, findRepo } from "../../db/projects";
import { database, runBatch } from "../../db/client";
import type { BatchItem } from "drizzle-orm/batch";
import { Access } from "../../auth/access";
import { INSTANCE_ADMIN } from "../../auth/principal";
import { conflict, invalid, notFound } from "../../core/errors";
import { matchesAny } from "../../core/names";
import { newId } from "../../core/ids";
import { mirrorSupportOf } from "./support";
import { UpstreamClient } from "./upstream-client";

export type { MirrorRow } from "../../db/proxy";

const STALE_RUN_MS = 60 * 60_000;
export const MIRROR_JOB = "mirror.sync";

export interface MirrorInput {
  isEnabled?: boolean;
  packages?: string[];
  rootRule?: string[];
  syncIntervalSeconds?: number;
  syncStartAt?: number;
}

async function adminRepo(scope: Scope, repoId: string) {
  const repo = await getRepo(scope, repoId);
  await scope.access.require("admin", { projectId: repo.projectId, repo });
  return repo;
}

async function requireMirror(scope: Scope, repoId: string) {
  const repo = await adminRepo(scope, repoId);
  const mirror = await q.findMirror(scope.db, repoId);
  if (!mirror) throw notFound("Mirror", `repository ${repoId} has no mirror configuration`);
  return { repo, mirror };
}

export const getMirror = async (scope: Scope, repoId: string) => (await requireMirror(scope, repoId)).mirror;

function validated(input: MirrorInput) {
  if (input.packages !== undefined && input.packages.length === 0) throw invalid("Mirror", "packages must name at least one package or image to mirror");
  if (input.syncIntervalSeconds !== undefined && (input.syncIntervalSeconds < 60 || input.syncIntervalSeconds > 365 * 86400)) {
    throw invalid("Mirror", "sync_interval must be between 60 seconds and a year");
  }
}

const eventOf = (m: q.MirrorRow) => ({
  repo_id: m.repoId,
  is_enabled: m.isEnabled,
  packages: m.packages,
  root_rule: m.rootRule,
  sync_interval: m.syncIntervalSeconds,
  sync_status: m.syncStatus,
});

/** Writes a configuration change with its audit row (one batch), then emits `mirror.changed`. */
async function changed(scope: Scope, repo: { id: string; projectId: string }, change: "created" | "updated" | "deleted" | "sync_now" | "sync_cancel", before: q.MirrorRow | null, after: q.MirrorRow | null, statement: BatchItem<"sqlite">) {
  await runBatch(scope.db, [statement, auditQuery(scope, { action: `mirror.${change}`, resourceType: "mirror", resourceId: repo.id, projectId: repo.projectId, before, after })]);
  await emitEvent(scope, { type: "mirror.changed", project_id: repo.projectId, data: { change, mirror: eventOf((after ?? before)!) } });
}

export async function createMirror(scope: Scope, repoId: string, input: MirrorInput) {
  const repo = await adminRepo(scope, repoId);
  if (repo.kind !== "upstream") throw invalid("Mirror", "only an upstream repository can mirror (create it with kind upstream and upstream_url)");
  if (!mirrorSupportOf(repo.format)) throw invalid("Mirror", `${repo.format} repositories can't mirror`);
  if (!input.packages?.length) throw invalid("Mirror", "packages must name at least one package or image to mirror");
  validated(input);
  if (await q.findMirror(scope.db, repoId)) throw conflict("MirrorExists", "the repository already has a mirror configuration");
  const now = Date.now();
  const row: q.MirrorRow = {
    repoId,
    isEnabled: input.isEnabled ?? true,
    packages: input.packages,
    rootRule: input.rootRule ?? [],
    syncIntervalSeconds: input.syncIntervalSeconds ?? 86400,
    syncStartAt: input.syncStartAt ?? now,
    syncStatus: "NEVER_RUN",
    syncRunId: null,
    syncStartedAt: null,
    syncFinishedAt: null,
    syncedCount: 0,
    lastError: null,
    createdAt: now,
    updatedAt: now,
  };
  await changed(scope, repo, "created", null, row, q.insertMirror(scope.db, row));
  return row;
}

export async function updateMirror(scope: Scope, repoId: string, patch: MirrorInput) {
  const { repo, mirror } = await requireMirror(scope, repoId);
  validated(patch);
  const after: q.MirrorRow = { ...mirror, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)), updatedAt: Date.now() };
  await changed(scope, repo, "updated", mirror, after, q.updateMirror(scope.db, repoId, after));
  return after;
}

export async function deleteMirror(scope: Scope, repoId: string) {
  const { repo, mirror } = await requireMirror(scope, repoId);
  await changed(scope, repo, "deleted", mirror, null, q.deleteMirror(scope.db, repoId));
}

export async function syncNow(scope: Scope, repoId: string) {
  const { repo, mirror } = await requireMirror(scope, repoId);
  const after: q.MirrorRow = { ...mirror, syncStatus: "SYNC_NOW", updatedAt: Date.now() };
  await changed(scope, repo, "sync_now", mirror, after, q.updateMirror(scope.db, repoId, { syncStatus: "SYNC_NOW", updatedAt: after.updatedAt }));
  await scope.env.JOBS.send({ type: MIRROR_JOB, repo_id: repoId }, { contentType: "json" });
  return after;
}

export async function syncCancel(scope: Scope, repoId: string) {
  const { repo, mirror } = await requireMirror(scope, repoId);
  const now = Date.now();
  const after: q.MirrorRow = { ...mirror, syncStatus: "CANCEL", syncRunId: null, syncStartAt: now + mirror.syncIntervalSeconds * 1000, updatedAt: now };
  const patch = { syncStatus: after.syncStatus, syncRunId: null, syncStartAt: after.syncStartAt, updatedAt: now };
  await changed(scope, repo, "sync_cancel", mirror, after, q.updateMirror(scope.db, repoId, patch));
  return after;
}

/** The cron's part: a job for every enabled mirror that is due. */
export async function scheduleDueMirrors(env: Env): Promise<number> {
  const due = await q.dueMirrors(database(env.DB), Date.now(), 100);
  if (due.length) await env.JOBS.sendBatch(due.map((m) => ({ body: { type: MIRROR_JOB, repo_id: m.repoId }, contentType: "json" as const })));
  return due.length;
}

/** A scope for background work: full rights, recorded as the system actor `mirror`. */
function jobScope(env: Env, runId: string, pending: Promise<unknown>[]): Scope {
  const db = database(env.DB);
  return {
    env,
    db,
    access: new Access(db, INSTANCE_ADMIN),
    requestId: `mirror-${runId}`,
    ip: null,
    baseUrl: "",
    waitUntil: (p) => void pending.push(p.catch((e) => console.error("mirror background task failed", e))),
    actor: { actorType: "system", actorId: null, actorName: "mirror" },
  };
}

/** Runs one sync of a mirror if it may (see the claim above); what it copied, or null when it did not run. */
export async function runMirrorSync(env: Env, repoId: string): Promise<{ copied: number; failed: number } | null> {
  const runId = newId();
  const pending: Promise<unknown>[] = [];
  const scope = jobScope(env, runId, pending);
  const now = Date.now();
  if (!(await q.claimMirrorRun(scope.db, repoId, runId, now, now - STALE_RUN_MS)).length) return null;
  const mirror = (await q.findMirror(scope.db, repoId))!;
  const repo = await findRepo(scope.db, repoId);
  const project = repo && (await findProject(scope.db, repo.projectId));
  const support = repo && mirrorSupportOf(repo.format);
  let copied = 0;
  let failed = 0;
  let lastError: string | null = null;
  let canceled = false;
  if (repo && project && support) {
    const opened: OpenedRepo = { project, repo };
    const client = new UpstreamClient(scope, opened);
    outer: for (const name of mirror.packages) {
      let versions: string[];
      try {
        versions = (await support.versions(scope, client, name)).filter((v) => mirror.rootRule.length === 0 || matchesAny(v, mirror.rootRule));
      } catch (e) {
        failed++;
        lastError = `${name}: ${e instanceof Error ? e.message : String(e)}`;
        continue;
      }
      for (const version of versions) {
        if (!(await q.updateMirrorRun(scope.db, repoId, runId, { syncedCount: copied, updatedAt: Date.now() })).length) {
          canceled = true;
          break outer;
        }
        try {
          if (await support.copy(scope, client, name, version)) copied++;
          else (failed++, (lastError = `${name} ${version}: not available upstream`));
        } catch (e) {
          failed++;
          lastError = `${name} ${version}: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
    }
  } else {
    failed++;
    lastError = "the repository can no longer mirror";
  }
  await Promise.all(pending);
  if (canceled) return { copied, failed };
  const finished = Date.now();
  const status = failed === 0 ? "SUCCESS" : "FAIL";
  const patch = { syncStatus: status, syncFinishedAt: finished, syncedCount: copied, lastError, syncStartAt: finished + mirror.syncIntervalSeconds * 1000, updatedAt: finished } as const;
  if (!(await q.updateMirrorRun(scope.db, repoId, runId, patch)).length) return { copied, failed };
  if (repo) {
    await emitEvent(scope, { type: "mirror.synced", project_id: repo.projectId, data: { repo_id: repoId, status, copied, failed, error: lastError } });
  }
  return { copied, failed };
}
