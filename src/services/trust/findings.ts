/**
 * Scan findings: scanners report them against an artifact, people list them and decide
 * what they mean (accept with a justification and an expiry, false positive, fixed).
 *
 * Invariants:
 * - Reporting needs `scan` on the artifact's repo (a token with the `scan` scope, or a
 *   writer's unscoped token); changing a status needs
 *   `write`; reading needs `read`.
 * - A report is one D1 batch: every new finding, every update of a finding reported
 *   before (same fingerprint: core/findings.ts) and the audit row, or nothing. A finding
 *   reported again keeps its status, except `fixed`, which it reopens (it came back).
 * - Every status change writes its audit row in the same batch and emits `finding.updated`.
 * - One report emits at most one `finding.created` for its artifact (coalesced, listing
 *   what is new), and `finding.threshold-exceeded` for each project threshold whose count
 *   went from within to over its maximum with this change (a report or a status change).
 *   Two reports racing on one artifact may both see the crossing, or neither: the
 *   counts are read before and after each batch, not serialized.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { getRepo } from "../projects/repos";
import { artifactOf, isOciRepo, openRepoById, resolveSubject, subjectKey, type ArtifactRef, type PackageKeyOf, type Subject } from "./subjects";
import * as q from "../../db/findings";
import { runBatch } from "../../db/client";
import { RegistryError, invalid, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import { atOrAbove, countBySeverity, cvssSeverity, effectiveStatus, fingerprintOf, thresholdCount } from "../../core/findings";
import type { FindingKind, FindingStatus, Severity } from "../../core/vocabulary";

export type { FindingRow, ThresholdRow } from "../../db/findings";

/** One report holds at most this many findings (each is a D1 statement of the batch). */
export const MAX_FINDINGS_PER_REPORT = 500;
const MAX_EVIDENCE_BYTES = 16 * 1024;
const EVENT_LIST_MAX = 100;

export interface FindingInput {
  identifier: string;
  aliases?: string[];
  kind?: FindingKind;
  severity?: Severity;
  cvssScore?: number | null;
  cvssVector?: string | null;
  summary?: string;
  componentName?: string | null;
  componentVersion?: string | null;
  path?: string | null;
  fixedIn?: string[];
  evidence?: unknown;
}

export interface Report {
  artifact: ArtifactRef;
  scanner: { name: string; version?: string | null };
  findings: FindingInput[];
}

function evidenceOf(e: unknown): unknown {
  if (e === undefined) return null;
  const text = JSON.stringify(e);
  return text.length > MAX_EVIDENCE_BYTES ? { truncated: true, bytes: text.length, head: text.slice(0, 1024) } : e;
}

const severityOf = (f: FindingInput): Severity => f.severity ?? (typeof f.cvssScore === "number" ? cvssSeverity(f.cvssScore) : "medium");

/** Files a scanner's report on one artifact. */
export async function reportFindings(scope: Scope, keyOf: PackageKeyOf, report: Report) {
  if (report.findings.length > MAX_FINDINGS_PER_REPORT) {
    throw new RegistryError("InvalidRequest", `a report may hold at most ${MAX_FINDINGS_PER_REPORT} findings; send more reports`);
  }
  const subject = await resolveSubject(scope, keyOf, report.artifact, "scan");
  const key = subjectKey(subject);
  const now = Date.now();
  const existing = await q.findingsOfSubject(scope.db, key);
  const byFingerprint = new Map(existing.map((f) => [f.fingerprint, f]));
  const created: q.FindingRow[] = [];
  const updated: q.FindingRow[] = [];
  const seen = new Set<string>();
  for (const f of report.findings) {
    const fingerprint = await fingerprintOf({ scanner: report.scanner.name, kind: f.kind ?? "vulnerability", identifier: f.identifier, componentName: f.componentName, componentVersion: f.componentVersion, path: f.path });
    if (seen.has(fingerprint)) continue; // the same finding twice in one report: the first wins
    seen.add(fingerprint);
    const fields = {
      aliases: f.aliases ?? [],
      severity: severityOf(f),
      cvssScore: f.cvssScore ?? null,
      cvssVector: f.cvssVector ?? null,
      summary: f.summary ?? "",
      fixedIn: f.fixedIn ?? [],
      scannerVersion: report.scanner.version ?? null,
      evidence: evidenceOf(f.evidence),
      lastSeenAt: now,
      updatedAt: now,
    };
    const before = byFingerprint.get(fingerprint);
    if (before) {
      const reopened = before.status === "fixed" ? { status: "open" as const, justification: null, statusExpiresAt: null, statusUpdatedAt: now, statusUpdatedBy: null } : {};
      updated.push({ ...before, ...fields, ...reopened });
    } else {
      created.push({
        id: newId(),
        projectId: subject.opened.project.id,
        ...key,
        subjectDigest: subject.type === "image" ? subject.manifest.digest : subject.fileDigest,
        identifier: f.identifier,
        kind: f.kind ?? "vulnerability",
        componentName: f.componentName ?? null,
        componentVersion: f.componentVersion ?? null,
        path: f.path ?? null,
        scannerName: report.scanner.name,
        fingerprint,
        status: "open",
        justification: null,
        statusExpiresAt: null,
        statusUpdatedAt: null,
        statusUpdatedBy: null,
        createdAt: now,
        ...fields,
      });
    }
  }
  await runBatch(scope.db, [
    ...created.map((r) => q.insertFinding(scope.db, r)),
    ...updated.map((r) => q.updateFinding(scope.db, r.id, r)),
    auditQuery(
      scope,
      { action: "finding.report", resourceType: "artifact", resourceId: `${key.subjectName}@${key.subjectVersion}`, projectId: subject.opened.project.id, after: { repo_id: key.repoId, scanner: report.scanner, created: created.map((r) => r.id), updated: updated.map((r) => r.id) } },
      now,
    ),
  ]);
  const artifact = artifactOf(subject);
  if (created.length > 0) {
    await emitEvent(scope, {
      type: "finding.created",
      project_id: subject.opened.project.id,
      data: {
        artifact,
        scanner: { name: report.scanner.name, version: report.scanner.version ?? null },
        count: created.length,
        findings: created.slice(0, EVENT_LIST_MAX).map((r) => ({ finding_id: r.id, kind: r.kind, identifier: r.identifier, severity: r.severity, summary: r.summary })),
      },
    });
  }
  await reportCrossings(scope, subject, existing, [...existing.filter((e) => !updated.some((u) => u.id === e.id)), ...updated, ...created], now);
  return { subject, created, updated };
}

/** Emits `finding.threshold-exceeded` for each threshold the change pushed over its maximum. */
async function reportCrossings(scope: Scope, subject: Subject, before: q.FindingRow[], after: q.FindingRow[], now: number) {
  const thresholds = await q.thresholdsOf(scope.db, subject.opened.project.id);
  if (thresholds.length === 0) return;
  const was = countBySeverity(before, now);
  const is = countBySeverity(after, now);
  for (const t of thresholds) {
    const count = thresholdCount(is, t.severity);
    if (thresholdCount(was, t.severity) <= t.maxCount && count > t.maxCount) {
      await emitEvent(scope, {
        type: "finding.threshold-exceeded",
        project_id: subject.opened.project.id,
        data: { threshold_id: t.id, name: t.name, threshold: { severity: t.severity, max: t.maxCount }, count, counts: is, artifact: artifactOf(subject) },
      });
    }
  }
}

export interface StatusChange {
  status: FindingStatus;
  justification?: string | null;
  expiresAt?: number | null;
}

/** Changes a finding's status (write on its repo); audited, then `finding.updated`. */
export async function setFindingStatus(scope: Scope, keyOf: PackageKeyOf, id: string, change: StatusChange) {
  const row = await findingForCaller(scope, id);
  const opened = await openRepoById(scope, row.repoId, "write");
  const now = Date.now();
  const justification = change.justification?.trim() || null;
  if (change.status === "accepted" && !justification) throw invalid("FindingStatus", "accepting a finding needs a justification");
  if (change.expiresAt != null && (change.status !== "accepted" || change.expiresAt <= now)) {
    throw invalid("FindingStatus", "an expiry applies only to `accepted`, and must be in the future");
  }
  const after: q.FindingRow = {
    ...row,
    status: change.status,
    justification: change.status === "open" ? null : justification,
    statusExpiresAt: change.status === "accepted" ? (change.expiresAt ?? null) : null,
    statusUpdatedAt: now,
    statusUpdatedBy: scope.access.principal.type === "anonymous" ? null : scope.access.principal.name,
    updatedAt: now,
  };
  const view = (r: q.FindingRow) => ({ status: effectiveStatus(r, now), justification: r.justification, expires_at: r.statusExpiresAt });
  await runBatch(scope.db, [
    q.updateFinding(scope.db, id, after),
    auditQuery(scope, { action: "finding.status", resourceType: "finding", resourceId: id, projectId: row.projectId, before: view(row), after: view(after) }, now),
  ]);
  const subject = await resolveSubject(scope, keyOf, { repoId: row.repoId, name: row.subjectName, ...(row.subjectType === "image" ? { digest: row.subjectVersion } : { version: row.subjectVersion }) }, "read").catch(() => null);
  const artifact = subject ? artifactOf(subject) : { format: opened.repo.format, repo_id: row.repoId, package: row.subjectName, version: row.subjectVersion, digest: row.subjectDigest ?? "" };
  await emitEvent(scope, { type: "finding.updated", project_id: row.projectId, data: { finding_id: id, identifier: row.identifier, severity: row.severity, artifact, before: view(row), after: view(after) } });
  if (subject) {
    const siblings = await q.findingsOfSubject(scope.db, subjectKey(subject));
    await reportCrossings(scope, subject, siblings.map((s) => (s.id === id ? row : s)), siblings, now);
  }
  return after;
}

/** A finding the caller may read (404 when it does not exist, 401/403 from its repo otherwise). */
export async function findingForCaller(scope: Scope, id: string) {
  const row = await q.findFinding(scope.db, id);
  if (!row) {
    if (scope.access.principal.type === "anonymous") throw scope.access.denial("read");
    throw notFound("Finding", `finding ${id} not found`);
  }
  await getRepo(scope, row.repoId);
  return row;
}

export type FindingQuery = Omit<q.FindingFilter, "now"> & { minSeverity?: Severity };

/** Findings filtered; by repo (read on it), by project (read in it), or everything (instance admins). */
export async function listFindings(scope: Scope, keyOf: PackageKeyOf, f: FindingQuery, cursor?: string, limit?: number) {
  const filter: q.FindingFilter = { ...f, now: Date.now() };
  if (f.repoId) {
    const repo = await getRepo(scope, f.repoId);
    if (f.subjectName && !isOciRepo(repo.format)) filter.subjectName = keyOf(repo.format, f.subjectName);
  } else if (f.projectId) {
    await scope.access.require("read", { projectId: f.projectId });
  } else if (!scope.access.isInstanceAdmin) {
    if (scope.access.principal.type === "anonymous") throw scope.access.denial("read");
    throw invalid("FindingsScopeRequired", "name repo_id or project_id (only instance admins list every project's findings)");
  }
  const n = clampLimit(limit);
  if (f.minSeverity) {
    const floor = atOrAbove(f.minSeverity);
    filter.severities = f.severities?.length ? f.severities.filter((s) => floor.includes(s)) : floor;
    if (filter.severities.length === 0) return { items: [] as q.FindingRow[], nextCursor: null };
  }
  return toPage(await q.listFindings(scope.db, filter, decodeCursor(cursor), n), n);
}
