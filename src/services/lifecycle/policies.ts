/**
 * Retention policies of a repository (`/api/v1/repos/{id}/retention/policies`), and the
 * `cleanup_policy` shape of reference 002 on repository create/update, which becomes
 * policies too.
 *
 * Invariants:
 * - A name is unique in its repo (`ConflictRetentionPolicyNameInUse`, as the reference
 *   spells it); a condition is checked whole (core/retention.ts conditionProblem) before
 *   anything is stored.
 * - Reading needs read on the repo; creating, changing and deleting need admin. Every
 *   change is audited in its batch and emits `policy.changed` (policy_type retention).
 * - `cleanup_policy` entries are delete policies with `source: cleanup_policy`: setting
 *   the list replaces exactly those, never the policies made through the retention API.
 */
import type { Scope } from "../scope";
import type { OpenedRepo } from "../projects/repos";
import { auditQuery, emitEvent } from "../events/audit";
import * as q from "../../db/lifecycle";
import { isUniqueViolation } from "../../db/errors";
import { runBatch } from "../../db/client";
import { RegistryError, conflict, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { conditionProblem, type RetentionCondition, type RetentionPolicy } from "../../core/retention";
import type { RetentionAction } from "../../core/vocabulary";

export type { PolicyRow } from "../../db/lifecycle";

export interface PolicyInput {
  name: string;
  description?: string;
  action: RetentionAction;
  condition: RetentionCondition;
  enabled?: boolean;
}

function check(action: RetentionAction, condition: RetentionCondition) {
  const problem = conditionProblem(action, condition);
  if (problem) throw new RegistryError("InvalidRetentionPolicy", problem);
}

const nameTaken = (name: string) => conflict("RetentionPolicyNameInUse", `a retention policy named '${name}' already exists in this repository`);

async function changed(scope: Scope, opened: OpenedRepo, change: "created" | "updated" | "deleted", p: q.PolicyRow) {
  await emitEvent(scope, { type: "policy.changed", project_id: opened.project.id, data: { policy_type: "retention", change, policy_id: p.id, repo_id: opened.repo.id, name: p.name } });
}

export const listPolicies = (scope: Scope, opened: OpenedRepo) => q.listPolicies(scope.db, opened.repo.id);

export async function getPolicy(scope: Scope, opened: OpenedRepo, id: string) {
  const row = await q.findPolicy(scope.db, opened.repo.id, id);
  if (!row) throw notFound("RetentionPolicy", `no retention policy ${id} in this repository`);
  return row;
}

export async function createPolicy(scope: Scope, opened: OpenedRepo, input: PolicyInput) {
  await scope.access.require("admin", { projectId: opened.project.id, repo: opened.repo });
  check(input.action, input.condition);
  const now = Date.now();
  const row: q.PolicyRow = {
    id: newId(),
    repoId: opened.repo.id,
    name: input.name,
    description: input.description ?? "",
    action: input.action,
    condition: input.condition,
    enabled: input.enabled ?? true,
    source: "api",
    createdAt: now,
    updatedAt: now,
  };
  try {
    await scope.db.batch([q.insertPolicy(scope.db, row), auditQuery(scope, { action: "retention_policy.create", resourceType: "retention_policy", resourceId: row.id, projectId: opened.project.id, after: row }, now)]);
  } catch (e) {
    if (isUniqueViolation(e)) throw nameTaken(input.name);
    throw e;
  }
  await changed(scope, opened, "created", row);
  return row;
}

export async function updatePolicy(scope: Scope, opened: OpenedRepo, id: string, patch: Partial<PolicyInput>) {
  await scope.access.require("admin", { projectId: opened.project.id, repo: opened.repo });
  const before = await getPolicy(scope, opened, id);
  const after: q.PolicyRow = {
    ...before,
    ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
    updatedAt: Date.now(),
  };
  check(after.action, after.condition);
  try {
    await scope.db.batch([
      q.updatePolicy(scope.db, id, after),
      auditQuery(scope, { action: "retention_policy.update", resourceType: "retention_policy", resourceId: id, projectId: opened.project.id, before, after }, after.updatedAt),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw nameTaken(after.name);
    throw e;
  }
  await changed(scope, opened, "updated", after);
  return after;
}

export async function deletePolicy(scope: Scope, opened: OpenedRepo, id: string) {
  await scope.access.require("admin", { projectId: opened.project.id, repo: opened.repo });
  const before = await getPolicy(scope, opened, id);
  await scope.db.batch([q.deletePolicy(scope.db, id), auditQuery(scope, { action: "retention_policy.delete", resourceType: "retention_policy", resourceId: id, projectId: opened.project.id, before })]);
  await changed(scope, opened, "deleted", before);
}

/** The policies a run applies: the repo's enabled ones, or the ones named (enabled or not). */
export async function policiesForRun(scope: Scope, repoId: string, ids?: string[]): Promise<RetentionPolicy[]> {
  const rows = await q.listPolicies(scope.db, repoId);
  const chosen = ids ? ids.map((id) => rows.find((r) => r.id === id) ?? notFoundPolicy(id)) : rows.filter((r) => r.enabled);
  return chosen.map((r) => ({ id: r.id, name: r.name, action: r.action, condition: r.condition }));
}

const notFoundPolicy = (id: string): never => {
  throw notFound("RetentionPolicy", `no retention policy ${id} in this repository`);
};

// ---- reference 002's cleanupPolicy ----

/** One `cleanup_policy` entry: delete versions of packages with these prefixes older than `expireDays`. */
export interface CleanupPolicy {
  name: string;
  expireDays: number;
  packagePrefix: string[];
  versionPrefix: string[];
}

const prefixGlobs = (prefixes: string[]) => prefixes.map((p) => `${p.replace(/[*?]/g, "")}*`);

export const cleanupCondition = (c: CleanupPolicy): RetentionCondition => ({
  olderThanDays: c.expireDays,
  ...(c.packagePrefix.length ? { packagePatterns: prefixGlobs(c.packagePrefix) } : {}),
  ...(c.versionPrefix.length ? { versionPatterns: prefixGlobs(c.versionPrefix) } : {}),
});

const fromGlobs = (globs: string[] | undefined) => (globs ?? []).map((g) => g.replace(/\*$/, ""));

/** The repo's cleanup policies, in reference 002's shape. */
export function cleanupPoliciesOf(rows: q.PolicyRow[]): CleanupPolicy[] {
  return rows
    .filter((r) => r.source === "cleanup_policy")
    .map((r) => ({ name: r.name, expireDays: r.condition.olderThanDays ?? 0, packagePrefix: fromGlobs(r.condition.packagePatterns), versionPrefix: fromGlobs(r.condition.versionPatterns) }));
}

export const cleanupPoliciesOfRepos = async (scope: Scope, repoIds: string[]) => {
  const rows = await q.policiesOfRepos(scope.db, repoIds);
  return new Map(repoIds.map((id) => [id, cleanupPoliciesOf(rows.filter((r) => r.repoId === id))]));
};

/** Replaces the repo's `cleanup_policy` policies with `list` (one batch, audited). */
export async function setCleanupPolicies(scope: Scope, opened: OpenedRepo, list: CleanupPolicy[]) {
  await scope.access.require("admin", { projectId: opened.project.id, repo: opened.repo });
  const names = new Set<string>();
  for (const c of list) {
    if (names.has(c.name)) throw nameTaken(c.name);
    names.add(c.name);
    check("delete", cleanupCondition(c));
  }
  const rows = await q.listPolicies(scope.db, opened.repo.id);
  const old = rows.filter((r) => r.source === "cleanup_policy");
  const now = Date.now();
  const fresh: q.PolicyRow[] = list.map((c) => ({
    id: newId(),
    repoId: opened.repo.id,
    name: c.name,
    description: "From the repository's cleanup_policy",
    action: "delete",
    condition: cleanupCondition(c),
    enabled: true,
    source: "cleanup_policy",
    createdAt: now,
    updatedAt: now,
  }));
  try {
    await runBatch(scope.db, [
      ...old.map((r) => q.deletePolicy(scope.db, r.id)),
      ...fresh.map((r) => q.insertPolicy(scope.db, r)),
      auditQuery(scope, { action: "retention_policy.cleanup_set", resourceType: "repo", resourceId: opened.repo.id, projectId: opened.project.id, before: old, after: fresh }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("RetentionPolicyNameInUse", "a cleanup policy's name is already used by a retention policy of this repository");
    throw e;
  }
  for (const r of old) await changed(scope, opened, "deleted", r);
  for (const r of fresh) await changed(scope, opened, "created", r);
  return fresh;
}
