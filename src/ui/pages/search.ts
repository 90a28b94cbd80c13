/**
 * Search everything the viewer may read (`/api/v1/search` as a page): projects,
 * repositories, packages (by name, description and keywords), versions, images and tags,
 * best first, each linking to its own page. The API decides what the viewer sees, so a
 * result here is never one the API would not answer.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import { ApiError, callApi } from "../api-client";
import { html } from "../layout";
import { render, type PageCtx } from "../page-context";
import { enc, pager, table } from "../widgets";

const KINDS = [
  ["", "Everything"],
  ["package", "Packages"],
  ["image", "Images"],
  ["version", "Versions"],
  ["tag", "Tags"],
  ["repo", "Repositories"],
  ["project", "Projects"],
] as const;

interface Hit {
  kind: string;
  name: string;
  description: string;
  project_id: string;
  project_slug: string;
  repo_id: string | null;
  repo_slug: string | null;
  format: string | null;
}

/** Where a result lives in the UI: a version on its package's page, a tag on its image's. */
function hrefOf(h: Hit): string {
  const repo = `/ui/repos/${enc(h.repo_id ?? "")}`;
  const before = (sep: string) => h.name.slice(0, Math.max(h.name.lastIndexOf(sep), 1));
  switch (h.kind) {
    case "project":
      return `/ui/projects/${enc(h.project_id)}`;
    case "repo":
      return repo;
    case "package":
      return `${repo}/packages/${enc(h.name)}`;
    case "version":
      return `${repo}/packages/${enc(before("@"))}`;
    case "image":
      return `${repo}/images/${enc(h.name)}`;
    default:
      return `${repo}/images/${enc(before(":"))}`;
  }
}

export async function searchPage(c: Context<AppEnv>, ctx: PageCtx) {
  const url = new URL(c.req.url);
  const text = (url.searchParams.get("q") ?? "").trim();
  const kind = KINDS.some(([k]) => k === url.searchParams.get("kind")) ? url.searchParams.get("kind")! : "";
  let results: { items: Hit[]; next_cursor: string | null } | null = null;
  let problem: string | null = null;
  if (text) {
    const q = new URLSearchParams({ q: text, limit: "50" });
    if (kind) q.set("kind", kind);
    const cursor = url.searchParams.get("cursor");
    if (cursor) q.set("cursor", cursor);
    try {
      results = await callApi(c, `/api/v1/search?${q}`);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 400) throw e;
      problem = e.message;
    }
  }
  const body = html`<h1>Search</h1>
<form class="inline" method="get" action="/ui/search" role="search" aria-label="Search everything you may read">
<label>Name, description or keyword <input type="search" name="q" value="${text}" minlength="2" maxlength="200" required autocomplete="off"></label>
<label>Kind <select name="kind">${KINDS.map(([k, label]) => html`<option value="${k}" ${k === kind ? "selected" : ""}>${label}</option>`)}</select></label>
<button type="submit">Search</button>
</form>
${problem ? html`<p role="alert">${problem}</p>` : ""}
${results
  ? html`${table(
      `Results for ${text}, best first`,
      ["Name", "Kind", "Where", "Found by"],
      results.items.map(
        (h) =>
          html`<tr><td><a href="${hrefOf(h)}">${h.name}</a></td><td>${h.kind}${h.format ? html` <span class="pill">${h.format}</span>` : ""}</td><td class="mono">${h.project_slug}${h.repo_slug ? `/${h.repo_slug}` : ""}</td><td>${h.description}</td></tr>`,
      ),
      "Nothing you may read matches.",
    )}
${pager(url, results.next_cursor)}`
  : ""}`;
  return render(c, ctx, { title: text ? `Search: ${text}` : "Search", crumbs: [["Projects", "/ui"], ["Search", ""]], body });
}
