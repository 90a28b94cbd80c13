/**
 * A Cargo upstream repo (crates.io's sparse index or any sparse registry):
 * `upstream_url` is the upstream's index root (`https://index.crates.io/`); index files
 * are cached with the repo's TTL, .crate files pulled through on first build.
 *
 * Invariants:
 * - The repo's own `config.json` (the local route) points cargo's downloads at this repo;
 *   the upstream's `config.json` (cached) says where the upstream's downloads are (`dl`,
 *   with crates.io's `{crate}`/`{version}`/`{prefix}` markers, or a plain prefix).
 * - Index files are served as the upstream wrote them (they hold no URLs).
 * - A .crate is checked against its index entry's `cksum` (sha256) while it streams,
 *   then published with that entry and served by the local download route.
 * - Upstream tokens go raw in `Authorization`, as cargo sends them.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import type { OpenedRepo } from "../../services/projects";
import { assertNameAllowed, findPackage, findVersion, publishVersion, type IngestedBlob } from "../../services/artifacts";
import { UpstreamClient, cachedDocument, cacheArtifact, httpFetcher, pullThrough, type ArtifactSpec, type MirrorSupport, type VirtualSupport } from "../../services/proxy";
import type { Scope } from "../../services/scope";
import { cacheStateHeaders, sendStreamed } from "../../http/download";
import { RegistryError, notFound } from "../../core/errors";
import { sha256Hex } from "../../core/ids";
import { crateOfIndexPath, indexPath, normalizeCrateName, type IndexEntry } from "./crate";

const client = (scope: Scope, opened: OpenedRepo) => new UpstreamClient(scope, opened, { bearerStyle: "raw" });

async function indexDoc(scope: Scope, c: UpstreamClient, lowerName: string) {
  assertNameAllowed(c.opened, normalizeCrateName(lowerName));
  return cachedDocument(scope, c.opened, `index:${lowerName}`, httpFetcher(c, indexPath(lowerName)));
}

const entries = (bytes: Uint8Array): IndexEntry[] =>
  new TextDecoder()
    .decode(bytes)
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as IndexEntry);

/** Where the upstream serves a .crate: its config.json's `dl`, markers filled in. */
async function downloadUrl(scope: Scope, c: UpstreamClient, e: IndexEntry): Promise<string> {
  const doc = await cachedDocument(scope, c.opened, "config", httpFetcher(c, "config.json"));
  const dl = doc ? (JSON.parse(new TextDecoder().decode(doc.bytes)) as { dl?: unknown }).dl : null;
  if (typeof dl !== "string") throw new RegistryError("UnavailableUpstreamInvalid", "the upstream's config.json names no download URL (dl)");
  const lower = e.name.toLowerCase();
  const prefix = indexPath(lower).split("/").slice(0, -1).join("/");
  const markers: Record<string, string> = { crate: e.name, version: e.vers, prefix, lowerprefix: prefix, "sha256-checksum": e.cksum };
  if (!/\{(crate|version|prefix|lowerprefix|sha256-checksum)\}/.test(dl)) return `${dl.replace(/\/$/, "")}/${e.name}/${e.vers}/download`;
  return dl.replace(/\{(crate|version|prefix|lowerprefix|sha256-checksum)\}/g, (_, k: string) => markers[k]!);
}

async function crateSpec(scope: Scope, c: UpstreamClient, e: IndexEntry): Promise<ArtifactSpec> {
  const opened = c.opened;
  const name = normalizeCrateName(e.name);
  return {
    key: `crate:${name}@${e.vers}`,
    url: await downloadUrl(scope, c, e),
    expect: { sha256: e.cksum },
    contentType: "application/gzip",
    isCached: async () => {
      const pkg = await findPackage(scope, opened.repo.id, name);
      return !!pkg && !!(await findVersion(scope, pkg.id, e.vers));
    },
    policy: { name, displayName: e.name, version: e.vers, license: undefined },
    record: (blob) => record(scope, opened, e, blob),
  };
}

async function record(scope: Scope, opened: OpenedRepo, e: IndexEntry, blob: IngestedBlob) {
  const file = `${e.name.toLowerCase()}-${e.vers}.crate`;
  const published = await publishVersion(scope, opened, {
    name: normalizeCrateName(e.name),
    displayName: e.name,
    version: e.vers,
    appendToExisting: true,
    versionMetadata: { index: { ...e, yanked: false } },
    files: [{ name: file, digest: blob.digest, size: blob.size, mediaType: "application/gzip" }],
  });
  return { versionId: published.version.id, file };
}

async function entryOf(scope: Scope, c: UpstreamClient, crate: string, version: string) {
  const doc = await indexDoc(scope, c, crate.toLowerCase());
  const entry = doc && entries(doc.bytes).find((e) => e.vers === version);
  if (!entry) throw notFound("Version", `crate \`${crate}\` does not have a version \`${version}\``);
  return entry;
}

/** Reads of a Cargo upstream repo; null lets the local routes answer (config.json, cached crates, search). */
export async function serveCargoUpstream(c: Context<AppEnv>, opened: OpenedRepo): Promise<Response | null> {
  const scope = c.var.scope;
  const rest = c.var.target.rest;
  const up = client(scope, opened);
  if (rest.startsWith("index/") && rest !== "index/config.json") {
    const name = crateOfIndexPath(rest.slice("index/".length));
    if (!name) return null;
    const doc = await indexDoc(scope, up, name);
    if (!doc) throw notFound("Crate", `no index file at ${rest}`);
    const etag = `"${(await sha256Hex(doc.bytes)).slice(0, 32)}"`;
    const headers = { ETag: etag, "Cache-Control": "no-cache", "Content-Type": "text/plain; charset=utf-8", ...cacheStateHeaders(doc.state) };
    if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
    return c.body(doc.bytes, 200, headers);
  }
  const dl = /^api\/v1\/crates\/([^/]+)\/([^/]+)\/download$/.exec(rest);
  if (!dl) return null;
  const [crate, version] = [decodeURIComponent(dl[1]!), decodeURIComponent(dl[2]!)];
  const pkg = await findPackage(scope, opened.repo.id, normalizeCrateName(crate));
  if (pkg && (await findVersion(scope, pkg.id, version))) return null;
  const entry = await entryOf(scope, up, crate, version);
  const pulled = await pullThrough(scope, up, await crateSpec(scope, up, entry), { userAgent: c.req.header("user-agent") ?? null });
  if (pulled.kind === "cached") return null;
  if (pulled.kind === "missing") throw notFound("Version", `crate \`${crate}\` version \`${version}\` is gone from the upstream`);
  return sendStreamed(c, { ...pulled, digest: `sha256:${entry.cksum}` }, { contentType: "application/gzip" });
}

/** Mirroring: the versions in the upstream's index file, and caching one .crate. */
export const cargoMirror: MirrorSupport = {
  async versions(scope, c, name) {
    const doc = await indexDoc(scope, new UpstreamClient(scope, c.opened, { bearerStyle: "raw" }), name.toLowerCase());
    return doc ? entries(doc.bytes).map((e) => e.vers) : [];
  },
  async copy(scope, c, name, version) {
    const up = new UpstreamClient(scope, c.opened, { bearerStyle: "raw" });
    return cacheArtifact(scope, up, await crateSpec(scope, up, await entryOf(scope, up, name, version)));
  },
};

const crateOfRest = (rest: string): string | null => {
  if (rest.startsWith("index/")) return rest === "index/config.json" ? null : crateOfIndexPath(rest.slice("index/".length));
  const m = /^api\/v1\/crates\/([^/]+)\/[^/]+\/download$/.exec(rest);
  return m ? decodeURIComponent(m[1]!) : null;
};

/** Virtual repos: a crate's index file holds every member's versions (each from the first member that has it). */
export const cargoVirtual: VirtualSupport = {
  packageOf: (rest) => {
    const name = crateOfRest(rest);
    return name ? normalizeCrateName(name) : null;
  },
  merges: (rest) => rest.startsWith("index/") && rest !== "index/config.json",
  async merge(answers) {
    const lines = new Map<string, string>();
    for (const a of answers) {
      for (const line of (await a.text()).split("\n")) {
        if (!line.trim()) continue;
        const vers = (JSON.parse(line) as { vers: string }).vers;
        if (!lines.has(vers)) lines.set(vers, line);
      }
    }
    return new Response(`${[...lines.values()].join("\n")}\n`, { headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache" } });
  },
};
