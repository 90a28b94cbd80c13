/**
 * Per-project finding thresholds ("any critical": critical, max 0; "more than 5 high":
 * high, max 5): an artifact whose open findings at or above the severity outnumber the
 * maximum raises `finding.threshold-exceeded` (findings.ts decides when).
 *
 * Invariants: reading needs `read` in the project, changing needs `admin`; every change
 * writes its audit row in the same batch and emits `policy.changed` after it.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { getProject } from "../projects/projects";
import * as q from "../../db/findings";
import { isUniqueViolation } from "../../db/errors";
import { conflict, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import type { Severity } from "../../core/vocabulary";

export interface ThresholdInput {
  name: string;
  severity: Severity;
  maxCount: number;
}

const wire = (t: q.ThresholdRow) => ({ threshold_id: t.id, name: t.name, severity: t.severity, max_count: t.maxCount });

export async function listThresholds(scope: Scope, projectId: string) {
  await getProject(scope, projectId);
  await scope.access.require("read", { projectId });
  return q.thresholdsOf(scope.db, projectId);
}

async function guard(scope: Scope, projectId: string) {
  await getProject(scope, projectId);
  await scope.access.require("admin", { projectId });
}

async function write(scope: Scope, projectId: string, action: string, change: "created" | "updated" | "deleted", stmt: (now: number) => { row: q.ThresholdRow; before: q.ThresholdRow | null; query: Parameters<typeof scope.db.batch>[0][number] }) {
  await guard(scope, projectId);
  const now = Date.now();
  const { row, before, query } = stmt(now);
  try {
    await scope.db.batch([query, auditQuery(scope, { action, resourceType: "finding_threshold", resourceId: row.id, projectId, before: before && wire(before), after: change === "deleted" ? null : wire(row) }, now)]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("FindingThresholdNameInUse", `the project already has a threshold named '${row.name}'`);
    throw e;
  }
  await emitEvent(scope, { type: "policy.changed", project_id: projectId, data: { policy_type: "finding_threshold", change, before: before && wire(before), after: change === "deleted" ? null : wire(row) } });
  return row;
}

export const createThreshold = (scope: Scope, projectId: string, input: ThresholdInput) =>
  write(scope, projectId, "finding_threshold.create", "created", (now) => {
    const row: q.ThresholdRow = { id: newId(), projectId, name: input.name, severity: input.severity, maxCount: input.maxCount, createdAt: now, updatedAt: now };
    return { row, before: null, query: q.insertThreshold(scope.db, row) };
  });

async function existing(scope: Scope, projectId: string, id: string) {
  const row = await q.findThreshold(scope.db, projectId, id);
  if (!row) throw notFound("FindingThreshold", `no threshold ${id} in this project`);
  return row;
}

export async function updateThreshold(scope: Scope, projectId: string, id: string, patch: Partial<ThresholdInput>) {
  await guard(scope, projectId);
  const before = await existing(scope, projectId, id);
  return write(scope, projectId, "finding_threshold.update", "updated", (now) => {
    const row: q.ThresholdRow = { ...before, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)), updatedAt: now };
    return { row, before, query: q.updateThreshold(scope.db, id, row) };
  });
}

export async function deleteThreshold(scope: Scope, projectId: string, id: string) {
  await guard(scope, projectId);
  const before = await existing(scope, projectId, id);
  await write(scope, projectId, "finding_threshold.delete", "deleted", () => ({ row: before, before, query: q.deleteThreshold(scope.db, id) }));
}
