/** Per-project storage quota configuration (the counters live in the ProjectQuota Durable Object). */
import { sqliteTable, text, integer } from "drizzle-orm/sqlite-core";
import { projects } from "./projects";
import type { QuotaLimit } from "../../core/quota";

export const projectQuotas = sqliteTable("project_quotas", {
  projectId: text("project_id")
    .primaryKey()
    .references(() => projects.id, { onDelete: "cascade" }),
  limitBytes: integer("limit_bytes"),
  limits: text("limits", { mode: "json" }).$type<QuotaLimit[]>().notNull().default([]),
  updatedAt: integer("updated_at").notNull(),
});
