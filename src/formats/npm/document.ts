/**
 * Changes to an existing npm package other than publishing: `npm deprecate` (PUT of
 * the whole packument without attachments), `npm unpublish` (PUT `/-rev/<rev>` without
 * the removed version, DELETE of its tarball, or DELETE `/-rev/<rev>` of the package)
 * and `npm dist-tag`.
 *
 * Invariants:
 * - A `/-rev/<rev>` write whose rev is not the current one is refused (409), so a
 *   client never removes versions it has not seen.
 * - Only a PUT carrying `/-rev/` may drop versions; a plain PUT (deprecate) only
 *   changes `deprecated` messages. Dropping versions needs the `delete` permission.
 * - Unpublished versions are remembered on the package so they can't be published
 *   again; removing the last version removes the package.
 * - Every dist-tag points at an existing version, and `latest` always exists while a
 *   version does (re-pointed at the highest remaining one when its version goes).
 */
import type { Scope } from "../../services/scope";
import type { OpenedRepo } from "../../services/projects";
import type { PackageRow, VersionRow } from "../../services/artifacts";
import * as packages from "../../services/artifacts";
import { RegistryError, invalid, notFound } from "../../core/errors";
import { assertDistTag } from "./routes";
import { distTagsOf, packageMeta, revOf, type VersionWithFiles } from "./packument";
import { highest } from "../../core/semver";
import type { Packument } from "./publish";
import { trashPackage, trashVersion } from "../../services/lifecycle";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The package with its versions and files: one D1 round trip (none when the gate's batch
 * read it); `cached` for read routes only (a document a moment old, services/artifacts).
 */
export async function loadPackage(scope: Scope, opened: OpenedRepo, name: string, opts: { cached?: boolean } = {}) {
  const doc = await packages.packageDocument(scope, opened.repo.id, name, opts);
  if (!doc) throw notFound("Package", `package '${name}' not found`);
  return doc;
}

function assertRev(pkg: PackageRow, versions: VersionWithFiles[], rev: string | undefined) {
  if (rev !== undefined && rev !== revOf(pkg, versions)) {
    throw new RegistryError("ConflictRevision", "document update conflict: the package changed since it was read; fetch it again");
  }
}

/** Removes versions, repairs dist-tags and remembers what was unpublished (or drops the package). */
async function removeVersions(scope: Scope, opened: OpenedRepo, pkg: PackageRow, all: VersionWithFiles[], gone: VersionRow[], tags?: Record<string, string>) {
  await scope.access.require("delete", { projectId: opened.project.id, repo: opened.repo });
  if (gone.length === all.length) {
    await trashPackage(scope, opened, pkg);
    return;
  }
  const now = new Date().toISOString();
  const unpublished = { ...(packageMeta(pkg).unpublished ?? {}) };
  for (const v of gone) {
    await trashVersion(scope, opened, pkg, v);
    unpublished[v.version] = now;
  }
  const goneSet = new Set(gone.map((v) => v.version));
  const remaining = all.map((v) => v.version.version).filter((v) => !goneSet.has(v));
  const distTags = Object.fromEntries(Object.entries(tags ?? distTagsOf(pkg)).filter(([, v]) => remaining.includes(v)));
  if (!distTags.latest) distTags.latest = highest(remaining)!;
  await packages.updatePackageMetadata(scope, pkg, { ...pkg.metadata, "dist-tags": distTags, unpublished });
}

/** PUT of a packument without attachments: deprecation, or with a rev, an unpublish. */
export async function updateDocument(scope: Scope, opened: OpenedRepo, name: string, doc: Packument, rev?: string) {
  const { pkg, versions } = await loadPackage(scope, opened, name);
  assertRev(pkg, versions, rev);
  if (!isObject(doc.versions)) throw invalid("Packument", "the packument has no versions");
  const body = doc.versions;
  for (const { version } of versions) {
    const m = body[version.version];
    if (!isObject(m)) continue;
    const message = typeof m.deprecated === "string" && m.deprecated !== "" ? m.deprecated : null;
    if (message !== version.deprecated) await packages.setVersionFlags(scope, version, { deprecated: message });
  }
  if (rev === undefined) return;
  const known = new Set(versions.map((v) => v.version.version));
  const unknown = Object.keys(body).filter((v) => !known.has(v));
  if (unknown.length) throw invalid("Packument", `an update can't add versions (${unknown.join(", ")}); publish them instead`);
  const gone = versions.filter((v) => !(v.version.version in body)).map((v) => v.version);
  const tags = isObject(doc["dist-tags"]) ? (doc["dist-tags"] as Record<string, string>) : undefined;
  if (gone.length) {
    await removeVersions(scope, opened, pkg, versions, gone, tags);
  } else if (tags) {
    await setDistTags(scope, pkg, versions, tags);
  }
}

/** DELETE `/<name>/-rev/<rev>`: the whole package. */
export async function unpublishPackage(scope: Scope, opened: OpenedRepo, name: string, rev: string | undefined) {
  const { pkg, versions } = await loadPackage(scope, opened, name);
  assertRev(pkg, versions, rev);
  await trashPackage(scope, opened, pkg);
}

/** DELETE of one tarball (the last step of `npm unpublish name@version`): idempotent. */
export async function unpublishTarball(scope: Scope, opened: OpenedRepo, name: string, version: string, rev: string | undefined) {
  const pkg = await packages.findPackage(scope, opened.repo.id, name);
  if (!pkg) return;
  const versions = await packages.versionsWithFiles(scope, pkg.id);
  const target = versions.find((v) => v.version.version === version);
  if (!target) return;
  assertRev(pkg, versions, rev);
  await removeVersions(scope, opened, pkg, versions, [target.version]);
}

async function setDistTags(scope: Scope, pkg: PackageRow, versions: VersionWithFiles[], tags: Record<string, unknown>) {
  const known = new Set(versions.map((v) => v.version.version));
  const next: Record<string, string> = {};
  for (const [tag, v] of Object.entries(tags)) {
    if (typeof v !== "string" || !known.has(v)) throw invalid("DistTag", `dist-tag '${tag}' must point at an existing version`);
    next[assertDistTag(tag)] = v;
  }
  if (!next.latest) throw invalid("DistTag", "the 'latest' dist-tag can't be removed");
  await packages.updatePackageMetadata(scope, pkg, { ...pkg.metadata, "dist-tags": next });
}

export async function getDistTags(scope: Scope, opened: OpenedRepo, name: string) {
  const pkg = await packages.findPackage(scope, opened.repo.id, name);
  if (!pkg) throw notFound("Package", `package '${name}' not found`);
  return distTagsOf(pkg);
}

export async function putDistTag(scope: Scope, opened: OpenedRepo, name: string, tag: string, version: unknown) {
  assertDistTag(tag);
  if (typeof version !== "string") throw invalid("DistTag", "the body must be a JSON string naming a version");
  const { pkg, versions } = await loadPackage(scope, opened, name);
  if (!versions.some((v) => v.version.version === version)) throw notFound("Version", `${name}@${version} does not exist`);
  await setDistTags(scope, pkg, versions, { ...distTagsOf(pkg), [tag]: version });
}

export async function deleteDistTag(scope: Scope, opened: OpenedRepo, name: string, tag: string) {
  const { pkg, versions } = await loadPackage(scope, opened, name);
  const tags = distTagsOf(pkg);
  if (!(tag in tags)) throw notFound("DistTag", `${name} has no dist-tag '${tag}'`);
  if (tag === "latest") throw invalid("DistTag", "the 'latest' dist-tag can't be removed");
  delete tags[tag];
  await setDistTags(scope, pkg, versions, tags);
}
