/** My tokens (create: name, scopes, expiry; the secret shown once; revoke) and my browser sessions. */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import { callApi } from "../api-client";
import { html } from "../layout";
import { render, type PageCtx } from "../page-context";
import { enc, table, when } from "../widgets";
import { SCOPES } from "../../core/vocabulary";

export async function tokensPage(c: Context<AppEnv>, ctx: PageCtx) {
  const [tokens, sessions] = await Promise.all([callApi(c, "/api/v1/user/apptoken?limit=200"), callApi(c, "/api/v1/user/sessions?limit=100")]);
  const body = html`<h1>Tokens</h1>
<p>Tokens let tools (docker, npm, pip, CI jobs) act as you. Each one can be narrowed to some scopes and given an expiry.</p>
<form class="stack" data-api="/api/v1/user/apptoken" data-method="POST" data-then="show-secret" data-secret-target="new-token" aria-label="Create a token">
  <label>Name <input name="name" required maxlength="100" autocomplete="off"></label>
  <fieldset><legend>Scopes (none checked: everything your roles allow)</legend>
    ${SCOPES.map((s) => html`<label class="check"><input type="checkbox" class="scope" value="${s}" data-scope> ${s}</label>`)}
    <input type="hidden" name="scopes" data-type="json" value="null" data-scopes-json>
  </fieldset>
  <label>Expires in <select name="expires_in" data-type="json">
    <option value="86400">1 day</option><option value="604800">7 days</option><option value="2592000" selected>30 days</option><option value="31536000">1 year</option><option value="null">never</option>
  </select></label>
  <button type="submit">Create token</button>
</form>
<div id="new-token" class="secret" hidden role="region" aria-label="New token">
  <p><strong>Copy this token now.</strong> It is shown only once; only its hash is kept.</p>
  <div class="copy-row"><pre id="new-token-value" tabindex="0" aria-label="The new token"></pre><button type="button" class="secondary" data-copy="new-token-value" aria-label="Copy the new token">Copy</button></div>
  <p><a href="/ui/tokens">Done</a></p>
</div>
<h2>Your tokens</h2>
${table(
  "Your tokens",
  ["Name", "Starts with", "Scopes", "Expires", "Last used", "Status", ""],
  tokens.items.map(
    (t: any) => html`<tr><td>${t.name}</td><td class="mono">${t.prefix}…</td><td>${t.scopes ? t.scopes.join(", ") : "all"}</td><td>${t.expires_at ? when(t.expires_at) : "never"}</td><td>${t.last_used_at ? when(t.last_used_at) : "never"}</td><td>${t.revoked_at ? "revoked" : "active"}</td><td>${t.revoked_at ? "" : html`<button type="button" class="danger" data-api="/api/v1/user/apptoken/${enc(t.id)}" data-method="DELETE" data-confirm="Revoke ${t.name}? Tools using it stop working." aria-label="Revoke token ${t.name}">Revoke</button>`}</td></tr>`,
  ),
  "No tokens yet.",
)}
<h2>Your sessions</h2>
${table(
  "Browser sessions",
  ["Signed in", "Last seen", "Browser", ""],
  sessions.items.map(
    (s: any) => html`<tr><td>${when(s.created_at)}</td><td>${when(s.last_seen_at)}</td><td class="break">${s.user_agent ?? "—"}</td><td>${s.current ? "this one" : html`<button type="button" class="secondary" data-api="/api/v1/user/sessions/${enc(s.id)}" data-method="DELETE">End</button>`}</td></tr>`,
  ),
)}`;
  return render(c, ctx, { title: "Tokens", crumbs: [["Projects", "/ui"], ["Tokens", ""]], body });
}
