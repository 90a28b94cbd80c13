/**
 * RPM (dnf/yum) repository use-cases on the shared package model.
 *
 * Model: package = the header's Name, version = `[epoch:]version-release`; each upload is
 * one file named by its location `Packages/<letter>/<name>-<version>-<release>.<arch>.rpm`,
 * carrying its rendered repodata fragments (repodata.ts) in the file's metadata. Two
 * architectures of one version are two files of that version.
 *
 * Invariants:
 * - A location holds one content: the same bytes again are a no-op (200), other bytes
 *   are refused (409).
 * - repodata/ is generated from D1 on read (services/artifacts/repo-indexes.ts) and
 *   repomd.xml is signed with the repo's key (services/trust); it is never uploaded.
 */
import type { Scope } from "../../services/scope";
import type { OpenedRepo } from "../../services/projects";
import * as packages from "../../services/artifacts";
import { findKeptIndexFile, plannedIndexFile, plannedKeptIndexFile, plannedStoredFile, publishUploadedFile, readIndexFile, type IndexBuilder, type PlannedRead } from "../../services/artifacts";
import { detachSign, plannedSigningKey, repoPublicKey, type KeyOwner } from "../../services/trust";
import { conflict, invalid, notFound } from "../../core/errors";
import { readRpm } from "./header";
import { evrString, locationOf, packageInfo } from "./package-info";
import { buildRepodata, renderFragments, type RpmFragments } from "./repodata";
import { trashFile } from "../../services/lifecycle";

export const MAX_RPM_BYTES = 4 * 1024 * 1024 * 1024;
/** Rendered fragments live in a D1 row (2 MB values): a package listing more files is refused. */
export const MAX_FRAGMENT_BYTES = 1_500_000;
export const RPM_MEDIA_TYPE = "application/x-rpm";

export const keyOwner = (opened: OpenedRepo): KeyOwner => ({ id: opened.repo.id, label: `${opened.project.slug}/${opened.repo.slug}` });

interface RpmFileMetadata extends RpmFragments {
  nevra: string;
}

const isRpmMetadata = (m: Record<string, unknown>): m is RpmFileMetadata & Record<string, unknown> =>
  typeof m.primary === "string" && typeof m.filelists === "string" && typeof m.other === "string";

export interface UploadInput {
  body: ReadableStream<Uint8Array>;
  length: number | null;
  sha256?: string;
}

export async function uploadRpm(scope: Scope, opened: OpenedRepo, input: UploadInput) {
  let described: { name: string; version: string; arch: string; location: string; created: boolean } | null = null;
  const { blob } = await publishUploadedFile(
    scope,
    opened,
    input.body,
    { length: input.length, maxBytes: MAX_RPM_BYTES, expectedDigest: input.sha256 ? `sha256:${input.sha256}` : undefined, mediaType: RPM_MEDIA_TYPE, contentType: RPM_MEDIA_TYPE },
    async (reader, blob) => {
      const info = packageInfo(await readRpm(reader));
      const location = locationOf(info);
      const existing = await packages.findFileByName(scope, opened.repo.id, location);
      if (existing && existing.digest !== blob.digest) throw conflict("FileExists", `${location} already exists with other content`);
      const fragments = renderFragments(info, { sha256: blob.digest.slice("sha256:".length), size: blob.size, location, uploadedAt: Date.now() });
      const bytes = fragments.primary.length + fragments.filelists.length + fragments.other.length;
      if (bytes > MAX_FRAGMENT_BYTES) throw invalid("RpmTooLarge", `the package's metadata (${info.files.length} files) is larger than this registry indexes (${MAX_FRAGMENT_BYTES} bytes)`);
      const version = evrString(info);
      described = { name: info.name, version, arch: info.arch, location, created: !existing };
      const metadata: RpmFileMetadata = { ...fragments, nevra: `${info.name}-${version}.${info.arch}` };
      return {
        name: info.name,
        version,
        appendToExisting: true,
        packageMetadata: { summary: info.summary },
        versionMetadata: { epoch: info.epoch, version: info.version, release: info.release, license: info.license, url: info.url },
        files: [{ name: location, digest: blob.digest, size: blob.size, mediaType: RPM_MEDIA_TYPE, metadata: metadata as unknown as Record<string, unknown> }],
      };
    },
  );
  return { ...described!, digest: blob.digest, size: blob.size };
}

/** An .rpm with its blob and its version's policy columns, one query (none when the gate read it ahead), or a 404. */
async function findStored(scope: Scope, opened: OpenedRepo, path: string) {
  const stored = await packages.storedFile(scope, opened.repo.id, { name: path });
  if (!stored || !isRpmMetadata(stored.file.metadata)) throw notFound("File", `${path} not found`);
  return stored;
}

/** An .rpm to download: 451 when a policy (a block, a quarantine hold) refuses its version. */
export async function packageFile(scope: Scope, opened: OpenedRepo, path: string) {
  const stored = await findStored(scope, opened, path);
  await packages.enforceStoredFile(scope, opened, stored);
  return stored;
}

export async function deletePackageFile(scope: Scope, opened: OpenedRepo, path: string) {
  await trashFile(scope, opened, (await findStored(scope, opened, path)).file);
}

const HASHED = /^repodata\/([a-f0-9]{64})-(primary|filelists|other)\.xml\.gz$/;

/** The one read of each dnf read route, for the gate's batch (http/prefetch.ts). */
export function plannedRead(path: string): PlannedRead | null {
  if (path === "repodata/repomd.xml.key" || path === "key.asc") return plannedSigningKey();
  if (HASHED.test(path)) return plannedKeptIndexFile({ path });
  if (path.startsWith("repodata/")) return plannedIndexFile(path);
  if (path.startsWith("Packages/")) return plannedStoredFile({ name: path });
  return null;
}

const builder = (scope: Scope, opened: OpenedRepo): IndexBuilder => {
  const owner = keyOwner(opened);
  return async (input) => {
    const fragments = input.entries.map((e) => e.file.metadata).filter(isRpmMetadata);
    return { documents: await buildRepodata(fragments, input.rev, input.now, { detachSign: (data) => detachSign(scope, owner, data, new Date(input.now)) }) };
  };
};

/** A repodata/ document: repomd.xml (and .asc) from the current build, hashed data files from any kept build. */
export async function repodataFile(scope: Scope, opened: OpenedRepo, path: string) {
  const hashed = HASHED.test(path);
  const file =
    (hashed ? await findKeptIndexFile(scope, opened.repo.id, { path }) : null) ?? (await readIndexFile(scope, opened.repo.id, path, builder(scope, opened)));
  if (!file) throw notFound("File", `${path} not found`);
  return file;
}

export const publicKey = (scope: Scope, opened: OpenedRepo) => repoPublicKey(scope, keyOwner(opened));
