/**
 * Cargo registry use-cases: publish (binary-framed body), sparse-index files, yank,
 * owners, search and downloads, on top of the shared package model.
 *
 * Model: package name = normalized crate name (lowercase, `_` for `-`), display name
 * = the name as first published; one version per crate version; one file
 * `<name>-<vers>.crate`; the version's metadata holds its index entry.
 *
 * Invariants:
 * - Index files are computed from D1 on every request (never cached stale): a publish
 *   or yank shows at once.
 * - A version that differs from an existing one only in build metadata is a conflict;
 *   so is a name whose spelling differs from the crate's first publish.
 * - The .crate is streamed into R2 (never buffered); a refused publish unlinks it.
 * - Policies (services/policy): a held version's line is absent from the index for
 *   ordinary readers; a refused (blocked) one is listed as yanked, so cargo never
 *   resolves to it (a lockfile that pins it still downloads, and gets 451 with the
 *   refusal as the error detail cargo prints). The licence is the metadata's `license`
 *   (the old `MIT/Apache-2.0` form read as `MIT OR Apache-2.0`).
 */
import type { Scope } from "../../services/scope";
import type { OpenedRepo } from "../../services/projects";
import { ingestBlob } from "../../services/artifacts";
import * as packages from "../../services/artifacts";
import { ByteReader, exactLength } from "../../core/byte-reader";
import { crateOfIndexPath, indexEntry, normalizeCrateName, parsePublishMetadata, type IndexEntry } from "./crate";
import { highest, withoutBuild } from "../../core/semver";
import { keywordList } from "../../core/keywords";
import { RegistryError, conflict, invalid, notFound } from "../../core/errors";
import { describe } from "../../auth/principal";
import { enforceVersion, versionsView } from "../../services/policy";

export const MAX_METADATA_BYTES = 1024 * 1024;
export const MAX_CRATE_BYTES = 50 * 1024 * 1024;

const crateFileName = (displayName: string, vers: string) => `${displayName.toLowerCase()}-${vers}.crate`;

/** `length`: the body's Content-Length, if any (a body ending short of it broke off). */
export async function publishCrate(scope: Scope, opened: OpenedRepo, body: ReadableStream<Uint8Array>, length: number | null = null) {
  const reader = new ByteReader(body, length);
  const truncated = () => invalid("CratePublishBody", "the publish body ended early: expected <u32 json length><json><u32 crate length><crate>");
  const jsonLength = await reader.readUint32LE();
  if (jsonLength === null) throw truncated();
  if (jsonLength > MAX_METADATA_BYTES) throw invalid("CrateMetadata", `the metadata is larger than ${MAX_METADATA_BYTES} bytes`);
  const jsonBytes = await reader.readExact(jsonLength);
  if (!jsonBytes) throw truncated();
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(jsonBytes));
  } catch {
    throw invalid("CrateMetadata", "the publish metadata is not valid JSON");
  }
  const meta = parsePublishMetadata(json);
  const crateLength = await reader.readUint32LE();
  if (crateLength === null) throw truncated();
  if (crateLength > MAX_CRATE_BYTES) {
    throw new RegistryError("PayloadTooLargeCrate", `the crate is larger than the ${MAX_CRATE_BYTES} bytes allowed`);
  }

  const name = normalizeCrateName(meta.name);
  const pkg = await packages.findPackage(scope, opened.repo.id, name);
  if (pkg) {
    if (pkg.displayName !== meta.name) throw conflict("CrateName", `crate was previously published as '${pkg.displayName}'`);
    const taken = (await packages.versionsWithFiles(scope, pkg.id)).find((v) => withoutBuild(v.version.version) === withoutBuild(meta.vers));
    if (taken) throw conflict("VersionExists", `crate version \`${meta.name}@${taken.version.version}\` already exists`);
  }
  packages.assertNameAllowed(opened, name);

  const crateBody = reader.rest().pipeThrough(exactLength(crateLength, (got) => invalid("CratePublishBody", `the crate is ${got} bytes, not the ${crateLength} its length prefix declares`)));
  const blob = await ingestBlob(scope, opened.repo, crateBody, { length: crateLength, mediaType: "application/gzip" });
  try {
    const entry = indexEntry(meta, blob.digest.slice("sha256:".length));
    const publisher = describe(scope.access.principal);
    await packages.publishVersion(scope, opened, {
      name,
      displayName: meta.name,
      version: meta.vers,
      versionMetadata: { index: entry },
      license: typeof meta.license === "string" && meta.license.trim() ? meta.license.replace(/\s*\/\s*/g, " OR ") : null,
      packageMetadata: {
        description: meta.description ?? null,
        keywords: keywordList(meta.keywords, meta.categories) ?? null,
        ...(pkg ? {} : { owners: [{ login: publisher.actorName ?? "anonymous", kind: publisher.actorType }] }),
      },
      files: [{ name: crateFileName(meta.name, meta.vers), digest: blob.digest, size: blob.size, mediaType: "application/gzip" }],
    });
  } catch (e) {
    await packages.releaseUnusedBlobs(scope, opened.repo, [blob.digest]);
    throw e;
  }
  return { warnings: { invalid_categories: [], invalid_badges: [], other: [] } };
}

async function crate(scope: Scope, opened: OpenedRepo, crateName: string) {
  const pkg = await packages.findPackage(scope, opened.repo.id, normalizeCrateName(crateName));
  if (!pkg) throw notFound("Crate", `crate \`${crateName}\` does not exist`);
  return pkg;
}

/** The sparse-index file of a crate (lowercased name from the path), or null. */
export async function indexFile(scope: Scope, opened: OpenedRepo, lowerName: string): Promise<string | null> {
  const doc = await packages.packageDocument(scope, opened.repo.id, normalizeCrateName(lowerName));
  if (!doc || doc.pkg.displayName.toLowerCase() !== lowerName) return null;
  const view = await versionsView(scope, opened, doc.pkg.displayName, doc.versions, (v) => v.version);
  const lines = view.visible
    .filter((v) => v.version.metadata.index)
    .map((v) => JSON.stringify({ ...(v.version.metadata.index as IndexEntry), yanked: v.version.yanked !== null || view.refusal(v) !== null }));
  return lines.length ? `${lines.join("\n")}\n` : null;
}

export async function setYanked(scope: Scope, opened: OpenedRepo, crateName: string, vers: string, yanked: boolean) {
  const pkg = await crate(scope, opened, crateName);
  const version = await packages.findVersion(scope, pkg.id, vers);
  if (!version) throw notFound("Version", `crate \`${crateName}\` does not have a version \`${vers}\``);
  // The same change as a yank through the governance API: audited, then `artifact.updated`.
  await packages.updateVersionStatus(scope, opened, pkg, version, { yanked: yanked ? "yanked" : null });
}

export async function owners(scope: Scope, opened: OpenedRepo, crateName: string) {
  const pkg = await crate(scope, opened, crateName);
  const list = (pkg.metadata.owners as { login: string }[] | undefined) ?? [];
  return { users: list.map((o, i) => ({ id: i + 1, login: o.login, name: o.login })) };
}

/** A version's .crate (the version's one file): one D1 round trip, none once cached (a crate never changes). */
export async function crateFile(scope: Scope, opened: OpenedRepo, crateName: string, vers: string) {
  const stored = await packages.storedFile(scope, opened.repo.id, crateLookup(crateName, vers));
  if (!stored || stored.file.name !== crateFileName(stored.packageDisplayName, vers)) throw notFound("Version", `crate \`${crateName}\` does not have a version \`${vers}\``);
  await packages.enforceStoredFile(scope, opened, stored);
  return stored;
}

const crateLookup = (crateName: string, vers: string) => ({ packageName: normalizeCrateName(crateName), version: vers });

/** The one read of an index file or a download, for the gate's batch (http/prefetch.ts). */
export function plannedRead(rest: string) {
  const download = /^api\/v1\/crates\/([^/]+)\/([^/]+)\/download$/.exec(rest);
  if (download) return packages.plannedStoredFile(crateLookup(decodeURIComponent(download[1]!), decodeURIComponent(download[2]!)));
  const name = rest.startsWith("index/") ? crateOfIndexPath(rest.slice("index/".length)) : null;
  return name ? packages.plannedPackageDocument(normalizeCrateName(name)) : null;
}

export async function searchCrates(scope: Scope, opened: OpenedRepo, query: string, perPage: number) {
  const q = normalizeCrateName(query.trim());
  const fragment = q.split("_").sort((a, b) => b.length - a.length)[0] ?? "";
  const page = await packages.listPackages(scope, opened.repo.id, fragment || undefined, undefined, 500);
  // As crates.io: names first (`-` and `_` alike), then crates whose description or keywords hold the query.
  const byName = page.items.filter((p) => p.name.includes(q));
  const byText = query.trim() ? await packages.searchPackages(scope, opened.repo.id, { terms: [query.trim()], keywords: [] }, 500) : [];
  const matches = [...byName, ...byText.filter((p) => !byName.some((n) => n.id === p.id))];
  const shown = matches.slice(0, perPage);
  const numbers = await packages.versionNumbersOf(scope, shown.map((p) => p.id));
  const crates = shown.map((p) => {
    const versions = numbers.filter((v) => v.packageId === p.id && v.yanked === null).map((v) => v.version);
    return { name: p.displayName, max_version: highest(versions) ?? "0.0.0", description: (p.metadata.description as string | null) ?? "" };
  });
  return { crates, meta: { total: matches.length } };
}
