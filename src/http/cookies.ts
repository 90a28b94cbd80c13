/**
 * The browser's cookies: the session cookie and the short-lived sign-in state cookie.
 * Invariants:
 * - Always `HttpOnly; SameSite=Lax; Path=/`. Over https a cookie is `Secure` and named
 *   `__Host-…` (no Domain, so no sibling host can set or read it).
 * - Over plain http a cookie is used only on a loopback host (`npm run dev` on
 *   127.0.0.1/localhost), named without the prefix and without `Secure`, because a
 *   browser drops a `Secure` cookie set over http by anything but localhost; on any
 *   other plain-http host there is no cookie and sign-in is refused (core/net.ts
 *   classifies the host). The switch follows the request's URL: nothing to configure.
 */
import { classifyHost } from "../core/net";

export const SESSION_COOKIE_SECURE = "__Host-orbitalreg_session";
export const SESSION_COOKIE_DEV = "orbitalreg_session";
export const LOGIN_COOKIE_SECURE = "__Host-orbitalreg_login";
export const LOGIN_COOKIE_DEV = "orbitalreg_login";

export type CookieMode = "secure" | "dev" | "refused";

/** Which cookie a request's URL gets: https → secure; http on loopback → dev; else none. */
export function cookieMode(url: URL): CookieMode {
  if (url.protocol === "https:") return "secure";
  return classifyHost(url.hostname) === "loopback" ? "dev" : "refused";
}

export const sessionCookieName = (mode: CookieMode) => (mode === "secure" ? SESSION_COOKIE_SECURE : SESSION_COOKIE_DEV);
export const loginCookieName = (mode: CookieMode) => (mode === "secure" ? LOGIN_COOKIE_SECURE : LOGIN_COOKIE_DEV);

/** A Set-Cookie value; `maxAge` 0 deletes the cookie. */
export function setCookie(mode: CookieMode, name: string, value: string, maxAgeSeconds: number): string {
  const parts = [`${name}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`];
  if (mode === "secure") parts.push("Secure");
  return parts.join("; ");
}

/** The value of cookie `name` in a Cookie header, or null. */
export function readCookie(header: string | null | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || null;
  }
  return null;
}
