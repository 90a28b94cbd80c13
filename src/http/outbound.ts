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
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`response exceeds ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}
