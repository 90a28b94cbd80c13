/**
 * Scan findings as pure rules: severity order and CVSS levels, the fingerprint that makes
 * a re-reported finding the same finding, what status a finding has now, and what a
 * threshold counts.
 *
 * Invariants:
 * - Severity order is SEVERITIES' (critical first); a CVSS score maps to a level by the
 *   CVSS v3 qualitative scale (9.0 critical, 7.0 high, 4.0 medium, 0.1 low, 0 info).
 * - A finding's fingerprint depends only on who found it and what it is about (scanner,
 *   kind, identifier, component, path): severity, summary and evidence may change between
 *   scans without making it a new finding.
 * - An `accepted` finding whose acceptance expired is `open` again, wherever it is read.
 */
import { FINDING_STATUSES, SEVERITIES, type FindingStatus, type Severity } from "./vocabulary";
import { sha256Hex } from "./ids";

const RANK: Record<Severity, number> = Object.fromEntries(SEVERITIES.map((s, i) => [s, SEVERITIES.length - i])) as Record<Severity, number>;

/** Severities at or above `s` (e.g. `high` → critical, high). */
export const atOrAbove = (s: Severity): Severity[] => SEVERITIES.filter((x) => RANK[x] >= RANK[s]);
export const isAtOrAbove = (s: Severity, floor: Severity) => RANK[s] >= RANK[floor];

/** CVSS v3 qualitative severity of a base score. */
export function cvssSeverity(score: number): Severity {
  if (score >= 9) return "critical";
  if (score >= 7) return "high";
  if (score >= 4) return "medium";
  if (score > 0) return "low";
  return "info";
}

export interface FingerprintParts {
  scanner: string;
  kind: string;
  identifier: string;
  componentName?: string | null;
  componentVersion?: string | null;
  path?: string | null;
}

export const fingerprintOf = (f: FingerprintParts) =>
  sha256Hex(JSON.stringify([f.scanner, f.kind, f.identifier, f.componentName ?? null, f.componentVersion ?? null, f.path ?? null]));

/** The status a finding has at `now`: an expired acceptance is open again. */
export function effectiveStatus(f: { status: FindingStatus; statusExpiresAt: number | null }, now: number): FindingStatus {
  return f.status === "accepted" && f.statusExpiresAt !== null && f.statusExpiresAt <= now ? "open" : f.status;
}

/** Open findings per severity (every severity present, 0 when none). */
export function countBySeverity(rows: readonly { severity: Severity; status: FindingStatus; statusExpiresAt: number | null }[], now: number): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const r of rows) if (effectiveStatus(r, now) === "open") counts[r.severity]++;
  return counts;
}

/** How many open findings a threshold counts: those at or above its severity. */
export const thresholdCount = (counts: Record<Severity, number>, severity: Severity) => atOrAbove(severity).reduce((n, s) => n + counts[s], 0);

export interface FindingsSummary {
  total: number;
  by_severity: Record<Severity, number>;
  by_status: Record<FindingStatus, number>;
  /** Open findings (expired acceptances included) per severity: what gates and thresholds count. */
  open_by_severity: Record<Severity, number>;
}

const zeros = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/** Summaries per version from grouped counts (db findingCounts); a version without findings gets none (use `emptySummary`). */
export function summarizeCounts(rows: readonly { version: string; severity: Severity; status: FindingStatus; expired: number | boolean; n: number }[]): Map<string, FindingsSummary> {
  const out = new Map<string, FindingsSummary>();
  for (const r of rows) {
    let s = out.get(r.version);
    if (!s) out.set(r.version, (s = emptySummary()));
    const status: FindingStatus = r.expired ? "open" : r.status;
    const n = Number(r.n);
    s.total += n;
    s.by_severity[r.severity] += n;
    s.by_status[status] += n;
    if (status === "open") s.open_by_severity[r.severity] += n;
  }
  return out;
}

export const emptySummary = (): FindingsSummary => ({ total: 0, by_severity: zeros(SEVERITIES), by_status: zeros(FINDING_STATUSES), open_by_severity: zeros(SEVERITIES) });
