/**
 * Licence policies (`/api/admin/license-policies`, instance admins): allow/deny lists
 * of SPDX identifiers (globs), scoped to projects, repos and formats, with action `warn`
 * (record, `license.violation`) or `block` (refuse publishes; stored versions answer 451),
 * and a rule for unknown licences. Judging is license-rules.ts (SPDX: core/spdx.ts).
 *
 *   change (create/update/delete) → one batch: the policy row + audit
 *     → re-evaluate stored versions and manifests in the old and new scope: each gets
 *       `license_blocked_by` = the first enabled blocking policy that refuses its licence
 *       (or null), in batches of updates → policy.changed (with how many changed)
 *
 * Invariants: only formats whose artifacts declare licences are judged (not Go modules
 * nor generic files); a stored version is refused only by a `block` policy (or one whose
 * `unknown_action` is `block`, for an unknown licence); the policy's id is the
 * `block_id` of the envelope and `/blocked/<id>` shows its lists.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { findProject, findRepo } from "../../db/projects";
import * as q from "../../db/policy";
import { runBatch, type Statement } from "../../db/client";
import { isUniqueViolation } from "../../db/errors";
import { conflict, invalid, notFound } from "../../core/errors";
import { newPublicId } from "../../core/ids";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import { isLicenseGlob } from "../../core/spdx";
import { snakeKeys } from "../../core/event-shapes";
import type { LicenseAction, UnknownLicenseAction } from "../../core/vocabulary";
import { knownFormats, licensedFormats } from "./format-rules";
import { blockingPolicy } from "./license-rules";

export type { LicensePolicyRow } from "../../db/policy";

export interface LicensePolicyInput {
  name: string;
  description?: string;
  projectId?: string | null;
  repoId?: string | null;
  formats?: string[];
  allow?: string[];
  deny?: string[];
  action: LicenseAction;
  unknownAction?: UnknownLicenseAction;
  enabled?: boolean;
}

async function validate(scope: Scope, p: q.LicensePolicyRow) {
  const bad = (why: string) => invalid("LicensePolicy", why);
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(p.name)) throw bad("name must be 1–64 lowercase letters, digits, '.', '_' or '-'");
  const unknown = p.formats.filter((f) => !knownFormats().includes(f));
  if (unknown.length) throw bad(`unknown formats: ${unknown.join(", ")}`);
  const ids = [...p.allow, ...p.deny].filter((id) => !isLicenseGlob(id));
  if (ids.length) throw bad(`not SPDX identifiers (or globs of them): ${ids.join(", ")}`);
  if (!p.allow.length && !p.deny.length && p.unknownAction === "allow") throw bad("a policy needs allow or deny identifiers, or an unknown_action other than allow");
  if (p.projectId && !(await findProject(scope.db, p.projectId))) throw bad(`project ${p.projectId} does not exist`);
  if (p.repoId) {
    const repo = await findRepo(scope.db, p.repoId);
    if (!repo || (p.projectId && repo.projectId !== p.projectId)) throw bad(`repository ${p.repoId} does not exist${p.projectId ? " in that project" : ""}`);
    p.projectId ??= repo.projectId;
  }
}

const view = (p: q.LicensePolicyRow) => snakeKeys(p);

/**
 * Recomputes `license_blocked_by` of stored versions and manifests in these scopes from
 * every enabled policy; returns how many rows changed.
 */
async function reevaluate(scope: Scope, scopes: q.LicensePolicyRow[]): Promise<number> {
  const policies = await q.enabledLicensePolicies(scope.db);
  const judged = licensedFormats();
  const stmts: Statement[] = [];
  let changed = 0;
  const seenVersions = new Set<string>();
  const seenManifests = new Set<string>();
  for (const s of scopes) {
    const formats = s.formats.length ? s.formats.filter((f) => judged.includes(f)) : judged;
    if (!formats.length) continue;
    const where = { formats, projectId: s.projectId, repoId: s.repoId };
    const changedTo = new Map<string | null, string[]>();
    for (const v of await q.versionLicenses(scope.db, where)) {
      if (seenVersions.has(v.id)) continue;
      seenVersions.add(v.id);
      const blocker = blockingPolicy(policies, { projectId: v.projectId, repoId: v.repoId, format: v.format }, v.license)?.id ?? null;
      if (blocker !== v.licenseBlockedBy) changedTo.set(blocker, [...(changedTo.get(blocker) ?? []), v.id]);
    }
    for (const [blocker, ids] of changedTo) {
      changed += ids.length;
      for (const part of q.chunks(ids)) stmts.push(q.setVersionsLicenseBlockedBy(scope.db, part, blocker));
    }
    for (const m of await q.manifestLicenses(scope.db, where)) {
      const key = `${m.repoId}|${m.image}|${m.digest}`;
      if (seenManifests.has(key)) continue;
      seenManifests.add(key);
      const blocker = blockingPolicy(policies, { projectId: m.projectId, repoId: m.repoId, format: m.format }, m.license)?.id ?? null;
      if (blocker !== m.licenseBlockedBy) {
        changed++;
        stmts.push(q.setManifestLicenseBlockedBy(scope.db, m, blocker));
      }
    }
  }
  for (const part of q.chunks(stmts, 50)) await runBatch(scope.db, part);
  return changed;
}

export async function createLicensePolicy(scope: Scope, input: LicensePolicyInput) {
  scope.access.requireInstanceAdmin();
  const now = Date.now();
  const row: q.LicensePolicyRow = {
    id: newPublicId(),
    name: input.name,
    description: input.description ?? "",
    projectId: input.projectId ?? null,
    repoId: input.repoId ?? null,
    formats: [...new Set(input.formats ?? [])],
    allow: [...new Set(input.allow ?? [])],
    deny: [...new Set(input.deny ?? [])],
    action: input.action,
    unknownAction: input.unknownAction ?? "allow",
    enabled: input.enabled ?? true,
    createdAt: now,
    updatedAt: now,
  };
  await validate(scope, row);
  try {
    await scope.db.batch([q.insertLicensePolicy(scope.db, row), auditQuery(scope, { action: "license_policy.create", resourceType: "license_policy", resourceId: row.id, projectId: row.projectId, after: row }, now)]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("LicensePolicyNameInUse", `a licence policy named '${row.name}' exists`);
    throw e;
  }
  const reevaluated = await reevaluate(scope, [row]);
  await emitEvent(scope, { type: "policy.changed", project_id: row.projectId, data: { policy_type: "license", change: "created", policy: view(row), reevaluated } });
  return row;
}

async function policyOrThrow(scope: Scope, id: string) {
  scope.access.requireInstanceAdmin();
  const row = await q.findLicensePolicy(scope.db, id);
  if (!row) throw notFound("LicensePolicy", `licence policy ${id} not found`);
  return row;
}

export const getLicensePolicy = policyOrThrow;

export async function listLicensePolicies(scope: Scope, cursor?: string, limit?: number) {
  scope.access.requireInstanceAdmin();
  const n = clampLimit(limit);
  return toPage(await q.listLicensePolicies(scope.db, decodeCursor(cursor), n), n);
}

export async function updateLicensePolicy(scope: Scope, id: string, patch: Partial<Omit<LicensePolicyInput, "projectId" | "repoId">>) {
  const before = await policyOrThrow(scope, id);
  const now = Date.now();
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  const after: q.LicensePolicyRow = { ...before, ...defined, updatedAt: now };
  await validate(scope, after);
  try {
    await scope.db.batch([
      q.updateLicensePolicy(scope.db, id, { ...defined, updatedAt: now }),
      auditQuery(scope, { action: "license_policy.update", resourceType: "license_policy", resourceId: id, projectId: before.projectId, before, after }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("LicensePolicyNameInUse", `a licence policy named '${after.name}' exists`);
    throw e;
  }
  const reevaluated = await reevaluate(scope, [before, after]);
  await emitEvent(scope, { type: "policy.changed", project_id: before.projectId, data: { policy_type: "license", change: "updated", policy: view(after), reevaluated } });
  return after;
}

export async function deleteLicensePolicy(scope: Scope, id: string) {
  const before = await policyOrThrow(scope, id);
  await scope.db.batch([q.deleteLicensePolicy(scope.db, id), auditQuery(scope, { action: "license_policy.delete", resourceType: "license_policy", resourceId: id, projectId: before.projectId, before })]);
  const reevaluated = await reevaluate(scope, [before]);
  await emitEvent(scope, { type: "policy.changed", project_id: before.projectId, data: { policy_type: "license", change: "deleted", policy: view(before), reevaluated } });
}
