/**
 * A Go module upstream repo (proxy.golang.org or any GOPROXY): `@v/list`, `@latest`,
 * `.info` and `.mod` cached with the repo's TTL, module zips pulled through.
 *
 * Invariants:
 * - Paths go upstream case-escaped, as the GOPROXY protocol has them.
 * - The GOPROXY protocol publishes no digest of a zip: it is stored as the upstream sent
 *   it (its length checked), and the go command verifies it against go.sum and the
 *   checksum database (GOSUMDB) as it does for any proxy.
 * - A pulled zip is published with its `.mod` and its `.info` time, so the local routes
 *   serve it exactly as an uploaded module version.
 * - The module path passes the repo's name patterns before anything is fetched.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import type { OpenedRepo } from "../../services/projects";
import { assertNameAllowed, findFileByName, ingestBlob, publishVersion, type IngestedBlob } from "../../services/artifacts";
import { UpstreamClient, cachedDocument, cacheArtifact, httpFetcher, pullThrough, type ArtifactSpec, type MirrorSupport, type VirtualSupport } from "../../services/proxy";
import type { Scope } from "../../services/scope";
import { cacheStateHeaders, sendStreamed } from "../../http/download";
import { RegistryError, notFound } from "../../core/errors";
import { escapeModulePath, parseProxyPath } from "./module";

const CONTENT_TYPES = { list: "text/plain; charset=utf-8", latest: "application/json", info: "application/json", mod: "text/plain; charset=utf-8" } as const;
type DocKind = keyof typeof CONTENT_TYPES;

const pathOf = (module: string, kind: DocKind | "zip", version?: string) =>
  kind === "list" ? `${escapeModulePath(module)}/@v/list` : kind === "latest" ? `${escapeModulePath(module)}/@latest` : `${escapeModulePath(module)}/@v/${escapeModulePath(version!)}.${kind}`;

async function document(scope: Scope, client: UpstreamClient, module: string, kind: DocKind, version?: string) {
  assertNameAllowed(client.opened, module);
  return cachedDocument(scope, client.opened, `go:${kind}:${module}${version ? `@${version}` : ""}`, httpFetcher(client, pathOf(module, kind, version)));
}

const text = (doc: { bytes: Uint8Array }) => new TextDecoder().decode(doc.bytes);

function zipSpec(scope: Scope, client: UpstreamClient, module: string, version: string): ArtifactSpec {
  const opened = client.opened;
  const name = `${module}/@v/${version}.zip`;
  return {
    key: `zip:${module}@${version}`,
    url: pathOf(module, "zip", version),
    expect: {},
    contentType: "application/zip",
    policy: { name: module, displayName: module, version, license: undefined },
    isCached: async () => !!(await findFileByName(scope, opened.repo.id, name)),
    record: (blob) => record(scope, client, module, version, blob),
  };
}

async function record(scope: Scope, client: UpstreamClient, module: string, version: string, zip: IngestedBlob) {
  const opened = client.opened;
  const [mod, info] = await Promise.all([document(scope, client, module, "mod", version), document(scope, client, module, "info", version)]);
  if (!mod) throw new RegistryError("UnavailableUpstreamInvalid", `the upstream has a zip but no .mod for ${module}@${version}`);
  const time = info ? ((JSON.parse(text(info)) as { Time?: unknown }).Time ?? null) : null;
  const modBlob = await ingestBlob(scope, opened.repo.id, new Blob([mod.bytes]).stream(), { length: mod.bytes.byteLength, mediaType: "text/plain" });
  const published = await publishVersion(scope, opened, {
    name: module,
    version,
    appendToExisting: true,
    versionMetadata: { time: typeof time === "string" ? time : new Date().toISOString() },
    files: [
      { name: `${module}/@v/${version}.zip`, digest: zip.digest, size: zip.size, mediaType: "application/zip" },
      { name: `${module}/@v/${version}.mod`, digest: modBlob.digest, size: modBlob.size, mediaType: "text/plain; charset=utf-8" },
    ],
  });
  return { versionId: published.version.id, file: `${module}/@v/${version}.zip` };
}

/** Reads of a Go upstream repo; null lets the local routes answer (cached zips). */
export async function serveGoUpstream(c: Context<AppEnv>, opened: OpenedRepo): Promise<Response | null> {
  const scope = c.var.scope;
  let rest: string;
  try {
    rest = c.var.target.rest.split("/").map(decodeURIComponent).join("/");
  } catch {
    return null;
  }
  const r = parseProxyPath(rest);
  if (!r) return null;
  const client = new UpstreamClient(scope, opened);
  if (r.kind !== "zip") {
    const version = "version" in r ? r.version : undefined;
    const doc = await document(scope, client, r.module, r.kind, version);
    if (!doc) throw notFound("ModuleVersion", `${r.module}${version ? `@${version}` : ""} not found`);
    return c.body(doc.bytes, 200, { "Content-Type": CONTENT_TYPES[r.kind], ...cacheStateHeaders(doc.state) });
  }
  assertNameAllowed(opened, r.module);
  const pulled = await pullThrough(scope, client, zipSpec(scope, client, r.module, r.version), { userAgent: c.req.header("user-agent") ?? null });
  if (pulled.kind === "cached") return null;
  if (pulled.kind === "missing") throw notFound("ModuleVersion", `${r.module}@${r.version} not found`);
  return sendStreamed(c, pulled, { contentType: "application/zip" });
}

/** Mirroring: `@v/list`, and caching a version's zip (with its .mod and .info). */
export const goMirror: MirrorSupport = {
  async versions(scope, client, name) {
    const doc = await document(scope, client, name, "list");
    return doc ? text(doc).split("\n").map((l) => l.trim()).filter(Boolean) : [];
  },
  copy: (scope, client, name, version) => cacheArtifact(scope, client, zipSpec(scope, client, name, version)),
};

const requestOf = (rest: string) => {
  try {
    return parseProxyPath(rest.split("/").map(decodeURIComponent).join("/"));
  } catch {
    return null;
  }
};

/** Virtual repos: `@v/list` is the union of the members' lists; everything else comes from the first member that has it. */
export const goVirtual: VirtualSupport = {
  packageOf: (rest) => requestOf(rest)?.module ?? null,
  merges: (rest) => requestOf(rest)?.kind === "list",
  async merge(answers) {
    const versions = new Set<string>();
    for (const a of answers) for (const v of (await a.text()).split("\n")) if (v.trim()) versions.add(v.trim());
    return new Response(`${[...versions].join("\n")}\n`, { headers: { "Content-Type": CONTENT_TYPES.list } });
  },
};
