/**
 * Generated repository indexes (apt's dists/, dnf's repodata/, a chart repo's
 * index.yaml) and the content revision they are built from.
 *
 * Invariants:
 * - `repo_revisions.rev` grows by one with every change to a repo's packages, versions
 *   or files, in the same D1 batch as the change (services/artifacts/packages.ts).
 * - An index row is the complete, immutable output of one build from one revision: its
 *   parts are inserted in the same batch as the row, and a row is only inserted while no
 *   row of the same repo has a revision as high (so the newest row is never replaced by
 *   an older build). `superseded_at` is set when a newer row lands; superseded rows are
 *   kept a while (clients fetch a top document, then the files it names by hash).
 * - A document larger than one part is split into parts in order (`part` 0, 1, …).
 */
import { sqliteTable, text, integer, blob, uniqueIndex, primaryKey } from "drizzle-orm/sqlite-core";
import { repos } from "./projects";

export const repoRevisions = sqliteTable("repo_revisions", {
  repoId: text("repo_id")
    .primaryKey()
    .references(() => repos.id, { onDelete: "cascade" }),
  rev: integer("rev").notNull(),
  changedAt: integer("changed_at").notNull(),
});

/** One document of a built index, as listed in the index row's manifest. */
export interface IndexManifestEntry {
  path: string;
  /** Lowercase hex SHA-256 of the document's bytes. */
  sha256: string;
  size: number;
  contentType: string;
  /** Served by gunzipping this other document of the index instead of stored bytes. */
  gunzipOf?: string;
}

export const repoIndexes = sqliteTable(
  "repo_indexes",
  {
    id: text("id").primaryKey(),
    repoId: text("repo_id")
      .notNull()
      .references(() => repos.id, { onDelete: "cascade" }),
    rev: integer("rev").notNull(),
    manifest: text("manifest", { mode: "json" }).$type<IndexManifestEntry[]>().notNull(),
    createdAt: integer("created_at").notNull(),
    supersededAt: integer("superseded_at"),
  },
  (t) => [uniqueIndex("repo_indexes_repo_rev_uq").on(t.repoId, t.rev)],
);

export const repoIndexParts = sqliteTable(
  "repo_index_parts",
  {
    indexId: text("index_id")
      .notNull()
      .references(() => repoIndexes.id, { onDelete: "cascade" }),
    path: text("path").notNull(),
    part: integer("part").notNull(),
    content: blob("content", { mode: "buffer" }).$type<Uint8Array>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.indexId, t.path, t.part] })],
);
