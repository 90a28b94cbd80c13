/**
 * The Simple Repository API as pure functions: content negotiation (PEP 691) and the
 * HTML (PEP 503) and JSON (PEP 691, api-version 1.1 with PEP 700 fields) renderings.
 *
 * Invariants:
 * - Both renderings carry the same facts: file URL with `#sha256=` (HTML) or `hashes`
 *   (JSON), requires-python, yanked (PEP 592), core metadata hash (PEP 658/714).
 * - PEP 714: HTML carries `data-core-metadata` and the legacy `data-dist-info-metadata`
 *   (same value); JSON carries `core-metadata` only, never `dist-info-metadata`.
 * - A JSON project page's `name` is the PEP 503 normalized name (PEP 691).
 * - Everything user-supplied that lands in HTML is escaped.
 */
import { RegistryError } from "../../core/errors";
import { normalizeName } from "./names";

export const JSON_V1 = "application/vnd.pypi.simple.v1+json";
export const HTML_V1 = "application/vnd.pypi.simple.v1+html";
export const API_VERSION = "1.1";

export type Rendering = { kind: "json"; contentType: string } | { kind: "html"; contentType: string };

const OFFERS: Record<string, Rendering> = {
  [JSON_V1]: { kind: "json", contentType: JSON_V1 },
  "application/vnd.pypi.simple.latest+json": { kind: "json", contentType: JSON_V1 },
  [HTML_V1]: { kind: "html", contentType: HTML_V1 },
  "application/vnd.pypi.simple.latest+html": { kind: "html", contentType: HTML_V1 },
  "text/html": { kind: "html", contentType: "text/html; charset=utf-8" },
  "*/*": { kind: "html", contentType: "text/html; charset=utf-8" },
  "text/*": { kind: "html", contentType: "text/html; charset=utf-8" },
  "application/*": { kind: "json", contentType: JSON_V1 },
};

/** Picks the rendering the client prefers (highest q, then the order it listed); HTML by default. */
export function negotiate(accept: string | undefined | null, format?: string | null): Rendering {
  if (format) {
    const offer = OFFERS[format.toLowerCase()];
    if (!offer) throw notAcceptable();
    return offer;
  }
  if (!accept || !accept.trim()) return OFFERS["text/html"]!;
  let best: { r: Rendering; q: number } | null = null;
  for (const item of accept.split(",")) {
    const [type, ...params] = item.split(";").map((s) => s.trim());
    const offer = OFFERS[(type ?? "").toLowerCase()];
    const qParam = params.find((p) => /^q=/i.test(p));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!offer || !(q > 0)) continue;
    if (!best || q > best.q) best = { r: offer, q };
  }
  if (!best) throw notAcceptable();
  return best.r;
}

const notAcceptable = () =>
  new RegistryError("NotAcceptableContentType", `none of the requested content types is available (offered: ${JSON_V1}, ${HTML_V1}, text/html)`);

export interface SimpleFile {
  filename: string;
  url: string;
  sha256: string;
  size: number;
  uploadTime: number;
  requiresPython?: string | null;
  /** null: not yanked; "" yanked without a reason. */
  yanked: string | null;
  /** sha256 hex of the core metadata file, when one is served. */
  coreMetadataSha256?: string | null;
}

export interface SimpleProject {
  /** The display name (HTML title); JSON carries the PEP 503 normalized name (PEP 691). */
  name: string;
  versions: string[];
  files: SimpleFile[];
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

const page = (title: string, body: string) =>
  `<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="${API_VERSION}">\n    <title>${esc(title)}</title>\n  </head>\n  <body>\n${body}  </body>\n</html>\n`;

export function projectListHtml(projects: { name: string; normalized: string }[]) {
  return page(
    "Simple index",
    projects.map((p) => `    <a href="${esc(p.normalized)}/">${esc(p.name)}</a><br/>\n`).join(""),
  );
}

export function projectListJson(projects: { name: string }[]) {
  return { meta: { "api-version": API_VERSION }, projects: projects.map((p) => ({ name: p.name })) };
}

export function projectHtml(p: SimpleProject) {
  const links = p.files.map((f) => {
    const attrs = [`href="${esc(`${f.url}#sha256=${f.sha256}`)}"`];
    if (f.requiresPython) attrs.push(`data-requires-python="${esc(f.requiresPython)}"`);
    if (f.yanked !== null) attrs.push(`data-yanked="${esc(f.yanked)}"`);
    if (f.coreMetadataSha256) {
      attrs.push(`data-dist-info-metadata="sha256=${f.coreMetadataSha256}"`, `data-core-metadata="sha256=${f.coreMetadataSha256}"`);
    }
    return `    <a ${attrs.join(" ")}>${esc(f.filename)}</a><br/>\n`;
  });
  return page(`Links for ${p.name}`, `    <h1>Links for ${esc(p.name)}</h1>\n${links.join("")}`);
}

export function projectJson(p: SimpleProject) {
  return {
    meta: { "api-version": API_VERSION },
    name: normalizeName(p.name),
    versions: p.versions,
    files: p.files.map((f) => {
      // PEP 714: JSON names the core metadata `core-metadata` only. pip 22.3–23.1 (Debian 12
      // ships 23.0.1) crash on a `dist-info-metadata` object (they hash it as a string), and
      // on `false`, so the key is omitted when there is no metadata file.
      const metadata = f.coreMetadataSha256 ? { "core-metadata": { sha256: f.coreMetadataSha256 } } : {};
      return {
        filename: f.filename,
        url: f.url,
        hashes: { sha256: f.sha256 },
        "requires-python": f.requiresPython ?? null,
        yanked: f.yanked === null ? false : f.yanked === "" ? true : f.yanked,
        ...metadata,
        size: f.size,
        "upload-time": new Date(f.uploadTime).toISOString(),
      };
    }),
  };
}
