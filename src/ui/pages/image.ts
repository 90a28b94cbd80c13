/**
 * An image: its tags (digest, platforms, size) with a copyable pull command each, one
 * manifest in detail (layers, config, labels, referrers: signatures, SBOMs,
 * attestations), and the tag history with "restore" buttons (the time machine).
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import { callApi, tryApi } from "../api-client";
import { html } from "../layout";
import { render, type PageCtx } from "../page-context";
import { bytes, copyBlock, enc, shortDigest, table, when } from "../widgets";

export async function imagePage(c: Context<AppEnv>, ctx: PageCtx) {
  const id = c.req.param("id")!;
  const image = decodeURIComponent(c.req.param("image")!);
  const url = new URL(c.req.url);
  const [repo, tags, history] = await Promise.all([
    callApi(c, `/api/v1/repos/${enc(id)}`),
    callApi<{ items: any[] }>(c, `/api/v1/repos/${enc(id)}/images/${enc(image)}/tags?limit=100`),
    callApi<{ items: any[] }>(c, `/api/v1/repos/${enc(id)}/tag_history?image=${enc(image)}&limit=100`),
  ]);
  const digest = url.searchParams.get("digest") ?? tags.items[0]?.digest;
  const first = tags.items.find((t) => t.digest === digest) ?? tags.items[0];
  const [manifest, pull, canWrite] = await Promise.all([
    digest ? callApi(c, `/api/v1/repos/${enc(id)}/images/${enc(image)}/manifests/${enc(digest)}`) : null,
    callApi<{ sections: { id: string; commands: string[] }[] }>(c, `/api/v1/repos/${enc(id)}/client-setup?artifact=${enc(image)}&version=${enc(first?.tag ?? "latest")}`),
    tryApi(c, `/api/v1/repos/${enc(id)}/permissions/user/${enc(ctx.me.id)}/transitive`),
  ]);
  const writable = !!canWrite && (canWrite.actions as string[]).includes("write");
  const current = new Map(tags.items.map((t) => [t.tag, t.digest]));
  const pullCmd = pull.sections.find((s) => s.id === "pull")?.commands[0] ?? "";
  const tagPull = (tag: string) => pullCmd.replace(/:[^:/\s]+$/, `:${tag}`);

  const body = html`<h1 class="break">${image}</h1>
<p class="muted">in <a href="/ui/repos/${enc(id)}">${repo.slug}</a></p>
${first ? html`<h2>Pull</h2>${copyBlock(tagPull(first.tag), `pull command for ${image}:${first.tag}`)}` : ""}

<section aria-labelledby="tags-h"><h2 id="tags-h">Tags</h2>
${table(
  "Tags",
  ["Tag", "Digest", "Platforms", "Size", "Updated", ""],
  tags.items.map(
    (t) => html`<tr><td><strong>${t.tag}</strong></td><td class="mono"><a href="?digest=${enc(t.digest)}" title="${t.digest}">${shortDigest(t.digest)}</a></td><td>${t.platforms.length ? t.platforms.map((p: any) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`).join(", ") : t.artifact_type && !t.artifact_type.includes("image.config") ? t.artifact_type : "single"}</td><td class="num">${bytes(t.size)}</td><td>${when(t.updated_at)}</td><td>${copyBlock(tagPull(t.tag), `pull command for tag ${t.tag}`)}</td></tr>`,
  ),
)}
</section>

${manifest ? manifestSection(manifest) : ""}

<section aria-labelledby="hist-h"><h2 id="hist-h">Tag history (14 days)</h2>
${table(
  "Tag history",
  ["When", "Tag", "Change", "Digest", "By", ""],
  history.items.map(
    (h) => html`<tr><td>${when(h.created_at)}</td><td>${h.tag}</td><td>${h.action}</td><td class="mono" title="${h.digest ?? ""}">${h.digest ? shortDigest(h.digest) : "—"}${h.previous_digest ? html`<br><span class="muted">was ${shortDigest(h.previous_digest)}</span>` : ""}</td><td>${h.actor_name ?? h.actor_type}</td><td>${writable && h.digest && current.get(h.tag) !== h.digest
      ? html`<button type="button" class="secondary" data-api="/api/v1/repos/${enc(id)}/tags/${enc(h.tag)}/restore" data-method="POST" data-body="${JSON.stringify({ image, manifest_digest: h.digest })}" data-confirm="Point ${h.tag} at ${shortDigest(h.digest)}?" aria-label="Restore ${h.tag} to ${shortDigest(h.digest)}">Restore</button>`
      : ""}</td></tr>`,
  ),
  "No tag changes in the last 14 days.",
)}
</section>`;
  return render(c, ctx, { title: image, crumbs: [["Projects", "/ui"], [repo.slug, `/ui/repos/${id}`], [image, ""]], body });
}

function manifestSection(m: any) {
  const facts: [string, unknown][] = [
    ["Digest", m.digest],
    ["Media type", m.media_type],
    ["Artifact type", m.artifact_type ?? "—"],
    ["Size (with layers)", bytes(m.total_size)],
    ["Platform", m.os ? `${m.os}/${m.architecture}` : m.manifests.length ? `${m.manifests.length} platforms` : "—"],
    ["Built", m.created ?? "—"],
    ["Tags", m.tags.join(", ") || "untagged"],
    ["Refers to", m.subject ?? "—"],
  ];
  const labels = [
    ...m.labels.map((l: any) => [l.key, l.value, l.source === "manifest" ? "annotation" : "label"]),
    ...Object.entries(m.config_labels).map(([k, v]) => [k, v, "image config"]),
  ];
  return html`<section aria-labelledby="man-h"><h2 id="man-h">Manifest ${shortDigest(m.digest)}</h2>
<dl class="facts">${facts.map(([k, v]) => html`<dt>${k}</dt><dd class="${k === "Digest" || k === "Refers to" ? "mono" : ""}">${String(v)}</dd>`)}</dl>
${m.manifests.length
  ? table("Platforms", ["Platform", "Digest", "Size"], m.manifests.map((x: any) => html`<tr><td>${x.platform ? `${x.platform.os}/${x.platform.architecture}${x.platform.variant ? `/${x.platform.variant}` : ""}` : "—"}</td><td class="mono" title="${x.digest}">${shortDigest(x.digest)}</td><td class="num">${bytes(x.size)}</td></tr>`))
  : table("Layers", ["#", "Digest", "Size", "Media type"], m.layers.map((l: any, i: number) => html`<tr><td>${i + 1}</td><td class="mono" title="${l.digest}">${shortDigest(l.digest)}</td><td class="num">${bytes(l.size)}</td><td class="break">${l.media_type}</td></tr>`))}
<h3>Labels</h3>
${table("Labels", ["Key", "Value", "From"], labels.map(([k, v, s]) => html`<tr><td class="break">${k}</td><td class="break">${v}</td><td>${s}</td></tr>`), "No labels.")}
<h3>Referrers (signatures, SBOMs, attestations)</h3>
${table("Referrers", ["Artifact type", "Digest", "Size"], m.referrers.map((r: any) => html`<tr><td class="break">${r.artifact_type ?? r.media_type}</td><td class="mono" title="${r.digest}">${shortDigest(r.digest)}</td><td class="num">${bytes(r.size)}</td></tr>`), "Nothing refers to this manifest.")}
</section>`;
}
