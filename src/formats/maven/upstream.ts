/**
 * A Maven upstream repo (Maven Central or any Maven 2 repository): maven-metadata.xml
 * cached with the repo's TTL, artifacts (jars, POMs, …) pulled through on first resolve.
 *
 * Invariants:
 * - maven-metadata.xml is served as the upstream wrote it (it holds no URLs); its
 *   checksums are computed from the cached bytes, so they always match.
 * - An artifact is checked against the upstream's `.sha1` (fetched first; Maven Central
 *   publishes one for every file); a file without one is stored on its length alone. It
 *   is then published into the repo under its path (with sha1, md5, sha512) and served,
 *   with its checksums, by the local route.
 * - A checksum file of an artifact not cached yet is the upstream's, passed through.
 * - `groupId:artifactId` passes the repo's name patterns before anything is fetched.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import type { OpenedRepo } from "../../services/projects";
import { assertNameAllowed, findFileByName, publishVersion, type IngestedBlob } from "../../services/artifacts";
import { UpstreamClient, cachedDocument, cacheArtifact, classify, httpFetcher, pullThrough, type ArtifactSpec, type MirrorSupport, type VirtualSupport } from "../../services/proxy";
import type { Scope } from "../../services/scope";
import { cacheStateHeaders, sendStreamed } from "../../http/download";
import { notFound } from "../../core/errors";
import { parseMavenPath, type MavenPath } from "./paths";
import { digestText, mediaTypeOf } from "./repository";
import { artifactMetadataXml } from "./metadata-xml";

type FilePath = Extract<MavenPath, { kind: "file" }>;
const packageName = (p: { groupId: string; artifactId: string }) => `${p.groupId}:${p.artifactId}`;

async function metadata(scope: Scope, client: UpstreamClient, path: string) {
  return cachedDocument(scope, client.opened, `meta:${path}`, httpFetcher(client, path, { accept: "application/xml, text/xml, */*" }));
}

/** The upstream's sha1 of a file (lowercase hex), or null when it publishes none. */
async function upstreamSha1(client: UpstreamClient, path: string): Promise<string | null> {
  const { response, abort } = await client.fetch(`${path}.sha1`);
  const outcome = await classify(response, abort, client.timeoutMs);
  if (outcome.kind !== "ok") return null;
  const hex = new TextDecoder().decode(outcome.bytes).trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  return /^[0-9a-f]{40}$/.test(hex) ? hex : null;
}

function fileSpec(scope: Scope, client: UpstreamClient, p: FilePath, sha1: string | null): ArtifactSpec {
  const opened = client.opened;
  const mediaType = mediaTypeOf(p.fileName);
  return {
    key: `file:${p.path}`,
    url: p.path,
    expect: sha1 ? { sha1 } : {},
    contentType: mediaType,
    checksums: ["sha1", "md5", "sha512"],
    policy: { name: packageName(p), displayName: packageName(p), version: p.version, license: undefined },
    isCached: async () => !!(await findFileByName(scope, opened.repo.id, p.path)),
    record: (blob) => record(scope, opened, p, mediaType, blob),
  };
}

async function record(scope: Scope, opened: OpenedRepo, p: FilePath, mediaType: string, blob: IngestedBlob) {
  const published = await publishVersion(scope, opened, {
    name: packageName(p),
    version: p.version,
    appendToExisting: true,
    files: [{ name: p.path, digest: blob.digest, size: blob.size, mediaType, metadata: blob.checksums }],
  });
  return { versionId: published.version.id, file: p.path };
}

/** Reads of a Maven upstream repo; null lets the local route answer (cached files). */
export async function serveMavenUpstream(c: Context<AppEnv>, opened: OpenedRepo): Promise<Response | null> {
  const scope = c.var.scope;
  const p = parseMavenPath(c.var.target.rest);
  assertNameAllowed(opened, packageName(p));
  const client = new UpstreamClient(scope, opened);
  if (p.kind === "metadata") {
    const doc = await metadata(scope, client, p.path);
    if (!doc) throw notFound("Metadata", `${p.path} not found`);
    const headers = { "Cache-Control": "no-cache", ...cacheStateHeaders(doc.state) };
    const xml = new TextDecoder().decode(doc.bytes);
    if (p.checksum) return c.text(await digestText(xml, p.checksum), 200, headers);
    return c.body(xml, 200, { "Content-Type": "application/xml", ...headers });
  }
  if (await findFileByName(scope, opened.repo.id, p.path)) return null;
  if (p.checksum) {
    const { response, abort } = await client.fetch(`${p.path}.${p.checksum}`);
    const outcome = await classify(response, abort, client.timeoutMs);
    if (outcome.kind !== "ok") throw notFound("File", `${p.path}.${p.checksum} not found`);
    return c.body(new TextDecoder().decode(outcome.bytes), 200, { "Content-Type": "text/plain" });
  }
  const sha1 = await upstreamSha1(client, p.path);
  const pulled = await pullThrough(scope, client, fileSpec(scope, client, p, sha1), { userAgent: c.req.header("user-agent") ?? null });
  if (pulled.kind === "cached") return null;
  if (pulled.kind === "missing") throw notFound("File", `${p.path} not found`);
  return sendStreamed(c, pulled, { contentType: mediaTypeOf(p.fileName), headers: sha1 ? { "X-Checksum-Sha1": sha1 } : {} });
}

/** Mirroring: versions from the upstream's maven-metadata.xml; a version's POM and jar. */
export const mavenMirror: MirrorSupport = {
  async versions(scope, client, name) {
    const [groupId, artifactId] = name.split(":");
    if (!groupId || !artifactId) return [];
    const doc = await metadata(scope, client, `${groupId.replace(/\./g, "/")}/${artifactId}/maven-metadata.xml`);
    if (!doc) return [];
    return [...new TextDecoder().decode(doc.bytes).matchAll(/<version>\s*([^<\s]+)\s*<\/version>/g)].map((m) => m[1]!);
  },
  async copy(scope, client, name, version) {
    const [groupId, artifactId] = name.split(":");
    const dir = `${groupId!.replace(/\./g, "/")}/${artifactId}/${version}`;
    let ok = false;
    for (const ext of ["pom", "jar"]) {
      const p = parseMavenPath(`${dir}/${artifactId}-${version}.${ext}`) as FilePath;
      const got = await cacheArtifact(scope, client, fileSpec(scope, client, p, await upstreamSha1(client, p.path)));
      if (ext === "pom") ok = got;
    }
    return ok;
  },
};


const artifactMetadata = (rest: string) => {
  try {
    const p = parseMavenPath(rest);
    return p.kind === "metadata" && p.version === null ? p : null;
  } catch {
    return null;
  }
};

/**
 * Virtual repos: an artifact's maven-metadata.xml lists the versions of every member
 * (its checksums computed over the merged document); files, and SNAPSHOT version-level
 * metadata, come from the first member that has them.
 */
export const mavenVirtual: VirtualSupport = {
  packageOf(rest) {
    try {
      return packageName(parseMavenPath(rest));
    } catch {
      return null;
    }
  },
  merges: (rest) => artifactMetadata(rest) !== null,
  memberRequest(request, rest) {
    const p = artifactMetadata(rest)!;
    if (!p.checksum) return { request, rest };
    const url = new URL(request.url);
    url.pathname = url.pathname.slice(0, -(p.checksum.length + 1));
    return { request: new Request(url, { method: request.method, headers: request.headers }), rest: p.path };
  },
  async merge(answers, _request, rest) {
    const p = artifactMetadata(rest)!;
    const versions = new Set<string>();
    let lastUpdated = 0;
    for (const a of answers) {
      const text = await a.text();
      for (const m of text.matchAll(/<version>\s*([^<\s]+)\s*<\/version>/g)) versions.add(m[1]!);
      // The newest member's lastUpdated, so the merged document (and its checksums) only changes when a member's does.
      const t = /<lastUpdated>\s*(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)\s*<\/lastUpdated>/.exec(text);
      if (t) lastUpdated = Math.max(lastUpdated, Date.UTC(+t[1]!, +t[2]! - 1, +t[3]!, +t[4]!, +t[5]!, +t[6]!));
    }
    const xml = artifactMetadataXml({ groupId: p.groupId, artifactId: p.artifactId, versions: [...versions], lastUpdated });
    if (p.checksum) return new Response(await digestText(xml, p.checksum), { headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache" } });
    return new Response(xml, { headers: { "Content-Type": "application/xml", "Cache-Control": "no-cache" } });
  },
};
