/**
 * A repository: how to use it (client set-up, with copy buttons), its images or
 * packages (search, sort, cursor pages), a star, and — for its admins — permissions.
 * One server round trip renders it all: the browser waits on nothing else.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import { callApi, tryApi } from "../api-client";
import { html } from "../layout";
import { render, type PageCtx } from "../page-context";
import { copyBlock, enc, pager, roleOptions, table, when } from "../widgets";

export interface Setup {
  sections: { id: string; title: string; description: string; filename: string | null; content: string | null; commands: string[] }[];
}

export function setupSections(setup: Setup, only?: string[]) {
  return setup.sections
    .filter((s) => !only || only.includes(s.id))
    .map(
      (s) => html`<h3>${s.title}</h3>${s.description ? html`<p>${s.description}</p>` : ""}
${s.filename && s.content ? html`<p class="mono">${s.filename}</p>${copyBlock(s.content, `${s.title}: ${s.filename}`)}` : ""}
${s.commands.map((cmd, i) => copyBlock(cmd, `${s.title} command ${i + 1}`))}`,
    );
}

const OCI = ["docker", "helm"];

export async function repoPage(c: Context<AppEnv>, ctx: PageCtx) {
  const id = c.req.param("id")!;
  const url = new URL(c.req.url);
  const search = url.searchParams.get("search") ?? "";
  const sort = url.searchParams.get("sort") ?? "name";
  const cursor = url.searchParams.get("cursor");
  const repo = await callApi(c, `/api/v1/repos/${enc(id)}`);
  const oci = OCI.includes(repo.format);
  const q = new URLSearchParams({ limit: "25", ...(search ? { search } : {}), ...(cursor ? { cursor } : {}) });
  if (oci) q.set("sort", ["name", "-name", "-updated"].includes(sort) ? sort : "name");
  const [project, listing, setup, perms, starred] = await Promise.all([
    tryApi(c, `/api/v1/projects/${enc(repo.project_id)}`),
    callApi<{ items: any[]; next_cursor: string | null }>(c, `/api/v1/repos/${enc(id)}/${oci ? "images" : "packages"}?${q}`),
    callApi<Setup>(c, `/api/v1/repos/${enc(id)}/client-setup`),
    tryApi<{ items: { delegate_type: string; delegate_id: string; role: string }[] }>(c, `/api/v1/repos/${enc(id)}/permissions`),
    callApi<{ items: { repo: { id: string } }[] }>(c, "/api/v1/user/starred"),
  ]);
  const isStarred = starred.items.some((s) => s.repo.id === id);
  let items = listing.items;
  // Packages come oldest first from the API; "name" sorts the page shown.
  if (!oci && sort === "name") items = [...items].sort((a, b) => String(a.name).localeCompare(String(b.name)));

  const sortChoices = oci ? [["name", "Name A–Z"], ["-name", "Name Z–A"], ["-updated", "Recently updated"]] : [["created", "Oldest first"], ["name", "Name A–Z (this page)"]];
  const rows = oci
    ? items.map((i) => html`<tr><td><a href="/ui/repos/${enc(id)}/images/${enc(i.name)}">${i.name}</a></td><td class="num">${i.tags}</td><td class="num">${i.manifests}</td><td>${when(i.updated_at)}</td></tr>`)
    : items.map((p) => html`<tr><td><a href="/ui/repos/${enc(id)}/packages/${enc(p.name)}">${p.name}</a></td><td>${p.description ?? ""}</td><td>${when(p.updated_at)}</td></tr>`);
  const crumbs: [string, string][] = [["Projects", "/ui"], ...(project ? ([[project.slug, `/ui/projects/${project.id}`]] as [string, string][]) : []), [repo.slug, ""]];

  const body = html`<h1>${repo.slug} <span class="pill">${repo.format}</span> <span class="pill">${repo.visibility}</span></h1>
${repo.description ? html`<p>${repo.description}</p>` : ""}
<p>${isStarred
    ? html`<button type="button" class="secondary" data-api="/api/v1/user/starred/${enc(id)}" data-method="DELETE" aria-pressed="true">★ Starred</button>`
    : html`<button type="button" class="secondary" data-api="/api/v1/user/starred" data-method="POST" data-body="${JSON.stringify({ repo_id: id })}" aria-pressed="false">☆ Star</button>`}</p>

<section aria-labelledby="list-h"><h2 id="list-h">${oci ? "Images" : "Packages"}</h2>
<form class="inline" method="get" action="/ui/repos/${enc(id)}" role="search" aria-label="Search ${oci ? "images" : "packages"}">
  <label>Name contains <input type="search" name="search" value="${search}"></label>
  <label>Sort <select name="sort">${sortChoices.map(([v, l]) => html`<option value="${v}" ${v === sort ? "selected" : ""}>${l}</option>`)}</select></label>
  <button type="submit">Apply</button>
</form>
${table(oci ? "Images" : "Packages", oci ? ["Image", "Tags", "Manifests", "Updated"] : ["Package", "Description", "Updated"], rows, search ? "Nothing matches." : "Nothing pushed yet: see “Use this repository” below.")}
${pager(url, listing.next_cursor)}
</section>

<section aria-labelledby="setup-h"><h2 id="setup-h">Use this repository</h2>
<p class="muted">Replace <code>&lt;TOKEN&gt;</code> with a token: <a href="/ui/tokens">create one</a>.</p>
${setupSections(setup)}
</section>

${perms
  ? html`<section aria-labelledby="perm-h"><h2 id="perm-h">Permissions on this repository</h2>
<p class="muted">These add to project roles; the highest applies.</p>
${table(
  "Repository permissions",
  ["Granted to", "Type", "Role", ""],
  perms.items.map(
    (p) => html`<tr><td class="mono break">${p.delegate_id}</td><td>${p.delegate_type}</td><td>${p.role}</td><td><button type="button" class="secondary" data-api="/api/v1/repos/${enc(id)}/permissions/${enc(p.delegate_type)}/${enc(p.delegate_id)}" data-method="DELETE" data-confirm="Remove this permission?">Remove</button></td></tr>`,
  ),
  "No repository-level permissions.",
)}
<form class="inline" data-api="/api/v1/repos/${enc(id)}/permissions/{delegate_type}/{delegate}" data-method="PUT" aria-label="Grant a permission">
  <label>Type <select name="delegate_type" data-path-only>${roleOptions(["user", "team", "service_account"], "user")}</select></label>
  <label>Name or id <input name="delegate" required data-path-only autocomplete="off"></label>
  <label>Role <select name="role">${roleOptions(["read", "write", "admin"], "read")}</select></label>
  <button type="submit">Grant</button>
</form>
<form class="inline" method="get" action="/ui/repos/${enc(id)}/access" aria-label="Explain a user's access">
  <label>Why can this user… (user name or id) <input name="user" required autocomplete="off"></label>
  <button type="submit" class="secondary">Explain</button>
</form></section>`
  : ""}`;
  return render(c, ctx, { title: repo.slug, crumbs, body });
}

/** The transitive-permissions view of one user on one repo. */
export async function accessPage(c: Context<AppEnv>, ctx: PageCtx) {
  const id = c.req.param("id")!;
  const user = new URL(c.req.url).searchParams.get("user") ?? ctx.me.id;
  const [repo, t] = await Promise.all([callApi(c, `/api/v1/repos/${enc(id)}`), callApi(c, `/api/v1/repos/${enc(id)}/permissions/user/${enc(user)}/transitive`)]);
  const body = html`<h1>Access of ${t.username} to ${repo.slug}</h1>
<p>Effective role: <strong>${t.role ?? "none"}</strong>${t.actions.length ? html` — may ${t.actions.join(", ")}` : ""}.</p>
${table(
  "Where it comes from",
  ["Source", "Role", "Team"],
  t.sources.map((s: any) => html`<tr><td>${s.source}</td><td>${s.role}</td><td>${s.team?.name ?? "—"}</td></tr>`),
  "No grant applies: this user can't reach the repository.",
)}
<p><a href="/ui/repos/${enc(id)}">Back to the repository</a></p>`;
  return render(c, ctx, { title: `Access to ${repo.slug}`, crumbs: [["Projects", "/ui"], [repo.slug, `/ui/repos/${id}`], ["Access", ""]], body });
}
