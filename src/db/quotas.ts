/** Queries over project quota configuration. */
import { eq } from "drizzle-orm";
import type { Db } from "./client";
import { projectQuotas } from "./schema";

export type QuotaRow = typeof projectQuotas.$inferSelect;

export const findQuota = (db: Db, projectId: string) => db.select().from(projectQuotas).where(eq(projectQuotas.projectId, projectId)).get();

export const upsertQuota = (db: Db, row: QuotaRow) =>
  db.insert(projectQuotas).values(row).onConflictDoUpdate({ target: projectQuotas.projectId, set: { limitBytes: row.limitBytes, limits: row.limits, updatedAt: row.updatedAt } });

export const deleteQuota = (db: Db, projectId: string) => db.delete(projectQuotas).where(eq(projectQuotas.projectId, projectId));
