/**
 * The governance API's view of a repo's artifacts: packages → versions → files of the
 * shared package model, whatever the format, plus version status changes (yank).
 *
 * Invariants:
 * - Access is the repo's: reading needs `read` (anonymous on public repos; 401 to
 *   anonymous callers otherwise, 403 to other projects' credentials), changing a
 *   version's status needs `write`.
 * - A package is found by its name as given or by its format's normalized key
 *   (`keyOf`, the format's rule from formats/index.ts), so `Demo.Pkg` finds the PyPI
 *   project `demo-pkg`.
 */
import type { Scope } from "../scope";
import type { OpenedRepo } from "../projects/repos";
import { getRepo } from "../projects/repos";
import * as packages from "./packages";
import { findProject } from "../../db/projects";
import { notFound } from "../../core/errors";

async function openById(scope: Scope, repoId: string): Promise<OpenedRepo> {
  const repo = await getRepo(scope, repoId);
  const project = await findProject(scope.db, repo.projectId);
  if (!project) throw notFound("Repo", `repository ${repoId} not found`);
  return { project, repo };
}

/** How a repo format turns a package name into its lookup key (the format's own rule). */
export type PackageKeyOf = (repoFormat: string, name: string) => string;

export async function listRepoPackages(scope: Scope, keyOf: PackageKeyOf, repoId: string, search?: string, cursor?: string, limit?: number) {
  const { repo } = await openById(scope, repoId);
  const key = search ? keyOf(repo.format, search) : undefined;
  return packages.listPackages(scope, repo.id, key, cursor, limit);
}

async function findRepoPackage(scope: Scope, keyOf: PackageKeyOf, opened: OpenedRepo, name: string) {
  const pkg =
    (await packages.findPackage(scope, opened.repo.id, name)) ??
    (await packages.findPackage(scope, opened.repo.id, keyOf(opened.repo.format, name)));
  if (!pkg) throw notFound("Package", `no package named '${name}' in this repository`);
  return pkg;
}

/** A package and a page of its versions; `alongside(pkg)` (another domain's view of the package) runs concurrently with the page. */
export async function listPackageVersions<T = undefined>(scope: Scope, keyOf: PackageKeyOf, repoId: string, name: string, cursor?: string, limit?: number, alongside?: (pkg: packages.PackageRow) => Promise<T>) {
  const opened = await openById(scope, repoId);
  const pkg = await findRepoPackage(scope, keyOf, opened, name);
  const [page, extra] = await Promise.all([packages.pageOfVersions(scope, pkg.id, cursor, limit), alongside?.(pkg)]);
  return { package: pkg, page, alongside: extra as T };
}

export async function setVersionStatus(scope: Scope, keyOf: PackageKeyOf, repoId: string, name: string, version: string, flags: { yanked?: string | null; deprecated?: string | null }) {
  const opened = await openById(scope, repoId);
  await scope.access.require("write", { projectId: opened.project.id, repo: opened.repo });
  const pkg = await findRepoPackage(scope, keyOf, opened, name);
  const row = await packages.findVersion(scope, pkg.id, version);
  if (!row) throw notFound("Version", `${pkg.displayName} has no version '${version}'`);
  const after = await packages.updateVersionStatus(scope, opened, pkg, row, flags);
  const files = await packages.filesOfVersion(scope, row.id);
  return { package: pkg, version: after, files };
}
