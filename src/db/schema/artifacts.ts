/**
 * The shared artifact model every format stores into:
 *   repo → package → version → file → blob.
 * Invariants:
 * - A blob is content-addressed (`sha256:<hex>`) and stored once in R2 under `r2_key`,
 *   whatever repo it came from; `repo_blobs` says which repo may read it. Quotas count
 *   links, not R2 objects.
 * - A package name is unique in its repo in its normalized form (npm: as is; PyPI:
 *   PEP 503; Go: the module path); a version string is unique in its package.
 */
import { sqliteTable, text, integer, uniqueIndex, index, primaryKey } from "drizzle-orm/sqlite-core";
import { repos } from "./projects";
import { BLOB_STATES } from "../../core/vocabulary";

/**
 * `state`, `condemned_at` and `unlinked_at` belong to the garbage-collection protocol
 * (docs/gc.md): a `condemned` blob takes no new link (a trigger refuses it) and its
 * object is being deleted; a push of the same bytes revives the row with its own key.
 */
export const blobs = sqliteTable(
  "blobs",
  {
    digest: text("digest").primaryKey(),
    r2Key: text("r2_key").notNull(),
    size: integer("size").notNull(),
    mediaType: text("media_type"),
    createdAt: integer("created_at").notNull(),
    state: text("state", { enum: BLOB_STATES }).notNull().default("live"),
    /** When GC condemned it (null while live). */
    condemnedAt: integer("condemned_at"),
    /** When a repo last dropped its link (GC's grace period counts from here, or from created_at). */
    unlinkedAt: integer("unlinked_at"),
  },
  (t) => [index("blobs_r2_key_idx").on(t.r2Key)],
);

export const repoBlobs = sqliteTable(
  "repo_blobs",
  {
    repoId: text("repo_id")
      .notNull()
      .references(() => repos.id, { onDelete: "cascade" }),
    digest: text("digest")
      .notNull()
      .references(() => blobs.digest),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.repoId, t.digest] }), index("repo_blobs_digest_idx").on(t.digest)],
);

export const packages = sqliteTable(
  "packages",
  {
    id: text("id").primaryKey(),
    repoId: text("repo_id")
      .notNull()
      .references(() => repos.id, { onDelete: "cascade" }),
    /** Normalized name: the lookup key. */
    name: text("name").notNull(),
    /** Name as the publisher spelled it. */
    displayName: text("display_name").notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("packages_repo_name_uq").on(t.repoId, t.name), index("packages_page_idx").on(t.repoId, t.createdAt, t.id), index("packages_name_idx").on(t.name)],
);

export const versions = sqliteTable(
  "versions",
  {
    id: text("id").primaryKey(),
    packageId: text("package_id")
      .notNull()
      .references(() => packages.id, { onDelete: "cascade" }),
    version: text("version").notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    /** Yank reason (PyPI/Cargo) or null when not yanked. */
    yanked: text("yanked"),
    /** npm deprecation message or null. */
    deprecated: text("deprecated"),
    /** The declared licence (an SPDX expression, or the text as declared); null: none declared. */
    license: text("license"),
    /** Policy effects, read by every download (schema/policy.ts): the security block refusing it. */
    blockedBy: text("blocked_by"),
    /** The licence policy refusing its downloads. */
    licenseBlockedBy: text("license_blocked_by"),
    /** Quarantine: held from ordinary readers until then (Unix ms; HELD_UNTIL_RELEASED: until an admin releases it). */
    heldUntil: integer("held_until"),
    /** Who published it (`<principal type>:<id>`): may fetch it while it is held. */
    publishedBy: text("published_by"),
    /** Last successful download (Unix ms), kept by the download log's consumer. */
    lastDownloadedAt: integer("last_downloaded_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("versions_package_version_uq").on(t.packageId, t.version),
    index("versions_page_idx").on(t.packageId, t.createdAt, t.id),
    index("versions_held_idx").on(t.heldUntil),
    index("versions_blocked_idx").on(t.blockedBy),
    index("versions_license_blocked_idx").on(t.licenseBlockedBy),
    /** The internal API's feed of new versions (db/scanner-feed.ts) pages on (created_at, id). */
    index("versions_created_idx").on(t.createdAt, t.id),
  ],
);

export const files = sqliteTable(
  "files",
  {
    id: text("id").primaryKey(),
    versionId: text("version_id")
      .notNull()
      .references(() => versions.id, { onDelete: "cascade" }),
    repoId: text("repo_id")
      .notNull()
      .references(() => repos.id, { onDelete: "cascade" }),
    /** File name or path within the version (e.g. `pkg-1.0.0.tgz`, `a/b/c.jar`). */
    name: text("name").notNull(),
    digest: text("digest")
      .notNull()
      .references(() => blobs.digest),
    size: integer("size").notNull(),
    mediaType: text("media_type"),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("files_version_name_uq").on(t.versionId, t.name),
    index("files_repo_name_idx").on(t.repoId, t.name),
    index("files_digest_idx").on(t.digest),
  ],
);
