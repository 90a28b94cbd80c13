/**
 * Debian repository use-cases on the shared package model.
 *
 * Model: package = the control file's `Package`, version = its `Version`; each upload is
 * one file named by its pool path `pool/<dist>/<component>/<prefix>/<name>/<name>_<version>_<arch>.deb`
 * (the epoch left out, as Debian does), carrying its distribution, component,
 * architecture and control stanza in the file's metadata. The same .deb in two
 * distributions is two files over one stored blob.
 *
 * Invariants:
 * - A distribution holds one content per (package, version, architecture): the same
 *   bytes again are a no-op (200), other bytes are refused (409), in whatever component.
 * - The index (dists/) is generated from D1 on read by services/artifacts/repo-indexes.ts
 *   and signed with the repo's key (services/trust); it is never uploaded.
 */
import type { Scope } from "../../services/scope";
import type { OpenedRepo } from "../../services/projects";
import * as packages from "../../services/artifacts";
import { findKeptIndexFile, plannedIndexFile, plannedKeptIndexFile, plannedStoredFile, publishUploadedFile, readIndexFile, type IndexBuilder, type PlannedRead } from "../../services/artifacts";
import { clearSign, detachSign, plannedSigningKey, repoPublicKey, type KeyOwner } from "../../services/trust";
import { conflict, invalid, notFound } from "../../core/errors";
import { fileVersion, renderStanza } from "./control";
import { readDebControl } from "./deb-file";
import { buildAptIndex, isDebMetadata, type DebFileMetadata } from "./release";
import { trashFile } from "../../services/lifecycle";

export const MAX_DEB_BYTES = 2 * 1024 * 1024 * 1024;
export const DEFAULT_DISTRIBUTION = "bookworm";
export const DEFAULT_COMPONENT = "main";
const NAME = /^[a-z0-9][a-z0-9.+_-]{0,63}$/;
export const DEB_MEDIA_TYPE = "application/vnd.debian.binary-package";

export function assertDistName(what: "distribution" | "component", value: string): string {
  if (!NAME.test(value)) throw invalid(what === "distribution" ? "DebDistribution" : "DebComponent", `the ${what} '${value}' is not valid (lowercase letters, digits and . + _ -, at most 64)`);
  return value;
}

const poolPrefix = (name: string) => (name.startsWith("lib") && name.length > 3 ? name.slice(0, 4) : name[0]!);

export const poolPath = (dist: string, component: string, pkg: string, version: string, arch: string) =>
  `pool/${dist}/${component}/${poolPrefix(pkg)}/${pkg}/${pkg}_${fileVersion(version)}_${arch}.deb`;

export const keyOwner = (opened: OpenedRepo): KeyOwner => ({ id: opened.repo.id, label: `${opened.project.slug}/${opened.repo.slug}` });

export interface UploadInput {
  body: ReadableStream<Uint8Array>;
  length: number | null;
  sha256?: string;
  distribution: string;
  component: string;
}

export async function uploadDeb(scope: Scope, opened: OpenedRepo, input: UploadInput) {
  let created = true;
  let described: { name: string; version: string; architecture: string; filename: string } | null = null;
  const { blob } = await publishUploadedFile(
    scope,
    opened,
    input.body,
    {
      length: input.length,
      maxBytes: MAX_DEB_BYTES,
      expectedDigest: input.sha256 ? `sha256:${input.sha256}` : undefined,
      checksums: ["md5", "sha1"],
      mediaType: DEB_MEDIA_TYPE,
      contentType: DEB_MEDIA_TYPE,
    },
    async (reader, blob) => {
      const control = await readDebControl(reader);
      const filename = poolPath(input.distribution, input.component, control.package, control.version, control.architecture);
      await assertOneContentPerDistribution(scope, opened, control.package, control.version, control.architecture, input.distribution, blob.digest);
      const clash = await packages.findFileByName(scope, opened.repo.id, filename);
      if (clash && clash.digest !== blob.digest) throw conflict("FileExists", `${filename} already exists with other content`);
      created = !clash;
      described = { name: control.package, version: control.version, architecture: control.architecture, filename };
      const metadata: DebFileMetadata = {
        distribution: input.distribution,
        component: input.component,
        architecture: control.architecture,
        control: renderStanza(control.fields),
        md5: blob.checksums.md5!,
        sha1: blob.checksums.sha1!,
      };
      const summary = control.fields.find((f) => f.name.toLowerCase() === "description")?.value.split("\n")[0];
      return {
        name: control.package,
        version: control.version,
        appendToExisting: true,
        packageMetadata: summary ? { summary } : {},
        files: [{ name: filename, digest: blob.digest, size: blob.size, mediaType: DEB_MEDIA_TYPE, metadata: metadata as unknown as Record<string, unknown> }],
      };
    },
  );
  return { ...described!, digest: blob.digest, size: blob.size, distribution: input.distribution, component: input.component, created };
}

async function assertOneContentPerDistribution(scope: Scope, opened: OpenedRepo, name: string, version: string, arch: string, dist: string, digest: string) {
  const pkg = await packages.findPackage(scope, opened.repo.id, name);
  const row = pkg && (await packages.findVersion(scope, pkg.id, version));
  if (!row) return;
  for (const f of await packages.filesOfVersion(scope, row.id)) {
    const m = f.metadata;
    if (isDebMetadata(m) && m.distribution === dist && m.architecture === arch && f.digest !== digest) {
      throw conflict("FileExists", `${name} ${version} (${arch}) is already in ${dist} (${m.component}) with other content`);
    }
  }
}

/** A .deb of the pool with its blob and its version's policy columns, one query (none when the gate read it ahead), or a 404. */
async function findStored(scope: Scope, opened: OpenedRepo, path: string) {
  const stored = await packages.storedFile(scope, opened.repo.id, { name: path });
  if (!stored || !isDebMetadata(stored.file.metadata)) throw notFound("File", `${path} not found`);
  return stored;
}

/** A .deb to download: 451 when a policy (a block, a quarantine hold) refuses its version. */
export async function poolFile(scope: Scope, opened: OpenedRepo, path: string) {
  const stored = await findStored(scope, opened, path);
  await packages.enforceStoredFile(scope, opened, stored);
  return stored;
}

export async function deletePoolFile(scope: Scope, opened: OpenedRepo, path: string) {
  await trashFile(scope, opened, (await findStored(scope, opened, path)).file);
}

/** The one read of each apt read route, for the gate's batch (http/prefetch.ts). */
export function plannedRead(path: string): PlannedRead | null {
  const byHash = BY_HASH.exec(path);
  if (byHash) return plannedKeptIndexFile({ sha256: byHash[2]!, under: byHash[1]! });
  if (path.startsWith("dists/")) return plannedIndexFile(path);
  if (path.startsWith("pool/")) return plannedStoredFile({ name: path });
  if (path === "key.asc" || path === "key.gpg") return plannedSigningKey();
  return null;
}

const BY_HASH = /^(dists\/.+\/)by-hash\/SHA256\/([a-f0-9]{64})$/;

const builder = (scope: Scope, opened: OpenedRepo): IndexBuilder => {
  const owner = keyOwner(opened);
  return (input) =>
    buildAptIndex(input, `OrbitalReg ${owner.label}`, {
      clearSign: (text) => clearSign(scope, owner, text, new Date(input.now)),
      detachSign: (data) => detachSign(scope, owner, data, new Date(input.now)),
    });
};

/** A document of the dists/ tree: the current build's, or for by-hash names any kept build's. */
export async function distsFile(scope: Scope, opened: OpenedRepo, path: string) {
  const byHash = BY_HASH.exec(path);
  const file = byHash
    ? await findKeptIndexFile(scope, opened.repo.id, { sha256: byHash[2]!, under: byHash[1]! })
    : await readIndexFile(scope, opened.repo.id, path, builder(scope, opened));
  if (!file) throw notFound("File", `${path} not found`);
  return file;
}

export const publicKey = (scope: Scope, opened: OpenedRepo) => repoPublicKey(scope, keyOwner(opened));
