/**
 * The download log (who pulled what): one row per successful download of a package
 * file or an image manifest, written in batches by the DOWNLOADS queue consumer, never
 * on the request path.
 * Invariants: append-only except for retention (rows older than the configured days are
 * deleted by the cron trigger); names are copied in (package, version, image), so a
 * row still says what was pulled after the version is deleted; secrets never appear
 * (a token is named by its id).
 */
import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

export const downloads = sqliteTable(
  "downloads",
  {
    id: text("id").primaryKey(),
    /** When the download was answered (Unix ms). */
    createdAt: integer("created_at").notNull(),
    projectId: text("project_id").notNull(),
    repoId: text("repo_id").notNull(),
    format: text("format").notNull(),
    /** Package (or image) and version (or tag/digest reference) as pulled. */
    package: text("package").notNull(),
    version: text("version"),
    versionId: text("version_id"),
    file: text("file"),
    digest: text("digest").notNull(),
    principalType: text("principal_type").notNull(),
    principalId: text("principal_id"),
    principalName: text("principal_name"),
    tokenId: text("token_id"),
    /** OIDC-exchanged tokens: the claims kept at exchange (repository, workflow, ref, …). */
    claims: text("claims", { mode: "json" }).$type<Record<string, string | null> | null>(),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [
    index("downloads_page_idx").on(t.createdAt, t.id),
    index("downloads_repo_idx").on(t.repoId, t.package, t.version, t.createdAt),
    index("downloads_digest_idx").on(t.digest, t.createdAt),
    index("downloads_principal_idx").on(t.principalType, t.principalId, t.createdAt),
    index("downloads_token_idx").on(t.tokenId, t.createdAt),
    index("downloads_project_idx").on(t.projectId, t.createdAt),
  ],
);
