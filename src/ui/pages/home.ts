/** Projects I can see, and my starred repositories. */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import { callApi } from "../api-client";
import { html } from "../layout";
import { render, type PageCtx } from "../page-context";

export async function homePage(c: Context<AppEnv>, ctx: PageCtx) {
  const [projects, starred] = await Promise.all([
    callApi<{ items: { id: string; slug: string; name: string; description: string }[] }>(c, "/api/v1/projects?limit=200"),
    callApi<{ items: { repo: { id: string; slug: string; format: string; project_id: string } }[] }>(c, "/api/v1/user/starred"),
  ]);
  const body = html`<h1>Projects</h1>
${projects.items.length
  ? html`<ul class="grid" role="list">${projects.items.map(
      (p) => html`<li class="card"><h2><a href="/ui/projects/${p.id}">${p.name || p.slug}</a></h2><p class="muted mono">${p.slug}</p><p>${p.description}</p></li>`,
    )}</ul>`
  : html`<p>You are not in any project yet. A project administrator can add you as a member.</p>`}
${ctx.me.can_create_projects
  ? html`<h2>New project</h2>
<form class="inline" data-api="/api/v1/projects" data-method="POST" data-then="go:/ui/projects/{id}">
  <label>Slug <input name="slug" required pattern="[a-z0-9][a-z0-9-]*" autocomplete="off"></label>
  <label>Name <input name="name" data-optional autocomplete="off"></label>
  <button type="submit">Create project</button>
</form>`
  : ""}
<h2>Starred repositories</h2>
${starred.items.length
  ? html`<ul>${starred.items.map((s) => html`<li><a href="/ui/repos/${s.repo.id}">${s.repo.slug}</a> <span class="pill">${s.repo.format}</span></li>`)}</ul>`
  : html`<p class="muted">No starred repositories. Star one from its page.</p>`}`;
  return render(c, ctx, { title: "Projects", body });
}
