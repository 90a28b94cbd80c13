/**
 * What a use-case needs to know about the request it serves: bindings, the database,
 * who is calling (and what they may do), and ids for audit and tracing.
 * Built once per request by http/context.ts; pure data plus handles, no Hono types.
 */
import type { Env } from "../env";
import type { Db } from "../db/client";
import type { Access } from "../auth/access";

export interface Scope {
  env: Env;
  db: Db;
  access: Access;
  requestId: string;
  ip: string | null;
  /** Public base URL of this registry as the client reached it (no trailing slash). */
  baseUrl: string;
  waitUntil: (p: Promise<unknown>) => void;
  /**
   * What the request's gate already read in its one batch (http/prefetch.ts), by key:
   * the repo (`repo:<project>/<repo>`, null when it does not exist) and the format's
   * planned read. Services look here before they query (`readOnce`).
   */
  reads?: Map<string, unknown>;
  /** The browser session that authenticated the request, with its CSRF token; null for tokens and anonymous calls. */
  session?: { id: string; csrfToken: string } | null;
  /**
   * Who audit rows, events and tag history name when it is not the principal: background
   * work (a retention run, the collector, a mirror sync) acts as `{actorType: "system", …}`;
   * a service acting with more rights than its caller (a proxy cache creating a repo for a
   * reader's pull) names the caller.
   */
  actor?: { actorType: string; actorId: string | null; actorName: string | null };
}

/**
 * Forgets what the gate's batch read: an upstream or virtual repo's request goes on to
 * write (a pull-through stores) or to read other repos (members), so those early reads
 * no longer describe what the rest of the request must see.
 */
export function forgetPlannedReads(scope: Scope): void {
  scope.reads = undefined;
}

/** The value the gate's batch already read under `key`, else `load()` (one round trip). */
export async function readOnce<T>(scope: Scope, key: string, load: () => Promise<T>): Promise<T> {
  if (scope.reads?.has(key)) return scope.reads.get(key) as T;
  return load();
}
