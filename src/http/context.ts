/**
 * Per-request middleware: request id, then the Scope (database, principal, access).
 * Invariants:
 * - Authentication happens here exactly once; an invalid credential fails the request
 *   with 401 even on routes that allow anonymous access, so a typo in a token is never
 *   silently treated as "anonymous".
 * - A request with an Authorization header is authenticated by it alone (tokens work
 *   exactly as before sessions existed). Without one, the browser session cookie is
 *   read on the API, UI and sign-in paths (never on the package protocols, whose
 *   clients don't use cookies): on `/api/…` an ended session is a 401, on the UI the
 *   caller is simply anonymous (and is sent to sign in).
 * - On a protocol request, the token, the repo, the grants and the format's planned read
 *   are read in one D1 batch before authenticating (http/prefetch.ts), so the checks
 *   below and the repo gate find them cached: one round trip where there were four.
 * - A credential that fails counts against its address's rate limit (http/rate-limit.ts);
 *   over it, requests with credentials from that address answer 429 until the period ends.
 * - A cookie-authenticated request that can change anything (not GET/HEAD/OPTIONS) must
 *   come from this origin (`Origin` header) and carry the session's CSRF token
 *   (`X-CSRF-Token`), else 403 before any route runs.
 * - `/internal/…` (the internal API, docs/internal-api.md) is authenticated by its
 *   service JWT alone (auth/internal-jwt.ts): Authorization and cookies are not even
 *   read there, so no user, token or session credential gets in; with no internal key
 *   configured the whole mount answers 404 as if it did not exist.
 */
import { createMiddleware } from "hono/factory";
import type { Context } from "hono";
import type { AppEnv } from "./types";
import { database, type Db } from "../db/client";
import type { Scope } from "../services/scope";
import { authenticateInternal, internalApiEnabled, INTERNAL_HEADER } from "../auth/internal-jwt";
import { Access } from "../auth/access";
import { authenticate } from "../auth/authenticate";
import { credentialFrom } from "../auth/credentials";
import { jwtSecretOf } from "../auth/registry-jwt";
import { authenticateSession, csrfTokenFor } from "../auth/session";
import { cookieMode, readCookie, sessionCookieName } from "./cookies";
import type { Principal } from "../auth/principal";
import { RegistryError } from "../core/errors";
import { timingSafeEqual } from "../core/ids";
import { config } from "../config";
import { prefetch, type Planner } from "./prefetch";
import { rawPathname } from "./repo-gate";
import { countAuthFailure, refuseIfLockedOut } from "./rate-limit";

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Paths where a session cookie counts: the governance API, the UI and the sign-in flow. */
const SESSION_PATHS = /^\/(?:$|api\/|ui(?:\/|$)|auth\/)/;
const INTERNAL_PATHS = /^\/internal(?:\/|$)/;

export const requestId = createMiddleware<AppEnv>(async function requestId(c, next) {
  const incoming = c.req.header("x-request-id");
  const id = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", id);
  await next();
  c.res.headers.set("X-Request-Id", id);
});

export const scopeMiddleware = (planner: Planner) => createMiddleware<AppEnv>(async function scope(c, next) {
  const db = database(c.env.DB);
  const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p.catch((e) => console.error("background task failed", e)));
  const url = new URL(c.req.url);
  if (INTERNAL_PATHS.test(url.pathname)) return internalScope(c, next, db, waitUntil, url);
  const jwtSecret = await jwtSecretOf(c.env);
  const secret = credentialFrom(c.req.header("authorization"));
  const ip = c.req.header("cf-connecting-ip") ?? null;
  let principal: Principal | null = null;
  let session: { id: string; csrfToken: string } | null = null;
  const cookie = secret === null && SESSION_PATHS.test(url.pathname) ? sessionCookieOf(c, url) : null;
  if (cookie) {
    refuseIfLockedOut(ip);
    try {
      principal = await authenticateSession(cookie, { db, limits: config(c.env).sessions, waitUntil });
      session = { id: principal.type === "user" ? principal.sessionId! : "", csrfToken: await csrfTokenFor(cookie, jwtSecret ?? cookie) }; // no registry key configured: keyed by the session secret alone
    } catch (e) {
      if (url.pathname.startsWith("/api/")) throw await countedFailure(c, ip, e);
    }
    if (session && !SAFE_METHODS.has(c.req.method)) checkCsrf(c, url, session.csrfToken);
  }
  const auth = { db, adminToken: config(c.env).adminToken ?? undefined, jwtSecret, waitUntil };
  const plan = principal ? null : planner(rawPathname(c.req.url), c.req.method, url.searchParams);
  if (secret) refuseIfLockedOut(ip);
  const reads = plan ? await prefetch(db, secret, auth, plan, c.req.method) : undefined;
  try {
    principal ??= await authenticate(secret, auth);
  } catch (e) {
    throw await countedFailure(c, ip, e);
  }
  c.set("scope", {
    env: c.env,
    db,
    access: new Access(db, principal),
    requestId: c.get("requestId"),
    ip,
    baseUrl: url.origin,
    waitUntil,
    session,
    reads,
  });
  await next();
});

async function internalScope(c: Context<AppEnv>, next: () => Promise<void>, db: Db, waitUntil: Scope["waitUntil"], url: URL) {
  const keys = config(c.env).internalJwt;
  if (!internalApiEnabled(keys)) throw new RegistryError("NotFoundRoute", `no route for ${c.req.method} ${url.pathname}`);
  const ip = c.req.header("cf-connecting-ip") ?? null;
  const token = c.req.header(INTERNAL_HEADER);
  if (token) refuseIfLockedOut(ip);
  let principal: Principal;
  try {
    principal = await authenticateInternal(token, keys);
  } catch (e) {
    throw await countedFailure(c, ip, e);
  }
  c.set("scope", { env: c.env, db, access: new Access(db, principal), requestId: c.get("requestId"), ip, baseUrl: url.origin, waitUntil, session: null });
  await next();
}

/** A failed authentication counts against the address's limit; over it, the 429 replaces the 401. */
async function countedFailure(c: Context<AppEnv>, ip: string | null, e: unknown): Promise<unknown> {
  if (!(e instanceof RegistryError) || e.status !== 401) return e;
  return (await countAuthFailure(c.env.AUTH_FAILURES, ip)) ?? e;
}

function sessionCookieOf(c: Context<AppEnv>, url: URL): string | null {
  const mode = cookieMode(url);
  return mode === "refused" ? null : readCookie(c.req.header("cookie"), sessionCookieName(mode));
}

function checkCsrf(c: Context<AppEnv>, url: URL, expected: string) {
  if (c.req.header("origin") !== url.origin) {
    throw new RegistryError("ForbiddenCsrfOrigin", "a request signed in by cookie must come from this site's own pages (Origin mismatch)");
  }
  const token = c.req.header("x-csrf-token") ?? "";
  if (!timingSafeEqual(token, expected)) {
    throw new RegistryError("ForbiddenCsrfToken", "a request signed in by cookie must carry the session's X-CSRF-Token");
  }
}
