/**
 * Read replication: every request runs in one D1 session (Sessions API), so its reads
 * may be served by the nearest read replica, and a client that wrote sees its write.
 *
 * Invariants (docs/consistency.md):
 * - A request carrying a bookmark (`X-Orbitalreg-Bookmark` header, or the
 *   `orbitalreg_bookmark` cookie a browser got back) reads a state at least as new as
 *   that bookmark: its own earlier writes included.
 * - Without one, reads (GET, HEAD, OPTIONS) go to any replica ("first-unconstrained"),
 *   and every other method to the primary ("first-primary"), so a write's checks read
 *   the newest state.
 * - Every response carries the session's bookmark in `X-Orbitalreg-Bookmark`; a write
 *   on the governance API or the UI also sets the cookie, so the browser's next page
 *   sees it. Package clients carry no bookmark: a replica that lags could miss a token
 *   or repo created a moment ago, so those two misses are confirmed at the primary
 *   (db/client.ts confirmAtPrimary) before the request is refused.
 * - A malformed bookmark is ignored (the request reads like one without).
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./types";
import { inD1Session, type SessionStart } from "../db/client";
import { cookieMode, readCookie, setCookie } from "./cookies";

export const BOOKMARK_HEADER = "X-Orbitalreg-Bookmark";
export const BOOKMARK_COOKIE_SECURE = "__Host-orbitalreg_bookmark";
export const BOOKMARK_COOKIE_DEV = "orbitalreg_bookmark";
const BOOKMARK = /^[0-9a-f-]{16,128}$/i;
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
/** Where a browser works: the governance API, the UI and the sign-in flow. */
const BROWSER_PATHS = /^\/(?:api\/|ui(?:\/|$)|auth\/)/;
/** How long the bookmark cookie lives: long enough to outlast any replica's lag. */
const COOKIE_SECONDS = 300;

export const d1Sessions = createMiddleware<AppEnv>(async function d1Sessions(c, next) {
  const d1 = c.env.DB;
  if (typeof d1?.withSession !== "function") return next(); // config.ts answers 503 for a missing binding
  // The URL is parsed only when a cookie is read or may be set (package clients send none).
  const cookies = c.req.header("cookie");
  const safe = SAFE.has(c.req.method);
  const url = cookies || !safe ? new URL(c.req.url) : null;
  const mode = url ? cookieMode(url) : "refused";
  const cookieName = mode === "secure" ? BOOKMARK_COOKIE_SECURE : BOOKMARK_COOKIE_DEV;
  const sent = c.req.header(BOOKMARK_HEADER) ?? (mode === "refused" ? null : readCookie(cookies, cookieName));
  const start: SessionStart = sent && BOOKMARK.test(sent) ? { bookmark: sent } : safe ? "first-unconstrained" : "first-primary";
  const { bookmark } = await inD1Session(d1, start, () => next());
  const after = bookmark();
  if (!after) return;
  c.res.headers.set(BOOKMARK_HEADER, after);
  if (!safe && url && mode !== "refused" && BROWSER_PATHS.test(url.pathname)) {
    c.res.headers.append("Set-Cookie", setCookie(mode, cookieName, after, COOKIE_SECONDS));
  }
});
