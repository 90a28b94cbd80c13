/**
 * A package: its versions with files (size, digest), licence when the metadata names
 * one, the install command for its format (from client set-up) with a copy button,
 * and yank/deprecate for those who may write.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import { callApi, tryApi } from "../api-client";
import { html } from "../layout";
import { render, type PageCtx } from "../page-context";
import { bytes, copyBlock, enc, pager, shortDigest, table, when } from "../widgets";
import { setupSections, type Setup } from "./repo";

function licenceOf(meta: Record<string, unknown>): string | null {
  const l = meta.license ?? meta.licence ?? (meta.info as Record<string, unknown> | undefined)?.license;
  if (typeof l === "string" && l) return l;
  if (l && typeof l === "object" && typeof (l as { type?: unknown }).type === "string") return (l as { type: string }).type;
  return null;
}

/** Generic files are fetched by their own path: one command per file of the latest version. */
function downloads(setup: Setup & { registry_url?: string; anonymous_read?: boolean }, versions: any[]) {
  const files: { name: string }[] = versions[versions.length - 1]?.files ?? [];
  const auth = setup.anonymous_read ? "" : ' -H "Authorization: Bearer <TOKEN>"';
  return files.map((f) => copyBlock(`curl -fO${auth} ${setup.registry_url ?? ""}${f.name.split("/").map(encodeURIComponent).join("/")}`, `download command for ${f.name}`));
}

export async function packagePage(c: Context<AppEnv>, ctx: PageCtx) {
  const id = c.req.param("id")!;
  const name = decodeURIComponent(c.req.param("name")!);
  const url = new URL(c.req.url);
  const cursor = url.searchParams.get("cursor");
  const [repo, page] = await Promise.all([
    callApi(c, `/api/v1/repos/${enc(id)}`),
    callApi(c, `/api/v1/repos/${enc(id)}/packages/${enc(name)}/versions?limit=50${cursor ? `&cursor=${enc(cursor)}` : ""}`),
  ]);
  const versions: any[] = page.items;
  const latest = versions[versions.length - 1]?.version ?? "";
  const [setup, access] = await Promise.all([
    callApi<Setup>(c, `/api/v1/repos/${enc(id)}/client-setup?artifact=${enc(page.package.name)}&version=${enc(latest)}`),
    tryApi(c, `/api/v1/repos/${enc(id)}/permissions/user/${enc(ctx.me.id)}/transitive`),
  ]);
  const writable = !!access && (access.actions as string[]).includes("write");
  const licence = versions.map((v) => licenceOf(v.metadata)).filter(Boolean).pop() ?? null;
  const api = `/api/v1/repos/${enc(id)}/packages/${enc(name)}/versions`;

  const body = html`<h1 class="break">${page.package.name}</h1>
<p class="muted">in <a href="/ui/repos/${enc(id)}">${repo.slug}</a> (${repo.format})</p>
${page.package.description ? html`<p>${page.package.description}</p>` : ""}
<dl class="facts"><dt>Licence</dt><dd>${licence ?? "not stated"}</dd><dt>Latest</dt><dd>${latest || "—"}</dd></dl>
<section aria-labelledby="install-h"><h2 id="install-h">Install</h2>${repo.format === "generic" ? downloads(setup, versions) : setupSections(setup, ["install", "pull", "download", "dependency", "get", "fetch"])}</section>
<section aria-labelledby="versions-h"><h2 id="versions-h">Versions</h2>
${versions
  .slice()
  .reverse()
  .map(
    (v) => html`<article class="card" aria-labelledby="v-${v.id}"><h3 id="v-${v.id}">${v.version} ${v.yanked !== null ? html`<span class="pill">yanked${v.yanked ? `: ${v.yanked}` : ""}</span>` : ""} ${v.deprecated ? html`<span class="pill">deprecated: ${v.deprecated}</span>` : ""}</h3>
<p class="muted">Published ${when(v.created_at)}</p>
${table(`Files of ${v.version}`, ["File", "Size", "Digest"], v.files.map((f: any) => html`<tr><td class="break">${f.name}</td><td class="num">${bytes(f.size)}</td><td class="mono" title="${f.digest}">${shortDigest(f.digest)}</td></tr>`), "No files.")}
${writable
  ? html`<div class="copy-row">
${v.yanked === null
  ? html`<form class="inline" data-api="${api}/${enc(v.version)}" data-method="PATCH" aria-label="Yank ${v.version}"><label>Yank reason <input name="yanked" autocomplete="off"></label><button type="submit" class="secondary">Yank</button></form>`
  : html`<button type="button" class="secondary" data-api="${api}/${enc(v.version)}" data-method="PATCH" data-body='{"yanked":null}'>Unyank</button>`}
${v.deprecated
  ? html`<button type="button" class="secondary" data-api="${api}/${enc(v.version)}" data-method="PATCH" data-body='{"deprecated":null}'>Undeprecate</button>`
  : html`<form class="inline" data-api="${api}/${enc(v.version)}" data-method="PATCH" aria-label="Deprecate ${v.version}"><label>Deprecation message <input name="deprecated" required autocomplete="off"></label><button type="submit" class="secondary">Deprecate</button></form>`}
</div>`
  : ""}
</article>`,
  )}
${pager(url, page.next_cursor)}
</section>`;
  return render(c, ctx, { title: page.package.name, crumbs: [["Projects", "/ui"], [repo.slug, `/ui/repos/${id}`], [page.package.name, ""]], body });
}
