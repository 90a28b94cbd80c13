/**
 * Browser sign-in: OIDC login providers, the external identities linked to users,
 * in-flight logins, sessions, and instance-wide messages.
 * Invariants:
 * - `login_providers.client_secret` is kept (it authenticates the code exchange) but
 *   no API response, audit row or event ever contains it.
 * - A session row stores only the SHA-256 of the cookie's secret (`token_hash`);
 *   `id` is a public handle for listing and revoking. A session is valid while not
 *   revoked, before `expires_at` (absolute) and within the idle timeout of `last_seen_at`.
 * - A login attempt is keyed by the SHA-256 of its `state`, lives minutes, and is
 *   deleted by the callback that consumes it (single use).
 * - (provider, subject) names one external account and links it to one user.
 */
import { sqliteTable, text, integer, uniqueIndex, index, primaryKey } from "drizzle-orm/sqlite-core";
import { users } from "./principals";
import { MESSAGE_MEDIA_TYPES, MESSAGE_SEVERITIES, PROVISIONING_MODES } from "../../core/vocabulary";

export interface GroupMapping {
  group: string;
  team_id: string;
}

export const loginProviders = sqliteTable(
  "login_providers",
  {
    id: text("id").primaryKey(),
    /** Slug shown in URLs (`/auth/login?provider=<name>`). */
    name: text("name").notNull(),
    displayName: text("display_name").notNull(),
    issuer: text("issuer").notNull(),
    clientId: text("client_id").notNull(),
    clientSecret: text("client_secret").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    allowedEmailDomains: text("allowed_email_domains", { mode: "json" }).$type<string[]>().notNull().default([]),
    groupsClaim: text("groups_claim"),
    groupMappings: text("group_mappings", { mode: "json" }).$type<GroupMapping[]>().notNull().default([]),
    provisioning: text("provisioning", { enum: PROVISIONING_MODES }).notNull().default("auto"),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    secretUpdatedAt: integer("secret_updated_at").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("login_providers_name_uq").on(t.name), index("login_providers_page_idx").on(t.createdAt, t.id)],
);

export const userIdentities = sqliteTable(
  "user_identities",
  {
    providerId: text("provider_id")
      .notNull()
      .references(() => loginProviders.id, { onDelete: "cascade" }),
    subject: text("subject").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    email: text("email"),
    createdAt: integer("created_at").notNull(),
    lastLoginAt: integer("last_login_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.providerId, t.subject] }), index("user_identities_user_idx").on(t.userId)],
);

export const loginAttempts = sqliteTable("login_attempts", {
  stateHash: text("state_hash").primaryKey(),
  providerId: text("provider_id")
    .notNull()
    .references(() => loginProviders.id, { onDelete: "cascade" }),
  nonce: text("nonce").notNull(),
  codeVerifier: text("code_verifier").notNull(),
  returnTo: text("return_to").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    providerId: text("provider_id"),
    createdAt: integer("created_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at"),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [uniqueIndex("sessions_token_hash_uq").on(t.tokenHash), index("sessions_user_idx").on(t.userId, t.createdAt, t.id)],
);

export const globalMessages = sqliteTable(
  "global_messages",
  {
    id: text("id").primaryKey(),
    content: text("content").notNull(),
    mediaType: text("media_type", { enum: MESSAGE_MEDIA_TYPES }).notNull().default("text/plain"),
    severity: text("severity", { enum: MESSAGE_SEVERITIES }).notNull().default("info"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("global_messages_page_idx").on(t.createdAt, t.id)],
);
