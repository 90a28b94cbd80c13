/**
 * Generic files: arbitrary bytes at user-chosen paths.
 *
 * Mapping onto the package model: one package per file path (name = the path), with
 * one version, `current`, holding one file named by the path. So the governance
 * listing of a generic repo's packages is its list of paths.
 *
 * Invariants:
 * - A PUT of a path that exists with the same bytes is an idempotent no-op; with other
 *   bytes it replaces the file only if the caller also holds `delete` (overwriting
 *   destroys the old content), else `ConflictFileExists`.
 * - Declared checksums (sha256, sha1, md5) are verified before anything is recorded.
 * - sha1/md5/sha512 are computed at upload and kept in the file's metadata, so every
 *   download can return them without re-reading the bytes.
 * - Policies: a block names a path (or a glob of paths) with no versions; GET and HEAD
 *   of a blocked or held file answer 451. Files declare no licence: licence policies
 *   don't judge them.
 */
import type { Scope } from "../../services/scope";
import type { OpenedRepo } from "../../services/projects";
import { ingestBlob } from "../../services/artifacts";
import * as packages from "../../services/artifacts";
import { conflict, notFound } from "../../core/errors";
import type { ChecksumAlgorithm } from "../../services/artifacts";
import { enforceVersion } from "../../services/policy";
import { trashPackage } from "../../services/lifecycle";

export const GENERIC_VERSION = "current";

export interface PutFileInput {
  path: string;
  body: ReadableStream<Uint8Array>;
  length: number | null;
  mediaType: string | null;
  sha256?: string;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

export async function putFile(scope: Scope, opened: OpenedRepo, input: PutFileInput) {
  packages.assertNameAllowed(opened, input.path);
  const blob = await ingestBlob(scope, opened.repo, input.body, {
    length: input.length,
    expectedDigest: input.sha256 ? `sha256:${input.sha256.toLowerCase()}` : undefined,
    expectedChecksums: input.checksums,
    checksums: ["sha1", "md5", "sha512"],
    mediaType: input.mediaType,
  });
  const file = { name: input.path, digest: blob.digest, size: blob.size, mediaType: input.mediaType, metadata: { ...blob.checksums } };
  const existing = await packages.findFileByName(scope, opened.repo.id, input.path);
  if (existing && existing.digest === blob.digest) return { file: existing, created: false };
  if (existing) {
    const mayOverwrite = await scope.access.can("delete", { projectId: opened.project.id, repo: opened.repo });
    if (!mayOverwrite) {
      await packages.releaseUnusedBlobs(scope, opened.repo, [blob.digest]);
      throw conflict("FileExists", `${input.path} already exists with other content; replacing it needs the delete permission`);
    }
    await trashPackage(scope, opened, (await packages.findPackage(scope, opened.repo.id, input.path))!, { reason: "overwrite" });
  }
  try {
    const published = await packages.publishVersion(scope, opened, { name: input.path, version: GENERIC_VERSION, files: [file] });
    return { file: published.files[0]!, created: true };
  } catch (e) {
    await packages.releaseUnusedBlobs(scope, opened.repo, [blob.digest]);
    throw e;
  }
}

/** The file at a path, with its blob: one D1 round trip (a path can be given other bytes, so it is not cached); 451 when a policy (a block, a quarantine hold) refuses it. */
export async function getFile(scope: Scope, opened: OpenedRepo, path: string) {
  const stored = await packages.storedFile(scope, opened.repo.id, { name: path });
  if (!stored) throw notFound("File", `${path} not found`);
  await packages.enforceStoredFile(scope, opened, stored);
  return stored;
}

export const plannedFileRead = (path: string) => packages.plannedStoredFile({ name: path });

/** Removes the path: its package, version and file. */
export async function removeFile(scope: Scope, opened: OpenedRepo, path: string) {
  const pkg = await packages.findPackage(scope, opened.repo.id, path);
  if (!pkg) throw notFound("File", `${path} not found`);
  await trashPackage(scope, opened, pkg);
}
