/**
 * The lifecycle of artifacts: retention policies and their runs, the trash (what was
 * deleted, restorable until purged), legal holds, last-download times, and the
 * garbage collector's runs and tombstones.
 *
 * Invariants:
 * - A policy name is unique in its repo. At most one real (not dry) retention run per
 *   repo is `planning` or `running` (a partial unique index is the lease; an expired
 *   `lease_until` lets a later run take it over), and at most one GC run at a time.
 * - A trash entry holds everything needed to put its artifact back (its rows, as JSON in
 *   `trash_parts`) and, in `trash_blobs`, every digest it needs: the repo keeps its
 *   links to those blobs (and their quota) until the entry is purged.
 * - `gc_doomed_keys` names R2 keys the collector is deleting as orphans: a trigger
 *   refuses a `blobs` row naming one (docs/gc.md), so no row ever points at bytes GC
 *   removes.
 */
import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, uniqueIndex, index, primaryKey, blob } from "drizzle-orm/sqlite-core";
import { repos } from "./projects";
import {
  ARTIFACT_KINDS,
  RETENTION_ACTIONS,
  RETENTION_SOURCES,
  RUN_ITEM_STATUSES,
  RUN_STATUSES,
  RUN_TRIGGERS,
  TRASH_KINDS,
  TRASH_REASONS,
} from "../../core/vocabulary";
import type { RetentionCondition } from "../../core/retention";

const repoId = () =>
  text("repo_id")
    .notNull()
    .references(() => repos.id, { onDelete: "cascade" });

export const retentionPolicies = sqliteTable(
  "retention_policies",
  {
    id: text("id").primaryKey(),
    repoId: repoId(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    action: text("action", { enum: RETENTION_ACTIONS }).notNull(),
    condition: text("condition", { mode: "json" }).$type<RetentionCondition>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    source: text("source", { enum: RETENTION_SOURCES }).notNull().default("api"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("retention_policies_repo_name_uq").on(t.repoId, t.name), index("retention_policies_page_idx").on(t.repoId, t.createdAt, t.id)],
);

/** The policies a run applied, as they were when it planned. */
export interface RunPolicy {
  id: string;
  name: string;
  action: "delete" | "keep";
}

export const retentionRuns = sqliteTable(
  "retention_runs",
  {
    id: text("id").primaryKey(),
    repoId: repoId(),
    trigger: text("trigger", { enum: RUN_TRIGGERS }).notNull(),
    dryRun: integer("dry_run", { mode: "boolean" }).notNull(),
    status: text("status", { enum: RUN_STATUSES }).notNull(),
    policies: text("policies", { mode: "json" }).$type<RunPolicy[]>().notNull().default([]),
    /** Artifacts looked at, to delete (planned), deleted, kept, skipped (changed since planned), failed. */
    examined: integer("examined").notNull().default(0),
    planned: integer("planned").notNull().default(0),
    deleted: integer("deleted").notNull().default(0),
    kept: integer("kept").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    /** Bytes the planned deletions free once purged, after deduplication; bytes of what was deleted. */
    plannedBytes: integer("planned_bytes").notNull().default(0),
    deletedBytes: integer("deleted_bytes").notNull().default(0),
    errors: text("errors", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** Items below this sequence number have been claimed by a batch. */
    cursor: integer("cursor").notNull().default(0),
    leaseUntil: integer("lease_until"),
    actorType: text("actor_type").notNull(),
    actorName: text("actor_name"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [
    index("retention_runs_page_idx").on(t.repoId, t.createdAt, t.id),
    index("retention_runs_all_idx").on(t.createdAt, t.id),
    uniqueIndex("retention_runs_active_uq")
      .on(t.repoId)
      .where(sql`${t.dryRun} = 0 AND ${t.status} IN ('planning', 'running')`),
  ],
);

export const retentionRunItems = sqliteTable(
  "retention_run_items",
  {
    runId: text("run_id")
      .notNull()
      .references(() => retentionRuns.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    kind: text("kind", { enum: ARTIFACT_KINDS }).notNull(),
    package: text("package").notNull(),
    /** The version string, or the manifest digest. */
    version: text("version").notNull(),
    /** What finds it again: `{packageId, versionId}` or `{image, digest}`. */
    ref: text("ref", { mode: "json" }).$type<Record<string, string>>().notNull(),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default([]),
    pushedAt: integer("pushed_at").notNull(),
    lastDownloadAt: integer("last_download_at"),
    /** Bytes it holds, and bytes its deletion frees once purged (after deduplication). */
    size: integer("size").notNull(),
    freed: integer("freed").notNull(),
    decision: text("decision", { enum: ["delete", "keep"] }).notNull(),
    /** The delete policy that decided (delete), or that matched but was overridden (keep). */
    policyId: text("policy_id"),
    policyName: text("policy_name"),
    /** What kept it: a keep policy's name or a protection (keep decisions). */
    keptBy: text("kept_by"),
    status: text("status", { enum: RUN_ITEM_STATUSES }).notNull(),
    detail: text("detail"),
    trashId: text("trash_id"),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] }), index("retention_run_items_status_idx").on(t.runId, t.decision, t.status, t.seq)],
);

export const trashEntries = sqliteTable(
  "trash_entries",
  {
    id: text("id").primaryKey(),
    repoId: repoId(),
    projectId: text("project_id").notNull(),
    kind: text("kind", { enum: TRASH_KINDS }).notNull(),
    /** Package or image name, and the version, file path or manifest digest. */
    name: text("name").notNull(),
    ref: text("ref").notNull(),
    /** Tags (or dist-tags) it carried when deleted: restored with it. */
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** Bytes of every blob it holds (counted once). */
    size: integer("size").notNull(),
    reason: text("reason", { enum: TRASH_REASONS }).notNull(),
    runId: text("run_id"),
    policyName: text("policy_name"),
    actorType: text("actor_type").notNull(),
    actorName: text("actor_name"),
    /** How many `trash_parts` hold the snapshot. */
    parts: integer("parts").notNull(),
    deletedAt: integer("deleted_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("trash_entries_page_idx").on(t.repoId, t.deletedAt, t.id), index("trash_entries_expiry_idx").on(t.expiresAt)],
);

export const trashParts = sqliteTable(
  "trash_parts",
  {
    entryId: text("entry_id")
      .notNull()
      .references(() => trashEntries.id, { onDelete: "cascade" }),
    part: integer("part").notNull(),
    content: blob("content", { mode: "buffer" }).$type<Uint8Array>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.entryId, t.part] })],
);

export const trashBlobs = sqliteTable(
  "trash_blobs",
  {
    entryId: text("entry_id")
      .notNull()
      .references(() => trashEntries.id, { onDelete: "cascade" }),
    repoId: text("repo_id").notNull(),
    digest: text("digest").notNull(),
  },
  (t) => [primaryKey({ columns: [t.entryId, t.digest] }), index("trash_blobs_repo_digest_idx").on(t.repoId, t.digest)],
);

export const legalHolds = sqliteTable(
  "legal_holds",
  {
    id: text("id").primaryKey(),
    repoId: repoId(),
    kind: text("kind", { enum: ARTIFACT_KINDS }).notNull(),
    /** Package name (normalized) or image; version string or manifest digest. */
    name: text("name").notNull(),
    ref: text("ref").notNull(),
    reason: text("reason").notNull(),
    actorType: text("actor_type").notNull(),
    actorName: text("actor_name"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("legal_holds_target_uq").on(t.repoId, t.kind, t.name, t.ref), index("legal_holds_page_idx").on(t.repoId, t.createdAt, t.id)],
);

/** Counters of one GC run (JSON): what it found and what it removed. */
export interface GcCounts {
  linksDropped: number;
  blobsCondemned: number;
  blobsDeleted: number;
  blobBytes: number;
  orphansDeleted: number;
  orphanBytes: number;
  objectsListed: number;
  tombstonesPruned: number;
}

export const gcRuns = sqliteTable(
  "gc_runs",
  {
    id: text("id").primaryKey(),
    trigger: text("trigger", { enum: RUN_TRIGGERS }).notNull(),
    status: text("status", { enum: RUN_STATUSES }).notNull(),
    /** `links` (links nothing needs), `blobs` (blobs nothing links), `orphans` (R2 objects no row names), `tombstones`, `done`. */
    phase: text("phase").notNull(),
    /** The phase's position: the last key done, or the R2 listing cursor. */
    cursor: text("cursor"),
    /** Grows by one per step: a step message claims the run by naming the step it expects. */
    step: integer("step").notNull().default(0),
    /** Grace periods: a link nothing needs, a blob nothing links, an R2 object no row names (ms). */
    linkGraceMs: integer("link_grace_ms").notNull(),
    blobGraceMs: integer("blob_grace_ms").notNull(),
    orphanGraceMs: integer("orphan_grace_ms").notNull(),
    counts: text("counts", { mode: "json" }).$type<GcCounts>().notNull(),
    errors: text("errors", { mode: "json" }).$type<string[]>().notNull().default([]),
    leaseUntil: integer("lease_until"),
    actorType: text("actor_type").notNull(),
    actorName: text("actor_name"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("gc_runs_page_idx").on(t.createdAt, t.id), uniqueIndex("gc_runs_active_uq").on(t.status).where(sql`${t.status} = 'running'`)],
);

export const gcDoomedKeys = sqliteTable("gc_doomed_keys", {
  r2Key: text("r2_key").primaryKey(),
  doomedAt: integer("doomed_at").notNull(),
});
