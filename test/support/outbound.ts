/**
 * Test-side outbound HTTP: the registry's outbound seam (src/outbound/fetch.ts) routed to
 * handlers registered by origin, so OIDC issuers and webhook receivers live inside
 * the test. Every request is recorded.
 */
import { setOutboundFetch } from "../../src/outbound/fetch";

type Handler = (req: Request) => Response | Promise<Response>;
const handlers = new Map<string, Handler>();
export const outboundLog: { url: string; method: string }[] = [];

export function serve(origin: string, handler: Handler): void {
  handlers.set(new URL(origin).origin, handler);
}

export function installOutbound(): void {
  setOutboundFetch(async (req) => {
    outboundLog.push({ url: req.url, method: req.method });
    const handler = handlers.get(new URL(req.url).origin);
    if (!handler) throw new TypeError(`no test server for ${req.url}`);
    return handler(req);
  });
}

export function uninstallOutbound(): void {
  setOutboundFetch(null);
}

export const fetchesTo = (prefix: string) => outboundLog.filter((r) => r.url.startsWith(prefix)).length;
