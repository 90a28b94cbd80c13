/** A team: members (add, remove) and the repo permissions it holds. */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import { callApi } from "../api-client";
import { html } from "../layout";
import { render, type PageCtx } from "../page-context";
import { enc, table, when } from "../widgets";

export async function teamPage(c: Context<AppEnv>, ctx: PageCtx) {
  const pid = c.req.param("id")!;
  const tname = c.req.param("team")!;
  const base = `/api/v1/projects/${enc(pid)}/teams/${enc(tname)}`;
  const [project, team, members, perms] = await Promise.all([callApi(c, `/api/v1/projects/${enc(pid)}`), callApi(c, base), callApi(c, `${base}/members`), callApi(c, `${base}/permissions`)]);
  const body = html`<h1>Team ${team.name}</h1>
<p>Project role of every member: <strong>${team.role ?? "none"}</strong>. ${team.description}</p>
<h2>Members</h2>
${table(
  "Members",
  ["User", "Joined", "How", ""],
  members.items.map(
    (m: any) => html`<tr><td>${m.username}</td><td>${when(m.created_at)}</td><td>${m.source === "oidc" ? "sign-in groups" : "added by an admin"}</td><td><button type="button" class="secondary" data-api="${base}/members/${enc(m.user_id)}" data-method="DELETE" data-confirm="Remove ${m.username} from ${team.name}?">Remove</button></td></tr>`,
  ),
  "No members yet.",
)}
<form class="inline" data-api="${base}/members/{user}" data-method="PUT" aria-label="Add a member">
  <label>User name or id <input name="user" required data-path-only autocomplete="off"></label>
  <button type="submit">Add member</button>
</form>
<h2>Repository permissions</h2>
${table("Repository permissions", ["Repository", "Role"], perms.items.map((p: any) => html`<tr><td><a href="/ui/repos/${enc(p.repo_id)}">${p.repo_id}</a></td><td>${p.role}</td></tr>`), "This team holds no repository permissions.")}`;
  return render(c, ctx, { title: `Team ${team.name}`, crumbs: [["Projects", "/ui"], [project.slug, `/ui/projects/${pid}`], [team.name, ""]], body });
}
