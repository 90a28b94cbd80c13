/**
 * Small pieces the pages share: sizes and times for people, a copyable command, a
 * table that scrolls sideways on a narrow screen, a cursor pager, and the section a
 * page shows only when the API let the viewer see it.
 * Invariant: everything goes through the escaping `html` template.
 */
import { html, type Html } from "./layout";

export function bytes(n: number | null | undefined): string {
  if (n == null) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export const when = (iso: string | null | undefined) => (iso ? html`<time datetime="${iso}">${iso.replace("T", " ").replace(/\.\d+Z$/, " UTC")}</time>` : "—");
export const shortDigest = (d: string) => (d.startsWith("sha256:") ? `${d.slice(7, 19)}…` : d);

let seq = 0;
/** A command (or file) with a Copy button; `label` names it for screen readers. */
export function copyBlock(text: string, label: string): Html {
  const id = `copy-${++seq}`;
  return html`<div class="copy-row"><pre id="${id}" tabindex="0" aria-label="${label}">${text}</pre><button type="button" class="secondary" data-copy="${id}" aria-label="Copy ${label}">Copy</button></div>`;
}

export function table(caption: string, head: string[], rows: Html[], empty = "Nothing here yet."): Html {
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<div class="table-wrap" role="region" aria-label="${caption}" tabindex="0"><table><caption class="muted">${caption}</caption><thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** A "next page" link keeping the current query but the cursor. */
export function pager(url: URL, nextCursor: string | null): Html {
  const hasPrev = url.searchParams.has("cursor");
  if (!nextCursor && !hasPrev) return html``;
  const first = new URL(url);
  first.searchParams.delete("cursor");
  const next = new URL(url);
  if (nextCursor) next.searchParams.set("cursor", nextCursor);
  return html`<nav class="pager" aria-label="Pages">${hasPrev ? html`<a href="${first.pathname}${first.search}">First page</a>` : ""}${nextCursor ? html`<a href="${next.pathname}${next.search}" rel="next">Next page</a>` : ""}</nav>`;
}

export const roleOptions = (roles: readonly string[], selected?: string | null) => roles.map((r) => html`<option value="${r}" ${r === selected ? "selected" : ""}>${r}</option>`);

/** Joins path segments for links, encoding each. */
export const enc = encodeURIComponent;
