/**
 * What the internal API says about one artifact: the subject (a package version or an
 * image manifest, resolved by services/trust's rules), its facts (`info`), and its
 * stored parts (`partsOf`): a package version's files, or an image's manifest, config
 * and layer blobs (an index's platform manifests with theirs).
 *
 * Invariants:
 * - Resolving opens the repo for `read` like any caller (the internal principal may
 *   read everywhere, auth/access.ts); policy blocks and quarantine do not hide an
 *   artifact from a scanner (scanning what is held is the point).
 * - A part is read only through the repo's own link to its blob (`findRepoBlob`).
 */
import type { Scope } from "../scope";
import { resolveSubject, type ArtifactRef, type PackageKeyOf, type Subject } from "../trust/subjects";
import { findRepoBlob, openBlobObject } from "../artifacts";
import { LICENSE_ANNOTATION } from "../oci";
import { manifestBodies } from "../../db/oci-browse";
import { notFound } from "../../core/errors";

export type { Subject, ArtifactRef, PackageKeyOf };

export const resolveArtifact = (scope: Scope, keyOf: PackageKeyOf, ref: ArtifactRef) => resolveSubject(scope, keyOf, ref, "read");

/** One stored part of an artifact: a package file, or an image's manifest/config/layer blob. */
export interface Part {
  /** Its name in the archive: the file's name, or `blobs/sha256/<hex>` for an image. */
  name: string;
  digest: string;
  size: number;
  mediaType: string | null;
  /** An image manifest kept inline in D1 (not a blob): its bytes. */
  inline?: Uint8Array;
}

const blobPath = (digest: string) => `blobs/${digest.replace(":", "/")}`;

interface Descriptor {
  digest: string;
  size: number;
  mediaType: string | null;
}

function descriptorsOf(body: Uint8Array | null): { blobs: Descriptor[]; children: Descriptor[] } {
  if (!body) return { blobs: [], children: [] };
  try {
    const doc = JSON.parse(new TextDecoder().decode(body)) as Record<string, any>;
    const d = (x: any): Descriptor => ({ digest: String(x?.digest ?? ""), size: Number(x?.size ?? 0), mediaType: typeof x?.mediaType === "string" ? x.mediaType : null });
    const blobs = [...(doc.config ? [d(doc.config)] : []), ...(Array.isArray(doc.layers) ? doc.layers.map(d) : [])];
    return { blobs: blobs.filter((b) => /^sha256:[0-9a-f]{64}$/.test(b.digest)), children: Array.isArray(doc.manifests) ? doc.manifests.map(d) : [] };
  } catch {
    return { blobs: [], children: [] };
  }
}

/** A manifest's bytes (inline in D1 or, when large, its blob), or null when it is not in the image. */
async function manifestBytes(scope: Scope, repoId: string, image: string, digest: string): Promise<{ bytes: Uint8Array; mediaType: string; size: number } | null> {
  const [row] = await manifestBodies(scope.db, repoId, image, [digest]);
  if (!row) return null;
  if (row.body !== null) return { bytes: new TextEncoder().encode(row.body), mediaType: row.mediaType, size: row.size };
  const blob = await findRepoBlob(scope, repoId, digest);
  const object = blob && (await openBlobObject(scope, blob));
  if (!object) return null;
  return { bytes: new Uint8Array(await object.arrayBuffer()), mediaType: row.mediaType, size: row.size };
}

/** The stored parts, in archive order; an image's blobs once each (a layer shared by two platforms too). */
export async function partsOf(scope: Scope, s: Subject): Promise<Part[]> {
  if (s.type === "package") {
    const files = s.fileDigest ? s.files.filter((f) => f.digest === s.fileDigest) : s.files;
    return files.map((f) => ({ name: f.name, digest: f.digest, size: f.size, mediaType: f.mediaType }));
  }
  const repoId = s.opened.repo.id;
  const image = s.opened.name.image;
  const out: Part[] = [];
  const seen = new Set<string>();
  const addManifest = async (digest: string, depth: number) => {
    if (seen.has(digest)) return;
    const m = await manifestBytes(scope, repoId, image, digest);
    if (!m) {
      if (depth === 0) throw notFound("Manifest", `manifest ${digest} is not in image ${image}`);
      return; // a platform the index names but the registry does not hold
    }
    seen.add(digest);
    out.push({ name: blobPath(digest), digest, size: m.bytes.byteLength, mediaType: m.mediaType, inline: m.bytes });
    const { blobs, children } = descriptorsOf(m.bytes);
    for (const b of blobs) {
      if (seen.has(b.digest)) continue;
      seen.add(b.digest);
      out.push({ name: blobPath(b.digest), digest: b.digest, size: b.size, mediaType: b.mediaType });
    }
    if (depth === 0) for (const c of children) await addManifest(c.digest, 1);
  };
  await addManifest(s.manifest.digest, 0);
  return out;
}

/** Opens one part's bytes (a range of them when asked); null when the blob is gone. */
export async function openPart(scope: Scope, repoId: string, part: Part, range?: { offset: number; length: number }): Promise<ReadableStream<Uint8Array> | null> {
  return (await openPartSized(scope, repoId, part, range))?.body ?? null;
}

/** As openPart, with the stored object's whole size (what the archive checks against the recorded one). */
export async function openPartSized(scope: Scope, repoId: string, part: Part, range?: { offset: number; length: number }): Promise<{ body: ReadableStream<Uint8Array>; size: number } | null> {
  if (part.inline) {
    const bytes = range ? part.inline.subarray(range.offset, range.offset + range.length) : part.inline;
    return { body: new Blob([bytes]).stream(), size: part.inline.byteLength };
  }
  const blob = await findRepoBlob(scope, repoId, part.digest);
  if (!blob) return null;
  if (range && range.length === 0) return { body: new Blob([]).stream(), size: blob.size };
  const object = await openBlobObject(scope, blob, range);
  return object ? { body: object.body, size: object.size } : null;
}

/** The artifact's facts: what `GET /internal/…/info` answers. */
export function infoOf(s: Subject, parts: Part[]) {
  const base = { project_id: s.opened.project.id, project: s.opened.project.slug, repo_id: s.opened.repo.id, repo: s.opened.repo.slug, format: s.opened.repo.format };
  const partsOut = parts.map((p) => ({ name: p.name, digest: p.digest, size: p.size, media_type: p.mediaType }));
  if (s.type === "image") {
    return {
      ...base,
      type: "image" as const,
      name: s.opened.name.image,
      version: s.tag ?? s.manifest.digest,
      digest: s.manifest.digest,
      media_type: s.manifest.mediaType,
      size: parts.reduce((n, p) => n + p.size, 0),
      publisher: s.manifest.pushedBy,
      license: s.manifest.annotations[LICENSE_ANNOTATION] ?? null,
      created_at: new Date(s.manifest.createdAt).toISOString(),
      parts: partsOut,
    };
  }
  return {
    ...base,
    type: "package" as const,
    name: s.pkg.displayName,
    version: s.version.version,
    digest: s.fileDigest ?? s.files[0]?.digest ?? null,
    media_type: null,
    size: parts.reduce((n, p) => n + p.size, 0),
    publisher: s.version.publishedBy,
    license: s.version.license,
    created_at: new Date(s.version.createdAt).toISOString(),
    parts: partsOut,
  };
}
