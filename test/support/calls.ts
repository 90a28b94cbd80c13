/**
 * A storage-call counter for tests and `npm run bench:calls`: it counts what one request
 * costs in D1 round trips, R2 operations and Cache API calls. It lives in the test
 * tooling only; the Worker's code is unchanged.
 *
 * How it counts:
 * - D1: every round trip of the binding goes through `D1DatabaseSession._wrappedFetch`
 *   in workerd's D1 client (a statement's first/all/run/raw, a `batch`, an `exec`, on the
 *   binding or on a `withSession` session): one call is one round trip, and a batch of
 *   ten statements is one.
 * - R2: every bucket method (head, get, put, list, delete, multipart calls).
 * - Cache API: match, put, delete on any cache.
 * The request is sent to the Worker's own `fetch` export inside an AsyncLocalStorage
 * context, so only calls made on behalf of that request (its `waitUntil` work included)
 * are counted, never a queue consumer or another test's request running meanwhile.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import { BASE } from "../helpers";

export interface Calls {
  d1: number;
  r2: number;
  cache: number;
}

const context = new AsyncLocalStorage<Calls>();
let installed = false;

function countOn(proto: Record<string, unknown>, methods: string[], field: keyof Calls) {
  for (const m of methods) {
    const original = proto[m];
    if (typeof original !== "function") continue;
    proto[m] = function (this: unknown, ...args: unknown[]) {
      const calls = context.getStore();
      if (calls) calls[field]++;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
}

/** Patches the runtime's D1, R2 and Cache prototypes once per isolate. */
export function installCounters() {
  if (installed) return;
  installed = true;
  const d1 = env.DB as unknown as { withSession(c: string): object };
  countOn(Object.getPrototypeOf(d1.withSession("first-unconstrained")), ["_wrappedFetch"], "d1");
  countOn(Object.getPrototypeOf(env.BLOBS), ["head", "get", "put", "list", "delete", "createMultipartUpload", "resumeMultipartUpload"], "r2");
  countOn(Object.getPrototypeOf(caches.default), ["match", "put", "delete"], "cache");
}

export interface Measured {
  res: Response;
  body: Uint8Array;
  calls: Calls;
}

/** Sends one request to the Worker and counts its storage calls (body read, background work awaited). */
export async function measure(path: string, init: RequestInit = {}): Promise<Measured> {
  installCounters();
  const calls: Calls = { d1: 0, r2: 0, cache: 0 };
  return context.run(calls, async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch!(new Request(`${BASE}${path}`, init) as never, env as never, ctx);
    const body = new Uint8Array(await res.arrayBuffer());
    await waitOnExecutionContext(ctx);
    return { res, body, calls: { ...calls } };
  });
}
