/**
 * Read-only queries for browsing a container repo (UI and governance API): its images
 * with counts, an image's tags with their manifests, and manifest bodies by digest.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "./client";
import { ociManifests, ociTags } from "./schema";
import { contains, inSlices } from "./paging";

export interface ImageSummary {
  name: string;
  manifests: number;
  tags: number;
  updated_at: number;
}

export type ImageSort = "name" | "-name" | "-updated";

/** Images of a repo (names containing `search`), one page after the cursor key, sorted. */
export async function listImages(db: Db, repoId: string, search: string | undefined, sort: ImageSort, after: { v: string | number; name: string } | null, limit: number) {
  const order = sort === "name" ? sql`name ASC` : sort === "-name" ? sql`name DESC` : sql`updated_at DESC, name ASC`;
  const cursor = !after
    ? sql`1`
    : sort === "name"
      ? sql`name > ${after.name}`
      : sort === "-name"
        ? sql`name < ${after.name}`
        : sql`(updated_at < ${after.v} OR (updated_at = ${after.v} AND name > ${after.name}))`;
  return db.all<ImageSummary>(sql`
    SELECT * FROM (
      SELECT m.image AS name, COUNT(*) AS manifests,
        (SELECT COUNT(*) FROM oci_tags t WHERE t.repo_id = m.repo_id AND t.image = m.image) AS tags,
        MAX(MAX(m.created_at), COALESCE((SELECT MAX(t.updated_at) FROM oci_tags t WHERE t.repo_id = m.repo_id AND t.image = m.image), 0)) AS updated_at
      FROM oci_manifests m
      WHERE m.repo_id = ${repoId} AND ${search ? contains(sql`m.image`, search) : sql`1`}
      GROUP BY m.image)
    WHERE ${cursor}
    ORDER BY ${order}
    LIMIT ${limit + 1}`);
}

/** An image's tags with the manifest each points at (body included, for sizes and platforms). */
export const tagsWithManifests = (db: Db, repoId: string, image: string, limit: number) =>
  db
    .select({
      tag: ociTags.tag,
      digest: ociTags.digest,
      createdAt: ociTags.createdAt,
      updatedAt: ociTags.updatedAt,
      mediaType: ociManifests.mediaType,
      artifactType: ociManifests.artifactType,
      size: ociManifests.size,
      body: ociManifests.body,
    })
    .from(ociTags)
    .innerJoin(ociManifests, and(eq(ociManifests.repoId, ociTags.repoId), eq(ociManifests.image, ociTags.image), eq(ociManifests.digest, ociTags.digest)))
    .where(and(eq(ociTags.repoId, repoId), eq(ociTags.image, image)))
    .orderBy(sql`${ociTags.updatedAt} DESC`, ociTags.tag)
    .limit(limit)
    .all();

/** Manifests of one image among `digests` (a tags page's index children: 200 tags of 4 platforms each are 800), in slices of D1's parameter limit. */
export const manifestBodies = (db: Db, repoId: string, image: string, digests: string[]) =>
  inSlices(digests, (slice) =>
    db
      .select({
        digest: ociManifests.digest,
        mediaType: ociManifests.mediaType,
        size: ociManifests.size,
        body: ociManifests.body,
        annotations: ociManifests.annotations,
        artifactType: ociManifests.artifactType,
        subjectDigest: ociManifests.subjectDigest,
        blockedBy: ociManifests.blockedBy,
        licenseBlockedBy: ociManifests.licenseBlockedBy,
        heldUntil: ociManifests.heldUntil,
        lastDownloadedAt: ociManifests.lastDownloadedAt,
        createdAt: ociManifests.createdAt,
      })
      .from(ociManifests)
      .where(and(eq(ociManifests.repoId, repoId), eq(ociManifests.image, image), inArray(ociManifests.digest, slice)))
      .all(),
  );

/** Tags pointing at a digest in an image. */
export const tagNamesOf = async (db: Db, repoId: string, image: string, digest: string) =>
  (await db.select({ tag: ociTags.tag }).from(ociTags).where(and(eq(ociTags.repoId, repoId), eq(ociTags.image, image), eq(ociTags.digest, digest))).all()).map((r) => r.tag);
