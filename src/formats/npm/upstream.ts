/**
 * An npm upstream repo (npmjs or any npm registry): packuments fetched and cached with
 * the repo's TTL, tarballs pulled through on first install.
 *
 * Invariants:
 * - A packument is stored as the upstream sent it, minus readmes (they can be megabytes
 *   and no installer reads them); when served, every `dist.tarball` points under this
 *   repo's prefix (npm sends its token only there) and the abbreviated form is derived
 *   from it, as for local packages.
 * - A tarball is verified against the packument's `dist.integrity` (sha512) and
 *   `dist.shasum` (sha1) while it streams; once verified it is published into the repo
 *   as the version's file (with the upstream's manifest), and later installs are served
 *   by the local route (packages → versions → files), with every policy a local
 *   tarball gets.
 * - The package name passes the repo's name patterns before anything is fetched.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import type { OpenedRepo } from "../../services/projects";
import { assertNameAllowed, filesOfVersion, findPackage, findVersion, publishVersion, type IngestedBlob } from "../../services/artifacts";
import { UpstreamClient, cachedDocument, cacheArtifact, httpFetcher, pullThrough, type ArtifactSpec, type MirrorSupport, type VirtualSupport } from "../../services/proxy";
import type { Scope } from "../../services/scope";
import { cacheStateHeaders, sendStreamed } from "../../http/download";
import { RegistryError, notFound } from "../../core/errors";
import { hex } from "../../core/ids";
import { parseNpmPath, tarballName, versionOfTarball } from "./routes";
import { ABBREVIATED, abbreviate, tarballUrl, type Manifest } from "./packument";
import { licenseOfManifest } from "./publish";

interface UpstreamPackument {
  name: string;
  "dist-tags": Record<string, string>;
  versions: Record<string, Manifest>;
  time?: Record<string, string>;
  [k: string]: unknown;
}

const MEDIA = "application/octet-stream";
const escapedName = (name: string) => name.replace("/", "%2f");

/** The upstream's packument of `name` (cached), or null when the upstream has no such package. */
async function packument(scope: Scope, client: UpstreamClient, name: string) {
  assertNameAllowed(client.opened, name);
  const doc = await cachedDocument(scope, client.opened, `packument:${name}`, async (validators) => {
    const outcome = await httpFetcher(client, escapedName(name), { accept: "application/json" })(validators);
    return outcome.kind === "ok" ? { ...outcome, bytes: trim(outcome.bytes), contentType: "application/json" } : outcome;
  });
  if (!doc) return null;
  return { doc: JSON.parse(new TextDecoder().decode(doc.bytes)) as UpstreamPackument, state: doc.state };
}

/** Drops readmes and anything that isn't a packument; refuses what isn't one. */
function trim(bytes: Uint8Array): Uint8Array {
  let doc: UpstreamPackument;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new RegistryError("UnavailableUpstreamInvalid", "the upstream's packument is not JSON");
  }
  if (typeof doc !== "object" || doc === null || typeof doc.versions !== "object" || doc.versions === null) {
    throw new RegistryError("UnavailableUpstreamInvalid", "the upstream's packument has no versions");
  }
  delete doc.readme;
  for (const m of Object.values(doc.versions)) delete (m as Record<string, unknown>).readme;
  doc["dist-tags"] ??= {};
  return new TextEncoder().encode(JSON.stringify(doc));
}

/** The packument as this repo serves it: tarball URLs under the repo's prefix. */
function served(registryUrl: string, doc: UpstreamPackument) {
  const versions: Record<string, Manifest> = {};
  for (const [v, m] of Object.entries(doc.versions)) versions[v] = { ...m, dist: { ...(m.dist ?? {}), tarball: tarballUrl(registryUrl, doc.name, v) } };
  return { ...doc, versions };
}

const requirePackument = async (scope: Scope, client: UpstreamClient, name: string) => {
  const p = await packument(scope, client, name);
  if (!p) throw notFound("Package", `package '${name}' not found`);
  return p;
};

/** `sha512-<base64>` SRI entries and a sha1 shasum, as lowercase hex. */
export function expectedDigests(dist: Record<string, unknown> | undefined) {
  const out: { sha512?: string; sha1?: string } = {};
  if (typeof dist?.integrity === "string") {
    for (const entry of dist.integrity.trim().split(/\s+/)) {
      const [alg, value] = [entry.slice(0, entry.indexOf("-")), entry.slice(entry.indexOf("-") + 1).split("?")[0]!];
      if (alg !== "sha512" && alg !== "sha1") continue;
      try {
        out[alg] = hex((Uint8Array as unknown as { fromBase64(s: string): Uint8Array }).fromBase64(value));
      } catch {
        throw new RegistryError("UnavailableUpstreamInvalid", "the upstream's dist.integrity is not valid base64");
      }
    }
  }
  if (typeof dist?.shasum === "string") out.sha1 ??= dist.shasum.toLowerCase();
  return out;
}

function tarballSpec(scope: Scope, client: UpstreamClient, name: string, version: string, manifest: Manifest): ArtifactSpec {
  const opened = client.opened;
  const dist = manifest.dist as Record<string, unknown> | undefined;
  const url = typeof dist?.tarball === "string" ? dist.tarball : `${escapedName(name)}/-/${tarballName(name, version)}`;
  return {
    key: `tarball:${name}@${version}`,
    url,
    expect: expectedDigests(dist),
    contentType: MEDIA,
    checksums: ["sha1", "sha512"],
    // The licence is judged as a publish of this manifest would judge it.
    policy: { name, displayName: name, version, license: licenseOfManifest(manifest) },
    isCached: () => isCached(scope, opened, name, version),
    record: (blob) => record(scope, opened, name, version, manifest, blob),
  };
}

async function isCached(scope: Scope, opened: OpenedRepo, name: string, version: string) {
  const pkg = await findPackage(scope, opened.repo.id, name);
  const v = pkg && (await findVersion(scope, pkg.id, version));
  return !!v && (await filesOfVersion(scope, v.id)).some((f) => f.name === tarballName(name, version));
}

async function record(scope: Scope, opened: OpenedRepo, name: string, version: string, manifest: Manifest, blob: IngestedBlob) {
  const integrity = `sha512-${(hexToBytes(blob.checksums.sha512!) as unknown as { toBase64(): string }).toBase64()}`;
  const stored: Manifest = { ...manifest, dist: { ...(manifest.dist ?? {}), integrity, shasum: blob.checksums.sha1, tarball: undefined } };
  const file = tarballName(name, version);
  const published = await publishVersion(scope, opened, {
    name,
    displayName: name,
    version,
    license: licenseOfManifest(manifest),
    appendToExisting: true,
    versionMetadata: { manifest: stored },
    files: [{ name: file, digest: blob.digest, size: blob.size, mediaType: MEDIA, metadata: { integrity, shasum: blob.checksums.sha1 } }],
  });
  return { versionId: published.version.id, file };
}

const hexToBytes = (h: string) => Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)));

/** Reads of an npm upstream repo (routes.ts grammar); null lets the local routes answer. */
export async function serveNpmUpstream(c: Context<AppEnv>, opened: OpenedRepo): Promise<Response | null> {
  const scope = c.var.scope;
  const route = parseNpmPath(c.var.target.rest);
  const registryUrl = c.var.target.url;
  const client = new UpstreamClient(scope, opened);
  switch (route.kind) {
    case "packument": {
      if (route.rev !== undefined) return null;
      const { doc, state } = await requirePackument(scope, client, route.name);
      const full = served(registryUrl, doc);
      const headers = { Vary: "Accept", ...cacheStateHeaders(state) };
      if ((c.req.header("accept") ?? "").includes(ABBREVIATED) && c.req.query("write") !== "true") {
        return new Response(JSON.stringify(abbreviate(full)), { headers: { "Content-Type": `${ABBREVIATED}; charset=utf-8`, ...headers } });
      }
      return c.json(full, 200, headers);
    }
    case "version": {
      const { doc, state } = await requirePackument(scope, client, route.name);
      const version = doc["dist-tags"][route.spec] ?? route.spec;
      const manifest = doc.versions[version];
      if (!manifest) throw notFound("Version", `${route.name}@${route.spec} not found`);
      return c.json(served(registryUrl, doc).versions[version], 200, cacheStateHeaders(state));
    }
    case "distTags": {
      const { doc, state } = await requirePackument(scope, client, route.name);
      return c.json(doc["dist-tags"], 200, cacheStateHeaders(state));
    }
    case "tarball": {
      const version = versionOfTarball(route.name, route.file);
      if (!version || (await isCached(scope, opened, route.name, version))) return null;
      const { doc } = await requirePackument(scope, client, route.name);
      const manifest = doc.versions[version];
      if (!manifest) throw notFound("Tarball", `${route.name}/-/${route.file} not found`);
      const pulled = await pullThrough(scope, client, tarballSpec(scope, client, route.name, version, manifest), { userAgent: c.req.header("user-agent") ?? null });
      if (pulled.kind === "cached") return null;
      if (pulled.kind === "missing") throw notFound("Tarball", `${route.name}/-/${route.file} not found upstream`);
      const cacheControl = `${opened.repo.visibility === "public" ? "public" : "private"}, max-age=31536000, immutable`;
      return sendStreamed(c, pulled, { contentType: MEDIA, headers: { "Cache-Control": cacheControl } });
    }
    default:
      return null;
  }
}

/** Mirroring: every version the upstream lists, and caching one. */
export const npmMirror: MirrorSupport = {
  async versions(scope, client, name) {
    const p = await packument(scope, client, name);
    return p ? Object.keys(p.doc.versions) : [];
  },
  async copy(scope, client, name, version) {
    const p = await packument(scope, client, name);
    const manifest = p?.doc.versions[version];
    if (!manifest) return false;
    return cacheArtifact(scope, client, tarballSpec(scope, client, name, version, manifest));
  },
};

type Doc = { "dist-tags"?: Record<string, string>; versions?: Record<string, unknown>; time?: Record<string, string>; modified?: string; [k: string]: unknown };

/**
 * Virtual repos: a packument is merged from every member that has the package (each
 * version and each dist-tag from the first member that has it, so member order decides);
 * everything else (a version document, a tarball) comes from the first member that has it.
 */
export const npmVirtual: VirtualSupport = {
  packageOf(rest) {
    const r = parseNpmPath(rest);
    return "name" in r ? r.name : null;
  },
  merges: (rest) => {
    const r = parseNpmPath(rest);
    return r.kind === "packument" && r.rev === undefined;
  },
  async merge(answers) {
    const docs = (await Promise.all(answers.map((a) => a.json()))) as Doc[];
    const out: Doc = { ...docs[0]!, "dist-tags": {}, versions: {} };
    delete out._rev;
    for (const d of docs) {
      for (const [tag, v] of Object.entries(d["dist-tags"] ?? {})) out["dist-tags"]![tag] ??= v;
      for (const [v, m] of Object.entries(d.versions ?? {})) out.versions![v] ??= m;
      if (d.time) out.time = { ...d.time, ...(out.time ?? {}) };
      if (d.modified && (!out.modified || d.modified > out.modified)) out.modified = d.modified;
    }
    return new Response(JSON.stringify(out), { headers: { "Content-Type": answers[0]!.headers.get("content-type") ?? "application/json", Vary: "Accept" } });
  },
};
