/**
 * The drizzle handle over D1. Only code under db/ imports this.
 * Invariants:
 * - One handle per D1 binding object for the isolate's lifetime; building it (schema
 *   relations, dialect) costs more than a cached manifest HEAD should.
 * - Read replication (D1 Sessions API): inside `inD1Session`, every statement of the
 *   handle goes through that request's `withSession` session, found by
 *   AsyncLocalStorage, so concurrent requests of an isolate share the handle but not
 *   their sessions. Outside one (queues, cron, tests) statements go to the binding.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { drizzle } from "drizzle-orm/d1";
import type { BatchItem } from "drizzle-orm/batch";
import { fillPlaceholders, getTableColumns, sql, type SQL, type Table } from "drizzle-orm";
import * as schema from "./schema";

export type Db = ReturnType<typeof drizzle<typeof schema>>;
/** One statement of a batch (runBatch). */
export type Statement = BatchItem<"sqlite">;

const handles = new WeakMap<D1Database, Db>();

export function database(d1: D1Database): Db {
  let db = handles.get(d1);
  if (!db) handles.set(d1, (db = drizzle(routed(d1), { schema })));
  return db;
}

interface D1Context {
  binding: D1Database;
  session: D1DatabaseSession;
  /** Whether the session was asked for the primary (so a miss there is final). */
  primary: boolean;
}
const current = new AsyncLocalStorage<D1Context>();

/** The binding, with prepare/batch going to the current request's session when there is one. */
function routed(d1: D1Database): D1Database {
  const target = () => {
    const c = current.getStore();
    return c && c.binding === d1 ? c.session : d1;
  };
  return new Proxy(d1, {
    get(binding, prop) {
      if (prop === "prepare") return (query: string) => target().prepare(query);
      if (prop === "batch") return (statements: D1PreparedStatement[]) => target().batch(statements);
      const value = Reflect.get(binding, prop, binding);
      return typeof value === "function" ? value.bind(binding) : value;
    },
  });
}

/**
 * Where a request's reads may go: a bookmark (at least as new as the writes it names),
 * the nearest replica ("first-unconstrained"), or the primary ("first-primary").
 */
export type SessionStart = { bookmark: string } | "first-unconstrained" | "first-primary";

/**
 * Runs `fn` with every statement of the binding's handle in one D1 session; returns its
 * result and the session's bookmark afterwards (what the client passes back to read its
 * own writes). A bookmark the runtime refuses falls back to the primary.
 */
export async function inD1Session<T>(d1: D1Database, start: SessionStart, fn: () => Promise<T>): Promise<{ result: T; bookmark: () => string | null }> {
  let session: D1DatabaseSession;
  let primary = start === "first-primary";
  try {
    session = d1.withSession(typeof start === "string" ? start : start.bookmark);
  } catch {
    session = d1.withSession("first-primary");
    primary = true;
  }
  const result = await current.run({ binding: d1, session, primary }, fn);
  return { result, bookmark: () => session.getBookmark() };
}

/**
 * `load()` again at the primary when the request's session may be a replica: for a miss
 * that must not be trusted from a replica that lags behind (a token or repo created a
 * moment ago, from another client that carries no bookmark).
 */
export async function confirmAtPrimary<T>(value: T, load: () => Promise<T>): Promise<T> {
  const c = current.getStore();
  if (value !== null && value !== undefined) return value;
  if (!c || c.primary) return value;
  return current.run({ ...c, session: c.binding.withSession("first-primary"), primary: true }, load);
}

/**
 * Runs statements as one atomic D1 batch (one round trip); nothing for an empty list.
 * It goes through `batchOf` (drizzle's batch, as drizzle does it) so that statements
 * built once per isolate (`templateItem`) can be written too: drizzle's own `batch`
 * reads a prepared statement off each item, which a template's item does not carry.
 */
export async function runBatch(db: Db, statements: readonly BatchItem<"sqlite">[]): Promise<void> {
  if (statements.length === 0) return;
  await batchOf(db, [...statements]);
}

/**
 * A read that can join other reads in one D1 batch: its statements, and how to turn
 * their results into the value. Running several reads together (`runReads`) costs one
 * round trip, however many statements they hold.
 */
export interface Read<T> {
  items: BatchItem<"sqlite">[];
  decode(results: unknown[]): T;
}

/** A value that is either known (a bound parameter) or found by a subquery in the same statement. */
export type Ref = string | SQL;

/**
 * A table's columns selected under unique aliases (`<prefix><field>`), decoded as the
 * columns are. Reads of joined tables that go into a batch need it: D1 returns batch
 * rows as objects keyed by column name, so two tables' `id` or `name` would collide.
 */
export function aliased<T extends Table>(table: T, prefix: string): { [K in keyof T["_"]["columns"]]: SQL.Aliased<T["_"]["columns"][K]["_"]["data"]> } {
  return Object.fromEntries(
    Object.entries(getTableColumns(table)).map(([field, column]) => [field, sql`${column}`.mapWith(column).as(`${prefix}${field}`)]),
  ) as never;
}

/** A statement's SQL with placeholders and how its rows are decoded: built once per isolate (templateItem). */
interface Template {
  sql: string;
  params: unknown[];
  mapResult(result: unknown, isFromBatch: boolean): unknown;
}
const templates = new Map<string, Template>();

/**
 * A batch item whose statement drizzle builds once per isolate, for `key`, with
 * placeholders (`sql.placeholder(name)`), bound to `values` per use. Building a select
 * of joined, aliased columns is most of what a hot read costs in JavaScript (a fifth of
 * a warm download's Worker CPU under wrangler dev, docs/performance.md); the SQL text of
 * a shape never changes. Only the text and the row decoder are kept, never a statement:
 * each use prepares its own on the request's own D1 session.
 */
export function templateItem(db: Db, key: string, build: () => BatchItem<"sqlite">, values: Record<string, unknown>): BatchItem<"sqlite"> {
  let t = templates.get(key);
  if (!t) {
    const prepared = (build() as unknown as { _prepare(): Prepared })._prepare();
    const q = prepared.getQuery();
    t = { sql: q.sql, params: q.params, mapResult: (r, b) => prepared.mapResult(r, b) };
    templates.set(key, t);
  }
  const template = t;
  const item = { _prepare: (): Prepared => ({ getQuery: () => ({ sql: template.sql, params: fillPlaceholders(template.params, values) }), mapResult: template.mapResult }) };
  return item as unknown as BatchItem<"sqlite">;
}

/** Runs one read on its own (one round trip). */
export const runRead = async <T>(db: Db, read: Read<T>): Promise<T> => (await runReads(db, [read]))[0] as T;

/** Runs reads as one D1 batch (one round trip); each value comes back in order. */
export async function runReads(db: Db, reads: readonly Read<unknown>[]): Promise<unknown[]> {
  const items = reads.flatMap((r) => r.items);
  if (items.length === 0) return reads.map((r) => r.decode([]));
  const results = await batchOf(db, items);
  let at = 0;
  return reads.map((r) => {
    const mine = results.slice(at, at + r.items.length);
    at += r.items.length;
    return r.decode(mine);
  });
}

interface Prepared {
  getQuery(): { sql: string; params: unknown[] };
  stmt?: D1PreparedStatement;
  mapResult(result: unknown, isFromBatch: boolean): unknown;
}

/**
 * drizzle's own `batch` as drizzle does it, except that a raw `db.all(sql…)` with
 * parameters (the grants query) gets a statement prepared here: drizzle 0.45's D1 batch
 * reads `stmt` off it, which raw queries don't have.
 */
async function batchOf(db: Db, items: BatchItem<"sqlite">[]): Promise<unknown[]> {
  const client = (db as unknown as { $client: D1Database }).$client;
  const prepared = items.map((i) => (i as unknown as { _prepare(): Prepared })._prepare());
  const statements = prepared.map((p) => {
    const q = p.getQuery();
    return (p.stmt ?? client.prepare(q.sql)).bind(...q.params);
  });
  const results = await client.batch(statements);
  return results.map((r, i) => prepared[i]!.mapResult(r, true));
}
