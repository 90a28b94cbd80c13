/**
 * Every request the registry makes to the outside world (webhook receivers, OIDC
 * discovery and JWKS) goes through `outboundFetch`.
 *
 * Invariants:
 * - Redirects are never followed (a 3xx is returned as is), so a target that passed
 *   the address check (core/net.ts) can't bounce the request somewhere else.
 * - Each request has a deadline; bodies read through `readLimited` are capped.
 * - `setOutboundFetch` is the seam tests use to serve issuers and receivers from
 *   inside the test; production code never calls it.
 */

import { readCapped } from "../core/byte-reader";
export type FetchFn = (request: Request) => Promise<Response>;

let override: FetchFn | null = null;

/** Test seam: route outbound requests to `fn` (null restores the real fetch). */
export function setOutboundFetch(fn: FetchFn | null): void {
  override = fn;
}

export function outboundFetch(url: string | URL, init: RequestInit & { timeoutMs: number }): Promise<Response> {
  const { timeoutMs, ...rest } = init;
  const request = new Request(url, { ...rest, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  return override ? override(request) : fetch(request);
}

/** Reads a response body as text, refusing more than `maxBytes`. */
export async function readLimited(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? "NaN");
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new Error(`response of ${declared} bytes exceeds ${maxBytes}`);
  }
  const all = await readCapped(res.body, maxBytes, () => new Error(`response exceeds ${maxBytes} bytes`));
  return new TextDecoder().decode(all);
}
