/**
 * Upstream (pull-through) and virtual repositories: what the proxy domain keeps besides
 * the artifacts it caches (those are ordinary packages, files, blobs and OCI rows of the
 * upstream repo).
 *
 * Invariants:
 * - `upstream_credentials.secret` is write-only: no query result leaves services/proxy
 *   (the upstream client) and services/projects (which writes it in the repo's batch).
 * - A cached document's body is the parts of its current `body_id`, in order; a refresh
 *   writes new parts under a new body id, points the row at it and deletes every other
 *   body of the row in one batch, so a reader never sees a half-written body.
 * - A document row with status 404 is a negative entry: it has no body.
 */
import { sqliteTable, text, integer, blob, primaryKey, index } from "drizzle-orm/sqlite-core";
import { projects, repos } from "./projects";

/** The secret (password or token) an upstream repo presents to its upstream. */
export const upstreamCredentials = sqliteTable("upstream_credentials", {
  repoId: text("repo_id")
    .primaryKey()
    .references(() => repos.id, { onDelete: "cascade" }),
  secret: text("secret").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Upstream metadata (and negative answers) cached per repo under a format-chosen key. */
export const proxyDocuments = sqliteTable(
  "proxy_documents",
  {
    repoId: text("repo_id")
      .notNull()
      .references(() => repos.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    /** 200, or 404 for a negative entry. */
    status: integer("status").notNull(),
    bodyId: text("body_id"),
    contentType: text("content_type"),
    size: integer("size").notNull().default(0),
    /** The upstream's validators, for a conditional refresh. */
    etag: text("etag"),
    lastModified: text("last_modified"),
    fetchedAt: integer("fetched_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.repoId, t.key] })],
);

export const proxyDocumentParts = sqliteTable(
  "proxy_document_parts",
  {
    bodyId: text("body_id").notNull(),
    part: integer("part").notNull(),
    repoId: text("repo_id")
      .notNull()
      .references(() => repos.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    content: blob("content", { mode: "buffer" }).$type<Uint8Array>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.bodyId, t.part] }), index("proxy_document_parts_doc_idx").on(t.repoId, t.key)],
);

export const MIRROR_STATUSES = ["NEVER_RUN", "SYNC_NOW", "SYNCING", "SUCCESS", "FAIL", "CANCEL"] as const;
export type MirrorStatus = (typeof MIRROR_STATUSES)[number];

/** A mirror: an upstream repo that also copies selected packages/tags on a schedule. */
export const repoMirrors = sqliteTable(
  "repo_mirrors",
  {
    repoId: text("repo_id")
      .primaryKey()
      .references(() => repos.id, { onDelete: "cascade" }),
    isEnabled: integer("is_enabled", { mode: "boolean" }).notNull(),
    /** Package (or image) names to mirror, exact. */
    packages: text("packages", { mode: "json" }).$type<string[]>().notNull(),
    /** Version (or tag) globs to copy of each; empty: every version. */
    rootRule: text("root_rule", { mode: "json" }).$type<string[]>().notNull(),
    syncIntervalSeconds: integer("sync_interval_seconds").notNull(),
    /** When the next scheduled sync is due. */
    syncStartAt: integer("sync_start_at").notNull(),
    syncStatus: text("sync_status", { enum: MIRROR_STATUSES }).notNull(),
    /** The run in progress (or last run); a run that no longer holds this id stops. */
    syncRunId: text("sync_run_id"),
    syncStartedAt: integer("sync_started_at"),
    syncFinishedAt: integer("sync_finished_at"),
    syncedCount: integer("synced_count").notNull().default(0),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("repo_mirrors_due_idx").on(t.isEnabled, t.syncStartAt)],
);

/** Quay-style proxy cache of a project: unknown image repos are created as upstream repos on first pull. */
export const projectProxyCaches = sqliteTable("project_proxy_caches", {
  projectId: text("project_id")
    .primaryKey()
    .references(() => projects.id, { onDelete: "cascade" }),
  upstreamRegistry: text("upstream_registry").notNull(),
  username: text("username"),
  secret: text("secret"),
  expirationSeconds: integer("expiration_seconds").notNull(),
  insecure: integer("insecure", { mode: "boolean" }).notNull().default(false),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});
