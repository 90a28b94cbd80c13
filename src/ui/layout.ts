/**
 * The HTML frame every UI page shares: head (local CSS and JS only), skip link, top
 * navigation, global-message banner, main landmark, and the response headers.
 * Invariants:
 * - Every value interpolated into HTML goes through hono/html's escaping `html`
 *   template; `raw` is used only for markup this module builds itself.
 * - Every UI response carries a strict Content-Security-Policy (no inline script or
 *   style, nothing from another origin), `X-Frame-Options: DENY`, `no-store` caching
 *   (pages carry the CSRF token) and `Referrer-Policy: same-origin`.
 */
import type { Context } from "hono";
import { html, raw } from "hono/html";
import type { AppEnv } from "../http/types";
import { ASSET_VERSION } from "./assets";

export type Html = ReturnType<typeof html>;

export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export interface Viewer {
  username: string;
  isAdmin: boolean;
}

export interface Banner {
  content: string;
  severity: "info" | "warning" | "error";
}

export interface Frame {
  title: string;
  viewer: Viewer | null;
  csrf: string | null;
  messages: Banner[];
  /** Breadcrumbs: [label, href] pairs, the current page last (href ignored). */
  crumbs?: [string, string][];
  body: Html;
}

export function frame(f: Frame): Html {
  const crumbs = f.crumbs?.length
    ? html`<nav aria-label="Breadcrumb" class="crumbs"><ol>${f.crumbs.map(([label, href], i) =>
        i === f.crumbs!.length - 1 ? html`<li><span aria-current="page">${label}</span></li>` : html`<li><a href="${href}">${label}</a></li>`,
      )}</ol></nav>`
    : "";
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${f.title} · OrbitalReg</title>
${f.csrf ? html`<meta name="csrf-token" content="${f.csrf}">` : ""}
<link rel="stylesheet" href="/ui/assets/app.css?v=${ASSET_VERSION}">
<script src="/ui/assets/app.js?v=${ASSET_VERSION}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/ui">OrbitalReg</a>
  ${f.viewer
    ? html`<nav aria-label="Main"><ul>
        <li><a href="/ui">Projects</a></li>
        <li><a href="/ui/tokens">Tokens</a></li>
        <li><a href="/ui/search">Search</a></li>
        ${f.viewer.isAdmin ? html`<li><a href="/ui/audit">Audit</a></li><li><a href="/ui/webhooks">Webhooks</a></li>` : ""}
      </ul></nav>
      <div class="who"><span>${f.viewer.username}</span>
        <button type="button" class="link" data-action="logout">Sign out</button></div>`
    : html`<nav aria-label="Main"><ul><li><a href="/ui/login">Sign in</a></li></ul></nav>`}
</header>
${f.messages.map((m) => html`<div class="banner banner-${m.severity}" role="${m.severity === "error" ? "alert" : "status"}">${m.content}</div>`)}
${crumbs}
<main id="main" tabindex="-1">
${f.body}
</main>
<div id="toast" class="toast" role="status" aria-live="polite"></div>
</body>
</html>`;
}

/** Sends a UI page with the security headers every page carries. */
export async function send(c: Context<AppEnv>, page: Html, status = 200): Promise<Response> {
  const body = String(await page);
  return new Response(body, {
    status,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": CSP,
      "X-Frame-Options": "DENY",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "same-origin",
      "Cache-Control": "no-store",
    },
  });
}

/** A page that only says something went wrong, with a way on. */
export function problemPage(title: string, message: string, next: [string, string] = ["Back to sign-in", "/ui/login"]): Html {
  return frame({
    title,
    viewer: null,
    csrf: null,
    messages: [],
    body: html`<section class="card narrow"><h1>${title}</h1><p>${message}</p><p><a class="button" href="${next[1]}">${next[0]}</a></p></section>`,
  });
}

export { html, raw };
