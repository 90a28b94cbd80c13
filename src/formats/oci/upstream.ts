/**
 * An OCI upstream repo (Docker Hub, GHCR, Quay, CNCF distribution, another OrbitalReg):
 * images pulled through on first use.
 *
 *   `/v2/<project>/<repo>/<image>/…` → upstream `<upstream path>/<image>` (Docker Hub:
 *   a one-component name gets `library/`, as the docker CLI does)
 *   manifest by tag   metadata: cached with the repo's TTL (revalidated with a HEAD, which
 *                     Docker Hub's pull limit does not count); a new digest is stored and
 *                     the tag moved; answered by the local route
 *   manifest by digest  fetched once, checked against its digest, stored; local route
 *   blob              pulled through (streamed while stored, checked against its digest);
 *                     a HEAD of an uncached blob asks the upstream, stores nothing; either
 *                     is refused (451) first when only restricted cached manifests use it
 *   tags/list         metadata, cached
 *
 * Invariants:
 * - Everything stored is verified by digest; manifests keep the upstream's bytes exactly.
 * - Answers for cached content come from the local routes (the one read path, policies).
 * - An upstream repo is never pushed to: uploads, manifest PUTs and deletes answer 403.
 */
import { forgetPlannedReads } from "../../services/scope";
import type { Ctx } from "./http";
import { empty } from "./http";
import { cacheStateHeaders, sendStreamed } from "../../http/download";
import {
  getManifest,
  parseManifest,
  MANIFEST_TYPES,
  MAX_MANIFEST_BYTES,
  MEDIA,
  findManifestDigest,
  openImage,
  parseName,
  parseReference,
  promotePendingRefs,
  enforcePendingBlob,
  putManifest,
  requireDigest,
  OCI_FORMATS,
  type OciRoute,
  type OpenedImage,
} from "../../services/oci";
import { findRepoBlob } from "../../services/artifacts";
import { routedRepo, type OpenedRepo } from "../../services/projects";
import { UpstreamClient, repoForProxyCache, cacheArtifact, cachedDocument, classify, fetchOnce, pullThrough, readWithin, type ArtifactSpec, type FetchOutcome, type MirrorSupport } from "../../services/proxy";
import type { Scope } from "../../services/scope";
import { RegistryError, isRegistryError } from "../../core/errors";
import { sha256Hex } from "../../core/ids";

const DOCKER_HUB = new Set(["registry-1.docker.io", "docker.io", "index.docker.io", "registry.hub.docker.com"]);
const ACCEPT = [...MANIFEST_TYPES, MEDIA.dockerSchema1Signed].join(", ");
const READS = new Set(["GET", "HEAD"]);

/** Where an upstream repo's image lives upstream: its API origin and the image's name there. */
export function upstreamImage(upstreamUrl: string, image: string): { origin: string; name: string } {
  const u = new URL(upstreamUrl);
  const prefix = u.pathname.replace(/^\/+|\/+$/g, "").replace(/^v2(?:\/|$)/, "");
  let name = prefix ? `${prefix}/${image}` : image;
  const hub = DOCKER_HUB.has(u.hostname);
  if (hub && !name.includes("/")) name = `library/${name}`;
  return { origin: hub ? "https://registry-1.docker.io" : u.origin, name };
}

/** What the upstream hook decided: answer now, or let the local route answer (with extra headers). */
export type UpstreamAnswer = { response: Response } | { headers: Record<string, string> };

class OciUpstream {
  readonly client: UpstreamClient;
  readonly origin: string;
  readonly name: string;
  readonly tokenScope: string;

  constructor(
    readonly scope: Scope,
    readonly img: OpenedImage,
  ) {
    ({ origin: this.origin, name: this.name } = upstreamImage(img.repo.upstreamUrl!, img.name.image));
    this.client = new UpstreamClient(scope, img, { challengeFirst: true, apiOrigin: this.origin });
    this.tokenScope = `repository:${this.name}:pull`;
  }

  url(path: string) {
    return `${this.origin}/v2/${this.name}/${path}`;
  }

  fetch(path: string, init: { method?: "GET" | "HEAD"; headers?: Record<string, string> } = {}) {
    return this.client.fetch(this.url(path), { ...init, tokenScope: this.tokenScope });
  }

  /** A manifest by tag or digest from the upstream, read whole; null when it has none. */
  async manifest(reference: string, method: "GET" | "HEAD" = "GET"): Promise<FetchOutcome & { digest?: string | null }> {
    const { response, abort } = await this.fetch(`manifests/${reference}`, { method, headers: { Accept: ACCEPT } });
    const digest = response.headers.get("docker-content-digest");
    if (method === "HEAD") {
      await response.body?.cancel();
      if (response.status === 404) return { kind: "not-found" };
      if (response.status !== 200) throw new RegistryError("UnavailableUpstream", `the upstream answered HTTP ${response.status}`);
      return { kind: "ok", bytes: new Uint8Array(0), contentType: response.headers.get("content-type"), digest };
    }
    if (response.status !== 200) return { ...(await classify(response, abort, this.client.timeoutMs)), digest };
    const bytes = await readWithin(response, MAX_MANIFEST_BYTES, this.client.timeoutMs * 3, abort);
    return { kind: "ok", bytes, contentType: response.headers.get("content-type"), digest };
  }

  /** Stores upstream manifest bytes (checked against `reference` when it is a digest). */
  async store(bytes: Uint8Array, contentType: string | null, reference: string) {
    try {
      await putManifest(this.scope, this.img, { reference, contentType, bytes, fromUpstream: true });
    } catch (e) {
      if (isRegistryError(e) && (e.code === "InvalidDigestMismatch" || e.code.startsWith("InvalidManifest"))) {
        throw new RegistryError("UnavailableUpstreamInvalid", `the upstream's manifest for ${reference} was refused: ${e.message}`);
      }
      throw e;
    }
  }
}

/** The tag's manifest: cached metadata (etag = its digest), revalidated by HEAD. */
async function byTag(u: OciUpstream, tag: string): Promise<UpstreamAnswer> {
  const doc = await cachedDocument(u.scope, u.img, `tag:${u.img.name.image}:${tag}`, async (validators) => {
    if (validators?.etag) {
      const head = await u.manifest(tag, "HEAD");
      if (head.kind === "ok" && head.digest === validators.etag) return { kind: "not-modified" };
    }
    const got = await u.manifest(tag);
    if (got.kind !== "ok") return got;
    const digest = `sha256:${await sha256Hex(got.bytes)}`;
    await u.store(got.bytes, got.contentType, tag);
    return { ...got, etag: digest };
  });
  if (!doc) throw new RegistryError("NotFoundManifest", `manifest unknown: ${tag}`, { detail: { reference: tag } });
  return { headers: cacheStateHeaders(doc.state) };
}

async function byDigest(u: OciUpstream, digest: string): Promise<UpstreamAnswer> {
  const { scope, img } = u;
  const isCached = async () => !!(await findManifestDigest(scope, img, digest));
  await fetchOnce(scope, img.repo.id, `manifest:${img.name.image}@${digest}`, isCached, async () => {
    const got = await u.manifest(digest);
    if (got.kind === "ok") await u.store(got.bytes, got.contentType, digest);
  });
  return { headers: {} };
}

function blobSpec(u: OciUpstream, digest: string): ArtifactSpec {
  return {
    key: `blob:${digest}`,
    url: u.url(`blobs/${digest}`),
    tokenScope: u.tokenScope,
    expect: { sha256: digest.slice("sha256:".length) },
    contentType: "application/octet-stream",
    isCached: async () => !!(await findRepoBlob(u.scope, u.img.repo.id, digest)),
    // ingestBlob linked it to the repo; the cached manifests naming it may now reference it.
    record: () => promotePendingRefs(u.scope, u.img.repo.id, digest),
  };
}

async function blob(c: Ctx, u: OciUpstream, rawDigest: string): Promise<UpstreamAnswer> {
  const { scope, img } = u;
  const digest = requireDigest(rawDigest);
  if (await findRepoBlob(scope, img.repo.id, digest)) return { headers: {} };
  // Not cached: the cached manifests that reference it decide, as for a stored blob (before anything is fetched).
  await enforcePendingBlob(scope, img, digest);
  if (c.req.method === "HEAD") {
    const { response } = await u.fetch(`blobs/${digest}`, { method: "HEAD" });
    await response.body?.cancel();
    if (response.status !== 200) return { headers: {} };
    const length = response.headers.get("content-length");
    return { response: empty(200, { "Content-Type": "application/octet-stream", "Docker-Content-Digest": digest, ...(length ? { "Content-Length": length } : {}) }) };
  }
  const pulled = await pullThrough(scope, u.client, blobSpec(u, digest));
  if (pulled.kind !== "streaming") return { headers: {} };
  return { response: sendStreamed(c, { ...pulled, digest }, { contentType: "application/octet-stream", headers: { "Docker-Content-Digest": digest } }) };
}

const tagsDocument = (u: OciUpstream) =>
  cachedDocument(u.scope, u.img, `tags:${u.img.name.image}`, async (validators) => {
    const { response, abort } = await u.fetch("tags/list", { headers: { Accept: "application/json", ...(validators?.etag ? { "If-None-Match": validators.etag } : {}) } });
    return classify(response, abort, u.client.timeoutMs);
  });

function tagsOf(bytes: Uint8Array): string[] {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { tags?: unknown };
    return Array.isArray(parsed.tags) ? parsed.tags.filter((t): t is string => typeof t === "string").sort() : [];
  } catch {
    throw new RegistryError("UnavailableUpstreamInvalid", "the upstream's tag list is not JSON");
  }
}

async function tagList(c: Ctx, u: OciUpstream, fullName: string): Promise<UpstreamAnswer> {
  const doc = await tagsDocument(u);
  if (!doc) throw new RegistryError("NotFoundImage", `no image ${fullName}`, { detail: { name: fullName } });
  const tags = tagsOf(doc.bytes);
  const last = c.req.query("last");
  const n = Number(c.req.query("n") ?? tags.length);
  const page = tags.filter((t) => !last || t > last).slice(0, Number.isFinite(n) && n >= 0 ? n : tags.length);
  return { response: c.json({ name: fullName, tags: page }, 200, cacheStateHeaders(doc.state)) };
}

/**
 * The `/v2` hook for upstream repos, run before the local handler: null for local repos
 * (and routes that don't name an image).
 */
export async function ociUpstream(c: Ctx, route: OciRoute): Promise<UpstreamAnswer | null> {
  if (!("name" in route)) return null;
  let project: string, repo: string;
  try {
    ({ project, repo } = parseName(route.name));
  } catch {
    return null; // the local handler answers the bad name
  }
  const scope = c.var.scope;
  let found = await routedRepo(scope, project, repo, OCI_FORMATS);
  // A project that is a proxy cache makes the repo on a pull's first use.
  if (!found && READS.has(c.req.method) && (await repoForProxyCache(scope, project, repo))) found = await routedRepo(scope, project, repo, OCI_FORMATS);
  if (found?.repo.kind !== "upstream") return null;
  forgetPlannedReads(scope);
  const img = await openImage(scope, route.name, "read");
  if (!READS.has(c.req.method)) {
    throw new RegistryError("ForbiddenRepoUpstream", `${project}/${repo} is an upstream (pull-through) repository: it can't be pushed to or changed`);
  }
  const u = new OciUpstream(scope, img);
  switch (route.kind) {
    case "manifest": {
      let ref: { tag: string } | { digest: string };
      try {
        ref = parseReference(route.reference);
      } catch {
        return null;
      }
      return "tag" in ref ? byTag(u, ref.tag) : byDigest(u, ref.digest);
    }
    case "blob":
      return blob(c, u, route.digest);
    case "tags":
      return tagList(c, u, route.name);
    default:
      return null;
  }
}

const imageIn = (opened: OpenedRepo, image: string): OpenedImage => ({ ...opened, name: parseName(`${opened.project.slug}/${opened.repo.slug}/${image}`) });

/** Copies a manifest's blobs (and, for an index, its child manifests and theirs) into the repo. */
async function copyContent(u: OciUpstream, digest: string, depth = 0): Promise<boolean> {
  const { meta, body } = await getManifest(u.scope, u.img, digest, true, null);
  const bytes = body instanceof Uint8Array ? body : new Uint8Array(await new Response(body).arrayBuffer());
  const parsed = parseManifest(bytes, meta.mediaType);
  let ok = true;
  for (const b of parsed.blobs) ok = (await cacheArtifact(u.scope, u.client, blobSpec(u, b.digest))) && ok;
  for (const child of depth === 0 ? parsed.manifests : []) {
    await byDigest(u, child.digest);
    ok = (await copyContent(u, child.digest, depth + 1)) && ok;
  }
  return ok;
}

/** Mirroring: the upstream's tags of an image, and caching one (its manifests and every blob). */
export const ociMirror: MirrorSupport = {
  async versions(scope, client, name) {
    const u = new OciUpstream(scope, imageIn(client.opened, name));
    const doc = await tagsDocument(u);
    return doc ? tagsOf(doc.bytes) : [];
  },
  async copy(scope, client, name, tag) {
    const u = new OciUpstream(scope, imageIn(client.opened, name));
    await byTag(u, tag);
    const tagged = await getManifest(scope, u.img, tag, false, null);
    return copyContent(u, tagged.meta.digest);
  },
};
