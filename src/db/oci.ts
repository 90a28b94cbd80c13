/** Queries over OCI manifests, tags, tag history, manifest references and labels. */
import { and, asc, desc, eq, gt, gte, inArray, isNotNull, or, sql, type SQL } from "drizzle-orm";
import type { Db, Read, Ref } from "./client";
import { inIdList, inSlices, slices } from "./paging";
import { blobs, ociLabels, ociManifestRefs, ociManifests, ociPendingRefs, ociTagHistory, ociTags, projects, repoBlobs, repos } from "./schema";

export type ManifestRow = typeof ociManifests.$inferSelect;
export type ManifestRefRow = typeof ociManifestRefs.$inferSelect;
export type TagRow = typeof ociTags.$inferSelect;
export type TagHistoryRow = typeof ociTagHistory.$inferSelect;
export type LabelRow = typeof ociLabels.$inferSelect;

/** Everything but the body: what HEAD needs. */
const meta = {
  repoId: ociManifests.repoId,
  image: ociManifests.image,
  digest: ociManifests.digest,
  mediaType: ociManifests.mediaType,
  artifactType: ociManifests.artifactType,
  size: ociManifests.size,
  subjectDigest: ociManifests.subjectDigest,
  annotations: ociManifests.annotations,
  blockedBy: ociManifests.blockedBy,
  licenseBlockedBy: ociManifests.licenseBlockedBy,
  heldUntil: ociManifests.heldUntil,
  pushedBy: ociManifests.pushedBy,
  lastDownloadedAt: ociManifests.lastDownloadedAt,
  createdAt: ociManifests.createdAt,
};
export type ManifestMeta = Omit<ManifestRow, "body">;

const inImage = (repoId: string, image: string) => and(eq(ociManifests.repoId, repoId), eq(ociManifests.image, image));

/** One query whether the reference is a digest or a tag; the body only when asked for. */
export function findManifest(db: Db, repoId: string, image: string, ref: { digest: string } | { tag: string }, withBody: boolean) {
  return manifestQuery(db, repoId, image, ref, withBody).get();
}

function manifestQuery(db: Db, repoId: Ref, image: string, ref: { digest: string } | { tag: string }, withBody: boolean) {
  const cols = withBody ? { ...meta, body: ociManifests.body } : meta;
  if ("digest" in ref) return db.select(cols).from(ociManifests).where(and(eq(ociManifests.repoId, repoId), eq(ociManifests.image, image), eq(ociManifests.digest, ref.digest)));
  return db
    .select(cols)
    .from(ociTags)
    .innerJoin(ociManifests, and(eq(ociManifests.repoId, ociTags.repoId), eq(ociManifests.image, ociTags.image), eq(ociManifests.digest, ociTags.digest)))
    .where(and(eq(ociTags.repoId, repoId), eq(ociTags.image, image), eq(ociTags.tag, ref.tag)));
}

/** The same lookup as a batchable read (the repo may be a subquery): for the gate's batch. */
export const manifestRead = (db: Db, repoId: Ref, image: string, ref: { digest: string } | { tag: string }, withBody: boolean): Read<ManifestRow | ManifestMeta | null> => ({
  items: [manifestQuery(db, repoId, image, ref, withBody).limit(1)],
  decode: ([rows]) => ((rows as ManifestRow[])[0] ?? null),
});

/** An index's children among the image's manifests; in slices, as an index may name more than D1 binds in one statement. */
export const manifestsIn = (db: Db, repoId: string, image: string, digests: string[]) =>
  inSlices(digests, (slice) => db.select(meta).from(ociManifests).where(and(inImage(repoId, image), inArray(ociManifests.digest, slice))).all());

/** Blobs (digest, size) this repo may read among `digests` (a manifest's layers: up to 127 in Docker), in slices. */
export const linkedBlobsIn = (db: Db, repoId: string, digests: string[]) =>
  inSlices(digests, (slice) =>
    db
      .select({ digest: blobs.digest, size: blobs.size })
      .from(repoBlobs)
      .innerJoin(blobs, eq(repoBlobs.digest, blobs.digest))
      .where(and(eq(repoBlobs.repoId, repoId), inArray(repoBlobs.digest, slice)))
      .all(),
  );

export const insertManifest = (db: Db, row: ManifestRow) => db.insert(ociManifests).values(row).onConflictDoNothing();
export const insertRefs = (db: Db, rows: ManifestRefRow[]) => db.insert(ociManifestRefs).values(rows).onConflictDoNothing();
export type PendingRefRow = typeof ociPendingRefs.$inferSelect;
export const insertPendingRefs = (db: Db, rows: PendingRefRow[]) => db.insert(ociPendingRefs).values(rows).onConflictDoNothing();
/**
 * The blob references waiting for `digest` become real ones (one batch: the insert
 * first, so the GC trigger refuses the whole batch if the repo no longer links it).
 */
export const promotePendingRefs = (db: Db, repoId: string, digest: string) => [
  db
    .insert(ociManifestRefs)
    .select(
      db
        .select({ repoId: ociPendingRefs.repoId, image: ociPendingRefs.image, parentDigest: ociPendingRefs.parentDigest, childDigest: ociPendingRefs.childDigest, kind: sql<"blob">`'blob'`.as("kind") })
        .from(ociPendingRefs)
        .where(and(eq(ociPendingRefs.repoId, repoId), eq(ociPendingRefs.childDigest, digest))),
    )
    .onConflictDoNothing(),
  db.delete(ociPendingRefs).where(and(eq(ociPendingRefs.repoId, repoId), eq(ociPendingRefs.childDigest, digest))),
] as const;
export const deleteManifest = (db: Db, repoId: string, image: string, digest: string) =>
  db.delete(ociManifests).where(and(inImage(repoId, image), eq(ociManifests.digest, digest)));
export const deleteRefsOf = (db: Db, repoId: string, image: string, digest: string) =>
  db.delete(ociManifestRefs).where(and(eq(ociManifestRefs.repoId, repoId), eq(ociManifestRefs.image, image), eq(ociManifestRefs.parentDigest, digest)));

/** Whether any manifest of the repo still references `digest` (as blob or child). */
export const isReferenced = async (db: Db, repoId: string, digest: string) =>
  !!(await db
    .select({ one: sql<number>`1` })
    .from(ociManifestRefs)
    .where(and(eq(ociManifestRefs.repoId, repoId), eq(ociManifestRefs.childDigest, digest)))
    .limit(1)
    .get());

export const imageExists = async (db: Db, repoId: string, image: string) =>
  !!(await db.select({ one: sql<number>`1` }).from(ociManifests).where(inImage(repoId, image)).limit(1).get());

// Tags
const tagKey = (repoId: string, image: string, tag: string) => and(eq(ociTags.repoId, repoId), eq(ociTags.image, image), eq(ociTags.tag, tag));

export const findTag = (db: Db, repoId: string, image: string, tag: string) => db.select().from(ociTags).where(tagKey(repoId, image, tag)).get();

export const upsertTag = (db: Db, row: TagRow) =>
  db.insert(ociTags).values(row).onConflictDoUpdate({ target: [ociTags.repoId, ociTags.image, ociTags.tag], set: { digest: row.digest, updatedAt: row.updatedAt } });

export const deleteTag = (db: Db, repoId: string, image: string, tag: string) => db.delete(ociTags).where(tagKey(repoId, image, tag));

export const tagsOf = (db: Db, repoId: string, image: string, digest: string) =>
  db.select().from(ociTags).where(and(eq(ociTags.repoId, repoId), eq(ociTags.image, image), eq(ociTags.digest, digest))).all();

/**
 * A page of tags as one batchable read (the repo may be a subquery: the gate's batch),
 * with, for the first page, whether the image has any manifest (an empty first page of
 * an unknown image is a 404, of a known untagged one an empty list).
 */
export const tagsPageRead = (db: Db, repoId: Ref, image: string, last: string | undefined, limit: number): Read<{ tags: string[]; imageExists: boolean | null }> => ({
  items: [
    db
      .select({ tag: ociTags.tag })
      .from(ociTags)
      .where(and(eq(ociTags.repoId, repoId), eq(ociTags.image, image), last !== undefined ? gt(ociTags.tag, last) : undefined))
      .orderBy(asc(ociTags.tag))
      .limit(limit),
    ...(last === undefined ? [db.select({ one: sql<number>`1` }).from(ociManifests).where(and(eq(ociManifests.repoId, repoId), eq(ociManifests.image, image))).limit(1)] : []),
  ],
  decode: ([rows, exists]) => ({ tags: (rows as { tag: string }[]).map((r) => r.tag), imageExists: exists === undefined ? null : (exists as unknown[]).length > 0 }),
});

export const insertTagHistory = (db: Db, row: TagHistoryRow) => db.insert(ociTagHistory).values(row);

export const tagHistory = (db: Db, repoId: string, image: string, tag: string | undefined, since: number, limit: number) =>
  db
    .select()
    .from(ociTagHistory)
    .where(and(eq(ociTagHistory.repoId, repoId), eq(ociTagHistory.image, image), tag ? eq(ociTagHistory.tag, tag) : undefined, gte(ociTagHistory.createdAt, since)))
    .orderBy(desc(ociTagHistory.createdAt), desc(ociTagHistory.id))
    .limit(limit)
    .all();

/** Whether `tag` pointed at `digest` at or after `since` (the time machine's window). */
export const tagPointedAt = async (db: Db, repoId: string, image: string, tag: string, digest: string, since: number) =>
  !!(await db
    .select({ one: sql<number>`1` })
    .from(ociTagHistory)
    .where(
      and(
        eq(ociTagHistory.repoId, repoId),
        eq(ociTagHistory.image, image),
        eq(ociTagHistory.tag, tag),
        or(eq(ociTagHistory.digest, digest), eq(ociTagHistory.previousDigest, digest)),
        gte(ociTagHistory.createdAt, since),
      ),
    )
    .limit(1)
    .get());

// Referrers
export const referrersOf = (db: Db, repoId: string, image: string, subject: string, artifactType?: string) =>
  db
    .select(meta)
    .from(ociManifests)
    .where(and(inImage(repoId, image), eq(ociManifests.subjectDigest, subject), artifactType ? eq(ociManifests.artifactType, artifactType) : undefined))
    .orderBy(asc(ociManifests.createdAt), asc(ociManifests.digest))
    .all();

// Catalog: `<project>/<repo>/<image>` of every image with a manifest, among visible repos.
export function catalog(db: Db, visible: { projectIds: string[] | null }, last: string | undefined, limit: number) {
  const full = sql<string>`${projects.slug} || '/' || ${repos.slug} || '/' || ${ociManifests.image}`;
  const conditions: (SQL | undefined)[] = [
    inArray(repos.format, ["docker", "helm"]),
    visible.projectIds === null
      ? undefined
      : visible.projectIds.length
        ? or(inIdList(repos.projectId, visible.projectIds), eq(repos.visibility, "public"))
        : eq(repos.visibility, "public"),
    last !== undefined ? sql`${full} > ${last}` : undefined,
  ];
  return db
    .selectDistinct({ name: full })
    .from(ociManifests)
    .innerJoin(repos, eq(repos.id, ociManifests.repoId))
    .innerJoin(projects, eq(projects.id, repos.projectId))
    .where(and(...conditions))
    .orderBy(asc(full))
    .limit(limit)
    .all();
}

// Labels
export const listLabels = (db: Db, repoId: string, digest: string) =>
  db.select().from(ociLabels).where(and(eq(ociLabels.repoId, repoId), eq(ociLabels.digest, digest))).orderBy(asc(ociLabels.createdAt), asc(ociLabels.id)).all();
export const insertLabels = (db: Db, rows: LabelRow[]) => db.insert(ociLabels).values(rows);
export const findLabel = (db: Db, repoId: string, id: string) => db.select().from(ociLabels).where(and(eq(ociLabels.repoId, repoId), eq(ociLabels.id, id))).get();
export const deleteLabel = (db: Db, repoId: string, id: string) => db.delete(ociLabels).where(and(eq(ociLabels.repoId, repoId), eq(ociLabels.id, id)));
export const hasLabels = async (db: Db, repoId: string, digest: string) =>
  !!(await db.select({ one: sql<number>`1` }).from(ociLabels).where(and(eq(ociLabels.repoId, repoId), eq(ociLabels.digest, digest), isNotNull(ociLabels.id))).limit(1).get());

/** Repos that link `digest` (for automatic mounts), a bounded sample. */
export const reposLinking = (db: Db, digest: string, limit = 25) =>
  db
    .select({ id: repos.id, projectId: repos.projectId, visibility: repos.visibility })
    .from(repoBlobs)
    .innerJoin(repos, eq(repos.id, repoBlobs.repoId))
    .where(eq(repoBlobs.digest, digest))
    .limit(limit)
    .all();

/** Whether any image of the repo holds a manifest with this digest. */
export const manifestInRepo = async (db: Db, repoId: string, digest: string) =>
  !!(await db.select({ one: sql<number>`1` }).from(ociManifests).where(and(eq(ociManifests.repoId, repoId), eq(ociManifests.digest, digest))).limit(1).get());

/**
 * A blob this repo may read, with what its referencing manifests allow, in one query:
 * `parents` counts the repo's manifests that reference it, `free` those no policy
 * restricts at `now` (not blocked, not licence-blocked, not held). Parents > 0 and
 * free = 0: only restricted manifests reference it, so it is restricted with them.
 */
export type BlobForPull = { blob: typeof blobs.$inferSelect; parents: number; free: number };

/** The same as a batchable read (the repo may be a subquery: the gate's batch plans it). */
export const blobForPullRead = (db: Db, repoId: Ref, digest: string, now: number): Read<BlobForPull | null> => ({
  items: [
    db
      .select({
        blob: blobs,
        parents: sql<number>`(select count(*) from oci_manifest_refs r where r.repo_id = ${repoBlobs.repoId} and r.child_digest = ${digest})`.as("parents"),
        free: sql<number>`(select count(*) from oci_manifest_refs r join oci_manifests m on m.repo_id = r.repo_id and m.image = r.image and m.digest = r.parent_digest
        where r.repo_id = ${repoBlobs.repoId} and r.child_digest = ${digest} and m.blocked_by is null and m.license_blocked_by is null and (m.held_until is null or m.held_until <= ${now}))`.as("free"),
      })
      .from(repoBlobs)
      .innerJoin(blobs, eq(repoBlobs.digest, blobs.digest))
      .where(and(eq(repoBlobs.repoId, repoId), eq(repoBlobs.digest, digest)))
      .limit(1),
  ],
  decode: ([rows]) => ((rows as BlobForPull[])[0] ?? null),
});

/** The restricted manifest that makes a blob restricted (a blocked one before a held one). */
export const restrictingParent = (db: Db, repoId: string, digest: string) =>
  db
    .select(meta)
    .from(ociManifestRefs)
    .innerJoin(ociManifests, and(eq(ociManifests.repoId, ociManifestRefs.repoId), eq(ociManifests.image, ociManifestRefs.image), eq(ociManifests.digest, ociManifestRefs.parentDigest)))
    .where(and(eq(ociManifestRefs.repoId, repoId), eq(ociManifestRefs.childDigest, digest)))
    .orderBy(sql`${ociManifests.blockedBy} is null`, sql`${ociManifests.licenseBlockedBy} is null`, desc(ociManifests.heldUntil))
    .limit(1)
    .get();
/** The manifests of an upstream repo whose cached copies reference a blob not pulled yet (oci_pending_refs): what judges its first pull. */
export const pendingParents = (db: Db, repoId: string, digest: string) =>
  db
    .select(meta)
    .from(ociPendingRefs)
    .innerJoin(ociManifests, and(eq(ociManifests.repoId, ociPendingRefs.repoId), eq(ociManifests.image, ociPendingRefs.image), eq(ociManifests.digest, ociPendingRefs.parentDigest)))
    .where(and(eq(ociPendingRefs.repoId, repoId), eq(ociPendingRefs.childDigest, digest)))
    .limit(100)
    .all();
// Lifecycle (trash, retention): an image's whole graph, and what a manifest's removal touches.
/** Manifest rows without bodies, each with whether its body is a blob (large manifests). */
const graphCols = { ...meta, external: sql<number>`${ociManifests.body} IS NULL`.mapWith(Boolean) };
export type GraphManifest = ManifestMeta & { external: boolean };

export const graphOfImage = async (db: Db, repoId: string, image: string) => {
  const [manifests, refs, tags] = await Promise.all([
    db.select(graphCols).from(ociManifests).where(inImage(repoId, image)).all(),
    db.select().from(ociManifestRefs).where(and(eq(ociManifestRefs.repoId, repoId), eq(ociManifestRefs.image, image))).all(),
    db.select().from(ociTags).where(and(eq(ociTags.repoId, repoId), eq(ociTags.image, image))).all(),
  ]);
  return { manifests: manifests as GraphManifest[], refs, tags };
};

/** Every image of a repo at once (retention plans a whole repo). */
export const graphOfRepo = async (db: Db, repoId: string) => {
  const [manifests, refs, tags] = await Promise.all([
    db.select(graphCols).from(ociManifests).where(eq(ociManifests.repoId, repoId)).all(),
    db.select().from(ociManifestRefs).where(eq(ociManifestRefs.repoId, repoId)).all(),
    db.select().from(ociTags).where(eq(ociTags.repoId, repoId)).all(),
  ]);
  return { manifests: manifests as GraphManifest[], refs, tags };
};

/** Tag changes of a repo since `since` (the tag-history window). */
export const tagHistorySince = (db: Db, repoId: string, since: number) =>
  db.select().from(ociTagHistory).where(and(eq(ociTagHistory.repoId, repoId), gte(ociTagHistory.createdAt, since))).all();

export const manifestsWithBody = (db: Db, repoId: string, image: string, digests: string[]) =>
  inSlices(digests, (slice) => db.select().from(ociManifests).where(and(inImage(repoId, image), inArray(ociManifests.digest, slice))).all());

export const labelsOfDigests = (db: Db, repoId: string, digests: string[]) =>
  inSlices(digests, (slice) => db.select().from(ociLabels).where(and(eq(ociLabels.repoId, repoId), inArray(ociLabels.digest, slice))).all());

/** Digests among `digests` that another image of the repo also holds (labels are per repo and digest). */
export const digestsInOtherImages = (db: Db, repoId: string, image: string, digests: string[]) =>
  inSlices(digests, (slice) =>
    db
      .selectDistinct({ digest: ociManifests.digest })
      .from(ociManifests)
      .where(and(eq(ociManifests.repoId, repoId), sql`${ociManifests.image} <> ${image}`, inArray(ociManifests.digest, slice)))
      .all(),
  );

export const deleteLabelsOf = (db: Db, repoId: string, digests: string[]) =>
  slices(digests).map((slice) => db.delete(ociLabels).where(and(eq(ociLabels.repoId, repoId), inArray(ociLabels.digest, slice))));
export const restoreLabels = (db: Db, rows: LabelRow[]) => slices(rows, 8).map((slice) => db.insert(ociLabels).values(slice).onConflictDoNothing());
