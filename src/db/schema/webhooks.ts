/**
 * Webhook subscriptions and their delivery log.
 * Invariants:
 * - `secret` is kept (it signs every delivery) but no API response ever contains it.
 * - A delivery's id is derived from (event id, subscription id), so expanding the same
 *   event twice can't create two deliveries; its `payload` is the exact body that is
 *   signed and sent on every attempt. A manual redelivery is a new row pointing at the
 *   original through `redelivery_of`.
 * - status: pending → (retrying)* → succeeded | failed. `failed` is final: the last
 *   attempt failed (the message then goes to the dead-letter queue) or the target
 *   became unusable (subscription disabled or deleted, address refused).
 */
import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";
import { DELIVERY_STATUSES } from "../../core/vocabulary";
import { projects } from "./projects";

export const webhookSubscriptions = sqliteTable(
  "webhook_subscriptions",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    url: text("url").notNull(),
    secret: text("secret").notNull(),
    /** Event types, `<category>.*` or `*`. */
    events: text("events", { mode: "json" }).$type<string[]>().notNull(),
    /** Only events of this project; null: every project's (and instance-wide) events. */
    projectId: text("project_id").references(() => projects.id, { onDelete: "cascade" }),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    secretUpdatedAt: integer("secret_updated_at").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("webhook_subscriptions_page_idx").on(t.createdAt, t.id), index("webhook_subscriptions_project_idx").on(t.projectId)],
);

export { DELIVERY_STATUSES, type DeliveryStatus } from "../../core/vocabulary";

export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    subscriptionId: text("subscription_id")
      .notNull()
      .references(() => webhookSubscriptions.id, { onDelete: "cascade" }),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    projectId: text("project_id"),
    payload: text("payload").notNull(),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    responseCode: integer("response_code"),
    latencyMs: integer("latency_ms"),
    error: text("error"),
    nextAttemptAt: integer("next_attempt_at"),
    redeliveryOf: text("redelivery_of"),
    deadLetteredAt: integer("dead_lettered_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    completedAt: integer("completed_at"),
  },
  (t) => [index("webhook_deliveries_subscription_idx").on(t.subscriptionId, t.createdAt, t.id)],
);
