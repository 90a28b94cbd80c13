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
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { getProject } from "../projects/projects";
import * as q from "../../db/quotas";
import { RegistryError } from "../../core/errors";
import { newId } from "../../core/ids";
import { NO_QUOTA, type LimitType, type QuotaConfig, type QuotaLimit } from "../../core/quota";
import type { QuotaVerdict } from "../../objects/project-quota";

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

/** Holds `bytes` for an upload about to be written; returns the reservation id. */
export async function reserveBytes(scope: Scope, projectId: string, bytes: number): Promise<string> {
  const id = newId();
  const v = await stub(scope, projectId).reserve(projectId, id, bytes);
  if (!v.ok) {
    await reportCrossings(scope, projectId, v, true);
    throw quotaExceeded(projectId, v);
  }
  return id;
}

export async function releaseReservation(scope: Scope, projectId: string, id: string | null | undefined): Promise<void> {
  if (id) await stub(scope, projectId).release(id);
}

/** Charges a digest's first link in the project; throws QuotaExceeded when it would pass the Reject limit. */
export async function chargeLink(scope: Scope, projectId: string, digest: string, size: number, reservationId?: string | null): Promise<void> {
  const v = await stub(scope, projectId).link(projectId, digest, size, reservationId ?? undefined);
  if (!v.ok) {
    await reportCrossings(scope, projectId, v, true);
    throw quotaExceeded(projectId, v);
  }
  await reportCrossings(scope, projectId, v, false);
}

export async function unchargeLink(scope: Scope, projectId: string, digest: string): Promise<void> {
  await stub(scope, projectId).unlink(digest);
}

// ---- configuration (governance API) ----

export interface QuotaView {
  config: QuotaConfig;
  usage: { usedBytes: number; reservedBytes: number; blobs: number };
}

export async function getQuota(scope: Scope, projectId: string): Promise<QuotaView> {
  await getProject(scope, projectId);
  const row = await q.findQuota(scope.db, projectId);
  const usage = await stub(scope, projectId).usage();
  return { config: row ? { limitBytes: row.limitBytes, limits: row.limits } : NO_QUOTA, usage };
}

async function writeConfig(scope: Scope, projectId: string, action: string, mutate: (c: QuotaConfig) => QuotaConfig) {
  scope.access.requireInstanceAdmin();
  await getProject(scope, projectId);
  const row = await q.findQuota(scope.db, projectId);
  const before: QuotaConfig = row ? { limitBytes: row.limitBytes, limits: row.limits } : NO_QUOTA;
  const after = mutate(before);
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
    if (c.limits.some((l) => l.type === type && l.thresholdPercent === thresholdPercent)) {
      throw new RegistryError("ConflictQuotaLimitExists", `a ${type} limit at ${thresholdPercent}% already exists`);
    }
    return { ...c, limits: [...c.limits, limit] };
  }).then((config) => ({ config, limit }));
}

export const updateQuotaLimit = (scope: Scope, projectId: string, limitId: string, patch: { type?: LimitType; thresholdPercent?: number }) =>
  writeConfig(scope, projectId, "quota.limit.update", (c) => {
    if (!c.limits.some((l) => l.id === limitId)) throw new RegistryError("NotFoundQuotaLimit", `quota limit ${limitId} not found`);
    return { ...c, limits: c.limits.map((l) => (l.id === limitId ? { ...l, ...patch } : l)) };
  });

export const deleteQuotaLimit = (scope: Scope, projectId: string, limitId: string) =>
  writeConfig(scope, projectId, "quota.limit.delete", (c) => {
    if (!c.limits.some((l) => l.id === limitId)) throw new RegistryError("NotFoundQuotaLimit", `quota limit ${limitId} not found`);
    return { ...c, limits: c.limits.filter((l) => l.id !== limitId) };
  });

