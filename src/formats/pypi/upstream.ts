/**
 * A PyPI upstream repo (pypi.org or any PEP 503/691 index): project pages cached with the
 * repo's TTL, distribution files pulled through on first install.
 *
 * Invariants:
 * - The upstream's project page (PEP 691 JSON when it offers it, else PEP 503 HTML) is
 *   stored as the facts this index serves (file names, upstream URLs, sha256, requires-
 *   python, yanked) and rendered by simple.ts in the rendering the client negotiated,
 *   every file URL under this repo's `files/` (pip reuses the index credentials there).
 * - A file is pulled through only when the cached page lists it with a sha256, and is
 *   checked against it; it is then published into the repo (the version from its file
 *   name) and served by the local `files/` route.
 * - Upstream core-metadata files (PEP 658) are not advertised: pip reads a wheel's
 *   metadata from the wheel, which it downloads anyway.
 * - The project name passes the repo's name patterns before anything is fetched.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import type { OpenedRepo } from "../../services/projects";
import { assertNameAllowed, findFileByName, publishVersion, type IngestedBlob } from "../../services/artifacts";
import { UpstreamClient, cachedDocument, cacheArtifact, httpFetcher, pullThrough, type ArtifactSpec, type MirrorSupport, type VirtualSupport } from "../../services/proxy";
import type { Scope } from "../../services/scope";
import { cacheStateHeaders, sendStreamed } from "../../http/download";
import { RegistryError, notFound } from "../../core/errors";
import { distKind, normalizeName } from "./names";
import { JSON_V1, negotiate, projectHtml, projectJson, projectListHtml, projectListJson, type SimpleFile } from "./simple";

/** What the cache keeps of an upstream project page. */
interface UpstreamProject {
  name: string;
  files: { filename: string; url: string; sha256: string | null; requiresPython: string | null; yanked: string | null; size: number | null; uploadTime: string | null }[];
}

const ACCEPT = `${JSON_V1}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1`;
const WHEEL = /^([A-Za-z0-9._]+)-([^-]+)(?:-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$/;

/** The project and version a distribution file name states (wheel or sdist), or null. */
export function distributionOf(filename: string): { project: string; version: string } | null {
  const wheel = WHEEL.exec(filename);
  if (wheel) return { project: normalizeName(wheel[1]!), version: wheel[2]! };
  if (distKind(filename) !== "sdist") return null;
  const stem = filename.replace(/\.(tar\.gz|zip)$/, "");
  const dash = stem.lastIndexOf("-");
  return dash > 0 ? { project: normalizeName(stem.slice(0, dash)), version: stem.slice(dash + 1) } : null;
}

const decodeHtml = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");

/** Parses a PEP 691 JSON or PEP 503 HTML project page into what the cache keeps. */
export function parseProjectPage(bytes: Uint8Array, contentType: string | null, pageUrl: string, name: string): UpstreamProject {
  const text = new TextDecoder().decode(bytes);
  const files: UpstreamProject["files"] = [];
  if ((contentType ?? "").includes("json")) {
    let doc: { name?: string; files?: Record<string, unknown>[] };
    try {
      doc = JSON.parse(text);
    } catch {
      throw new RegistryError("UnavailableUpstreamInvalid", "the upstream's project page is not JSON");
    }
    for (const f of doc.files ?? []) {
      if (typeof f.filename !== "string" || typeof f.url !== "string") continue;
      const hashes = (f.hashes ?? {}) as Record<string, unknown>;
      const yanked = f.yanked === true ? "" : typeof f.yanked === "string" ? f.yanked : null;
      files.push({
        filename: f.filename,
        url: new URL(f.url, pageUrl).href,
        sha256: typeof hashes.sha256 === "string" ? hashes.sha256.toLowerCase() : null,
        requiresPython: typeof f["requires-python"] === "string" ? f["requires-python"] : null,
        yanked,
        size: typeof f.size === "number" ? f.size : null,
        uploadTime: typeof f["upload-time"] === "string" ? f["upload-time"] : null,
      });
    }
    return { name: typeof doc.name === "string" ? doc.name : name, files };
  }
  for (const m of text.matchAll(/<a\s([^>]*)>([^<]*)<\/a>/gi)) {
    const attrs = Object.fromEntries([...m[1]!.matchAll(/([\w-]+)\s*=\s*"([^"]*)"/g)].map((a) => [a[1]!.toLowerCase(), decodeHtml(a[2]!)]));
    if (!attrs.href) continue;
    const url = new URL(attrs.href, pageUrl);
    const sha = /^sha256=([0-9a-f]{64})$/i.exec(url.hash.slice(1));
    url.hash = "";
    files.push({
      filename: decodeHtml(m[2]!.trim()),
      url: url.href,
      sha256: sha ? sha[1]!.toLowerCase() : null,
      requiresPython: attrs["data-requires-python"] ?? null,
      yanked: attrs["data-yanked"] ?? null,
      size: null,
      uploadTime: null,
    });
  }
  return { name, files };
}

async function project(scope: Scope, client: UpstreamClient, rawName: string) {
  const name = normalizeName(rawName);
  assertNameAllowed(client.opened, name);
  const path = `simple/${name}/`;
  const doc = await cachedDocument(scope, client.opened, `simple:${name}`, async (validators) => {
    const outcome = await httpFetcher(client, path, { accept: ACCEPT })(validators);
    if (outcome.kind !== "ok") return outcome;
    const parsed = parseProjectPage(outcome.bytes, outcome.contentType, client.resolve(path).href, name);
    return { ...outcome, bytes: new TextEncoder().encode(JSON.stringify(parsed)), contentType: "application/json" };
  });
  if (!doc) return null;
  return { page: JSON.parse(new TextDecoder().decode(doc.bytes)) as UpstreamProject, state: doc.state };
}

function fileSpec(scope: Scope, client: UpstreamClient, name: string, version: string, f: UpstreamProject["files"][number]): ArtifactSpec {
  const opened = client.opened;
  return {
    key: `file:${f.filename}`,
    url: f.url,
    expect: { sha256: f.sha256 ?? undefined, ...(f.size !== null ? { size: f.size } : {}) },
    contentType: "application/octet-stream",
    checksums: ["md5"],
    policy: { name, displayName: name, version, license: undefined },
    isCached: async () => !!(await findFileByName(scope, opened.repo.id, f.filename)),
    record: (blob) => record(scope, opened, name, version, f, blob),
  };
}

async function record(scope: Scope, opened: OpenedRepo, name: string, version: string, f: UpstreamProject["files"][number], blob: IngestedBlob) {
  const published = await publishVersion(scope, opened, {
    name,
    displayName: name,
    version,
    appendToExisting: true,
    files: [
      {
        name: f.filename,
        digest: blob.digest,
        size: blob.size,
        mediaType: "application/octet-stream",
        metadata: { filetype: distKind(f.filename), requires_python: f.requiresPython, md5: blob.checksums.md5 ?? null, core_metadata_sha256: null },
      },
    ],
  });
  return { versionId: published.version.id, file: f.filename };
}

/** Reads of a PyPI upstream repo; null lets the local routes answer (the root index, cached files). */
export async function servePypiUpstream(c: Context<AppEnv>, opened: OpenedRepo): Promise<Response | null> {
  const scope = c.var.scope;
  const rest = c.var.target.rest;
  const repoUrl = c.var.target.url;
  const client = new UpstreamClient(scope, opened);
  const page = /^simple\/([^/]+)\/$/.exec(rest);
  if (page) {
    const raw = decodeURIComponent(page[1]!);
    if (raw !== normalizeName(raw)) return null; // the local route redirects to the normalized name
    const found = await project(scope, client, raw);
    if (!found) throw notFound("Package", `no project named '${raw}' in this repository or its upstream`);
    const files: SimpleFile[] = found.page.files
      .filter((f) => f.sha256)
      .map((f) => ({
        filename: f.filename,
        url: `${repoUrl}/files/${encodeURIComponent(f.filename)}`,
        sha256: f.sha256!,
        size: f.size ?? 0,
        uploadTime: f.uploadTime ? Date.parse(f.uploadTime) : 0,
        requiresPython: f.requiresPython,
        yanked: f.yanked,
      }));
    const versions = [...new Set(files.map((f) => distributionOf(f.filename)?.version).filter((v): v is string => !!v))];
    const body = { name: found.page.name, versions, files };
    const r = negotiate(c.req.header("accept"), c.req.query("format"));
    const text = r.kind === "json" ? JSON.stringify(projectJson(body)) : projectHtml(body);
    return c.body(text, 200, { "Content-Type": r.contentType, Vary: "Accept", ...cacheStateHeaders(found.state) });
  }
  const file = /^files\/([^/]+)$/.exec(rest);
  if (!file) return null;
  const filename = decodeURIComponent(file[1]!);
  if (await findFileByName(scope, opened.repo.id, filename)) return null;
  const dist = distributionOf(filename);
  if (!dist) return null;
  const found = await project(scope, client, dist.project);
  const entry = found?.page.files.find((f) => f.filename === filename && f.sha256);
  if (!entry) throw notFound("File", `no file named '${filename}' in this repository or its upstream`);
  const pulled = await pullThrough(scope, client, fileSpec(scope, client, dist.project, dist.version, entry), { userAgent: c.req.header("user-agent") ?? null });
  if (pulled.kind === "cached") return null;
  if (pulled.kind === "missing") throw notFound("File", `'${filename}' is gone from the upstream`);
  return sendStreamed(c, { ...pulled, digest: `sha256:${entry.sha256}` }, { contentType: "application/octet-stream" });
}

/** Mirroring: the versions the upstream lists, and caching every file of one. */
export const pypiMirror: MirrorSupport = {
  async versions(scope, client, name) {
    const found = await project(scope, client, name);
    return [...new Set((found?.page.files ?? []).map((f) => distributionOf(f.filename)?.version).filter((v): v is string => !!v))];
  },
  async copy(scope, client, name, version) {
    const found = await project(scope, client, name);
    const files = (found?.page.files ?? []).filter((f) => f.sha256 && distributionOf(f.filename)?.version === version);
    let ok = files.length > 0;
    for (const f of files) ok = (await cacheArtifact(scope, client, fileSpec(scope, client, normalizeName(name), version, f))) && ok;
    return ok;
  },
};

/** A PEP 691 JSON file entry (ours) back into the renderer's terms. */
const simpleFileOf = (f: Record<string, any>): SimpleFile => ({
  filename: f.filename,
  url: f.url,
  sha256: f.hashes?.sha256 ?? "",
  size: typeof f.size === "number" ? f.size : 0,
  uploadTime: typeof f["upload-time"] === "string" ? Date.parse(f["upload-time"]) : 0,
  requiresPython: f["requires-python"] ?? null,
  yanked: f.yanked === false || f.yanked === undefined ? null : f.yanked === true ? "" : String(f.yanked),
  coreMetadataSha256: f["core-metadata"]?.sha256 ?? null,
});

/**
 * Virtual repos: the project list and each project page are merged from every member
 * (asked for JSON; each file from the first member that lists it), then rendered as the
 * client negotiated; files come from the first member that has them.
 */
export const pypiVirtual: VirtualSupport = {
  packageOf(rest) {
    const page = /^simple\/([^/]+)\/$/.exec(rest);
    if (page) return normalizeName(decodeURIComponent(page[1]!));
    const file = /^files\/([^/]+)$/.exec(rest);
    return file ? (distributionOf(decodeURIComponent(file[1]!))?.project ?? null) : null;
  },
  merges: (rest) => {
    // A page under another spelling is a redirect (the local route's), not something to merge.
    const page = /^simple\/([^/]+)\/$/.exec(rest);
    return rest === "simple/" || (!!page && normalizeName(decodeURIComponent(page[1]!)) === decodeURIComponent(page[1]!));
  },
  memberRequest(request, rest) {
    const headers = new Headers(request.headers);
    headers.set("Accept", JSON_V1);
    const url = new URL(request.url);
    url.searchParams.delete("format");
    return { request: new Request(url, { method: request.method, headers }), rest };
  },
  async merge(answers, request, rest) {
    const docs = (await Promise.all(answers.map((a) => a.json()))) as Record<string, any>[];
    const r = negotiate(request.headers.get("accept"), new URL(request.url).searchParams.get("format"));
    const send = (text: string) => new Response(text, { headers: { "Content-Type": r.contentType, Vary: "Accept" } });
    if (rest === "simple/") {
      const seen = new Map<string, { name: string; normalized: string }>();
      for (const d of docs) for (const p of d.projects ?? []) if (!seen.has(normalizeName(p.name))) seen.set(normalizeName(p.name), { name: p.name, normalized: normalizeName(p.name) });
      const projects = [...seen.values()].sort((a, b) => (a.normalized < b.normalized ? -1 : 1));
      return send(r.kind === "json" ? JSON.stringify(projectListJson(projects)) : projectListHtml(projects));
    }
    const files = new Map<string, SimpleFile>();
    for (const d of docs) for (const f of d.files ?? []) if (!files.has(f.filename)) files.set(f.filename, simpleFileOf(f));
    const versions = [...new Set(docs.flatMap((d) => (Array.isArray(d.versions) ? d.versions : [])))] as string[];
    const body = { name: docs[0]!.name as string, versions, files: [...files.values()] };
    return send(r.kind === "json" ? JSON.stringify(projectJson(body)) : projectHtml(body));
  },
};
