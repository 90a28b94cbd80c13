/** Keyset condition shared by every list query: rows strictly after (created_at, id). */
import { and, eq, gt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { PageKey } from "../core/pagination";

export function pageWhere(
  table: { createdAt: SQLiteColumn; id: SQLiteColumn },
  after: PageKey | null,
): SQL | undefined {
  if (!after) return undefined;
  return or(gt(table.createdAt, after.createdAt), and(eq(table.createdAt, after.createdAt), gt(table.id, after.id)));
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
