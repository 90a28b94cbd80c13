/** Audit-log queries. Rows are only ever inserted, never updated or deleted. */
import { eq, type SQL } from "drizzle-orm";
import type { Db } from "./client";
import { auditLog, healthChecks } from "./schema";
import { keysetPage, timeWindow, type TimeWindow } from "./paging";
import type { PageKey } from "../core/pagination";

export type AuditRow = typeof auditLog.$inferSelect;

export const insertAudit = (db: Db, row: AuditRow) => db.insert(auditLog).values(row);

export interface AuditFilter extends TimeWindow {
  projectId?: string;
  projectIds?: string[];
  actorId?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
}

export const listAudit = (db: Db, f: AuditFilter, after: PageKey | null, limit: number) => {
  const conditions: (SQL | undefined)[] = [
    f.projectId ? eq(auditLog.projectId, f.projectId) : undefined,
    f.actorId ? eq(auditLog.actorId, f.actorId) : undefined,
    f.action ? eq(auditLog.action, f.action) : undefined,
    f.resourceType ? eq(auditLog.resourceType, f.resourceType) : undefined,
    f.resourceId ? eq(auditLog.resourceId, f.resourceId) : undefined,
    ...timeWindow(auditLog.createdAt, f),
  ];
  return keysetPage(db, auditLog, conditions, after, limit);
};

export const recordHealth = (db: Db, name: string, ok: boolean, error: string | null, at: number) =>
  db
    .insert(healthChecks)
    .values({ name, lastOkAt: ok ? at : null, lastError: error, updatedAt: at })
    .onConflictDoUpdate({
      target: healthChecks.name,
      set: ok ? { lastOkAt: at, lastError: null, updatedAt: at } : { lastError: error, updatedAt: at },
    });

export const readHealth = (db: Db) => db.select().from(healthChecks).all();

/** Cheapest round trip that proves D1 answers. */
export const pingDb = (db: Db) => db.select({ name: healthChecks.name }).from(healthChecks).limit(1).all();
