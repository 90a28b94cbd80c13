/** Webhook subscriptions (instance admins) and one subscription's deliveries, with redeliver and ping. */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import { callApi } from "../api-client";
import { html } from "../layout";
import { render, type PageCtx } from "../page-context";
import { enc, pager, table, when } from "../widgets";

export async function webhooksPage(c: Context<AppEnv>, ctx: PageCtx) {
  const page = await callApi(c, "/api/admin/webhooks?limit=200");
  const body = html`<h1>Webhooks</h1>
${table(
  "Subscriptions",
  ["Name", "Events", "Project", "Enabled"],
  page.items.map((w: any) => html`<tr><td><a href="/ui/webhooks/${enc(w.id)}">${w.name}</a></td><td class="mono break">${w.events.join(", ")}</td><td class="mono">${w.project_id ?? "all"}</td><td>${w.enabled ? "yes" : "no"}</td></tr>`),
  "No subscriptions.",
)}
<h2>New subscription</h2>
<form class="stack" data-api="/api/admin/webhooks" data-method="POST" data-then="go:/ui/webhooks/{id}" aria-label="New webhook subscription">
  <label>Name <input name="name" required autocomplete="off"></label>
  <label>Receiver URL <input name="url" type="url" required autocomplete="off"></label>
  <label>Secret (16+ characters, write-only) <input name="secret" type="password" required minlength="16" autocomplete="new-password"></label>
  <label>Events (comma-separated: types, category.* or *) <input name="events" data-type="list" required value="artifact.*"></label>
  <button type="submit">Subscribe</button>
</form>`;
  return render(c, ctx, { title: "Webhooks", crumbs: [["Projects", "/ui"], ["Webhooks", ""]], body });
}

export async function webhookPage(c: Context<AppEnv>, ctx: PageCtx) {
  const id = c.req.param("id")!;
  const url = new URL(c.req.url);
  const cursor = url.searchParams.get("cursor");
  const [hook, deliveries] = await Promise.all([
    callApi(c, `/api/admin/webhooks/${enc(id)}`),
    callApi(c, `/api/admin/webhooks/${enc(id)}/deliveries?limit=50${cursor ? `&cursor=${enc(cursor)}` : ""}`),
  ]);
  const body = html`<h1>${hook.name}</h1>
<dl class="facts"><dt>URL</dt><dd class="mono">${hook.url}</dd><dt>Events</dt><dd class="mono">${hook.events.join(", ")}</dd><dt>Enabled</dt><dd>${hook.enabled ? "yes" : "no"}</dd><dt>Secret set</dt><dd>${when(hook.secret_updated_at)}</dd></dl>
<p><button type="button" data-api="/api/admin/webhooks/${enc(id)}/ping" data-method="POST">Send a ping</button></p>
<h2>Deliveries</h2>
${table(
  "Deliveries, oldest first",
  ["When", "Event", "Status", "Attempts", "Response", "Latency", ""],
  deliveries.items.map(
    (d: any) => html`<tr><td>${when(d.created_at)}</td><td class="mono">${d.event_type}</td><td>${d.status}${d.error ? html`<br><span class="muted break">${d.error}</span>` : ""}</td><td class="num">${d.attempts}</td><td class="num">${d.response_code ?? "—"}</td><td class="num">${d.latency_ms == null ? "—" : `${d.latency_ms} ms`}</td><td><button type="button" class="secondary" data-api="/api/admin/webhooks/${enc(id)}/deliveries/${enc(d.id)}/redeliver" data-method="POST" aria-label="Redeliver ${d.event_type} of ${d.created_at}">Redeliver</button></td></tr>`,
  ),
  "No deliveries yet.",
)}
${pager(url, deliveries.next_cursor)}`;
  return render(c, ctx, { title: hook.name, crumbs: [["Projects", "/ui"], ["Webhooks", "/ui/webhooks"], [hook.name, ""]], body });
}
