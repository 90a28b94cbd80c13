/**
 * An artifact reference, as scanners, promotions and verifications name one, resolved to
 * what the registry stores: a package version (with its files) or an image manifest.
 *
 *   {repo_id, name, version}            a package version (name as published or normalized)
 *   {repo_id, name, version: <tag>}      an image manifest by tag (docker/helm repos)
 *   {repo_id, name, digest}              an image manifest by digest (or a package file)
 *
 * Invariants:
 * - Resolving opens the repo for the caller's `action` first (openRepo: 401/403/404 and
 *   read-only rules), so nothing about an artifact is learned without the right to act.
 * - An image subject is identified by its manifest digest, whatever tag named it; a
 *   package subject by its normalized name and version.
 */
import type { Scope } from "../scope";
import { openRepo, type OpenedRepo } from "../projects/repos";
import { findPackage, findVersion, filesOfVersion, type FileRow, type PackageRow, type VersionRow } from "../artifacts/packages";
import { OCI_FORMATS, openImage, type OpenedImage } from "../oci/access";
import { peekManifest } from "../oci/manifests";
import { findProject, findRepo } from "../../db/projects";
import type { ManifestMeta } from "../../db/oci";
import type { SubjectKey } from "../../db/findings";
import { RegistryError, invalid, notFound } from "../../core/errors";
import { parseDigest } from "../../core/digest";
import type { Action } from "../../auth/principal";

/** How a repo format normalizes a package name (the format registry's rule, passed down by routes). */
export type PackageKeyOf = (repoFormat: string, name: string) => string;

export interface ArtifactRef {
  repoId: string;
  name: string;
  version?: string | null;
  digest?: string | null;
}

export interface PackageSubject {
  type: "package";
  opened: OpenedRepo;
  pkg: PackageRow;
  version: VersionRow;
  files: FileRow[];
  /** A file of the version named by digest, or null (the version as a whole). */
  fileDigest: string | null;
}

export interface ImageSubject {
  type: "image";
  opened: OpenedImage;
  manifest: ManifestMeta;
  /** The tag the reference used, if any. */
  tag: string | null;
}

export type Subject = PackageSubject | ImageSubject;

export const isOciRepo = (format: string) => (OCI_FORMATS as readonly string[]).includes(format);

/** A repo by id, opened for `action` the way protocol requests open it. */
export async function openRepoById(scope: Scope, repoId: string, action: Action): Promise<OpenedRepo> {
  const repo = await findRepo(scope.db, repoId);
  const project = repo && (await findProject(scope.db, repo.projectId));
  if (!repo || !project) {
    if (scope.access.principal.type === "anonymous") throw scope.access.denial(action);
    throw notFound("Repo", `repository ${repoId} not found`);
  }
  return openRepo(scope, project.slug, repo.slug, action, [repo.format]);
}

export async function resolveSubject(scope: Scope, keyOf: PackageKeyOf, ref: ArtifactRef, action: Action): Promise<Subject> {
  const opened = await openRepoById(scope, ref.repoId, action);
  if (!ref.name) throw invalid("ArtifactRef", "name the package or image");
  if (isOciRepo(opened.repo.format)) {
    const reference = ref.digest ?? ref.version;
    if (!reference) throw invalid("ArtifactRef", "name the image's manifest by `digest` (or a tag as `version`)");
    const img = await openImage(scope, `${opened.project.slug}/${opened.repo.slug}/${ref.name}`, action);
    // Not getManifest: a blocked image is still a subject (promotion refuses it by its
    // `security` gate, scanners may report on it), as a blocked package version is.
    const manifest = await peekManifest(scope, img, reference);
    if (!manifest) throw new RegistryError("NotFoundManifest", `manifest unknown: ${reference}`, { detail: { reference } });
    return { type: "image", opened: img, manifest, tag: ref.digest ? null : reference };
  }
  if (!ref.version) throw invalid("ArtifactRef", "name the package's `version`");
  return packageSubject(scope, opened, keyOf, { name: ref.name, version: ref.version, digest: ref.digest ?? null });
}

/** A package version of an opened repo (the caller checked its right there) as a subject; 404 when it is not there. */
export async function packageSubject(scope: Scope, opened: OpenedRepo, keyOf: PackageKeyOf | null, ref: { name: string; version: string; digest: string | null }): Promise<PackageSubject> {
  const pkg = (await findPackage(scope, opened.repo.id, ref.name)) ?? (keyOf ? await findPackage(scope, opened.repo.id, keyOf(opened.repo.format, ref.name)) : null);
  if (!pkg) throw notFound("Package", `no package named '${ref.name}' in this repository`);
  const version = await findVersion(scope, pkg.id, ref.version);
  if (!version) throw notFound("Version", `${pkg.displayName} has no version '${ref.version}'`);
  const files = await filesOfVersion(scope, version.id);
  let fileDigest: string | null = null;
  if (ref.digest) {
    if (!parseDigest(ref.digest) || !files.some((f) => f.digest === ref.digest)) throw notFound("File", `${pkg.displayName}@${version.version} has no file with digest ${ref.digest}`);
    fileDigest = ref.digest;
  }
  return { type: "package", opened, pkg, version, files, fileDigest };
}

/** Where findings of the subject are filed. */
export function subjectKey(s: Subject): SubjectKey {
  return s.type === "image"
    ? { repoId: s.opened.repo.id, subjectType: "image", subjectName: s.opened.name.image, subjectVersion: s.manifest.digest }
    : { repoId: s.opened.repo.id, subjectType: "package", subjectName: s.pkg.name, subjectVersion: s.version.version };
}

/** The subject as events name an artifact (core/event-shapes.ts ArtifactRef). */
export function artifactOf(s: Subject) {
  return s.type === "image"
    ? { format: s.opened.repo.format, repo_id: s.opened.repo.id, package: s.opened.name.image, version: s.tag ?? s.manifest.digest, digest: s.manifest.digest }
    : { format: s.opened.repo.format, repo_id: s.opened.repo.id, package: s.pkg.displayName, version: s.version.version, digest: s.fileDigest ?? s.files[0]?.digest ?? "" };
}

/** When the artifact was pushed (the version's or the manifest's creation). */
export const pushedAt = (s: Subject) => (s.type === "image" ? s.manifest.createdAt : s.version.createdAt);

