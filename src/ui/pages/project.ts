/**
 * A project: its repositories, storage quota, and — for its admins — members, teams,
 * service accounts and default permissions. Sections the viewer may not see are left
 * out (the API answered 403).
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import { callApi, tryApi } from "../api-client";
import { html } from "../layout";
import { render, type PageCtx } from "../page-context";
import { bytes, enc, roleOptions, table, when } from "../widgets";
import { ROLES } from "../../core/vocabulary";
import { REPO_FORMATS } from "../../formats";

interface Repo { id: string; slug: string; format: string; visibility: string; description: string; updated_at: string }

export async function projectPage(c: Context<AppEnv>, ctx: PageCtx) {
  const id = c.req.param("id")!;
  const [project, repos, quota, members, teams, sas, protos] = await Promise.all([
    callApi(c, `/api/v1/projects/${enc(id)}`),
    callApi<{ items: Repo[] }>(c, `/api/v1/repos?project_id=${enc(id)}&limit=500`),
    tryApi(c, `/api/v1/projects/${enc(id)}/quota`),
    tryApi<{ items: { principal_type: string; principal_id: string; role: string }[] }>(c, `/api/v1/projects/${enc(id)}/members`),
    tryApi<{ items: { id: string; name: string; role: string | null; description: string }[] }>(c, `/api/v1/projects/${enc(id)}/teams?limit=500`),
    tryApi<{ items: { id: string; name: string; role: string }[] }>(c, `/api/v1/projects/${enc(id)}/service_accounts?limit=500`),
    tryApi<{ items: { id: string; delegate_type: string; delegate_id: string; role: string; activating_user_id: string | null }[] }>(c, `/api/v1/projects/${enc(id)}/prototypes`),
  ]);
  const admin = members !== null;
  const teamName = new Map((teams?.items ?? []).map((t) => [t.id, t.name]));
  const saName = new Map((sas?.items ?? []).map((s) => [s.id, s.name]));
  const delegateName = (type: string, did: string) => (type === "team" ? teamName.get(did) : type === "service_account" ? saName.get(did) : null) ?? did;

  const body = html`<h1>${project.name || project.slug}</h1>
<p class="muted mono">${project.slug}</p>${project.description ? html`<p>${project.description}</p>` : ""}
<p><a href="/ui/audit?project_id=${enc(id)}">Audit log of this project</a></p>

<section aria-labelledby="repos-h"><h2 id="repos-h">Repositories</h2>
${table(
  "Repositories",
  ["Repository", "Format", "Visibility", "Updated"],
  repos.items.map((r) => html`<tr><td><a href="/ui/repos/${r.id}">${r.slug}</a>${r.description ? html`<br><span class="muted">${r.description}</span>` : ""}</td><td>${r.format}</td><td>${r.visibility}</td><td>${when(r.updated_at)}</td></tr>`),
  "No repositories yet.",
)}
${admin
  ? html`<form class="inline" data-api="/api/v1/repos" data-method="POST" data-then="go:/ui/repos/{id}" aria-label="New repository">
  <input type="hidden" name="project_id" value="${id}">
  <label>Repository name <input name="slug" required autocomplete="off" pattern="[a-z0-9][a-z0-9._-]*"></label>
  <label>Format <select name="format">${roleOptions(REPO_FORMATS, "docker")}</select></label>
  <label>Visibility <select name="visibility">${roleOptions(["private", "public"], "private")}</select></label>
  <button type="submit">Create repository</button>
</form>`
  : ""}
</section>

${quota ? quotaSection(quota) : ""}

${admin
  ? html`<section aria-labelledby="members-h"><h2 id="members-h">Members</h2>
${table(
  "Members",
  ["Who", "Type", "Role", ""],
  members!.items.map(
    (m) => html`<tr><td class="mono break">${m.principal_type === "service_account" ? saName.get(m.principal_id) ?? m.principal_id : m.principal_id}</td><td>${m.principal_type}</td><td>${m.role}</td><td>${m.principal_type === "user" ? html`<button type="button" class="secondary" data-api="/api/v1/projects/${enc(id)}/members/user/${enc(m.principal_id)}" data-method="DELETE" data-confirm="Remove this member?">Remove</button>` : ""}</td></tr>`,
  ),
)}
<form class="inline" data-api="/api/v1/projects/${enc(id)}/members" data-method="PUT" aria-label="Add or change a member">
  <input type="hidden" name="principal_type" value="user">
  <label>User id <input name="principal_id" required autocomplete="off"></label>
  <label>Role <select name="role">${roleOptions(ROLES, "reader")}</select></label>
  <button type="submit">Set role</button>
</form></section>

<section aria-labelledby="teams-h"><h2 id="teams-h">Teams</h2>
${table(
  "Teams",
  ["Team", "Project role", "Description"],
  (teams?.items ?? []).map((t) => html`<tr><td><a href="/ui/projects/${enc(id)}/teams/${enc(t.name)}">${t.name}</a></td><td>${t.role ?? "none (repo permissions only)"}</td><td>${t.description}</td></tr>`),
  "No teams yet.",
)}
<form class="inline" data-api="/api/v1/projects/${enc(id)}/teams" data-method="POST" aria-label="New team">
  <label>Team name <input name="name" required autocomplete="off"></label>
  <label>Project role <select name="role" data-null><option value="">none</option>${roleOptions(ROLES)}</select></label>
  <button type="submit">Create team</button>
</form></section>

<section aria-labelledby="sa-h"><h2 id="sa-h">Service accounts</h2>
${table("Service accounts", ["Name", "Role"], (sas?.items ?? []).map((s) => html`<tr><td>${s.name}</td><td>${s.role}</td></tr>`), "No service accounts.")}
<form class="inline" data-api="/api/v1/projects/${enc(id)}/service_accounts" data-method="POST" aria-label="New service account">
  <label>Service account name <input name="name" required autocomplete="off"></label>
  <label>Role <select name="role">${roleOptions(ROLES, "reader")}</select></label>
  <button type="submit">Create service account</button>
</form></section>

<section aria-labelledby="proto-h"><h2 id="proto-h">Default permissions for new repositories</h2>
${table(
  "Default permissions",
  ["Granted to", "Type", "Role", "Only repos created by", ""],
  (protos?.items ?? []).map(
    (p) => html`<tr><td>${delegateName(p.delegate_type, p.delegate_id)}</td><td>${p.delegate_type}</td><td>${p.role}</td><td class="mono">${p.activating_user_id ?? "anyone"}</td><td><button type="button" class="secondary" data-api="/api/v1/projects/${enc(id)}/prototypes/${enc(p.id)}" data-method="DELETE" data-confirm="Remove this default permission?">Remove</button></td></tr>`,
  ),
  "None: new repositories get only project roles.",
)}
<form class="inline" data-api="/api/v1/projects/${enc(id)}/prototypes" data-method="POST" aria-label="New default permission">
  <label>Type <select name="delegate_type">${roleOptions(["team", "user", "service_account"], "team")}</select></label>
  <label>Team, user or service account (name or id) <input name="delegate" required autocomplete="off"></label>
  <label>Role <select name="role">${roleOptions(["read", "write", "admin"], "read")}</select></label>
  <button type="submit">Add default permission</button>
</form></section>`
  : ""}`;
  return render(c, ctx, { title: project.name || project.slug, crumbs: [["Projects", "/ui"], [project.slug, ""]], body });
}

function quotaSection(q: any) {
  const used = Number(q.usage?.used_bytes ?? 0);
  const limit = q.limit_bytes == null ? null : Number(q.limit_bytes);
  const pct = limit ? Math.min(100, Math.round((used / limit) * 100)) : null;
  return html`<section aria-labelledby="quota-h"><h2 id="quota-h">Storage</h2>
${limit
  ? html`<p><label for="quota-meter" class="check">${bytes(used)} of ${bytes(limit)} used (${pct} %)</label>
<meter id="quota-meter" class="meter" min="0" max="${limit}" value="${used}" low="${limit * 0.8}" high="${limit * 0.95}" optimum="0">${pct} %</meter></p>`
  : html`<p>${bytes(used)} used; no quota set.</p>`}
</section>`;
}
