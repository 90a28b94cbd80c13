/**
 * Builds npm packuments (package documents) from the shared package model, as pure
 * functions.
 *
 * Invariants:
 * - Version manifests are served as published, except `dist.tarball`, which always
 *   points under this registry's prefix (npm only sends the token to URLs below it)
 *   and is rebuilt from the request's base URL, and `deprecated`, which comes from the
 *   version row (so `npm deprecate` never rewrites stored manifests).
 * - `_rev` is a function of the package's and its versions' update times: any change
 *   a client could have missed (publish, unpublish, deprecate, dist-tag) changes it.
 * - The abbreviated form (`application/vnd.npm.install-v1+json`) carries only what
 *   an installer needs.
 */
import type { PackageRow, VersionRow, FileRow } from "../../services/artifacts";
import { tarballName } from "./routes";
import { highest } from "../../core/semver";

export const ABBREVIATED = "application/vnd.npm.install-v1+json";

export type Manifest = Record<string, unknown> & { name?: string; version?: string; dist?: Record<string, unknown> };

export interface NpmPackageMeta {
  "dist-tags"?: Record<string, string>;
  description?: string;
  readme?: string;
  keywords?: string[];
  /** Versions removed by unpublish: they can never be published again. */
  unpublished?: Record<string, string>;
}

export interface VersionWithFiles {
  version: VersionRow;
  files: FileRow[];
}

export const packageMeta = (p: PackageRow) => p.metadata as NpmPackageMeta;
export const manifestOf = (v: VersionRow) => ((v.metadata as { manifest?: Manifest }).manifest ?? {}) as Manifest;
export const distTagsOf = (p: PackageRow) => ({ ...(packageMeta(p)["dist-tags"] ?? {}) });

const iso = (ms: number) => new Date(ms).toISOString();

/** FNV-1a, 32-bit: a short stable revision hash (not a security boundary). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

export function revOf(pkg: PackageRow, versions: VersionWithFiles[]): string {
  const parts = [pkg.id, pkg.updatedAt, ...versions.map((v) => `${v.version.id}:${v.version.updatedAt}`)];
  return `${versions.length + 1}-${fnv1a(parts.join("|"))}`;
}

export function tarballUrl(registryUrl: string, name: string, version: string) {
  return `${registryUrl}/${name}/-/${tarballName(name, version)}`;
}

/** Where `npm audit signatures` reads a version's provenance (npmjs's path). */
export const attestationsUrl = (registryUrl: string, name: string, version: string) => `${registryUrl}/-/npm/v1/attestations/${encodeURIComponent(name)}@${version}`;

/** One version's manifest as served. */
export function servedManifest(registryUrl: string, pkg: PackageRow, v: VersionRow): Manifest {
  const m = manifestOf(v);
  const out: Manifest = { ...m, name: pkg.displayName, version: v.version, _id: `${pkg.displayName}@${v.version}` };
  out.dist = { ...(m.dist ?? {}), tarball: tarballUrl(registryUrl, pkg.displayName, v.version) };
  const attestations = (m.dist as { attestations?: { provenance?: unknown } } | undefined)?.attestations;
  if (attestations) (out.dist as Record<string, unknown>).attestations = { ...attestations, url: attestationsUrl(registryUrl, pkg.displayName, v.version) };
  if (v.deprecated) out.deprecated = v.deprecated;
  else delete out.deprecated;
  return out;
}

export function fullPackument(registryUrl: string, pkg: PackageRow, versions: VersionWithFiles[]) {
  const meta = packageMeta(pkg);
  const time: Record<string, string> = { created: iso(pkg.createdAt), modified: iso(pkg.updatedAt) };
  const out: Record<string, Manifest> = {};
  for (const { version } of versions) {
    out[version.version] = servedManifest(registryUrl, pkg, version);
    time[version.version] = iso(version.createdAt);
    if (version.updatedAt > pkg.updatedAt) time.modified = iso(version.updatedAt);
  }
  return {
    _id: pkg.displayName,
    _rev: revOf(pkg, versions),
    name: pkg.displayName,
    ...(meta.description !== undefined ? { description: meta.description } : {}),
    "dist-tags": distTagsOf(pkg),
    versions: out,
    time,
    ...(meta.readme !== undefined ? { readme: meta.readme } : {}),
    ...(meta.keywords !== undefined ? { keywords: meta.keywords } : {}),
  };
}

const ABBREVIATED_FIELDS = [
  "name",
  "version",
  "dependencies",
  "optionalDependencies",
  "devDependencies",
  "bundleDependencies",
  "bundledDependencies",
  "peerDependencies",
  "peerDependenciesMeta",
  "acceptDependencies",
  "bin",
  "directories",
  "dist",
  "engines",
  "os",
  "cpu",
  "libc",
  "funding",
  "license",
  "deprecated",
  "_hasShrinkwrap",
] as const;

const INSTALL_SCRIPTS = ["preinstall", "install", "postinstall"];

export function abbreviatedPackument(registryUrl: string, pkg: PackageRow, versions: VersionWithFiles[]) {
  return abbreviate(fullPackument(registryUrl, pkg, versions));
}

/** The abbreviated form of a full packument (ours, or an upstream's). */
export function abbreviate(full: { name: string; time?: Record<string, string>; "dist-tags": Record<string, string>; versions: Record<string, Manifest> }) {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [v, m] of Object.entries(full.versions)) {
    const a: Record<string, unknown> = {};
    for (const f of ABBREVIATED_FIELDS) if (m[f] !== undefined) a[f] = m[f];
    const scripts = (m.scripts ?? {}) as Record<string, unknown>;
    if (INSTALL_SCRIPTS.some((s) => typeof scripts[s] === "string") || m.gypfile === true) a.hasInstallScript = true;
    out[v] = a;
  }
  return { name: full.name, ...(full.time?.modified ? { modified: full.time.modified } : {}), "dist-tags": full["dist-tags"], versions: out };
}

/**
 * The package as a reader sees it under policies: `versions` are the visible ones, and a
 * refused version's manifest is deprecated with its refusal; a dist-tag on a version the
 * reader can't see moves to the highest visible version (`latest`) or is dropped.
 */
export function withPolicies(pkg: PackageRow, versions: VersionWithFiles[], refusal: (v: VersionWithFiles) => string | null) {
  const visible = new Set(versions.map((v) => v.version.version));
  const tags = distTagsOf(pkg);
  const fallback = highest([...visible]);
  for (const [tag, v] of Object.entries(tags)) {
    if (visible.has(v)) continue;
    if (tag === "latest" && fallback) tags.latest = fallback;
    else delete tags[tag];
  }
  const shown = versions.map((v) => {
    const message = refusal(v);
    return message ? { ...v, version: { ...v.version, deprecated: message } } : v;
  });
  return { pkg: { ...pkg, metadata: { ...pkg.metadata, "dist-tags": tags } }, versions: shown };
}
