/**
 * The drizzle handle over D1. Only code under db/ imports this.
 * Invariant: one handle per D1 binding object for the isolate's lifetime; building it
 * (schema relations, dialect) costs more than a cached manifest HEAD should.
 */
import { drizzle } from "drizzle-orm/d1";
import type { BatchItem } from "drizzle-orm/batch";
import * as schema from "./schema";

export type Db = ReturnType<typeof drizzle<typeof schema>>;
/** One statement of a batch (runBatch). */
export type Statement = BatchItem<"sqlite">;

const handles = new WeakMap<D1Database, Db>();

export function database(d1: D1Database): Db {
  let db = handles.get(d1);
  if (!db) handles.set(d1, (db = drizzle(d1, { schema })));
  return db;
}

/**
 * Runs statements as one atomic D1 batch (one round trip); nothing for an empty list.
 * drizzle's `batch` is typed for a non-empty tuple, which a spread array is not: this is
 * the one place that says so.
 */
export async function runBatch(db: Db, statements: readonly BatchItem<"sqlite">[]): Promise<void> {
  if (statements.length === 0) return;
  await db.batch(statements as unknown as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
}
