/**
 * Project storage quotas: configuration (D1, audited, instance admins) and the
 * accounting calls the blob service makes (through the project's ProjectQuota DO).
 *
 * Invariants:
 * - A repo→blob link is charged in the DO *before* it is written to D1 and
 *   compensated (unlinked) if the D1 write fails, so usage is never under-counted and
 *   a refused push writes nothing.
 * - Crossing a Warning limit upward emits `quota.exceeded` once; a Reject refusal emits
 *   it too, with `rejected: true`.
 * - An upload's reservation is a QuotaTicket (core/quota-ticket.ts): a lease renewed
 *   while its bytes flow, committed by the link or released exactly once.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { getProject } from "../projects/projects";
import * as q from "../../db/quotas";
import { RegistryError } from "../../core/errors";
import { newId } from "../../core/ids";
import { QuotaTicket } from "../../core/quota-ticket";
import { NO_QUOTA, duplicateOf, isValidLimit, wholeLimits, type LimitType, type QuotaConfig, type QuotaLimit } from "../../core/quota";
import type { QuotaUsage, QuotaVerdict } from "../../objects/project-quota";

const stub = (scope: Scope, projectId: string) => scope.env.QUOTAS.get(scope.env.QUOTAS.idFromName(projectId));

export function quotaExceeded(projectId: string, v: Extract<QuotaVerdict, { ok: false }>): RegistryError {
  return new RegistryError(
    "QuotaExceededStorage",
    `storage quota exceeded: the project uses ${v.usage.usedBytes} bytes (+${v.usage.reservedBytes} reserved) of ${v.limitBytes} bytes and pushes are refused above ${v.rejectAtBytes} bytes`,
    { detail: { project_id: projectId, used_bytes: v.usage.usedBytes, reserved_bytes: v.usage.reservedBytes, limit_bytes: v.limitBytes, reject_at_bytes: v.rejectAtBytes } },
  );
}

async function reportCrossings(scope: Scope, projectId: string, v: QuotaVerdict, rejected: boolean) {
  const crossed = v.ok ? v.crossed : [];
  if (!rejected && crossed.length === 0) return;
  await emitEvent(scope, {
    type: "quota.exceeded",
    project_id: projectId,
    data: { rejected, limits: crossed.map((l) => ({ type: l.type, threshold_percent: l.thresholdPercent })), usage: { used_bytes: v.usage.usedBytes, reserved_bytes: v.usage.reservedBytes } },
  });
}

/** Holds `bytes` for an upload about to be written: a ticket to renew, commit or release. */
export async function reserveBytes(scope: Scope, projectId: string, bytes: number): Promise<QuotaTicket> {
  const id = newId();
  const quota = stub(scope, projectId);
  const v = await quota.reserve(projectId, id, bytes);
  if (!v.ok) {
    await reportCrossings(scope, projectId, v, true);
    throw quotaExceeded(projectId, v);
  }
  return new QuotaTicket(id, { renew: (lease) => quota.renew(lease), release: (lease) => quota.release(lease) });
}

/**
 * Charges a digest's first link in the project, consuming the upload's ticket (if any);
 * throws QuotaExceeded when it would pass the Reject limit.
 */
export async function chargeLink(scope: Scope, projectId: string, digest: string, size: number, ticket: QuotaTicket = QuotaTicket.none()): Promise<void> {
  const v: QuotaVerdict = await ticket.commit(async (reservationId) => (await stub(scope, projectId).link(projectId, digest, size, reservationId)) as QuotaVerdict);
  if (!v.ok) {
    await reportCrossings(scope, projectId, v, true);
    throw quotaExceeded(projectId, v);
  }
  await reportCrossings(scope, projectId, v, false);
}

export async function unchargeLink(scope: Scope, projectId: string, digest: string): Promise<void> {
  await stub(scope, projectId).unlink(digest);
}

/** Gives back the links of a deleted repo (its `repo_blobs` went with it in D1's cascade). */
export async function unchargeLinks(scope: Scope, projectId: string, digests: string[]): Promise<void> {
  for (let i = 0; i < digests.length; i += 1000) await stub(scope, projectId).unlinkMany(digests.slice(i, i + 1000));
}

// ---- configuration (governance API) ----

export interface QuotaView {
  config: QuotaConfig;
  usage: QuotaUsage;
}

export async function getQuota(scope: Scope, projectId: string): Promise<QuotaView> {
  await getProject(scope, projectId);
  const row = await q.findQuota(scope.db, projectId);
  const usage = await stub(scope, projectId).usage();
  return { config: configOf(row), usage };
}

const configOf = (row: q.QuotaRow | undefined): QuotaConfig => (row ? { limitBytes: row.limitBytes, limits: wholeLimits(row.limits) } : NO_QUOTA);

async function writeConfig(scope: Scope, projectId: string, action: string, mutate: (c: QuotaConfig) => QuotaConfig) {
  scope.access.requireInstanceAdmin();
  await getProject(scope, projectId);
  const before = configOf(await q.findQuota(scope.db, projectId));
  const after = mutate(before);
  // Never store a broken limit: every write is checked whole, whatever route made it.
  const broken = after.limits.find((l) => !isValidLimit(l));
  if (broken) throw new RegistryError("InvalidQuotaLimit", "a quota limit needs a type (Warning or Reject) and a threshold_percent in (0, 100]");
  const now = Date.now();
  await scope.db.batch([
    q.upsertQuota(scope.db, { projectId, limitBytes: after.limitBytes, limits: after.limits, updatedAt: now }),
    auditQuery(scope, { action, resourceType: "quota", resourceId: projectId, projectId, before, after }, now),
  ]);
  await stub(scope, projectId).reloadConfig();
  await emitEvent(scope, { type: "policy.changed", project_id: projectId, data: { policy_type: "quota", change: "updated", before: wireConfig(before), after: wireConfig(after) } });
  return after;
}

const wireConfig = (c: QuotaConfig) => ({ limit_bytes: c.limitBytes, limits: c.limits.map((l) => ({ id: l.id, type: l.type, threshold_percent: l.thresholdPercent })) });

export const setQuotaLimitBytes = (scope: Scope, projectId: string, limitBytes: number | null) =>
  writeConfig(scope, projectId, "quota.set", (c) => ({ ...c, limitBytes }));

export function addQuotaLimit(scope: Scope, projectId: string, type: LimitType, thresholdPercent: number) {
  const limit: QuotaLimit = { id: newId(), type, thresholdPercent };
  return writeConfig(scope, projectId, "quota.limit.create", (c) => {
    assertUnique(c.limits, limit);
    return { ...c, limits: [...c.limits, limit] };
  }).then((config) => ({ config, limit }));
}

function assertUnique(limits: QuotaLimit[], limit: QuotaLimit) {
  if (duplicateOf(limits, limit)) throw new RegistryError("ConflictQuotaLimitExists", `a ${limit.type} limit at ${limit.thresholdPercent}% already exists`);
}

/**
 * Changes the fields `patch` names (as Quay's changeOrganizationQuotaLimit: both
 * optional) and keeps the others; the merged limit is checked whole.
 */
export const updateQuotaLimit = (scope: Scope, projectId: string, limitId: string, patch: { type?: LimitType; thresholdPercent?: number }) =>
  writeConfig(scope, projectId, "quota.limit.update", (c) => {
    const current = c.limits.find((l) => l.id === limitId);
    if (!current) throw new RegistryError("NotFoundQuotaLimit", `quota limit ${limitId} not found`);
    const merged: QuotaLimit = { ...current, type: patch.type ?? current.type, thresholdPercent: patch.thresholdPercent ?? current.thresholdPercent };
    assertUnique(c.limits, merged);
    return { ...c, limits: c.limits.map((l) => (l.id === limitId ? merged : l)) };
  });

export const deleteQuotaLimit = (scope: Scope, projectId: string, limitId: string) =>
  writeConfig(scope, projectId, "quota.limit.delete", (c) => {
    if (!c.limits.some((l) => l.id === limitId)) throw new RegistryError("NotFoundQuotaLimit", `quota limit ${limitId} not found`);
    return { ...c, limits: c.limits.filter((l) => l.id !== limitId) };
  });

