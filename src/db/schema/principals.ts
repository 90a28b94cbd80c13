/**
 * Who can act: users, service accounts, their tokens and role bindings.
 * Invariants: a token row stores only the SHA-256 of the secret (`token_hash`);
 * a service account belongs to exactly one project and its role there is a role
 * binding like a user's. Role bindings name users and service accounts only: an
 * OIDC-exchanged token carries its project and role on the token row itself.
 */
import { sqliteTable, text, integer, uniqueIndex, index, primaryKey } from "drizzle-orm/sqlite-core";
import { projects } from "./projects";

import { ROLES, PRINCIPAL_TYPES, TOKEN_PRINCIPAL_TYPES, type TokenScope } from "../../core/vocabulary";
export { ROLES, SCOPES, PRINCIPAL_TYPES, TOKEN_PRINCIPAL_TYPES, type Role, type TokenScope as Scope, type PrincipalType, type TokenPrincipalType } from "../../core/vocabulary";

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    username: text("username").notNull(),
    email: text("email"),
    isAdmin: integer("is_admin", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("users_username_uq").on(t.username), index("users_page_idx").on(t.createdAt, t.id)],
);

export const serviceAccounts = sqliteTable(
  "service_accounts",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    role: text("role", { enum: ROLES }).notNull().default("reader"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("service_accounts_project_name_uq").on(t.projectId, t.name),
    index("service_accounts_page_idx").on(t.createdAt, t.id),
  ],
);

export const tokens = sqliteTable(
  "tokens",
  {
    id: text("id").primaryKey(),
    /** hex SHA-256 of the whole token string. */
    tokenHash: text("token_hash").notNull(),
    /** First characters of the token, for humans to recognise it in listings. */
    prefix: text("prefix").notNull(),
    name: text("name").notNull(),
    principalType: text("principal_type", { enum: TOKEN_PRINCIPAL_TYPES }).notNull(),
    /** User or service-account id, or the trust policy's id for `oidc`. */
    principalId: text("principal_id").notNull(),
    /** Project the token is confined to (service accounts and OIDC-exchanged tokens). */
    projectId: text("project_id").references(() => projects.id, { onDelete: "cascade" }),
    /** null: no narrowing, the principal's roles apply in full. */
    scopes: text("scopes", { mode: "json" }).$type<TokenScope[] | null>(),
    /** Role override for exchanged tokens (OIDC); null means the principal's bindings. */
    role: text("role", { enum: ROLES }),
    expiresAt: integer("expires_at"),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
    /** OIDC-exchanged tokens: the verified claims kept at exchange (who-pulled names the CI run by them). */
    claims: text("claims", { mode: "json" }).$type<Record<string, string | null> | null>(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("tokens_hash_uq").on(t.tokenHash),
    index("tokens_principal_idx").on(t.principalType, t.principalId, t.createdAt, t.id),
  ],
);

export const roleBindings = sqliteTable(
  "role_bindings",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    principalType: text("principal_type", { enum: PRINCIPAL_TYPES }).notNull(),
    principalId: text("principal_id").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.principalType, t.principalId] }),
    index("role_bindings_principal_idx").on(t.principalType, t.principalId),
  ],
);
