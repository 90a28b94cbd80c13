/**
 * Supply-chain policy: security blocks (and their coalesced hits), quarantine
 * (release cool-down) policies and licence policies.
 *
 * Invariants:
 * - A block is never deleted: lifting it sets `lifted_at`, so its public page
 *   (`/blocked/<id>`) and the audit trail keep explaining what happened.
 * - What a block or policy currently refuses is materialized on the rows every download
 *   reads (`versions.blocked_by`, `versions.license_blocked_by`, `versions.held_until`
 *   and the same on `oci_manifests`), written in the same batch as the change; the
 *   tables here describe the rules, those columns are their effect.
 * - One quarantine policy per scope: `scope_key` is the repo id, or `project:<id>` for
 *   a project-wide policy (a repo's own policy wins over its project's).
 */
import { sqliteTable, text, integer, index, uniqueIndex, primaryKey } from "drizzle-orm/sqlite-core";
import { projects, repos } from "./projects";
import { LICENSE_ACTIONS, UNKNOWN_LICENSE_ACTIONS } from "../../core/vocabulary";

export const securityBlocks = sqliteTable(
  "security_blocks",
  {
    id: text("id").primaryKey(),
    /** The repo format it applies to (`npm`, `pypi`, `docker`, …). */
    format: text("format").notNull(),
    /** The package or image name as the operator wrote it: exact, or a glob (`*`, `?`). */
    package: text("package").notNull(),
    /** The same in the format's normalized key form (PyPI PEP 503, Cargo `_`), matched against `packages.name`. */
    packageKey: text("package_key").notNull(),
    /** Version specs in the format's grammar (exact or range); empty: every version. */
    versions: text("versions", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** OCI: manifest digests blocked (tags were resolved to these when the block was made). */
    digests: text("digests", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** Optional confinement to one project or one repo. */
    projectId: text("project_id").references(() => projects.id, { onDelete: "cascade" }),
    repoId: text("repo_id").references(() => repos.id, { onDelete: "cascade" }),
    reason: text("reason").notNull(),
    customerMessage: text("customer_message").notNull(),
    blockedUntil: integer("blocked_until"),
    /** `security` (made through /api/admin/security) or `quarantine` (a held version rejected). */
    origin: text("origin", { enum: ["security", "quarantine"] }).notNull().default("security"),
    createdByType: text("created_by_type").notNull(),
    createdByName: text("created_by_name"),
    liftedAt: integer("lifted_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("security_blocks_page_idx").on(t.createdAt, t.id), index("security_blocks_format_idx").on(t.format, t.liftedAt)],
);

/** Downloads a block refused, counted per window; the first hit of a window emits `block.hit`. */
export const blockHits = sqliteTable(
  "block_hits",
  {
    blockId: text("block_id")
      .notNull()
      .references(() => securityBlocks.id, { onDelete: "cascade" }),
    windowStart: integer("window_start").notNull(),
    count: integer("count").notNull(),
    lastAt: integer("last_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.blockId, t.windowStart] })],
);

export const quarantinePolicies = sqliteTable(
  "quarantine_policies",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /** null: every repo of the project without a policy of its own. */
    repoId: text("repo_id").references(() => repos.id, { onDelete: "cascade" }),
    /** The repo id, or `project:<project id>`: one policy per scope. */
    scopeKey: text("scope_key").notNull(),
    /** New versions are held this many hours after publish (0: no cool-down). */
    cooldownHours: integer("cooldown_hours").notNull().default(0),
    /** New versions are held until an admin releases them (whatever the cool-down). */
    requireApproval: integer("require_approval", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("quarantine_policies_scope_uq").on(t.scopeKey), index("quarantine_policies_page_idx").on(t.createdAt, t.id)],
);

export const licensePolicies = sqliteTable(
  "license_policies",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    /** Scope: null project = every project; null repo = every repo of the scope. */
    projectId: text("project_id").references(() => projects.id, { onDelete: "cascade" }),
    repoId: text("repo_id").references(() => repos.id, { onDelete: "cascade" }),
    /** Repo formats it applies to; empty: every format. */
    formats: text("formats", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** SPDX identifiers (globs allowed, `GPL-*`) a licence may use; empty: any not denied. */
    allow: text("allow", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** SPDX identifiers (globs allowed) a licence may not rely on. */
    deny: text("deny", { mode: "json" }).$type<string[]>().notNull().default([]),
    action: text("action", { enum: LICENSE_ACTIONS }).notNull(),
    /** What an undeclared or unparseable licence gets. */
    unknownAction: text("unknown_action", { enum: UNKNOWN_LICENSE_ACTIONS }).notNull().default("allow"),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("license_policies_name_uq").on(t.name), index("license_policies_page_idx").on(t.createdAt, t.id)],
);
