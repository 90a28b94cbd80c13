/**
 * Counts D1 round trips the Worker makes: every executed statement (`first`, `all`,
 * `run`, `raw`) is one, and so is a `batch` (D1 sends its statements in one request).
 * The Worker under test shares this `env.DB` object with the tests (as it shares
 * `env.EVENTS`, see setup.ts), so wrapping its methods here sees every query it makes.
 */
import { env } from "cloudflare:test";

const EXECUTE = ["first", "all", "run", "raw"] as const;

export interface D1Counter {
  /** Round trips since the counter was installed or last reset. */
  readonly count: number;
  /** The SQL of each round trip (a batch lists its statements joined by " ; "). */
  readonly queries: string[];
  reset(): void;
  uninstall(): void;
}

export function countD1(): D1Counter {
  const db = env.DB as D1Database & Record<string, unknown>;
  const prepare = db.prepare;
  const batch = db.batch;
  const queries: string[] = [];
  const wrap = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop, receiver) {
        if (prop === "__target") return target;
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== "function") return value;
        if (prop === "bind") return (...args: unknown[]) => wrap(value.apply(target, args), sql);
        if ((EXECUTE as readonly (string | symbol)[]).includes(prop)) {
          return (...args: unknown[]) => {
            queries.push(sql);
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
  db.prepare = function (this: D1Database, sql: string) {
    return wrap(prepare.call(this, sql), sql);
  };
  db.batch = function (this: D1Database, statements: D1PreparedStatement[]) {
    queries.push(`batch(${statements.length})`);
    // A wrapped statement must reach the real batch as the original object.
    return batch.call(this, statements.map((s) => (s as unknown as { __target?: D1PreparedStatement }).__target ?? s));
  } as typeof batch;
  return {
    get count() {
      return queries.length;
    },
    get queries() {
      return [...queries];
    },
    reset: () => void queries.splice(0),
    uninstall: () => {
      db.prepare = prepare;
      db.batch = batch;
    },
  };
}
