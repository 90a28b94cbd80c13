/**
 * Every request the registry makes to the outside world (webhook receivers, OIDC
 * discovery and JWKS, upstream registries) goes through `outboundFetch` or, for bodies
 * that may stream for a long time, `outboundStream`.
 *
 * Invariants:
 * - Redirects are never followed (a 3xx is returned as is), so a target that passed
 *   the address check (core/net.ts) can't bounce the request somewhere else.
 * - Each request has a deadline; bodies read through `readLimited` are capped.
 *   `outboundStream`'s deadline covers the response headers only (a large body may take
 *   longer than any sensible deadline): its caller reads the body with its own idle
 *   timeout and calls `abort` when the body stalls.
 * - A deadline holds even when the fetch ignores its abort signal (a test seam).
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

/** Thrown when an upstream did not answer (headers) within its deadline. */
export class OutboundTimeout extends Error {}

export interface OutboundStream {
  response: Response;
  /** Cancels the request, body included. */
  abort: (reason?: unknown) => void;
}

/** A request whose deadline ends when the response headers arrive; the body is the caller's to time. */
export async function outboundStream(url: string | URL, init: RequestInit & { headersTimeoutMs: number }): Promise<OutboundStream> {
  const { headersTimeoutMs, ...rest } = init;
  const controller = new AbortController();
  const request = new Request(url, { ...rest, redirect: "manual", signal: controller.signal });
  let timer: ReturnType<typeof setTimeout> | null = null;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new OutboundTimeout(`no answer from ${new URL(request.url).host} within ${headersTimeoutMs} ms`);
      controller.abort(e);
      reject(e);
    }, headersTimeoutMs);
  });
  try {
    const response = await Promise.race([override ? override(request) : fetch(request), deadline]);
    return { response, abort: (reason) => controller.abort(reason) };
  } finally {
    clearTimeout(timer);
  }
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
