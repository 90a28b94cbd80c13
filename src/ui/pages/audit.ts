/** The audit log with filters (project, actor, action, resource, time), newest pages by cursor. */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import { callApi } from "../api-client";
import { html } from "../layout";
import { render, type PageCtx } from "../page-context";
import { enc, pager, table, when } from "../widgets";

const FILTERS = [
  ["project_id", "Project id"],
  ["actor_id", "Actor id"],
  ["action", "Action (e.g. repo.update)"],
  ["resource_type", "Resource type"],
  ["resource_id", "Resource id"],
] as const;

export async function auditPage(c: Context<AppEnv>, ctx: PageCtx) {
  const url = new URL(c.req.url);
  const q = new URLSearchParams({ limit: "50" });
  for (const [k] of FILTERS) {
    const v = url.searchParams.get(k);
    if (v) q.set(k, v);
  }
  for (const k of ["since", "until"]) {
    const v = url.searchParams.get(k);
    if (v) q.set(k, new Date(v).toISOString());
  }
  const cursor = url.searchParams.get("cursor");
  if (cursor) q.set("cursor", cursor);
  const page = await callApi(c, `/api/v1/audit?${q}`);
  const body = html`<h1>Audit log</h1>
<form class="inline" method="get" action="/ui/audit" aria-label="Filter the audit log">
${FILTERS.map(([k, label]) => html`<label>${label} <input name="${k}" value="${url.searchParams.get(k) ?? ""}" autocomplete="off"></label>`)}
<label>Since <input type="datetime-local" name="since" value="${url.searchParams.get("since") ?? ""}"></label>
<label>Until <input type="datetime-local" name="until" value="${url.searchParams.get("until") ?? ""}"></label>
<button type="submit">Filter</button>
</form>
${table(
  "Audit entries, oldest first",
  ["When", "Who", "Action", "Resource", "Project", "Details"],
  page.items.map(
    (e: any) => html`<tr><td>${when(e.created_at)}</td><td>${e.actor.name ?? e.actor.type}<br><span class="muted">${e.actor.type}</span></td><td class="mono">${e.action}</td><td>${e.resource_type}<br><span class="mono muted break">${e.resource_id ?? ""}</span></td><td class="mono break">${e.project_id ? html`<a href="/ui/audit?project_id=${enc(e.project_id)}">${e.project_id.slice(0, 8)}…</a>` : "—"}</td><td><details><summary>Before / after</summary><pre>${JSON.stringify({ before: e.before, after: e.after }, null, 2)}</pre></details></td></tr>`,
  ),
  "No entries match.",
)}
${pager(url, page.next_cursor)}`;
  return render(c, ctx, { title: "Audit log", crumbs: [["Projects", "/ui"], ["Audit log", ""]], body });
}
