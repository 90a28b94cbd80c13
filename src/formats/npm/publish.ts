/**
 * `npm publish`: a PUT of the packument carrying one new version and its tarball as a
 * base64 `_attachments` entry.
 *
 * Invariants:
 * - The tarball's bytes must match every digest the manifest declares
 *   (`dist.integrity` sha512/sha384/sha256/sha1 SRI entries, `dist.shasum` sha1) and the
 *   attachment's `length`; otherwise nothing is stored.
 * - A version that exists, or existed and was unpublished, is refused with 403 as npmjs
 *   does: a name@version always means the same bytes.
 * - D1: one read batch (package, version, admission policies, the tarball's blob and
 *   link: its digest is computed from the bytes in memory first), the blob's link batch
 *   (none when this repo links the same bytes already) and the version's batch.
 * - The version, its file and the package's dist-tags land in one atomic publish
 *   (services/artifacts/packages.ts); a first publish always gets a `latest` tag. A
 *   refused publish (a licence policy: the manifest's `license` is judged) unlinks the
 *   tarball it ingested.
 * - `npm publish --provenance`'s sigstore bundle (`_attachments["<name>-<version>.sigstore"]`)
 *   is kept as a second file of the version only if it is a DSSE in-toto statement naming
 *   the tarball's sha512 (else the publish is refused, 400); the version's `dist.attestations`
 *   then points at `/-/npm/v1/attestations/<name>@<version>`.
 * - Dist-tags are read-modify-written on the package row without serialization: two
 *   concurrent publishes of one package can lose one's tag change (last writer wins),
 *   never a version.
 */
import type { Scope } from "../../services/scope";
import type { OpenedRepo } from "../../services/projects";
import { ingestBlob, publishVersion, readForPublish, releaseUnusedBlobs } from "../../services/artifacts";
import { RegistryError, invalid, isRegistryError } from "../../core/errors";
import { hex } from "../../core/ids";
import { sha256Digest } from "../../core/digest";
import { assertDistTag, assertNpmName, tarballName } from "./routes";
import { parseSemver } from "../../core/semver";
import { distTagsOf, packageMeta, type Manifest } from "./packument";
import { checkNpmProvenance } from "../../services/trust";

export type Packument = Record<string, unknown> & {
  name?: unknown;
  _id?: unknown;
  versions?: unknown;
  "dist-tags"?: unknown;
  _attachments?: unknown;
};

/** The latest version's README kept in the package document: cut past this, so it always fits the package's metadata row (services/artifacts MAX_METADATA_BYTES). */
export const MAX_README_CHARS = 128 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export const hasAttachments = (doc: Packument) => isObject(doc._attachments) && Object.keys(doc._attachments).length > 0;

export const cannotPublishOver = (name: string, version: string) =>
  new RegistryError("ForbiddenVersionExists", `You cannot publish over the previously published versions: ${version} (${name}).`);

const SRI_ALGORITHMS: Record<string, string> = { sha512: "SHA-512", sha384: "SHA-384", sha256: "SHA-256", sha1: "SHA-1" };

async function digestOf(alg: string, bytes: Uint8Array) {
  return new Uint8Array(await crypto.subtle.digest(alg, bytes));
}

const toBase64 = (bytes: Uint8Array) => (bytes as unknown as { toBase64(): string }).toBase64();

/** Checks the declared integrity; returns the `dist` fields to store (filled in when absent). */
export async function verifyIntegrity(bytes: Uint8Array, dist: Record<string, unknown>) {
  const sha512 = toBase64(await digestOf("SHA-512", bytes));
  const sha1 = hex(await digestOf("SHA-1", bytes));
  const mismatch = (what: string) =>
    new RegistryError("InvalidIntegrity", `the tarball does not match its declared ${what}`);
  if (dist.integrity !== undefined) {
    if (typeof dist.integrity !== "string") throw invalid("Integrity", "dist.integrity must be a string");
    for (const entry of dist.integrity.trim().split(/\s+/)) {
      const dash = entry.indexOf("-");
      const alg = entry.slice(0, dash);
      const value = entry.slice(dash + 1).split("?")[0];
      const subtle = SRI_ALGORITHMS[alg];
      if (dash < 1 || !subtle) continue;
      const actual = alg === "sha512" ? sha512 : toBase64(await digestOf(subtle, bytes));
      if (actual !== value) throw mismatch(`${alg} integrity`);
    }
  }
  if (dist.shasum !== undefined && dist.shasum !== sha1) throw mismatch("shasum");
  return { integrity: `sha512-${sha512}`, shasum: sha1 };
}

function decodeBase64(data: unknown): Uint8Array {
  if (typeof data !== "string") throw invalid("Attachment", "the attachment has no base64 data");
  try {
    return (Uint8Array as unknown as { fromBase64(s: string): Uint8Array }).fromBase64(data);
  } catch {
    throw invalid("Attachment", "the attachment's data is not valid base64");
  }
}

interface ParsedPublish {
  version: string;
  manifest: Manifest;
  bytes: Uint8Array;
  tags: Record<string, string>;
  /** `npm publish --provenance`: the sigstore bundle attached as `<name>-<version>.sigstore` (JSON text, not base64). */
  provenance: { text: string; mediaType: string } | null;
}

export const SIGSTORE_BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json";
/** The file a version's provenance bundle is kept as, next to its tarball. */
export const provenanceFileName = (name: string, version: string) => tarballName(name, version).replace(/\.tgz$/, ".sigstore");

function provenanceOf(attachments: Record<string, unknown>, name: string, version: string): ParsedPublish["provenance"] {
  const key = [`${name}-${version}.sigstore`, provenanceFileName(name, version)].find((k) => k in attachments);
  const a = key ? attachments[key] : undefined;
  if (a === undefined) return null;
  if (!isObject(a) || typeof a.data !== "string") throw invalid("Attachment", "the provenance attachment has no data");
  const type = typeof a.content_type === "string" && a.content_type.startsWith("application/vnd.dev.sigstore.bundle") ? a.content_type : SIGSTORE_BUNDLE_V03;
  return { text: a.data, mediaType: type };
}

function parsePublish(name: string, doc: Packument): ParsedPublish {
  if (!isObject(doc.versions)) throw invalid("Packument", "the packument has no versions");
  const versions = Object.keys(doc.versions);
  if (versions.length !== 1) throw invalid("Packument", "a publish must carry exactly one version");
  const version = versions[0]!;
  const manifest = doc.versions[version];
  if (!isObject(manifest)) throw invalid("Packument", `versions["${version}"] is not an object`);
  if (!parseSemver(version) || manifest.version !== version) {
    throw invalid("PackageVersion", `'${version}' is not a valid semver version (or differs from the manifest's)`);
  }
  if (manifest.name !== name) throw invalid("Packument", `the manifest's name '${String(manifest.name)}' is not '${name}'`);
  const attachments = doc._attachments as Record<string, unknown>;
  const key = [`${name}-${version}.tgz`, tarballName(name, version)].find((k) => k in attachments);
  const attachment = key ? attachments[key] : undefined;
  if (!isObject(attachment)) throw invalid("Attachment", `the packument has no attachment for ${tarballName(name, version)}`);
  const bytes = decodeBase64(attachment.data);
  attachment.data = undefined; // let the base64 text be collected early
  if (attachment.length !== undefined && attachment.length !== bytes.byteLength) {
    throw invalid("Attachment", `the attachment is ${bytes.byteLength} bytes, not the declared ${String(attachment.length)}`);
  }
  const tags: Record<string, string> = {};
  for (const [tag, v] of Object.entries(isObject(doc["dist-tags"]) ? doc["dist-tags"] : {})) {
    if (v !== version) throw invalid("DistTag", `a publish can only tag the version it publishes (${tag} → ${String(v)})`);
    tags[assertDistTag(tag)] = version;
  }
  return { version, manifest: manifest as Manifest, bytes, tags, provenance: provenanceOf(attachments, name, version) };
}

export async function publishPackument(scope: Scope, opened: OpenedRepo, urlName: string, doc: Packument) {
  const name = assertNpmName(urlName);
  if ((doc.name ?? doc._id) !== name) throw invalid("Packument", `the packument's name is not '${name}'`);
  const { version, manifest, bytes, tags, provenance } = parsePublish(name, doc);

  // The tarball is in memory: its digest is known before anything is stored, so the one
  // read batch also finds its blob and this repo's link (services/artifacts readForPublish).
  const digest = sha256Digest(hex(await digestOf("SHA-256", bytes)));
  const known = await readForPublish(scope, opened, name, version, digest);
  const existing = known.pkg;
  if (existing && (packageMeta(existing).unpublished?.[version] || known.version)) throw cannotPublishOver(name, version);
  const dist = { ...(manifest.dist ?? {}) };
  const checked = await verifyIntegrity(bytes, dist);
  // Kept only when it is a bundle about this tarball; its signature is judged by the sigstore policies (docs/trust.md).
  const attested = provenance && checkNpmProvenance(provenance.text, hex(await digestOf("SHA-512", bytes)));
  const blob = await ingestBlob(scope, opened.repo, new Blob([bytes]).stream(), {
    length: bytes.byteLength,
    mediaType: "application/octet-stream",
    contentType: "application/octet-stream",
    known: known.blob,
  });

  const bundleBytes = provenance && new TextEncoder().encode(provenance.text);
  const bundleBlob = bundleBytes && (await ingestBlob(scope, opened.repo, new Blob([bundleBytes]).stream(), { length: bundleBytes.byteLength, mediaType: provenance.mediaType, contentType: "application/json" }));
  // `dist.attestations.url` is filled in when served (packument.ts), like `dist.tarball`.
  const attestations = attested ? { attestations: { url: "", provenance: { predicateType: attested.predicateType } } } : { attestations: undefined };
  const stored: Manifest = { ...manifest, dist: { ...dist, ...checked, ...attestations, tarball: undefined } };
  const readme = typeof stored.readme === "string" ? stored.readme : undefined;
  delete stored.readme;
  delete stored.readmeFilename;
  const distTags = { ...(existing ? distTagsOf(existing) : {}), ...tags };
  if (!distTags.latest) distTags.latest = version;
  const isLatest = distTags.latest === version;
  const packageMetadata: Record<string, unknown> = { "dist-tags": distTags };
  if (isLatest) {
    packageMetadata.description = typeof manifest.description === "string" ? manifest.description : undefined;
    packageMetadata.keywords = Array.isArray(manifest.keywords) ? manifest.keywords : undefined;
    if (readme !== undefined) packageMetadata.readme = readme.length > MAX_README_CHARS ? `${readme.slice(0, MAX_README_CHARS)}\n\n(README cut to ${MAX_README_CHARS} characters by the registry)` : readme;
  }
  try {
    return await publishVersion(scope, opened, {
      known,
      name,
      displayName: name,
      version,
      license: licenseOfManifest(manifest),
      versionMetadata: { manifest: stored },
      packageMetadata,
      files: [
        {
          name: tarballName(name, version),
          digest: blob.digest,
          size: blob.size,
          mediaType: "application/octet-stream",
          metadata: { integrity: checked.integrity, shasum: checked.shasum },
        },
        ...(bundleBlob && provenance && attested
          ? [{ name: provenanceFileName(name, version), digest: bundleBlob.digest, size: bundleBlob.size, mediaType: provenance.mediaType, metadata: { predicateType: attested.predicateType } }]
          : []),
      ],
    });
  } catch (e) {
    // A refused publish (a licence policy, a race) keeps nothing: the tarball goes again.
    await releaseUnusedBlobs(scope, opened.repo, bundleBlob ? [blob.digest, bundleBlob.digest] : [blob.digest]);
    if (isRegistryError(e) && e.code === "ConflictVersionExists") throw cannotPublishOver(name, version);
    throw e;
  }
}

/** package.json's `license` (an SPDX expression, or the old `{type}` form), or the older `licenses` list (alternatives). */
export function licenseOfManifest(m: Manifest): string | null {
  const typeOf = (l: unknown) => (typeof l === "string" ? l : typeof l === "object" && l !== null && typeof (l as { type?: unknown }).type === "string" ? (l as { type: string }).type : null);
  const single = typeOf(m.license);
  if (single?.trim()) return single.trim();
  const list = Array.isArray(m.licenses) ? m.licenses.map(typeOf).filter((t): t is string => !!t?.trim()) : [];
  return list.length ? list.map((t) => (/\s/.test(t.trim()) ? `(${t.trim()})` : t.trim())).join(" OR ") : null;
}
