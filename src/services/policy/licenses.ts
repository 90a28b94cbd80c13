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
import * as q from "../../db/policy";
import { runBatch, type Statement } from "../../db/client";
import { conflict } from "../../core/errors";
import { isLicenseGlob } from "../../core/spdx";
import { snakeKeys } from "../../core/event-shapes";
import type { LicenseAction, UnknownLicenseAction } from "../../core/vocabulary";
import { knownFormats, licensedFormats } from "./format-rules";
import { blockingPolicy } from "./license-rules";
import { policyStore } from "./admin-store";

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
  const bad = store.bad;
  store.checkName(p, knownFormats());
  const ids = [...p.allow, ...p.deny].filter((id) => !isLicenseGlob(id));
  if (ids.length) throw bad(`not SPDX identifiers (or globs of them): ${ids.join(", ")}`);
  if (!p.allow.length && !p.deny.length && p.unknownAction === "allow") throw bad("a policy needs allow or deny identifiers, or an unknown_action other than allow");
  await store.checkScope(scope, p);
}

// A change re-evaluates what the policy judged or judges (`then`); the event says how many rows that changed.
const store = policyStore<q.LicensePolicyRow, number>({
  code: "LicensePolicy",
  label: "licence policy",
  resourceType: "license_policy",
  find: q.findLicensePolicy,
  inUse: (p) => conflict("LicensePolicyNameInUse", `a licence policy named '${p.name}' exists`),
  event: (change, p, reevaluated) => ({ policy_type: "license", change, policy: snakeKeys(p), reevaluated }),
});

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
    ...store.named(input),
    allow: [...new Set(input.allow ?? [])],
    deny: [...new Set(input.deny ?? [])],
    action: input.action,
    unknownAction: input.unknownAction ?? "allow",
    enabled: input.enabled ?? true,
    createdAt: now,
    updatedAt: now,
  };
  await validate(scope, row);
  await store.change(scope, "created", { after: row, statements: [q.insertLicensePolicy(scope.db, row)], at: now, then: () => reevaluate(scope, [row]) });
  return row;
}

export const getLicensePolicy = (scope: Scope, id: string) => store.get(scope, id);

export const listLicensePolicies = (scope: Scope, cursor?: string, limit?: number) => store.list(scope, q.listLicensePolicies, cursor, limit);

export async function updateLicensePolicy(scope: Scope, id: string, patch: Partial<Omit<LicensePolicyInput, "projectId" | "repoId">>) {
  const before = await store.get(scope, id);
  const now = Date.now();
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  const after: q.LicensePolicyRow = { ...before, ...defined, updatedAt: now };
  await validate(scope, after);
  await store.change(scope, "updated", { before, after, statements: [q.updateLicensePolicy(scope.db, id, { ...defined, updatedAt: now })], at: now, then: () => reevaluate(scope, [before, after]) });
  return after;
}

export async function deleteLicensePolicy(scope: Scope, id: string) {
  const before = await store.get(scope, id);
  await store.change(scope, "deleted", { before, statements: [q.deleteLicensePolicy(scope.db, id)], then: () => reevaluate(scope, [before]) });
}
