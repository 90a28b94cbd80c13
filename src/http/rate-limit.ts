/**
 * Rate limits per client address, on the Workers rate-limiting bindings
 * (wrangler.toml `[[ratelimits]]`: `AUTH_FAILURES`, `OIDC_EXCHANGES`).
 *
 * Invariants:
 * - The key is `CF-Connecting-IP`, which Cloudflare sets on every request and a client
 *   cannot forge. A request without it (a Worker called directly, the workerd tests) is
 *   not limited: its limits could only be shared by every such caller at once.
 * - A refusal is `TooManyRequests…` (429) with `Retry-After`, rendered in the protocol's
 *   own format (through the protocol renderers: core/error-codes.ts).
 * - Failed authentications: every presented credential that fails counts. Once an
 *   address is over the limit, this isolate refuses its requests that carry a
 *   credential before checking it, until the period ends: a correct guess is refused
 *   too. (The binding only counts; it cannot be asked without counting.) Requests
 *   without credentials never count: anonymous reads are not failures.
 * - OIDC exchanges: every attempt counts, before its body is read.
 * The binding's counters are per Cloudflare location and eventually consistent
 * (Cloudflare's documentation): a limit, not an exact quota.
 */
import { RegistryError, type ErrorCode } from "../core/errors";

/** The bindings' period (wrangler.toml `simple.period`): what a refusal tells clients to wait. */
export const RATE_LIMIT_PERIOD_SECONDS = 60;

/** Addresses over the failed-authentication limit, until when (this isolate's memory). */
const lockedOut = new Map<string, number>();

const tooMany = (code: ErrorCode, message: string) =>
  new RegistryError(code, message, { headers: { "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS) } });

const authLockout = () => tooMany("TooManyRequestsAuthFailures", `too many failed authentications from this address; retry in ${RATE_LIMIT_PERIOD_SECONDS} seconds`);

/** Refuses a request carrying a credential from an address that is locked out. */
export function refuseIfLockedOut(ip: string | null, now = Date.now()): void {
  if (!ip) return;
  const until = lockedOut.get(ip);
  if (until === undefined) return;
  if (until > now) throw authLockout();
  lockedOut.delete(ip);
}

/** Counts a failed authentication; the refusal when the address is now over the limit. */
export async function countAuthFailure(limiter: RateLimit, ip: string | null, now = Date.now()): Promise<RegistryError | null> {
  if (!ip) return null;
  const { success } = await limiter.limit({ key: ip });
  if (success) return null;
  if (lockedOut.size > 10_000) lockedOut.clear();
  lockedOut.set(ip, now + RATE_LIMIT_PERIOD_SECONDS * 1000);
  return authLockout();
}

/** Counts an OIDC exchange attempt; throws 429 over the limit. */
export async function limitOidcExchange(limiter: RateLimit, ip: string | null): Promise<void> {
  if (!ip) return;
  const { success } = await limiter.limit({ key: ip });
  if (!success) throw tooMany("TooManyRequestsOidcExchange", `too many OIDC token exchanges from this address; retry in ${RATE_LIMIT_PERIOD_SECONDS} seconds`);
}
