/**
 * OIDC trust policies: which CI-issued tokens may be exchanged for a registry token,
 * and what that token may do.
 * Invariants: a policy belongs to exactly one project (deleted with it); `audiences`
 * and `claim_conditions` are never empty (a policy that trusts every token of an
 * issuer would hand the project to anyone who can run a CI job there); exchanged
 * tokens reference their policy (tokens.principal_type = 'oidc') and die with it.
 */
import { sqliteTable, text, integer, uniqueIndex, index } from "drizzle-orm/sqlite-core";
import { projects } from "./projects";
import { ROLES } from "./principals";
import type { ClaimCondition } from "../../core/claims";

export const oidcTrustPolicies = sqliteTable(
  "oidc_trust_policies",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    /** Exact `iss` value, e.g. https://token.actions.githubusercontent.com */
    issuer: text("issuer").notNull(),
    audiences: text("audiences", { mode: "json" }).$type<string[]>().notNull(),
    claimConditions: text("claim_conditions", { mode: "json" }).$type<ClaimCondition[]>().notNull(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    role: text("role", { enum: ROLES }).notNull(),
    maxLifetimeSeconds: integer("max_lifetime_seconds").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("oidc_trust_policies_name_uq").on(t.name),
    index("oidc_trust_policies_issuer_idx").on(t.issuer),
    index("oidc_trust_policies_page_idx").on(t.createdAt, t.id),
  ],
);
