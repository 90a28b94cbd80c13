/**
 * Quarantine and release cool-down (`/api/admin/quarantine`, instance admins).
 *
 * A policy on a repo (or on a project: every repo without its own) holds each new
 * version or image manifest published there for `cooldown_hours`, and/or until an
 * admin releases it (admission.ts sets `held_until` at insert). A held artifact is
 * invisible to install resolution for ordinary readers and its downloads answer 451
 * "quarantined until …"; its publisher and the repo's admins fetch it as usual
 * (restrictions.ts).
 *
 *   release: held_until = null (+ audit)            → quarantine.released
 *   reject:  a block of origin `quarantine` for exactly that version or digest in that
 *            repo, held_until = null (+ audit)       → block.created, quarantine.rejected
 *   a cool-down's end releases by itself (held_until is in the past): no write, no event.
 *
 * Invariants: a policy applies to what is published after it is set (existing
 * versions are not held retroactively); one policy per scope (repo, or project); every
 * change is audited in its batch and emits `policy.changed` (policy_type quarantine).
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { findProject, findRepo } from "../../db/projects";
import * as q from "../../db/policy";
import { RegistryError, invalid, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { clampLimit, decodeCursor, encodeCursor } from "../../core/pagination";
import { snakeKeys } from "../../core/event-shapes";
import { policyStore } from "./admin-store";
import { createBlock } from "./blocks";
import { heldIdOfManifest, parseHeldId } from "./held-ids";
import { HELD_UNTIL_RELEASED } from "./restrictions";

export type { QuarantinePolicyRow } from "../../db/policy";

export interface QuarantineInput {
  projectId: string;
  repoId?: string | null;
  cooldownHours?: number;
  requireApproval?: boolean;
}

function check(p: { cooldownHours: number; requireApproval: boolean }) {
  if (!Number.isInteger(p.cooldownHours) || p.cooldownHours < 0 || p.cooldownHours > 8760) throw invalid("QuarantinePolicy", "cooldown_hours must be a whole number of hours from 0 to 8760");
  if (p.cooldownHours === 0 && !p.requireApproval) throw invalid("QuarantinePolicy", "a quarantine policy needs cooldown_hours > 0 or require_approval");
}

// One policy per scope (the unique `scope_key`): a second one for the same scope is refused as invalid, not as a name conflict.
const store = policyStore<q.QuarantinePolicyRow>({
  code: "QuarantinePolicy",
  label: "quarantine policy",
  resourceType: "quarantine_policy",
  find: q.findQuarantinePolicy,
  inUse: (p) => new RegistryError("InvalidQuarantinePolicy", `${p.repoId ? "the repository" : "the project"} has a quarantine policy already: change that one`),
  event: (change, { scopeKey: _key, ...policy }) => ({ policy_type: "quarantine", change, policy: snakeKeys(policy) }),
});

export async function createQuarantinePolicy(scope: Scope, input: QuarantineInput) {
  scope.access.requireInstanceAdmin();
  if (!(await findProject(scope.db, input.projectId))) throw invalid("QuarantinePolicy", `project ${input.projectId} does not exist`);
  if (input.repoId) {
    const repo = await findRepo(scope.db, input.repoId);
    if (!repo || repo.projectId !== input.projectId) throw invalid("QuarantinePolicy", `repository ${input.repoId} is not a repository of project ${input.projectId}`);
  }
  const now = Date.now();
  const row: q.QuarantinePolicyRow = {
    id: newId(),
    projectId: input.projectId,
    repoId: input.repoId ?? null,
    scopeKey: input.repoId ?? `project:${input.projectId}`,
    cooldownHours: input.cooldownHours ?? 0,
    requireApproval: input.requireApproval ?? false,
    createdAt: now,
    updatedAt: now,
  };
  check(row);
  await store.change(scope, "created", { after: row, statements: [q.insertQuarantinePolicy(scope.db, row)], at: now });
  return row;
}

export const getQuarantinePolicy = (scope: Scope, id: string) => store.get(scope, id);

export const listQuarantinePolicies = (scope: Scope, projectId: string | undefined, cursor?: string, limit?: number) =>
  store.list(scope, (db, after, n) => q.listQuarantinePolicies(db, projectId, after, n), cursor, limit);

export async function updateQuarantinePolicy(scope: Scope, id: string, patch: { cooldownHours?: number; requireApproval?: boolean }) {
  const before = await store.get(scope, id);
  const now = Date.now();
  const after: q.QuarantinePolicyRow = { ...before, cooldownHours: patch.cooldownHours ?? before.cooldownHours, requireApproval: patch.requireApproval ?? before.requireApproval, updatedAt: now };
  check(after);
  await store.change(scope, "updated", { before, after, statements: [q.updateQuarantinePolicy(scope.db, id, { cooldownHours: after.cooldownHours, requireApproval: after.requireApproval, updatedAt: now })], at: now });
  return after;
}

export async function deleteQuarantinePolicy(scope: Scope, id: string) {
  const before = await store.get(scope, id);
  await store.change(scope, "deleted", { before, statements: [q.deleteQuarantinePolicy(scope.db, id)] });
}

// ---- held artifacts ----

export interface HeldItem {
  id: string;
  kind: "version" | "manifest";
  projectId: string;
  repoId: string;
  format: string;
  package: string;
  version: string;
  digest: string | null;
  heldUntil: number;
  publishedBy: string | null;
  createdAt: number;
}

/** What is held now, oldest first, keyset-paged on (created_at, id) across versions and manifests. */
export async function listHeld(scope: Scope, f: q.HeldFilter, cursor?: string, limit?: number) {
  scope.access.requireInstanceAdmin();
  const n = clampLimit(limit);
  const after = decodeCursor(cursor);
  const now = Date.now();
  const since = after?.createdAt ?? 0;
  const [versions, manifests] = await Promise.all([q.heldVersions(scope.db, f, now, since, n + 1), q.heldManifests(scope.db, f, now, since, n + 1)]);
  const items: HeldItem[] = [
    ...versions.map((v) => ({ id: v.version.id, kind: "version" as const, projectId: v.projectId, repoId: v.repoId, format: v.format, package: v.packageName, version: v.version.version, digest: null, heldUntil: v.version.heldUntil!, publishedBy: v.version.publishedBy, createdAt: v.version.createdAt })),
    ...manifests.map((m) => ({ id: heldIdOfManifest(m.repoId, m.image, m.digest), kind: "manifest" as const, projectId: m.projectId, repoId: m.repoId, format: m.format, package: m.image, version: m.digest, digest: m.digest, heldUntil: m.heldUntil!, publishedBy: m.pushedBy, createdAt: m.createdAt })),
  ]
    .filter((i) => !after || i.createdAt > after.createdAt || (i.createdAt === after.createdAt && i.id > after.id))
    .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  const page = items.slice(0, n);
  return { items: page, nextCursor: items.length > n ? encodeCursor(page[n - 1]!) : null };
}

/** A held artifact by its id, with what release/reject need; 404 when it is not held (anymore). */
async function heldOrThrow(scope: Scope, id: string) {
  scope.access.requireInstanceAdmin();
  const parsed = parseHeldId(id);
  const now = Date.now();
  const missing = () => notFound("HeldVersion", `nothing held has the id ${id}`);
  if (!parsed) throw missing();
  if (parsed.kind === "version") {
    const found = await q.findVersionWithPackage(scope.db, parsed.versionId);
    if (!found || !(found.version.heldUntil !== null && found.version.heldUntil > now)) throw missing();
    return { id, repo: found.repo, package: found.packageName, version: found.version.version, digest: null, release: q.setVersionHeld(scope.db, found.version.id, null) };
  }
  const found = await q.findManifestWithRepo(scope.db, parsed);
  if (!found || !(found.heldUntil !== null && found.heldUntil > now)) throw missing();
  return { id, repo: found.repo, package: parsed.image, version: parsed.digest, digest: parsed.digest, release: q.setManifestHeld(scope.db, parsed, null) };
}

const heldData = (h: Awaited<ReturnType<typeof heldOrThrow>>) => ({ format: h.repo.format, repo_id: h.repo.id, package: h.package, version: h.version, digest: h.digest, held_id: h.id });

export async function releaseHeld(scope: Scope, id: string) {
  const h = await heldOrThrow(scope, id);
  await scope.db.batch([h.release, auditQuery(scope, { action: "quarantine.release", resourceType: "held_artifact", resourceId: id, projectId: h.repo.projectId, after: heldData(h) })]);
  await emitEvent(scope, { type: "quarantine.released", project_id: h.repo.projectId, data: heldData(h) });
  return h;
}

/** Rejecting blocks exactly that version (or digest) in that repo, with the admin's words. */
export async function rejectHeld(scope: Scope, id: string, words: { reason: string; customerMessage: string }) {
  const h = await heldOrThrow(scope, id);
  const { block } = await createBlock(
    scope,
    { format: h.repo.format, package: h.package, versions: [h.version], projectId: h.repo.projectId, repoId: h.repo.id, reason: words.reason, customerMessage: words.customerMessage },
    "quarantine",
  );
  await scope.db.batch([h.release, auditQuery(scope, { action: "quarantine.reject", resourceType: "held_artifact", resourceId: id, projectId: h.repo.projectId, after: { ...heldData(h), block_id: block.id } })]);
  await emitEvent(scope, { type: "quarantine.rejected", project_id: h.repo.projectId, data: { ...heldData(h), block_id: block.id } });
  return { held: h, block };
}

export const isHeldUntilReleased = (heldUntil: number) => heldUntil >= HELD_UNTIL_RELEASED;
