/**
 * The trash seen from the API: list, restore, purge, and the expiry of old entries.
 *
 * Invariants:
 * - Restore puts back the rows as they were, tags and all, in one batch with the
 *   entry's removal and its audit row. It refuses (`ConflictTrashRestore`) when
 *   something has taken the artifact's place since (the version or file was published
 *   again); a tag that points elsewhere by now stays where it is and is reported. A
 *   blob the entry needs that the repo no longer links is linked again if it is still
 *   stored, else the restore is refused (`ConflictTrashContentMissing`).
 * - npm's package document: restoring versions takes them out of the package's
 *   `unpublished` list and puts back the dist-tags that pointed at them (`latest` too,
 *   when it did).
 * - Purge deletes the entry, then drops each link it held that nothing else in the repo
 *   needs (blobs.ts unlinkBlob, a conditional statement): that is when the quota goes
 *   down. The bytes stay in R2 until the collector's grace period passes (gc.ts).
 * - Listing needs read, restore write, an early purge admin (audited, `trash.purged`).
 */
import type { Scope } from "../scope";
import type { OpenedRepo } from "../projects/repos";
import { auditQuery, emitEvent } from "../events/audit";
import { linkExistingBlob, findRepoBlob, unlinkBlob } from "../artifacts/blobs";
import { tagChange, type TagChange } from "../oci/tags";
import { imageOf } from "./trash";
import { entryView, readSnapshot, type ManifestSnapshot, type PackageSnapshot } from "./snapshot";
import * as t from "../../db/trash";
import * as pq from "../../db/packages";
import * as oq from "../../db/oci";
import { blobSizes } from "../../db/blobs";
import { bumpRevision } from "../../db/indexes";
import { runBatch } from "../../db/client";
import { slices } from "../../db/paging";
import { conflict, notFound } from "../../core/errors";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import type { BatchItem } from "drizzle-orm/batch";

export async function listTrash(scope: Scope, opened: OpenedRepo, cursor?: string, limit?: number) {
  const n = clampLimit(limit);
  const rows = await t.listEntries(scope.db, opened.repo.id, decodeCursor(cursor), n);
  const page = toPage(rows.map((r) => ({ ...r, createdAt: r.deletedAt })), n);
  return { items: page.items as t.TrashRow[], nextCursor: page.nextCursor };
}

export async function getTrashEntry(scope: Scope, opened: OpenedRepo, id: string) {
  const entry = await t.findEntry(scope.db, opened.repo.id, id);
  if (!entry) throw notFound("TrashEntry", `no entry ${id} in this repository's trash`);
  return entry;
}

export interface Restored {
  entry: t.TrashRow;
  tagsRestored: string[];
  tagsSkipped: string[];
}

export async function restoreTrashEntry(scope: Scope, opened: OpenedRepo, id: string): Promise<Restored> {
  await scope.access.require("write", { projectId: opened.project.id, repo: opened.repo });
  const entry = await getTrashEntry(scope, opened, id);
  const snapshot = await readSnapshot(scope, entry.id);
  await relinkHeld(scope, opened, entry);
  const now = Date.now();
  const plan = snapshot.kind === "manifest" ? await manifestRestore(scope, opened, snapshot, now) : await packageRestore(scope, opened, snapshot, now);
  await runBatch(scope.db, [
    ...plan.statements,
    t.deleteEntry(scope.db, entry.id),
    auditQuery(scope, { action: "trash.restore", resourceType: "trash_entry", resourceId: entry.id, projectId: opened.project.id, before: entryView(entry), after: { tags_restored: plan.tagsRestored, tags_skipped: plan.tagsSkipped } }, now),
  ]);
  const restored = { entry, tagsRestored: plan.tagsRestored, tagsSkipped: plan.tagsSkipped };
  await emitEvent(scope, { type: "trash.restored", project_id: opened.project.id, data: { entry: entryView(entry), tags_restored: plan.tagsRestored, tags_skipped: plan.tagsSkipped } });
  return restored;
}

/** Every blob the entry needs must be linked again before its rows (triggers check it). */
async function relinkHeld(scope: Scope, opened: OpenedRepo, entry: t.TrashRow) {
  for (const { digest } of await t.heldBy(scope.db, entry.id)) {
    if (await findRepoBlob(scope, opened.repo.id, digest)) continue;
    if (!(await linkExistingBlob(scope, { id: opened.repo.id, projectId: opened.project.id }, digest))) {
      throw conflict("TrashContentMissing", `the content ${digest} of ${entry.name}@${entry.ref} is no longer stored: the entry can't be restored`);
    }
  }
}

interface RestorePlan {
  statements: BatchItem<"sqlite">[];
  tagsRestored: string[];
  tagsSkipped: string[];
}

type DistTags = Record<string, string>;
const distTags = (m: Record<string, unknown>) => ({ ...((m["dist-tags"] as DistTags | undefined) ?? {}) });

async function packageRestore(scope: Scope, opened: OpenedRepo, s: PackageSnapshot, now: number): Promise<RestorePlan> {
  const existing = await pq.findPackage(scope.db, opened.repo.id, s.package.name);
  const pkgId = existing?.id ?? s.package.id;
  const statements: BatchItem<"sqlite">[] = [];
  const versionIds = new Map<string, string>();
  const restoredVersions: string[] = [];
  for (const v of s.versions) {
    const live = existing ? await pq.findVersion(scope.db, existing.id, v.version) : undefined;
    if (live && s.kind !== "file") throw conflict("TrashRestore", `${s.package.displayName}@${v.version} exists again: delete it before restoring this entry`);
    versionIds.set(v.id, live?.id ?? v.id);
    if (!live) {
      statements.push(pq.insertVersion(scope.db, { ...v, packageId: pkgId, updatedAt: now }));
      restoredVersions.push(v.version);
    }
  }
  for (const f of s.files) {
    const versionId = versionIds.get(f.versionId)!;
    const clash = await pq.findFileInVersion(scope.db, versionId, f.name);
    if (clash && clash.digest !== f.digest) throw conflict("TrashRestore", `${f.name} exists again with other content: delete it before restoring this entry`);
    if (!clash) statements.push(pq.insertFile(scope.db, { ...f, versionId }));
  }
  // The package document: back as it was, or (when the package lives on) with the
  // restored versions taken out of `unpublished` and their dist-tags put back.
  const tagsBefore = Object.entries(distTags(s.package.metadata)).filter(([, v]) => restoredVersions.includes(v));
  let tagsRestored = tagsBefore.map(([tag]) => tag);
  const tagsSkipped: string[] = [];
  if (!existing) {
    statements.unshift(pq.insertPackage(scope.db, { ...s.package, updatedAt: now }));
  } else {
    const meta = { ...existing.metadata };
    const tags = distTags(meta);
    tagsRestored = [];
    for (const [tag, version] of tagsBefore) {
      if (tags[tag] === undefined || tag === "latest") {
        tags[tag] = version;
        tagsRestored.push(tag);
      } else tagsSkipped.push(tag);
    }
    if (meta["dist-tags"] !== undefined || tagsRestored.length) meta["dist-tags"] = tags;
    const unpublished = meta.unpublished as Record<string, string> | undefined;
    if (unpublished) meta.unpublished = Object.fromEntries(Object.entries(unpublished).filter(([v]) => !restoredVersions.includes(v)));
    statements.unshift(pq.updatePackage(scope.db, existing.id, { metadata: meta, updatedAt: now }));
  }
  statements.push(bumpRevision(scope.db, opened.repo.id, now));
  return { statements, tagsRestored, tagsSkipped };
}

async function manifestRestore(scope: Scope, opened: OpenedRepo, s: ManifestSnapshot, now: number): Promise<RestorePlan> {
  const img = imageOf(opened, s.image);
  const changes: TagChange[] = [];
  const tagsRestored: string[] = [];
  const tagsSkipped: string[] = [];
  for (const tag of s.tags) {
    const current = await oq.findTag(scope.db, opened.repo.id, s.image, tag.tag);
    if (current?.digest === tag.digest) continue;
    if (current) {
      tagsSkipped.push(tag.tag);
      continue;
    }
    changes.push({ tag: tag.tag, from: null, to: tag.digest, action: "restore" });
    tagsRestored.push(tag.tag);
  }
  // Manifests are content-addressed: one pushed again since is the same bytes (no conflict).
  const statements: BatchItem<"sqlite">[] = [
    ...s.manifests.map((m) => oq.insertManifest(scope.db, m)),
    ...slices(s.refs, 5).map((slice) => oq.insertRefs(scope.db, slice)),
    ...changes.flatMap((c) => tagChange(scope, img, c, now)),
    ...(s.labels.length ? oq.restoreLabels(scope.db, s.labels) : []),
  ];
  return { statements, tagsRestored, tagsSkipped };
}

export interface Purged {
  entry: t.TrashRow;
  releasedBytes: number;
}

/**
 * Deletes the entry for good and drops the links only it needed (the quota goes down
 * by those bytes). `reason` admin: an early purge by a project admin, audited.
 */
export async function purgeTrashEntry(scope: Scope, repo: { id: string; projectId: string }, entry: t.TrashRow, reason: "admin" | "expired"): Promise<Purged> {
  const held = (await t.heldBy(scope.db, entry.id)).map((h) => h.digest);
  await runBatch(scope.db, [
    t.deleteEntry(scope.db, entry.id),
    ...(reason === "admin" ? [auditQuery(scope, { action: "trash.purge", resourceType: "trash_entry", resourceId: entry.id, projectId: repo.projectId, before: entryView(entry) })] : []),
  ]);
  const sizes = new Map((await blobSizes(scope.db, held)).map((b) => [b.digest, b.size]));
  let releasedBytes = 0;
  for (const digest of held) if (await unlinkBlob(scope, repo, digest)) releasedBytes += sizes.get(digest) ?? 0;
  await emitEvent(scope, { type: "trash.purged", project_id: repo.projectId, data: { entry: entryView(entry), reason, released_bytes: releasedBytes } });
  return { entry, releasedBytes };
}

export async function purgeEarly(scope: Scope, opened: OpenedRepo, id: string): Promise<Purged> {
  await scope.access.require("admin", { projectId: opened.project.id, repo: opened.repo });
  const entry = await getTrashEntry(scope, opened, id);
  return purgeTrashEntry(scope, { id: opened.repo.id, projectId: opened.project.id }, entry, "admin");
}

/** Purges up to `limit` entries whose window has passed; true when more remain. */
export async function expireTrash(scope: Scope, limit = 25, now = Date.now()): Promise<{ purged: number; more: boolean }> {
  const due = await t.expiredEntries(scope.db, now, limit + 1);
  for (const entry of due.slice(0, limit)) await purgeTrashEntry(scope, { id: entry.repoId, projectId: entry.projectId }, entry, "expired");
  return { purged: Math.min(due.length, limit), more: due.length > limit };
}
