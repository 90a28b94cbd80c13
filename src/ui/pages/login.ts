/** The sign-in page: one button per enabled login provider (from /api/public-config). */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import { callApi } from "../api-client";
import { frame, html, send } from "../layout";

interface PublicConfig {
  messages: { content: string; severity: "info" | "warning" | "error" }[];
  sign_in: { name: string; display_name: string; url: string }[];
  help_url: string | null;
}

export async function loginPage(c: Context<AppEnv>) {
  const cfg = await callApi<PublicConfig>(c, "/api/public-config");
  const returnTo = c.req.query("return_to");
  const signedIn = c.var.scope.access.principal.type === "user";
  const href = (url: string) => (returnTo ? `${url}&return_to=${encodeURIComponent(returnTo)}` : url);
  const body = html`<section class="card narrow" aria-labelledby="signin-title">
  <h1 id="signin-title">Sign in to OrbitalReg</h1>
  ${signedIn ? html`<p>You are signed in. <a href="/ui">Go to your projects</a>.</p>` : ""}
  ${cfg.sign_in.length
    ? html`<ul class="providers" role="list">${cfg.sign_in.map((p) => html`<li><a class="button" href="${href(p.url)}">Sign in with ${p.display_name}</a></li>`)}</ul>`
    : html`<p>No sign-in provider is configured yet. An instance administrator adds one with <code>POST /api/admin/login-providers</code> (see docs/web-ui.md).</p>`}
  <p class="muted">Machines use tokens instead: see the API documentation at <a href="/api/docs">/api/docs</a>.</p>
</section>`;
  return send(c, frame({ title: "Sign in", viewer: null, csrf: null, messages: cfg.messages, body }));
}
