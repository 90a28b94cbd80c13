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
