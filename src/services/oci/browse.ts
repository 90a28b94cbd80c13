/**
 * Browsing a container repo (what the UI's repo and image pages show, through the
 * governance API): images with counts, an image's tags with sizes and platforms, and one
 * manifest with its layers, platforms, config facts, labels, tags and referrers.
 * Invariants: read-only; the caller needs read on the repo (openRepoById); sizes are
 * what the stored manifests declare (manifest + config + layers, children for an
 * index), never a walk of R2; only a manifest's own config blob (≤ 64 KiB) is read.
 */
import type { Scope } from "../scope";
import { openImageById, openRepoById, listLabels } from "./labels";
import { readBlob } from "../artifacts/blobs";
import * as q from "../../db/oci-browse";
import { referrersOf } from "../../db/oci";
import { base64url, base64urlDecode } from "../../core/ids";
import { invalid, notFound } from "../../core/errors";
import { clampLimit } from "../../core/pagination";

export type { ImageSort } from "../../db/oci-browse";

const CONFIG_MAX_BYTES = 64 * 1024;

interface Platform {
  os: string;
  architecture: string;
  variant: string | null;
}

interface Summary {
  layers: { digest: string; size: number; mediaType: string }[];
  config: { digest: string; size: number; mediaType: string } | null;
  children: { digest: string; size: number; mediaType: string; platform: Platform | null }[];
}

function summarize(body: string | null): Summary {
  const empty: Summary = { layers: [], config: null, children: [] };
  if (!body) return empty;
  try {
    const doc = JSON.parse(body) as Record<string, any>;
    const desc = (d: any) => ({ digest: String(d?.digest ?? ""), size: Number(d?.size ?? 0), mediaType: String(d?.mediaType ?? "") });
    const platform = (p: any): Platform | null => (p && typeof p.os === "string" ? { os: p.os, architecture: String(p.architecture ?? ""), variant: p.variant ? String(p.variant) : null } : null);
    return {
      layers: Array.isArray(doc.layers) ? doc.layers.map(desc) : [],
      config: doc.config ? desc(doc.config) : null,
      children: Array.isArray(doc.manifests) ? doc.manifests.map((m: any) => ({ ...desc(m), platform: platform(m.platform) })) : [],
    };
  } catch {
    return empty;
  }
}

const ownSize = (size: number, s: Summary) => size + (s.config?.size ?? 0) + s.layers.reduce((n, l) => n + l.size, 0);

function encodeKey(key: { v: string | number; name: string }) {
  return base64url(new TextEncoder().encode(JSON.stringify([key.v, key.name])));
}
function decodeKey(cursor: string | undefined) {
  if (!cursor) return null;
  try {
    const [v, name] = JSON.parse(new TextDecoder().decode(base64urlDecode(cursor)));
    if ((typeof v === "number" || typeof v === "string") && typeof name === "string") return { v, name };
  } catch {
    // fall through
  }
  throw invalid("Cursor", "cursor is not one this API issued");
}

export async function listImages(scope: Scope, repoId: string, o: { search?: string; sort?: q.ImageSort; cursor?: string; limit?: number }) {
  const { repo } = await openRepoById(scope, repoId, "read");
  const n = clampLimit(o.limit);
  const sort = o.sort ?? "name";
  const rows = await q.listImages(scope.db, repo.id, o.search || undefined, sort, decodeKey(o.cursor), n);
  const items = rows.slice(0, n);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > n && last ? encodeKey({ v: last.updated_at, name: last.name }) : null };
}

export interface TagSummary {
  tag: string;
  digest: string;
  mediaType: string;
  artifactType: string | null;
  size: number;
  platforms: Platform[];
  createdAt: number;
  updatedAt: number;
}

/** An image's tags (most recently moved first, at most `limit`), with total sizes and platforms. */
export async function imageTags(scope: Scope, repoId: string, image: string, limit?: number): Promise<TagSummary[]> {
  const img = await openImageById(scope, repoId, image, "read");
  const rows = await q.tagsWithManifests(scope.db, img.repo.id, img.name.image, Math.min(clampLimit(limit), 200));
  if (rows.length === 0) throw notFound("Image", `no tagged image ${image} in this repository`);
  const summaries = new Map(rows.map((r) => [r.digest, summarize(r.body)]));
  const childDigests = [...new Set([...summaries.values()].flatMap((s) => s.children.map((c) => c.digest)))];
  const children = new Map((await q.manifestBodies(scope.db, img.repo.id, img.name.image, childDigests)).map((c) => [c.digest, ownSize(c.size, summarize(c.body))]));
  return rows.map((r) => {
    const s = summaries.get(r.digest)!;
    const size = s.children.length ? r.size + s.children.reduce((n, c) => n + (children.get(c.digest) ?? c.size), 0) : ownSize(r.size, s);
    return {
      tag: r.tag,
      digest: r.digest,
      mediaType: r.mediaType,
      artifactType: r.artifactType,
      size,
      platforms: s.children.map((c) => c.platform).filter((p): p is Platform => p !== null),
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    };
  });
}

/** One manifest of an image: layers, platforms, config facts, labels, tags and referrers. */
export async function manifestDetails(scope: Scope, repoId: string, image: string, digest: string) {
  const img = await openImageById(scope, repoId, image, "read");
  const [row] = await q.manifestBodies(scope.db, img.repo.id, img.name.image, [digest]);
  if (!row) throw notFound("Manifest", `manifest ${digest} is not in image ${image}`);
  const s = summarize(row.body);
  const [tags, labels, referrers] = await Promise.all([
    q.tagNamesOf(scope.db, img.repo.id, img.name.image, digest),
    listLabels(scope, repoId, digest),
    referrersOf(scope.db, img.repo.id, img.name.image, digest),
  ]);
  let config: { os: string | null; architecture: string | null; created: string | null; labels: Record<string, string> } | null = null;
  if (s.config && s.config.size <= CONFIG_MAX_BYTES) {
    const found = await readBlob(scope, img.repo.id, s.config.digest);
    if (found) {
      try {
        const doc = JSON.parse(await new Response(found.object.body).text()) as Record<string, any>;
        config = {
          os: typeof doc.os === "string" ? doc.os : null,
          architecture: typeof doc.architecture === "string" ? doc.architecture : null,
          created: typeof doc.created === "string" ? doc.created : null,
          labels: doc.config?.Labels && typeof doc.config.Labels === "object" ? doc.config.Labels : {},
        };
      } catch {
        config = null; // not an image config (an artifact's): nothing to show
      }
    }
  }
  return { img, row, summary: s, totalSize: ownSize(row.size, s), tags, labels, referrers, config };
}
