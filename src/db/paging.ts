/** Keyset paging, time windows and substring filters shared by every list query: rows strictly after (created_at, id), oldest first. */
import { and, eq, gt, gte, lte, or, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";
import type { PageKey } from "../core/pagination";

export function pageWhere(
  table: { createdAt: SQLiteColumn; id: SQLiteColumn },
  after: PageKey | null,
): SQL | undefined {
  if (!after) return undefined;
  return or(gt(table.createdAt, after.createdAt), and(eq(table.createdAt, after.createdAt), gt(table.id, after.id)));
}

/** A time filter on a created-at column, in ms, both ends included, either end open. */
export interface TimeWindow {
  since?: number;
  until?: number;
}

/** The window's conditions, to spread among a list's others (an open end is `undefined`, which `and` skips). */
export const timeWindow = (column: SQLiteColumn, w: TimeWindow): (SQL | undefined)[] => [
  w.since !== undefined ? gte(column, w.since) : undefined,
  w.until !== undefined ? lte(column, w.until) : undefined,
];

/**
 * One keyset page of a table's rows matching every condition, oldest first: `limit + 1`
 * rows, so core/pagination's toPage knows whether another page follows.
 */
export function keysetPage<T extends SQLiteTable & { createdAt: SQLiteColumn; id: SQLiteColumn }>(db: Db, table: T, conditions: (SQL | undefined)[], after: PageKey | null, limit: number) {
  return db
    .select()
    .from(table)
    .where(and(...conditions, pageWhere(table, after)))
    .orderBy(table.createdAt, table.id)
    .limit(limit + 1)
    .all();
}

/** D1 binds at most 100 parameters per statement: rows of `width` parameters each go in slices. */
export function slices<T>(rows: readonly T[], width = 1): T[][] {
  const per = Math.max(1, Math.floor(90 / width));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += per) out.push(rows.slice(i, i + per));
  return out;
}

/** Runs a query over a long `IN (…)` list in slices and concatenates the results. */
export async function inSlices<T, R>(items: readonly T[], query: (slice: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (const slice of slices([...new Set(items)])) out.push(...(await query(slice)));
  return out;
}

/**
 * `value` holds `text`, ASCII letters compared case-insensitively (as LIKE compares them).
 * Not LIKE: D1 refuses a LIKE pattern past 50 bytes (measured: 51 is "LIKE or GLOB
 * pattern too complex"), and the lists take searches of up to 200 characters; instr has no
 * such limit and no wildcards to escape.
 */
export const contains = (value: SQL | SQLiteColumn, text: string): SQL => sql`instr(lower(${value}), lower(${text})) > 0`;

/**
 * `column IN ids` with the ids bound as ONE parameter (a JSON array read by json_each), for
 * lists whose length the caller does not bound (the projects and repositories a principal
 * reaches): D1 binds at most 100 parameters per statement, one per id with inArray.
 */
export const inIdList = (column: SQL | SQLiteColumn, ids: readonly string[]): SQL =>
  ids.length ? sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))` : sql`0`;
