/**
 * OCI metadata on top of the shared blob store: manifests, tags (and every move of a
 * tag), what each manifest references, and manifest labels.
 *
 * Invariants:
 * - A manifest is identified by (repo, image, digest); its bytes are exactly what the
 *   client pushed: inline in `body` (UTF-8 JSON up to INLINE_MANIFEST_MAX) or, when
 *   larger, a content-addressed blob linked to the repo (`body` null).
 * - The referrers index is `oci_manifests_subject_idx`: manifests with a `subject` are
 *   found by (repo, image, subject_digest) with their artifact type and annotations, so
 *   answering `/referrers/<digest>` reads no manifest bodies.
 * - A tag points at a manifest of the same image; `oci_tag_history` gets one row for
 *   every create, move, delete and restore of a tag, in the same batch as the change.
 * - `oci_manifest_refs` lists the blobs and child manifests a manifest references.
 * - `oci_pending_refs`: a manifest cached from an upstream repo's upstream is stored
 *   before its blobs, and a blob reference may only be written while the repo links the
 *   blob (the GC trigger, docs/gc.md I1); such references wait here and move to
 *   `oci_manifest_refs` when the blob is pulled through. They go with their manifest.
 */
import { sqliteTable, text, integer, index, primaryKey, foreignKey } from "drizzle-orm/sqlite-core";
import { repos } from "./projects";

const repoId = () =>
  text("repo_id")
    .notNull()
    .references(() => repos.id, { onDelete: "cascade" });

export const ociManifests = sqliteTable(
  "oci_manifests",
  {
    repoId: repoId(),
    image: text("image").notNull(),
    digest: text("digest").notNull(),
    mediaType: text("media_type").notNull(),
    artifactType: text("artifact_type"),
    size: integer("size").notNull(),
    body: text("body"),
    subjectDigest: text("subject_digest"),
    annotations: text("annotations", { mode: "json" }).$type<Record<string, string>>().notNull().default({}),
    /** Policy effects, as on `versions` (schema/policy.ts): security block, licence policy, quarantine. */
    blockedBy: text("blocked_by"),
    licenseBlockedBy: text("license_blocked_by"),
    heldUntil: integer("held_until"),
    /** Who pushed it (`<principal type>:<id>`): may pull it while it is held. */
    pushedBy: text("pushed_by"),
    /** Last successful pull of this manifest (Unix ms), kept by the download log's consumer. */
    lastDownloadedAt: integer("last_downloaded_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repoId, t.image, t.digest] }),
    index("oci_manifests_subject_idx").on(t.repoId, t.image, t.subjectDigest),
    index("oci_manifests_digest_idx").on(t.repoId, t.digest),
    index("oci_manifests_held_idx").on(t.heldUntil),
    index("oci_manifests_image_idx").on(t.image),
    index("oci_manifests_blocked_idx").on(t.blockedBy),
    /** The internal API's feed of new manifests (db/scanner-feed.ts). */
    index("oci_manifests_created_idx").on(t.createdAt),
  ],
);

export const ociManifestRefs = sqliteTable(
  "oci_manifest_refs",
  {
    repoId: repoId(),
    image: text("image").notNull(),
    parentDigest: text("parent_digest").notNull(),
    childDigest: text("child_digest").notNull(),
    kind: text("kind", { enum: ["blob", "manifest"] }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repoId, t.image, t.parentDigest, t.childDigest] }),
    index("oci_manifest_refs_child_idx").on(t.repoId, t.childDigest),
  ],
);

export const ociPendingRefs = sqliteTable(
  "oci_pending_refs",
  {
    repoId: repoId(),
    image: text("image").notNull(),
    parentDigest: text("parent_digest").notNull(),
    childDigest: text("child_digest").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repoId, t.image, t.parentDigest, t.childDigest] }),
    index("oci_pending_refs_child_idx").on(t.repoId, t.childDigest),
    foreignKey({ columns: [t.repoId, t.image, t.parentDigest], foreignColumns: [ociManifests.repoId, ociManifests.image, ociManifests.digest] }).onDelete("cascade"),
  ],
);

export const ociTags = sqliteTable(
  "oci_tags",
  {
    repoId: repoId(),
    image: text("image").notNull(),
    tag: text("tag").notNull(),
    digest: text("digest").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.repoId, t.image, t.tag] }), index("oci_tags_digest_idx").on(t.repoId, t.image, t.digest)],
);

export const TAG_ACTIONS = ["create", "move", "delete", "restore"] as const;

export const ociTagHistory = sqliteTable(
  "oci_tag_history",
  {
    id: text("id").primaryKey(),
    repoId: repoId(),
    image: text("image").notNull(),
    tag: text("tag").notNull(),
    /** The digest the tag points at after this change; null when the tag was deleted. */
    digest: text("digest"),
    previousDigest: text("previous_digest"),
    action: text("action", { enum: TAG_ACTIONS }).notNull(),
    actorType: text("actor_type").notNull(),
    actorName: text("actor_name"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("oci_tag_history_tag_idx").on(t.repoId, t.image, t.tag, t.createdAt)],
);

export const ociLabels = sqliteTable(
  "oci_labels",
  {
    id: text("id").primaryKey(),
    repoId: repoId(),
    digest: text("digest").notNull(),
    key: text("key").notNull(),
    value: text("value").notNull(),
    mediaType: text("media_type").notNull().default("text/plain"),
    /** `manifest` (from its annotations at push) or `api` (added by a user). */
    source: text("source", { enum: ["manifest", "api"] }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("oci_labels_manifest_idx").on(t.repoId, t.digest, t.createdAt)],
);
