/** Queries over webhook subscriptions and deliveries. */
import { and, eq, isNull, or, sql } from "drizzle-orm";
import type { Db } from "./client";
import { webhookDeliveries, webhookSubscriptions, type DeliveryStatus } from "./schema";
import { pageWhere } from "./paging";
import type { PageKey } from "../core/pagination";

export type SubscriptionRow = typeof webhookSubscriptions.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;

export const findSubscription = (db: Db, id: string) =>
  db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id)).get();

export const listSubscriptions = (db: Db, projectId: string | undefined, after: PageKey | null, limit: number) =>
  db
    .select()
    .from(webhookSubscriptions)
    .where(and(projectId ? eq(webhookSubscriptions.projectId, projectId) : undefined, pageWhere(webhookSubscriptions, after)))
    .orderBy(webhookSubscriptions.createdAt, webhookSubscriptions.id)
    .limit(limit + 1)
    .all();

/** Enabled subscriptions that may receive an event of `projectId` (type filtering is the caller's). */
export const candidateSubscriptions = (db: Db, projectId: string | null) =>
  db
    .select()
    .from(webhookSubscriptions)
    .where(
      and(
        eq(webhookSubscriptions.enabled, true),
        projectId ? or(isNull(webhookSubscriptions.projectId), eq(webhookSubscriptions.projectId, projectId)) : isNull(webhookSubscriptions.projectId),
      ),
    )
    .all();

export const insertSubscription = (db: Db, row: SubscriptionRow) => db.insert(webhookSubscriptions).values(row);
export const updateSubscription = (db: Db, id: string, row: Partial<SubscriptionRow>) =>
  db.update(webhookSubscriptions).set(row).where(eq(webhookSubscriptions.id, id));
export const deleteSubscription = (db: Db, id: string) => db.delete(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));

export const findDelivery = (db: Db, id: string) => db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)).get();

export const listDeliveries = (db: Db, subscriptionId: string, status: DeliveryStatus | undefined, after: PageKey | null, limit: number) =>
  db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.subscriptionId, subscriptionId),
        status ? eq(webhookDeliveries.status, status) : undefined,
        pageWhere(webhookDeliveries, after),
      ),
    )
    .orderBy(webhookDeliveries.createdAt, webhookDeliveries.id)
    .limit(limit + 1)
    .all();

/** Inserts a delivery unless one with the same id exists (expansion is idempotent). */
export const insertDelivery = (db: Db, row: DeliveryRow) => db.insert(webhookDeliveries).values(row).onConflictDoNothing();

/** Records one attempt: counts it and stores its outcome. */
export const recordAttempt = (
  db: Db,
  id: string,
  outcome: Pick<DeliveryRow, "status" | "responseCode" | "latencyMs" | "error" | "nextAttemptAt" | "completedAt" | "updatedAt">,
) =>
  db
    .update(webhookDeliveries)
    .set({ ...outcome, attempts: sql`${webhookDeliveries.attempts} + 1` })
    .where(eq(webhookDeliveries.id, id))
    .run();

/** Ends a delivery as failed without an attempt (target unusable). No-op once succeeded. */
export const failDelivery = (db: Db, id: string, error: string, at: number) =>
  db
    .update(webhookDeliveries)
    .set({ status: "failed", error, nextAttemptAt: null, completedAt: at, updatedAt: at })
    .where(and(eq(webhookDeliveries.id, id), sql`${webhookDeliveries.status} <> 'succeeded'`));

/** Marks that the delivery's message reached the dead-letter queue (final). */
export const markDeadLettered = (db: Db, id: string, at: number) =>
  db
    .update(webhookDeliveries)
    .set({
      deadLetteredAt: at,
      status: sql`CASE WHEN ${webhookDeliveries.status} = 'succeeded' THEN 'succeeded' ELSE 'failed' END`,
      completedAt: sql`COALESCE(${webhookDeliveries.completedAt}, ${at})`,
      nextAttemptAt: null,
      updatedAt: at,
    })
    .where(eq(webhookDeliveries.id, id));
