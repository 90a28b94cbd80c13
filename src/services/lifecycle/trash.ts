/**
 * Every deletion moves the artifact to its repository's trash: a protocol delete (`npm
 * unpublish`, `skopeo delete`, a generic or deb/rpm/chart DELETE), an API delete, a
 * generic overwrite and a retention run all end here.
 *
 * Invariants:
 * - Atomic: the trash entry and the removal of the live rows are one batch
 *   (snapshot.ts), so the artifact stops resolving at once (D1 has no trace of it; this
 *   isolate's caches are cleared by the event emitted after) and is never lost.
 * - The entry keeps the repo's links to every blob it needs: nothing is freed, and the
 *   bytes count toward the quota, until it is purged (restore.ts).
 * - A legal hold refuses the delete; so does an immutable tag the delete would remove.
 * - An image manifest goes with what depends on it (image-graph.ts closure): its
 *   signatures and other referrers, and the platform manifests only it lists. A manifest
 *   an index still lists is refused (`ConflictManifestInUse`).
 */
import type { Scope } from "../scope";
import type { OpenedRepo } from "../projects/repos";
import type { OpenedImage } from "../oci/access";
import { assertTagMutable, tagChange } from "../oci/tags";
import { emitEvent } from "../events/audit";
import { assertNotHeld } from "./holds";
import { writeEntry, type TrashContext } from "./snapshot";
import { blockingParents, blobsOf, buildGraph, closureOf } from "./image-graph";
import * as pq from "../../db/packages";
import * as oq from "../../db/oci";
import { blobSizes } from "../../db/blobs";
import { bumpRevision } from "../../db/indexes";
import { RegistryError } from "../../core/errors";

export type { TrashContext } from "./snapshot";

const DELETE: TrashContext = { reason: "delete" };
const repoOf = (opened: OpenedRepo) => ({ id: opened.repo.id, projectId: opened.project.id });

/** The dist-tags (npm) of a package that point at one of `versions`. */
export function tagsPointingAt(pkg: pq.PackageRow, versions: string[]): string[] {
  const tags = (pkg.metadata as { "dist-tags"?: Record<string, string> })["dist-tags"] ?? {};
  return Object.entries(tags)
    .filter(([, v]) => versions.includes(v))
    .map(([t]) => t);
}

const heldOfFiles = (files: pq.FileRow[]) => new Map(files.map((f) => [f.digest, f.size]));
const fileRefs = (files: pq.FileRow[]) => files.map((f) => ({ name: f.name, digest: f.digest, size: f.size }));

/** One version and its files. */
export async function trashVersion(scope: Scope, opened: OpenedRepo, pkg: pq.PackageRow, version: pq.VersionRow, ctx: TrashContext = DELETE) {
  await assertNotHeld(scope, opened.repo.id, "version", pkg.name, [version.version]);
  const files = await pq.filesOfVersions(scope.db, [version.id]);
  const now = Date.now();
  const entry = await writeEntry(
    scope,
    { repo: repoOf(opened), kind: "version", name: pkg.displayName, ref: version.version, tags: tagsPointingAt(pkg, [version.version]), held: heldOfFiles(files), snapshot: { kind: "version", package: pkg, versions: [version], files } },
    ctx,
    [pq.deleteVersion(scope.db, version.id), bumpRevision(scope.db, opened.repo.id, now)],
  );
  if (ctx.reason !== "retention") {
    await emitEvent(scope, {
      type: "artifact.deleted",
      project_id: opened.project.id,
      data: { format: opened.repo.format, repo_id: opened.repo.id, package: pkg.displayName, version: version.version, files: fileRefs(files) },
    });
  }
  return entry;
}

/** A whole package: every version and file. */
export async function trashPackage(scope: Scope, opened: OpenedRepo, pkg: pq.PackageRow, ctx: TrashContext = DELETE) {
  const versions = await pq.listVersions(scope.db, pkg.id);
  await assertNotHeld(scope, opened.repo.id, "version", pkg.name, versions.map((v) => v.version));
  const files = await pq.filesOfVersions(scope.db, versions.map((v) => v.id));
  const now = Date.now();
  const entry = await writeEntry(
    scope,
    { repo: repoOf(opened), kind: "package", name: pkg.displayName, ref: versions.length === 1 ? versions[0]!.version : `${versions.length} versions`, tags: tagsPointingAt(pkg, versions.map((v) => v.version)), held: heldOfFiles(files), snapshot: { kind: "package", package: pkg, versions, files } },
    ctx,
    [pq.deletePackage(scope.db, pkg.id), bumpRevision(scope.db, opened.repo.id, now)],
  );
  if (ctx.reason !== "retention") {
    await emitEvent(scope, {
      type: "artifact.deleted",
      project_id: opened.project.id,
      data: { format: opened.repo.format, repo_id: opened.repo.id, package: pkg.displayName, versions: versions.map((v) => v.version), files: fileRefs(files) },
    });
  }
  return entry;
}

/** One file of a version (a deb/rpm pool file); the version goes with its last file. */
export async function trashFile(scope: Scope, opened: OpenedRepo, file: pq.FileRow, ctx: TrashContext = DELETE) {
  const version = (await pq.findVersionById(scope.db, file.versionId))!;
  const pkg = (await pq.findPackageById(scope.db, version.packageId))!;
  const siblings = await pq.filesOfVersions(scope.db, [version.id]);
  if (siblings.every((f) => f.id === file.id)) return trashVersion(scope, opened, pkg, version, ctx);
  await assertNotHeld(scope, opened.repo.id, "version", pkg.name, [version.version]);
  const entry = await writeEntry(
    scope,
    { repo: repoOf(opened), kind: "file", name: pkg.displayName, ref: file.name, tags: [], held: heldOfFiles([file]), snapshot: { kind: "file", package: pkg, versions: [version], files: [file] } },
    ctx,
    [pq.deleteFile(scope.db, file.id), bumpRevision(scope.db, opened.repo.id, Date.now())],
  );
  await emitEvent(scope, {
    type: "artifact.deleted",
    project_id: opened.project.id,
    data: { format: opened.repo.format, repo_id: opened.repo.id, file: file.name, digest: file.digest, size: file.size },
  });
  return entry;
}

/** An image manifest by digest, with every tag on it and what goes with it. */
export async function trashManifest(scope: Scope, img: OpenedImage, digest: string, ctx: TrashContext = DELETE) {
  const { repo, name } = img;
  const rows = await oq.graphOfImage(scope.db, repo.id, name.image);
  const graph = buildGraph(rows);
  const root = graph.manifests.get(digest);
  if (!root) throw new RegistryError("NotFoundManifest", `manifest unknown: ${digest}`, { detail: { reference: digest } });
  const set = closureOf(graph, digest);
  const blocking = blockingParents(graph, set);
  if (blocking.length) {
    throw new RegistryError("ConflictManifestInUse", `manifest ${blocking[0]!.child} is listed by index ${blocking[0]!.parent}: delete the index first`, { detail: { index: blocking[0]!.parent } });
  }
  await assertNotHeld(scope, repo.id, "manifest", name.image, set);
  for (const d of set) for (const tag of graph.tags.get(d) ?? []) assertTagMutable(img, tag);

  const [manifests, labels, shared, sizes] = await Promise.all([
    oq.manifestsWithBody(scope.db, repo.id, name.image, set),
    oq.labelsOfDigests(scope.db, repo.id, set),
    oq.digestsInOtherImages(scope.db, repo.id, name.image, set),
    blobSizes(scope.db, blobsOf(graph, set)),
  ]);
  const inSet = new Set(set);
  const refs = rows.refs.filter((r) => inSet.has(r.parentDigest));
  const tagRows = rows.tags.filter((t) => inSet.has(t.digest));
  // Labels belong to (repo, digest): another image holding the same digest keeps them.
  const sharedDigests = new Set(shared.map((s) => s.digest));
  const ownLabels = labels.filter((l) => !sharedDigests.has(l.digest));
  const now = Date.now();
  const rootFirst = [...manifests].sort((a, b) => (a.digest === digest ? -1 : b.digest === digest ? 1 : 0));
  const entry = await writeEntry(
    scope,
    {
      repo: repoOf(img),
      kind: "manifest",
      name: name.image,
      ref: digest,
      tags: (graph.tags.get(digest) ?? []).sort(),
      held: new Map(sizes.map((s) => [s.digest, s.size])),
      snapshot: { kind: "manifest", image: name.image, manifests: rootFirst, refs, tags: tagRows, labels: ownLabels },
    },
    ctx,
    [
      ...set.flatMap((d) => [oq.deleteManifest(scope.db, repo.id, name.image, d), oq.deleteRefsOf(scope.db, repo.id, name.image, d)]),
      ...tagRows.flatMap((t) => tagChange(scope, img, { tag: t.tag, from: t.digest, to: null, action: "delete" }, now)),
      ...oq.deleteLabelsOf(scope.db, repo.id, [...new Set(ownLabels.map((l) => l.digest))]),
    ],
  );
  if (ctx.reason !== "retention") {
    await emitEvent(scope, {
      type: "artifact.deleted",
      project_id: img.project.id,
      data: { format: repo.format, repo_id: repo.id, project_id: img.project.id, name: name.full, digest, tags: (graph.tags.get(digest) ?? []).sort(), size: root.size },
    });
  }
  return entry;
}

/** The image a repo holds under `image`, opened without another access check (the caller checked the repo). */
export function imageOf(opened: OpenedRepo, image: string): OpenedImage {
  return { ...opened, name: { full: `${opened.project.slug}/${opened.repo.slug}/${image}`, project: opened.project.slug, repo: opened.repo.slug, image } };
}
