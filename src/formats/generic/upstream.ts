/**
 * A generic upstream repo: `upstream_url` is a URL prefix; `/generic/<p>/<r>/<path>`
 * fetches `<upstream_url>/<path>` once and keeps it.
 *
 * Invariants:
 * - The path is checked by the format's own grammar and the repo's name patterns before
 *   anything is fetched.
 * - The bytes are checked against the checksums the upstream's answer declares
 *   (`X-Checksum-Sha256`, `-Sha1`, `-Md5`, as Artifactory, Nexus and OrbitalReg send them)
 *   and its Content-Length; an upstream that declares none is stored on its length alone.
 * - A cached file is immutable: the upstream is not asked again for that path (unlike a
 *   local generic file, which a user with delete rights may replace).
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import type { OpenedRepo } from "../../services/projects";
import { assertNameAllowed, findFileByName, publishVersion } from "../../services/artifacts";
import { UpstreamClient, cacheArtifact, pullThrough, type ArtifactSpec, type Expected, type MirrorSupport, type VirtualSupport } from "../../services/proxy";
import type { Scope } from "../../services/scope";
import { sendStreamed } from "../../http/download";
import { notFound } from "../../core/errors";
import { parseFilePath } from "./file-path";
import { GENERIC_VERSION } from "./files";

const HEX = { sha256: /^[0-9a-f]{64}$/, sha1: /^[0-9a-f]{40}$/, md5: /^[0-9a-f]{32}$/ };

export function declaredChecksums(headers: Headers): Expected {
  const out: Expected = {};
  for (const alg of ["sha256", "sha1", "md5"] as const) {
    const v = headers.get(`x-checksum-${alg}`)?.trim().toLowerCase();
    if (v && HEX[alg].test(v)) out[alg] = v;
  }
  return out;
}

function fileSpec(scope: Scope, client: UpstreamClient, path: string, rawPath: string): ArtifactSpec {
  const opened = client.opened;
  return {
    key: `file:${path}`,
    url: rawPath,
    expect: {},
    expectFromHeaders: declaredChecksums,
    contentType: "application/octet-stream",
    checksums: ["sha1", "md5", "sha512"],
    policy: { name: path, displayName: path, version: GENERIC_VERSION, license: undefined },
    isCached: async () => !!(await findFileByName(scope, opened.repo.id, path)),
    record: async (blob) => {
      const published = await publishVersion(scope, opened, {
        name: path,
        version: GENERIC_VERSION,
        appendToExisting: true,
        files: [{ name: path, digest: blob.digest, size: blob.size, mediaType: null, metadata: { ...blob.checksums } }],
      });
      return { versionId: published.version.id, file: path };
    },
  };
}

/** Reads of a generic upstream repo; null lets the local route answer (cached files). */
export async function serveGenericUpstream(c: Context<AppEnv>, opened: OpenedRepo): Promise<Response | null> {
  const scope = c.var.scope;
  const rawPath = c.var.target.rest;
  const path = parseFilePath(rawPath);
  assertNameAllowed(opened, path);
  if (await findFileByName(scope, opened.repo.id, path)) return null;
  const client = new UpstreamClient(scope, opened);
  const pulled = await pullThrough(scope, client, fileSpec(scope, client, path, rawPath), { userAgent: c.req.header("user-agent") ?? null });
  if (pulled.kind === "cached") return null;
  if (pulled.kind === "missing") throw notFound("File", `${path} not found`);
  return sendStreamed(c, pulled, { contentType: "application/octet-stream" });
}

/** Mirroring: a generic "package" is a path with one version. */
export const genericMirror: MirrorSupport = {
  versions: async () => [GENERIC_VERSION],
  copy: (scope, client, name) => cacheArtifact(scope, client, fileSpec(scope, client, parseFilePath(name), name)),
};

/** Virtual repos: a path comes from the first member that has it. */
export const genericVirtual: VirtualSupport = {
  packageOf(rest) {
    try {
      return parseFilePath(rest);
    } catch {
      return null;
    }
  },
  merges: () => false,
  merge: async (answers) => answers[0]!,
};
