/**
 * The package model every language format stores into: package → version → files,
 * each file a content-addressed blob already ingested with services/artifacts/blobs.ts.
 *
 * Invariants:
 * - A package name must pass the repo's allowed/blocked patterns.
 * - `publishVersion` is atomic: the package (if new), the version (if new) and every
 *   file land in one D1 batch, or nothing does. A version that exists is refused
 *   (`ConflictVersionExists`) unless the caller allows adding files to it (PyPI adds
 *   wheels to a release, Maven SNAPSHOTs add timestamped builds); a file name that
 *   exists with other content is always refused (`ConflictFileExists`), the same
 *   content is an idempotent no-op. A publish that loses a race with a concurrent one
 *   (unique or foreign-key failure of its batch) re-reads and retries, up to 3 times.
 * - Nothing here deletes a version or file: every deletion moves it to the trash
 *   (services/lifecycle/trash.ts), which keeps its blobs linked until it is purged. A
 *   refused upload's blobs are unlinked when nothing else in the repo needs them.
 * - Every publish emits `artifact.uploaded`.
 * - Every change to a repo's packages, versions or files bumps the repo's content
 *   revision in the same batch (generated indexes are rebuilt from it: repo-indexes.ts).
 * - A new version passes the policy domain's admission first (services/policy): a
 *   licence policy may refuse it, and it is inserted with its policy columns (the block
 *   that matches it, its quarantine hold, its publisher), so no download ever sees it
 *   without them.
 * - A yank/deprecation changed through the governance API (`updateVersionStatus`) is
 *   audited in the same batch and emits `artifact.updated`; `setVersionFlags` is the
 *   protocols' own path (npm deprecate, cargo yank) and writes the flags only.
 */
import type { Scope } from "../scope";
import type { OpenedRepo } from "../projects/repos";
import { auditQuery, emitEvent } from "../events/audit";
import * as q from "../../db/packages";
import { relinkUploaded, unlinkBlob, type KnownBlob, type RepoRef } from "./blobs";
import { blobAndLinkRead } from "../../db/blobs";
import { gcRefusal, isForeignKeyViolation, isUniqueViolation } from "../../db/errors";
import { RegistryError, conflict, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { nameAllowed } from "../../core/names";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import { runBatch, runRead, runReads, type Statement } from "../../db/client";
import { bumpRevision, bumpRevisionOfPackage } from "../../db/indexes";
import { admissionReadOf, admitPackageVersion, judgeLicenseAtPublish, licensePoliciesOf, type Admission, type AdmissionReads } from "../policy";
import { clearCacheGroup } from "../../core/ttl-cache";

export type { FileRow, PackageRow, VersionRow } from "../../db/packages";

export interface FileInput {
  name: string;
  digest: string;
  size: number;
  mediaType?: string | null;
  metadata?: Record<string, unknown>;
}

export interface PublishInput {
  /** Normalized name (lookup key). */
  name: string;
  /** Name as the publisher spelled it. */
  displayName?: string;
  version: string;
  versionMetadata?: Record<string, unknown>;
  /** Merged into the package's metadata (shallow). */
  packageMetadata?: Record<string, unknown>;
  files: FileInput[];
  /** Allow adding files to an existing version. */
  appendToExisting?: boolean;
  /**
   * The licence the version declares (SPDX expression or text; null: none declared),
   * judged by licence policies. Undefined: not known yet (a Maven version's files before
   * its POM); a later publish into the version that knows it records and judges it.
   */
  license?: string | null;
  /** The package and version as the caller just read them (`findPackageAndVersion`): the first attempt reads nothing again. */
  known?: PackageAndVersion;
  /** Written in the publish's own D1 batch (a promotion's audit row): they land with the version or not at all. */
  alsoInBatch?: Statement[];
}

export interface PackageAndVersion {
  pkg: q.PackageRow | undefined;
  version: q.VersionRow | undefined;
  /** What admitting a new version reads (services/policy), when it was read with them. */
  admission?: AdmissionReads;
}

/** A package and one of its versions, either possibly missing: one D1 round trip. */
export const findPackageAndVersion = (scope: Scope, repoId: string, name: string, version: string): Promise<PackageAndVersion> =>
  runRead(scope.db, q.packageAndVersionRead(scope.db, repoId, name, version));

/**
 * Everything a publish of one file reads before it writes, in ONE D1 batch: the package
 * and version, what admitting a new version reads (blocks, quarantine, licence policies),
 * and the blob of `digest` with this repo's link to it (for ingestBlob's `known`). The
 * publish then writes its link batch and its version batch, and reads nothing else.
 */
export async function readForPublish(scope: Scope, opened: OpenedRepo, name: string, version: string, digest: string): Promise<PackageAndVersion & { blob: KnownBlob }> {
  const [known, admission, blob] = await runReads(scope.db, [
    q.packageAndVersionRead(scope.db, opened.repo.id, name, version),
    admissionReadOf(scope, opened),
    blobAndLinkRead(scope.db, opened.repo.id, digest),
  ]);
  return { ...(known as PackageAndVersion), admission: admission as AdmissionReads, blob: { digest, ...(blob as Omit<KnownBlob, "digest">) } };
}

export interface PublishedVersion {
  package: q.PackageRow;
  version: q.VersionRow;
  files: q.FileRow[];
}

export function assertNameAllowed(opened: OpenedRepo, name: string) {
  if (!nameAllowed(name, opened.repo.allowedPatterns, opened.repo.blockedPatterns)) {
    throw new RegistryError("ForbiddenPackageName", `the name '${name}' is not allowed in this repository`);
  }
}

/**
 * The most JSON a package's or a version's metadata may take. D1 refuses a row past
 * 2,000,000 bytes (its documented limit; `wrangler dev` does not enforce it), and the row
 * has other columns: a publish past this is refused, never half-written.
 */
export const MAX_METADATA_BYTES = 1_000_000;

function assertMetadataFits(what: string, metadata: Record<string, unknown>) {
  const bytes = new TextEncoder().encode(JSON.stringify(metadata)).byteLength;
  if (bytes > MAX_METADATA_BYTES) throw new RegistryError("PayloadTooLargeMetadata", `${what}'s metadata is ${bytes} bytes of JSON; at most ${MAX_METADATA_BYTES} are kept`);
}

/** A concurrent publish to the same package/version committed between our reads and our batch. */
class RaceLost extends Error {}
const PUBLISH_ATTEMPTS = 3;

export async function publishVersion(scope: Scope, opened: OpenedRepo, input: PublishInput): Promise<PublishedVersion> {
  for (let attempt = 1; ; attempt++) {
    try {
      // A retry re-reads: the winner of the race changed what the caller had read.
      return await attemptPublish(scope, opened, attempt === 1 ? input : { ...input, known: undefined });
    } catch (e) {
      // Re-read and try again: the retry sees the winner's rows, so it appends (Maven
      // files uploaded in parallel) or refuses with ConflictVersionExists/FileExists.
      if (!(e instanceof RaceLost)) throw e;
      if (attempt >= PUBLISH_ATTEMPTS) {
        throw conflict("VersionExists", `${input.displayName ?? input.name}@${input.version} was published concurrently`);
      }
    }
  }
}

async function attemptPublish(scope: Scope, opened: OpenedRepo, input: PublishInput): Promise<PublishedVersion> {
  assertNameAllowed(opened, input.name);
  const repoId = opened.repo.id;
  const now = Date.now();
  const known = input.known ?? (await findPackageAndVersion(scope, repoId, input.name, input.version));
  const existingPkg = known.pkg;
  const pkg: q.PackageRow = existingPkg
    ? { ...existingPkg, metadata: { ...existingPkg.metadata, ...(input.packageMetadata ?? {}) }, updatedAt: now }
    : {
        id: newId(),
        repoId,
        name: input.name,
        displayName: input.displayName ?? input.name,
        metadata: input.packageMetadata ?? {},
        createdAt: now,
        updatedAt: now,
      };
  const existingVersion = existingPkg ? known.version : undefined;
  if (existingVersion && !input.appendToExisting) {
    throw conflict("VersionExists", `${input.displayName ?? input.name}@${input.version} already exists and can't be overwritten`);
  }
  const subject = { name: input.name, displayName: pkg.displayName, version: input.version, license: input.license };
  const admission = existingVersion ? null : await admitPackageVersion(scope, opened, subject, known.admission);
  const learnt = existingVersion && existingVersion.license === null && typeof input.license === "string" ? await judgeLearntLicense(scope, opened, existingVersion, subject) : null;
  const version: q.VersionRow = existingVersion
    ? { ...existingVersion, metadata: { ...existingVersion.metadata, ...(input.versionMetadata ?? {}) }, license: learnt ? input.license! : existingVersion.license, updatedAt: now }
    : {
        id: newId(),
        packageId: pkg.id,
        version: input.version,
        metadata: input.versionMetadata ?? {},
        yanked: null,
        deprecated: null,
        license: input.license ?? null,
        blockedBy: admission!.blockedBy,
        licenseBlockedBy: null,
        heldUntil: admission!.heldUntil,
        publishedBy: admission!.owner,
        lastDownloadedAt: null,
        createdAt: now,
        updatedAt: now,
      };

  assertMetadataFits(pkg.displayName, pkg.metadata);
  assertMetadataFits(`${pkg.displayName}@${version.version}`, version.metadata);
  const newFiles: q.FileRow[] = [];
  for (const f of input.files) {
    const existing = existingVersion ? await q.findFileInVersion(scope.db, version.id, f.name) : undefined;
    if (existing) {
      if (existing.digest !== f.digest) throw conflict("FileExists", `${f.name} already exists with different content`);
      continue;
    }
    newFiles.push({
      id: newId(),
      versionId: version.id,
      repoId,
      name: f.name,
      digest: f.digest,
      size: f.size,
      mediaType: f.mediaType ?? null,
      metadata: f.metadata ?? {},
      createdAt: now,
    });
  }

  const statements: Statement[] = [
    existingPkg ? q.updatePackage(scope.db, pkg.id, { metadata: pkg.metadata, updatedAt: now }) : q.insertPackage(scope.db, pkg),
    existingVersion ? q.updateVersion(scope.db, version.id, { metadata: version.metadata, license: version.license, updatedAt: now }) : q.insertVersion(scope.db, version),
    ...newFiles.map((f) => q.insertFile(scope.db, f)),
    ...(admission?.statements ?? []),
    ...(learnt?.statements ?? []),
    bumpRevision(scope.db, repoId, now),
    ...(input.alsoInBatch ?? []),
  ];
  try {
    await runBatch(scope.db, statements);
  } catch (e) {
    // A concurrent publish of the same package/version/file won the race (a package row
    // inserted by the winner makes ours a no-op, and our version then fails its foreign key).
    if (isUniqueViolation(e) || isForeignKeyViolation(e)) throw new RaceLost();
    // A concurrent purge unlinked a blob this request just uploaded (docs/gc.md): link it
    // again (we hold its bytes) and retry, or ask for the upload again if GC took it.
    if (gcRefusal(e) === "unlinked") {
      if (await relinkUploaded(scope, opened.repo, newFiles.map((f) => f.digest))) throw new RaceLost();
      throw new RegistryError("UnavailableBlobCollected", "the uploaded content was removed by garbage collection before it was published; upload it again");
    }
    throw e;
  }
  for (const f of newFiles) {
    await emitEvent(scope, {
      type: "artifact.uploaded",
      project_id: opened.project.id,
      data: { format: opened.repo.format, repo_id: repoId, package: pkg.displayName, version: version.version, file: f.name, digest: f.digest, size: f.size },
    });
  }
  await admission?.after({ heldId: version.id, digest: null });
  await learnt?.after({ heldId: version.id, digest: null });
  return { package: pkg, version, files: newFiles };
}

/**
 * A licence learnt after its version was created (a Maven POM after the jar): judged like
 * a new version's. Refused: the version keeps the licence and the refusal (its downloads
 * answer 451), and the publish fails; warned: audited with the publish.
 */
async function judgeLearntLicense(scope: Scope, opened: OpenedRepo, version: q.VersionRow, subject: { name: string; displayName: string; version: string; license: string | null | undefined }): Promise<Pick<Admission, "statements" | "after">> {
  try {
    const warnings = await judgeLicenseAtPublish(scope, opened, subject, await licensePoliciesOf(scope, opened));
    const now = Date.now();
    return {
      statements: warnings.map((f) =>
        auditQuery(scope, { action: "license.warn", resourceType: "license_policy", resourceId: f.policy.id, projectId: opened.project.id, after: { repo_id: opened.repo.id, package: subject.displayName, version: subject.version, license: subject.license ?? null, reason: f.reason } }, now),
      ),
      after: async () => {},
    };
  } catch (e) {
    const policyId = (e as RegistryError).code === "ForbiddenLicensePolicy" ? ((e as RegistryError).detail as { policy_id: string }).policy_id : null;
    if (policyId) await q.updateVersion(scope.db, version.id, { license: subject.license ?? null, licenseBlockedBy: policyId, updatedAt: Date.now() }).run();
    throw e;
  }
}

export const findPackage = (scope: Scope, repoId: string, name: string) => q.findPackage(scope.db, repoId, name);
export const findVersion = (scope: Scope, packageId: string, version: string) => q.findVersion(scope.db, packageId, version);
export const findFileByName = (scope: Scope, repoId: string, name: string) => q.findFileByName(scope.db, repoId, name);
/** A file to download by name, with its version (policy columns) and package name, in one query. */
export const findFileForDownload = (scope: Scope, repoId: string, name: string) => q.findFileForDownload(scope.db, repoId, name);
export const filesOfVersion = (scope: Scope, versionId: string) => q.filesOfVersions(scope.db, [versionId]);

/** Every version of a package with its files, oldest first. */
export async function versionsWithFiles(scope: Scope, packageId: string) {
  const versions = await q.listVersions(scope.db, packageId);
  const files = await q.filesOfVersions(scope.db, versions.map((v) => v.id));
  return versions.map((v) => ({ version: v, files: files.filter((f) => f.versionId === v.id) }));
}

export async function listPackages(scope: Scope, repoId: string, search?: string, cursor?: string, limit?: number) {
  const n = clampLimit(limit);
  return toPage(await q.listPackages(scope.db, repoId, search, decodeCursor(cursor), n), n);
}

export type { PackageQuery } from "../../db/packages";
const MAX_SEARCH_TERMS = 10;
const MAX_SEARCH_KEYWORDS = 20;
const MAX_SEARCH_TERM_CHARS = 200;

/**
 * A format's own search over one repository (npm's `/-/v1/search`, `cargo search`): the
 * packages whose name, description or keywords hold every term (and one of `keywords`,
 * when given), in one D1 query. Past MAX_SEARCH_TERMS terms and MAX_SEARCH_KEYWORDS
 * keywords the rest are ignored (D1 binds at most 100 parameters), and each is cut to
 * MAX_SEARCH_TERM_CHARS.
 */
export async function searchPackages(scope: Scope, repoId: string, query: q.PackageQuery, limit: number) {
  const clean = (words: string[], max: number) => words.map((w) => w.trim().slice(0, MAX_SEARCH_TERM_CHARS)).filter(Boolean).slice(0, max);
  const terms = clean(query.terms, MAX_SEARCH_TERMS);
  const keywords = clean(query.keywords, MAX_SEARCH_KEYWORDS);
  return q.searchRepoPackages(scope.db, repoId, { terms, keywords }, Math.min(Math.max(limit, 1), 500));
}

/** Version numbers (and yanks) of many packages at once: a search page's `max_version` without a query per package. */
export const versionNumbersOf = (scope: Scope, packageIds: string[]) => q.versionNumbersOf(scope.db, packageIds);

/** Changes a package's metadata (npm dist-tags); emits no event, so it clears the cached documents itself. */
export async function updatePackageMetadata(scope: Scope, pkg: q.PackageRow, metadata: Record<string, unknown>) {
  await q.updatePackage(scope.db, pkg.id, { metadata, updatedAt: Date.now() }).run();
  clearCacheGroup("artifacts");
}

export async function setVersionFlags(scope: Scope, version: q.VersionRow, flags: { yanked?: string | null; deprecated?: string | null; metadata?: Record<string, unknown> }) {
  const now = Date.now();
  await runBatch(scope.db, [q.updateVersion(scope.db, version.id, { ...flags, updatedAt: now }), bumpRevisionOfPackage(scope.db, version.packageId, now)]);
  clearCacheGroup("artifacts");
}

/** One page of a package's versions, each with its files, oldest first. */
export async function pageOfVersions(scope: Scope, packageId: string, cursor?: string, limit?: number) {
  const n = clampLimit(limit);
  const page = toPage(await q.listVersionsPage(scope.db, packageId, decodeCursor(cursor), n), n);
  const files = await q.filesOfVersions(scope.db, page.items.map((v) => v.id));
  return { items: page.items.map((v) => ({ version: v, files: files.filter((f) => f.versionId === v.id) })), nextCursor: page.nextCursor };
}

/** Yank/unyank or (un)deprecate a version from the governance API: audited, then `artifact.updated`. */
export async function updateVersionStatus(
  scope: Scope,
  opened: OpenedRepo,
  pkg: q.PackageRow,
  version: q.VersionRow,
  flags: { yanked?: string | null; deprecated?: string | null },
) {
  const now = Date.now();
  const after: q.VersionRow = { ...version, ...flags, updatedAt: now };
  const before = { yanked: version.yanked, deprecated: version.deprecated };
  await scope.db.batch([
    q.updateVersion(scope.db, version.id, { ...flags, updatedAt: now }),
    bumpRevision(scope.db, opened.repo.id, now),
    auditQuery(
      scope,
      { action: "artifact.update", resourceType: "version", resourceId: version.id, projectId: opened.project.id, before, after: { yanked: after.yanked, deprecated: after.deprecated } },
      now,
    ),
  ]);
  await emitEvent(scope, {
    type: "artifact.updated",
    project_id: opened.project.id,
    data: { format: opened.repo.format, repo_id: opened.repo.id, package: pkg.displayName, version: version.version, yanked: after.yanked, deprecated: after.deprecated },
  });
  return after;
}

/**
 * Unlinks blobs from the repo when no file of the repo points at them: for a format
 * that ingested a blob and then refused the upload (bad metadata, checksum mismatch).
 */
export const releaseUnusedBlobs = (scope: Scope, repo: RepoRef, digests: string[]) => unlinkUnused(scope, repo, digests);

async function unlinkUnused(scope: Scope, repo: RepoRef, digests: string[]) {
  // unlinkBlob's statement itself keeps a link a file, manifest or trash entry needs.
  for (const digest of new Set(digests)) await unlinkBlob(scope, repo, digest);
}

export function requirePackage<T>(value: T | undefined | null, what: string): T {
  if (!value) throw notFound("Package", `${what} not found`);
  return value;
}
