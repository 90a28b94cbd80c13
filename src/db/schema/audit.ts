/**
 * Append-only audit log. Invariant: every governance change writes exactly one row in
 * the same D1 batch as the change itself, so a change without its audit row can't exist.
 */
import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    createdAt: integer("created_at").notNull(),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id"),
    actorName: text("actor_name"),
    action: text("action").notNull(),
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id"),
    projectId: text("project_id"),
    before: text("before", { mode: "json" }).$type<unknown>(),
    after: text("after", { mode: "json" }).$type<unknown>(),
    requestId: text("request_id"),
    ip: text("ip"),
  },
  (t) => [
    index("audit_page_idx").on(t.createdAt, t.id),
    index("audit_project_idx").on(t.projectId, t.createdAt),
    index("audit_resource_idx").on(t.resourceType, t.resourceId),
  ],
);

export const healthChecks = sqliteTable("health_checks", {
  name: text("name").primaryKey(),
  lastOkAt: integer("last_ok_at"),
  lastError: text("last_error"),
  updatedAt: integer("updated_at").notNull(),
});
