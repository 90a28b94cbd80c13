/**
 * Global search: one `search_docs` row per searchable thing (project, repo, package,
 * version, image, tag), kept in step with its source table by SQL triggers (migration
 * 0005), and the FTS5 index `search_fts` (trigram tokenizer, external content: it
 * indexes `search_docs.name` and `.text` by rowid), kept in step with `search_docs` by
 * triggers too. Drizzle does not model virtual tables or triggers: they live in the
 * migration's SQL only.
 * Invariants: `key` names the source row (`project:<id>`, `repo:<id>`, `package:<id>`,
 * `version:<id>`, `image:<repo id>/<image>`, `tag:<repo id>/<image>:<tag>`), so a
 * source row has at most one document; a document never outlives its source row;
 * visibility is not stored: searches join `repos`/`projects` to filter by what the
 * caller may read at query time.
 */
import { sqliteTable, text, integer, uniqueIndex, index } from "drizzle-orm/sqlite-core";

export const searchDocs = sqliteTable(
  "search_docs",
  {
    rowid: integer("rowid").primaryKey({ autoIncrement: true }),
    key: text("key").notNull(),
    kind: text("kind", { enum: ["project", "repo", "package", "version", "image", "tag"] }).notNull(),
    projectId: text("project_id").notNull(),
    /** null for projects. */
    repoId: text("repo_id"),
    /** What the result shows and links to: a slug, a package name, `name@version`, `image:tag`. */
    name: text("name").notNull(),
    /** Searchable text besides the name (descriptions, display names). */
    text: text("text").notNull().default(""),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("search_docs_key_uq").on(t.key), index("search_docs_repo_idx").on(t.repoId)],
);
