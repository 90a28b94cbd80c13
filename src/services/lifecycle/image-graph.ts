/**
 * An image's manifests as a graph (pure): which manifests an index lists, which
 * manifests refer to a subject (signatures, SBOMs), which tags point where. What goes to
 * the trash with a manifest, and what retention treats as one artifact, come from here.
 *
 * Invariants:
 * - The closure of a manifest is the manifest, every manifest whose subject is in the
 *   closure (a signature never outlives what it signs), and every untagged manifest the
 *   closure's indexes list that no index outside the closure lists (a platform manifest
 *   goes with its only index; one another index or a tag still needs stays).
 * - A manifest that an index outside the closure lists can't be removed on its own
 *   (`blockingParents` names those indexes).
 */
import type { GraphManifest } from "../../db/oci";

export interface ImageGraph {
  manifests: Map<string, GraphManifest>;
  children: Map<string, string[]>;
  parents: Map<string, string[]>;
  blobs: Map<string, string[]>;
  tags: Map<string, string[]>;
  referrers: Map<string, string[]>;
}

const push = (m: Map<string, string[]>, k: string, v: string) => m.set(k, [...(m.get(k) ?? []), v]);

export function buildGraph(rows: {
  manifests: GraphManifest[];
  refs: { parentDigest: string; childDigest: string; kind: "blob" | "manifest" }[];
  tags: { tag: string; digest: string }[];
}): ImageGraph {
  const g: ImageGraph = { manifests: new Map(), children: new Map(), parents: new Map(), blobs: new Map(), tags: new Map(), referrers: new Map() };
  for (const m of rows.manifests) g.manifests.set(m.digest, m);
  for (const r of rows.refs) {
    if (r.kind === "manifest") {
      push(g.children, r.parentDigest, r.childDigest);
      push(g.parents, r.childDigest, r.parentDigest);
    } else push(g.blobs, r.parentDigest, r.childDigest);
  }
  for (const t of rows.tags) push(g.tags, t.digest, t.tag);
  for (const m of rows.manifests) if (m.subjectDigest && g.manifests.has(m.subjectDigest)) push(g.referrers, m.subjectDigest, m.digest);
  return g;
}

/** The manifests (one, or several deleted together) and what goes with them (module invariant). */
export function closureOf(g: ImageGraph, roots: string | string[]): string[] {
  const set = new Set(typeof roots === "string" ? [roots] : roots);
  for (let changed = true; changed; ) {
    changed = false;
    for (const d of [...set]) {
      for (const r of g.referrers.get(d) ?? []) if (!set.has(r)) set.add(r), (changed = true);
      for (const c of g.children.get(d) ?? []) {
        if (set.has(c) || !g.manifests.has(c) || (g.tags.get(c)?.length ?? 0) > 0) continue;
        if ((g.parents.get(c) ?? []).every((p) => set.has(p))) set.add(c), (changed = true);
      }
    }
  }
  return [...set];
}

/** Indexes outside `set` that list a manifest of it (they would be left pointing at nothing). */
export function blockingParents(g: ImageGraph, set: string[]): { child: string; parent: string }[] {
  const inside = new Set(set);
  return set.flatMap((d) => (g.parents.get(d) ?? []).filter((p) => !inside.has(p) && g.manifests.has(p)).map((parent) => ({ child: d, parent })));
}

/** Blobs the set needs: layers and configs, and the bodies of large manifests (stored as blobs). */
export function blobsOf(g: ImageGraph, set: string[]): string[] {
  const out = new Set<string>();
  for (const d of set) {
    for (const b of g.blobs.get(d) ?? []) out.add(b);
    if (g.manifests.get(d)?.external) out.add(d);
  }
  return [...out];
}

/**
 * The manifests retention treats as artifacts: all but the ones that go with another
 * (a referrer of a manifest present, an untagged manifest an index lists).
 */
export function topLevel(g: ImageGraph): string[] {
  return [...g.manifests.values()]
    .filter((m) => !(m.subjectDigest && g.manifests.has(m.subjectDigest)))
    .filter((m) => (g.tags.get(m.digest)?.length ?? 0) > 0 || (g.parents.get(m.digest) ?? []).every((p) => !g.manifests.has(p)))
    .map((m) => m.digest);
}
