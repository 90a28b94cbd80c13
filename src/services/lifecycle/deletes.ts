/**
 * Deletes through the governance API (every format, not only those whose protocol has
 * a delete): a package, a version, an image manifest. Each goes to the trash like a
 * protocol delete, with the `delete` right on the repository.
 */
import type { Scope } from "../scope";
import { getRepoWithProject } from "../projects/repos";
import type { PackageKeyOf } from "../artifacts/listing";
import { openImageById } from "../oci/labels";
import { trashManifest, trashPackage, trashVersion } from "./trash";
import * as pq from "../../db/packages";
import { RegistryError, notFound } from "../../core/errors";
import { assertSha256Digest } from "../../core/digest";

async function openForDelete(scope: Scope, repoId: string) {
  const opened = await getRepoWithProject(scope, repoId);
  await scope.access.require("delete", { projectId: opened.project.id, repo: opened.repo });
  if (opened.repo.state === "read_only") throw new RegistryError("ForbiddenRepoReadOnly", `repository ${opened.project.slug}/${opened.repo.slug} is read-only`);
  return opened;
}

async function findPkg(scope: Scope, keyOf: PackageKeyOf, repoId: string, format: string, name: string) {
  const pkg = (await pq.findPackage(scope.db, repoId, name)) ?? (await pq.findPackage(scope.db, repoId, keyOf(format, name)));
  if (!pkg) throw notFound("Package", `no package named '${name}' in this repository`);
  return pkg;
}

export async function deleteRepoPackage(scope: Scope, keyOf: PackageKeyOf, repoId: string, name: string) {
  const opened = await openForDelete(scope, repoId);
  return trashPackage(scope, opened, await findPkg(scope, keyOf, repoId, opened.repo.format, name));
}

export async function deleteRepoVersion(scope: Scope, keyOf: PackageKeyOf, repoId: string, name: string, version: string) {
  const opened = await openForDelete(scope, repoId);
  const pkg = await findPkg(scope, keyOf, repoId, opened.repo.format, name);
  const row = await pq.findVersion(scope.db, pkg.id, version);
  if (!row) throw notFound("Version", `${pkg.displayName} has no version '${version}'`);
  return trashVersion(scope, opened, pkg, row);
}

export async function deleteImageManifest(scope: Scope, repoId: string, image: string, digest: string) {
  assertSha256Digest(digest);
  const img = await openImageById(scope, repoId, image, "delete");
  return trashManifest(scope, img, digest);
}
