/** Queries over scan findings, per-project finding thresholds and per-repo promotion gates (schema/trust.ts). */
import { and, eq, gt, inArray, isNotNull, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "./client";
import { findingThresholds, findings, promotionGates } from "./schema";
import { inIdList, keysetPage, timeWindow, type TimeWindow } from "./paging";
import type { PageKey } from "../core/pagination";
import type { FindingKind, FindingStatus, Severity } from "../core/vocabulary";

export type FindingRow = typeof findings.$inferSelect;
export type ThresholdRow = typeof findingThresholds.$inferSelect;

export interface SubjectKey {
  repoId: string;
  subjectType: "package" | "image";
  subjectName: string;
  subjectVersion: string;
}

const ofSubject = (s: SubjectKey) =>
  and(eq(findings.repoId, s.repoId), eq(findings.subjectType, s.subjectType), eq(findings.subjectName, s.subjectName), eq(findings.subjectVersion, s.subjectVersion));

/** Every finding of one artifact (bounded by what scanners report on one artifact). */
export const findingsOfSubject = (db: Db, s: SubjectKey) => db.select().from(findings).where(ofSubject(s)).all();

/** Findings of one artifact (name, version) in any of `repoIds`: what a promotion gate reads. */
export const findingsOfArtifact = (db: Db, repoIds: string[], s: Omit<SubjectKey, "repoId">) =>
  db
    .select()
    .from(findings)
    .where(and(inIdList(findings.repoId, repoIds), eq(findings.subjectType, s.subjectType), eq(findings.subjectName, s.subjectName), eq(findings.subjectVersion, s.subjectVersion)))
    .all();

export const findFinding = (db: Db, id: string) => db.select().from(findings).where(eq(findings.id, id)).get();

export const insertFinding = (db: Db, row: FindingRow) => db.insert(findings).values(row);
export const updateFinding = (db: Db, id: string, patch: Partial<FindingRow>) => db.update(findings).set(patch).where(eq(findings.id, id));

export interface FindingFilter extends TimeWindow {
  projectId?: string;
  repoId?: string;
  subjectType?: "package" | "image";
  subjectName?: string;
  subjectVersion?: string;
  severities?: Severity[];
  /** `open` includes accepted findings whose acceptance expired before `now`. */
  statuses?: FindingStatus[];
  kinds?: FindingKind[];
  scanner?: string;
  identifier?: string;
  now: number;
}

function statusCondition(statuses: FindingStatus[], now: number): SQL | undefined {
  const expired = and(eq(findings.status, "accepted"), isNotNull(findings.statusExpiresAt), lte(findings.statusExpiresAt, now));
  const stillAccepted = and(eq(findings.status, "accepted"), or(isNull(findings.statusExpiresAt), gt(findings.statusExpiresAt, now)));
  const parts = statuses.map((s) => (s === "open" ? or(eq(findings.status, "open"), expired) : s === "accepted" ? stillAccepted : eq(findings.status, s)));
  return or(...parts);
}

export const listFindings = (db: Db, f: FindingFilter, after: PageKey | null, limit: number) => {
  const conditions: (SQL | undefined)[] = [
    f.projectId ? eq(findings.projectId, f.projectId) : undefined,
    f.repoId ? eq(findings.repoId, f.repoId) : undefined,
    f.subjectType ? eq(findings.subjectType, f.subjectType) : undefined,
    f.subjectName ? eq(findings.subjectName, f.subjectName) : undefined,
    f.subjectVersion ? eq(findings.subjectVersion, f.subjectVersion) : undefined,
    f.severities?.length ? inArray(findings.severity, f.severities) : undefined,
    f.statuses?.length ? statusCondition(f.statuses, f.now) : undefined,
    f.kinds?.length ? inArray(findings.kind, f.kinds) : undefined,
    f.scanner ? eq(findings.scannerName, f.scanner) : undefined,
    f.identifier ? eq(findings.identifier, f.identifier) : undefined,
    ...timeWindow(findings.createdAt, f),
  ];
  return keysetPage(db, findings, conditions, after, limit);
};

// Thresholds
export const thresholdsOf = (db: Db, projectId: string) => db.select().from(findingThresholds).where(eq(findingThresholds.projectId, projectId)).orderBy(findingThresholds.createdAt, findingThresholds.id).all();
export const findThreshold = (db: Db, projectId: string, id: string) =>
  db.select().from(findingThresholds).where(and(eq(findingThresholds.projectId, projectId), eq(findingThresholds.id, id))).get();
export const insertThreshold = (db: Db, row: ThresholdRow) => db.insert(findingThresholds).values(row);
export const updateThreshold = (db: Db, id: string, patch: Partial<ThresholdRow>) => db.update(findingThresholds).set(patch).where(eq(findingThresholds.id, id));
export const deleteThreshold = (db: Db, id: string) => db.delete(findingThresholds).where(eq(findingThresholds.id, id));

// Promotion gates (one row per target repo)
export type GatesRow = typeof promotionGates.$inferSelect;
export const findGates = (db: Db, repoId: string) => db.select().from(promotionGates).where(eq(promotionGates.repoId, repoId)).get();
export const upsertGates = (db: Db, row: GatesRow) =>
  db.insert(promotionGates).values(row).onConflictDoUpdate({ target: promotionGates.repoId, set: { maxSeverity: row.maxSeverity, requiredLabels: row.requiredLabels, minAgeSeconds: row.minAgeSeconds, updatedAt: row.updatedAt } });
export const deleteGates = (db: Db, repoId: string) => db.delete(promotionGates).where(eq(promotionGates.repoId, repoId));

export interface FindingCountRow {
  version: string;
  severity: Severity;
  status: FindingStatus;
  /** An acceptance that expired before `now` (so the findings are open). */
  expired: number;
  n: number;
}

/** Counts of findings by version, severity and status of one package or image (every version of it: few grouped rows). */
export const findingCounts = (db: Db, repoId: string, subjectType: "package" | "image", subjectName: string, now: number): Promise<FindingCountRow[]> => {
  const expired = sql<number>`(${findings.status} = 'accepted' AND ${findings.statusExpiresAt} IS NOT NULL AND ${findings.statusExpiresAt} <= ${now})`;
  return db
    .select({ version: findings.subjectVersion, severity: findings.severity, status: findings.status, expired, n: sql<number>`count(*)` })
    .from(findings)
    .where(and(eq(findings.repoId, repoId), eq(findings.subjectType, subjectType), eq(findings.subjectName, subjectName)))
    .groupBy(findings.subjectVersion, findings.severity, findings.status, expired)
    .all();
};
