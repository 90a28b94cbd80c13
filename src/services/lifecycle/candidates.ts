/**
 * What a retention run looks at: every artifact of a repo as a candidate (core/retention
 * Candidate), with the blobs it holds, what protects it and what needs it.
 *
 * Invariants:
 * - Package formats: one candidate per version (all its files); its tags are the npm
 *   dist-tags that point at it. Names are the format's normalized lookup keys (PyPI:
 *   PEP 503), so one pattern matches however the publisher spelled the name.
 * - Images: one candidate per top-level manifest (image-graph.ts topLevel), holding its
 *   closure (signatures, platform manifests only it lists); a tagged platform manifest
 *   is a candidate of its own that its kept indexes need (core keepNeeded).
 * - Always kept (protections, in this order): a legal hold on the version or on any
 *   manifest of the closure; a tag matching the repo's immutable-tag patterns; a
 *   manifest a tag pointed at within the tag-history window and no longer does (so the
 *   time machine can still restore it).
 * - Items come parents first (an index before the platform manifests it lists), the
 *   order the run deletes them in.
 */
import type { Scope } from "../scope";
import type { RepoRow } from "../projects/repos";
import { TAG_HISTORY_WINDOW_MS } from "../oci/tags";
import { OCI_FORMATS } from "../oci/access";
import { LEGAL_HOLD } from "./holds";
import { blobsOf, buildGraph, closureOf, topLevel, type ImageGraph } from "./image-graph";
import { tagsPointingAt } from "./trash";
import * as pq from "../../db/packages";
import * as oq from "../../db/oci";
import { allHolds } from "../../db/lifecycle";
import { blobSizes } from "../../db/blobs";
import { matchesAny } from "../../core/names";
import type { Candidate } from "../../core/retention";
import type { ArtifactKind } from "../../core/vocabulary";

export const IMMUTABLE_TAG = "immutable-tag";
export const TAG_HISTORY = "tag-history";

export interface Planned {
  candidate: Candidate;
  kind: ArtifactKind;
  /** Name as published (the candidate's `package` is the lookup key). */
  displayName: string;
  ref: Record<string, string>;
  /** Every blob it holds (closure included), with sizes. */
  held: Map<string, number>;
  size: number;
  /** The manifest's digest, or the version's first file's digest. */
  digest: string;
}

export interface RepoCandidates {
  items: Planned[];
  /** candidate key → keys of candidates that need it (kept indexes). */
  neededBy: Map<string, string[]>;
  /** Per image, the graph (images only): what a set of deletions takes with it. */
  graphs: Map<string, ImageGraph>;
}

export const isImageRepo = (repo: RepoRow) => (OCI_FORMATS as readonly string[]).includes(repo.format);

export function candidatesOf(scope: Scope, repo: RepoRow, now: number): Promise<RepoCandidates> {
  return isImageRepo(repo) ? imageCandidates(scope, repo, now) : packageCandidates(scope, repo);
}

async function packageCandidates(scope: Scope, repo: RepoRow): Promise<RepoCandidates> {
  const [packages, versions, files, holds] = await Promise.all([
    pq.packagesOfRepo(scope.db, repo.id),
    pq.versionsOfRepo(scope.db, repo.id),
    pq.filesOfRepo(scope.db, repo.id),
    allHolds(scope.db, repo.id),
  ]);
  const pkgById = new Map(packages.map((p) => [p.id, p]));
  const filesByVersion = new Map<string, pq.FileRow[]>();
  for (const f of files) filesByVersion.set(f.versionId, [...(filesByVersion.get(f.versionId) ?? []), f]);
  const held = new Set(holds.filter((h) => h.kind === "version").map((h) => `${h.name}\u0000${h.ref}`));
  const items = versions.map((v): Planned => {
    const pkg = pkgById.get(v.packageId)!;
    const own = filesByVersion.get(v.id) ?? [];
    const blobs = new Map(own.map((f) => [f.digest, f.size]));
    return {
      candidate: {
        key: `v:${v.id}`,
        package: pkg.name,
        version: v.version,
        tags: tagsPointingAt(pkg, [v.version]),
        createdAt: v.createdAt,
        lastDownloadAt: v.lastDownloadedAt ?? null,
        protections: held.has(`${pkg.name}\u0000${v.version}`) ? [LEGAL_HOLD] : [],
      },
      kind: "version",
      displayName: pkg.displayName,
      ref: { packageId: pkg.id, versionId: v.id, digest: own[0]?.digest ?? "" },
      held: blobs,
      size: [...blobs.values()].reduce((n, s) => n + s, 0),
      digest: own[0]?.digest ?? "",
    };
  });
  items.sort((a, b) => a.candidate.createdAt - b.candidate.createdAt || a.candidate.key.localeCompare(b.candidate.key));
  return { items, neededBy: new Map(), graphs: new Map() };
}

async function imageCandidates(scope: Scope, repo: RepoRow, now: number): Promise<RepoCandidates> {
  const [rows, history, holds] = await Promise.all([
    oq.graphOfRepo(scope.db, repo.id),
    oq.tagHistorySince(scope.db, repo.id, now - TAG_HISTORY_WINDOW_MS),
    allHolds(scope.db, repo.id),
  ]);
  const byImage = new Map<string, typeof rows>();
  const slot = (image: string) => byImage.get(image) ?? byImage.set(image, { manifests: [], refs: [], tags: [] }).get(image)!;
  for (const m of rows.manifests) slot(m.image).manifests.push(m);
  for (const r of rows.refs) slot(r.image).refs.push(r);
  for (const t of rows.tags) slot(t.image).tags.push(t);
  const sizes = new Map((await blobSizes(scope.db, rows.refs.filter((r) => r.kind === "blob").map((r) => r.childDigest).concat(rows.manifests.filter((m) => m.external).map((m) => m.digest)))).map((b) => [b.digest, b.size]));
  const heldManifests = new Set(holds.filter((h) => h.kind === "manifest").map((h) => `${h.name}@${h.ref}`));

  const items: (Planned & { depth: number })[] = [];
  const neededBy = new Map<string, string[]>();
  const graphs = new Map<string, ImageGraph>();
  for (const [image, imageRows] of byImage) {
    const g = buildGraph(imageRows);
    graphs.set(image, g);
    const current = new Map(imageRows.tags.map((t) => [t.tag, t.digest]));
    // Digests a tag left within the window: the time machine may still point it back.
    const recalled = new Set<string>();
    for (const h of history) {
      if (h.image !== image) continue;
      for (const d of [h.digest, h.previousDigest]) if (d && current.get(h.tag) !== d) recalled.add(d);
    }
    const roots = topLevel(g);
    const closures = new Map(roots.map((r) => [r, closureOf(g, r)]));
    const ownerOf = new Map<string, string>();
    for (const [r, set] of closures) for (const d of set) if (!ownerOf.has(d)) ownerOf.set(d, r);
    const key = (d: string) => `m:${image}@${d}`;
    const depth = (d: string, seen = new Set<string>()): number => {
      if (seen.has(d)) return 0;
      seen.add(d);
      const parents = (g.parents.get(d) ?? []).filter((p) => g.manifests.has(p));
      return parents.length ? 1 + Math.max(...parents.map((p) => depth(ownerOf.get(p) ?? p, seen))) : 0;
    };
    for (const root of roots) {
      const set = closures.get(root)!;
      const m = g.manifests.get(root)!;
      const tagsOfSet = set.flatMap((d) => g.tags.get(d) ?? []);
      const protections = [
        ...(set.some((d) => heldManifests.has(`${image}@${d}`)) ? [LEGAL_HOLD] : []),
        ...(tagsOfSet.some((t) => matchesAny(t, repo.immutableTags)) ? [IMMUTABLE_TAG] : []),
        ...(set.some((d) => recalled.has(d)) ? [TAG_HISTORY] : []),
      ];
      const blobs = new Map(blobsOf(g, set).map((d) => [d, sizes.get(d) ?? 0]));
      const parents = (g.parents.get(root) ?? []).filter((p) => g.manifests.has(p)).map((p) => key(ownerOf.get(p) ?? p));
      if (parents.length) neededBy.set(key(root), [...new Set(parents)]);
      items.push({
        candidate: { key: key(root), package: image, version: root, tags: [...(g.tags.get(root) ?? [])].sort(), createdAt: m.createdAt, lastDownloadAt: m.lastDownloadedAt ?? null, protections },
        kind: "manifest",
        displayName: image,
        ref: { image, digest: root },
        held: blobs,
        size: [...blobs.values()].reduce((n, s) => n + s, 0),
        digest: root,
        depth: depth(root),
      });
    }
  }
  items.sort((a, b) => a.depth - b.depth || a.candidate.createdAt - b.candidate.createdAt || a.candidate.key.localeCompare(b.candidate.key));
  return { items: items.map(({ depth: _, ...rest }) => rest), neededBy, graphs };
}
