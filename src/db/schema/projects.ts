/** Projects and their repositories. A repo slug is unique within its project. */
import { sqliteTable, text, integer, uniqueIndex, index } from "drizzle-orm/sqlite-core";
import { REPO_KINDS, VISIBILITIES, REPO_STATES, type RepoFormat, type RepoConfig } from "../../core/vocabulary";

export const projects = sqliteTable(
  "projects",
  {
    id: text("id").primaryKey(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("projects_slug_uq").on(t.slug), index("projects_page_idx").on(t.createdAt, t.id)],
);

export { REPO_KINDS, VISIBILITIES, REPO_STATES, type RepoFormat, type RepoConfig } from "../../core/vocabulary";

export const repos = sqliteTable(
  "repos",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    slug: text("slug").notNull(),
    format: text("format").notNull().$type<RepoFormat>(),
    kind: text("kind", { enum: REPO_KINDS }).notNull().default("local"),
    visibility: text("visibility", { enum: VISIBILITIES }).notNull().default("private"),
    state: text("state", { enum: REPO_STATES }).notNull().default("normal"),
    description: text("description").notNull().default(""),
    labels: text("labels", { mode: "json" }).$type<Record<string, string>>().notNull().default({}),
    allowedPatterns: text("allowed_patterns", { mode: "json" }).$type<string[]>().notNull().default([]),
    blockedPatterns: text("blocked_patterns", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** Tag globs that may never be overwritten or deleted (OCI). */
    immutableTags: text("immutable_tags", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** For kind=upstream: the remote registry URL. */
    upstreamUrl: text("upstream_url"),
    /** For kind=virtual: ordered member repo ids. */
    virtualMembers: text("virtual_members", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** Settings of an upstream or virtual repo (snake_case keys, as the API shows them); never a secret. */
    config: text("config", { mode: "json" }).$type<RepoConfig>().notNull().default({}),
    /**
     * The strongest pull mode of the enabled sigstore policies that may select artifacts
     * of this repo (`enforce` over `audit`; null: none), denormalised from
     * sigstore_policies (db/sigstore.ts recomputeSigstorePull) so the gate's one read of
     * the repo row tells a pull whether signatures matter: unflagged repos pay nothing.
     */
    sigstorePull: text("sigstore_pull", { enum: ["audit", "enforce"] }),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("repos_project_slug_uq").on(t.projectId, t.slug),
    index("repos_page_idx").on(t.createdAt, t.id),
  ],
);
