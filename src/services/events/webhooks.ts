/**
 * Webhook subscriptions (instance admin): CRUD, the delivery log, redelivery, ping.
 * Invariants:
 * - Only instance admins see or change subscriptions.
 * - The secret is write-only: it is stored to sign deliveries, and leaves this module
 *   only through `deliverOnce`; audit rows and events record that it changed, never it.
 * - Subscriptions are an instance-level resource: their audit rows and `webhook.*`
 *   events are instance-wide (project_id null), and events name the target's host
 *   only (a receiver URL often embeds a token, e.g. chat incoming-webhook URLs).
 * - Targets pass the outbound-address check when subscribing (and again per attempt).
 * - A redelivery is a new delivery row (new id, same payload, `redelivery_of` set).
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "./audit";
import { enqueueDeliveries, newDeliveryRow, webhookPayload, type EventEnvelope } from "./webhook-delivery";
import * as q from "../../db/webhooks";
import { findProject } from "../../db/projects";
import { conflict, invalid, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { checkOutboundUrl } from "../../core/net";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import { isValidEventFilter } from "../../core/webhook-events";
import type { EventData } from "../../core/events";
import { describe } from "../../auth/principal";
import type { DeliveryStatus } from "../../core/vocabulary";
import { config } from "../../config";

export type { DeliveryRow, SubscriptionRow } from "../../db/webhooks";

const NAME = /^[a-z0-9](?:[a-z0-9-_.]{0,62}[a-z0-9])?$/;

export interface SubscriptionInput {
  name: string;
  description?: string;
  url: string;
  secret: string;
  events: string[];
  project_id?: string | null;
  enabled?: boolean;
}

/** A subscription as it may be shown to instance admins or recorded: no secret. */
export function publicSubscription(row: q.SubscriptionRow) {
  const { secret: _never, ...rest } = row;
  return rest;
}

/** What `webhook.*` events say about a subscription: no secret, no full URL. */
function eventView(row: q.SubscriptionRow) {
  return { id: row.id, name: row.name, url_host: new URL(row.url).host, events: row.events, project_id: row.projectId, enabled: row.enabled };
}

export async function getSubscription(scope: Scope, id: string) {
  scope.access.requireInstanceAdmin();
  const row = await q.findSubscription(scope.db, id);
  if (!row) throw notFound("Webhook", `webhook ${id} not found`);
  return row;
}

export async function listSubscriptions(scope: Scope, projectId?: string, cursor?: string, limit?: number) {
  scope.access.requireInstanceAdmin();
  const n = clampLimit(limit);
  return toPage(await q.listSubscriptions(scope.db, projectId, decodeCursor(cursor), n), n);
}

async function validate(scope: Scope, s: SubscriptionInput) {
  if (!NAME.test(s.name)) throw invalid("WebhookName", "name must be 1–64 lowercase letters, digits, '-', '_' or '.'");
  checkOutboundUrl(s.url, "Webhook", { allowPrivate: config(scope.env).allowPrivateTargets });
  const bad = s.events.filter((e) => !isValidEventFilter(e));
  if (bad.length) throw invalid("WebhookEvents", `unknown event types: ${bad.join(", ")} (see GET /api/admin/webhooks/event-types)`);
  if (s.project_id && !(await findProject(scope.db, s.project_id))) throw invalid("WebhookProject", `project ${s.project_id} does not exist`);
}

export async function createSubscription(scope: Scope, input: SubscriptionInput) {
  scope.access.requireInstanceAdmin();
  await validate(scope, input);
  const now = Date.now();
  const row: q.SubscriptionRow = {
    id: newId(),
    name: input.name,
    description: input.description ?? "",
    url: input.url,
    secret: input.secret,
    events: input.events,
    projectId: input.project_id ?? null,
    enabled: input.enabled ?? true,
    secretUpdatedAt: now,
    createdAt: now,
    updatedAt: now,
  };
  await scope.db.batch([
    q.insertSubscription(scope.db, row),
    auditQuery(scope, { action: "webhook.create", resourceType: "webhook", resourceId: row.id, projectId: null, after: publicSubscription(row) }, now),
  ]);
  await emitEvent(scope, { type: "webhook.created", project_id: null, data: { webhook: eventView(row) } });
  return row;
}

export async function updateSubscription(scope: Scope, id: string, patch: Partial<SubscriptionInput>) {
  const before = await getSubscription(scope, id);
  const merged: SubscriptionInput = {
    name: patch.name ?? before.name,
    description: patch.description ?? before.description,
    url: patch.url ?? before.url,
    secret: patch.secret ?? before.secret,
    events: patch.events ?? before.events,
    project_id: patch.project_id === undefined ? before.projectId : patch.project_id,
    enabled: patch.enabled ?? before.enabled,
  };
  await validate(scope, merged);
  const now = Date.now();
  const secretChanged = patch.secret !== undefined && patch.secret !== before.secret;
  const after: q.SubscriptionRow = {
    ...before,
    name: merged.name,
    description: merged.description!,
    url: merged.url,
    secret: merged.secret,
    events: merged.events,
    projectId: merged.project_id ?? null,
    enabled: merged.enabled!,
    secretUpdatedAt: secretChanged ? now : before.secretUpdatedAt,
    updatedAt: now,
  };
  await scope.db.batch([
    q.updateSubscription(scope.db, id, after),
    auditQuery(scope, { action: "webhook.update", resourceType: "webhook", resourceId: id, projectId: null, before: publicSubscription(before), after: { ...publicSubscription(after), secretChanged } }, now),
  ]);
  await emitEvent(scope, { type: "webhook.updated", project_id: null, data: { webhook: eventView(after), secret_changed: secretChanged } });
  return after;
}

export async function deleteSubscription(scope: Scope, id: string) {
  const before = await getSubscription(scope, id);
  await scope.db.batch([
    q.deleteSubscription(scope.db, id),
    auditQuery(scope, { action: "webhook.delete", resourceType: "webhook", resourceId: id, projectId: null, before: publicSubscription(before) }),
  ]);
  await emitEvent(scope, { type: "webhook.deleted", project_id: null, data: { webhook: eventView(before) } });
}

export async function listDeliveries(scope: Scope, id: string, status?: DeliveryStatus, cursor?: string, limit?: number) {
  await getSubscription(scope, id);
  const n = clampLimit(limit);
  return toPage(await q.listDeliveries(scope.db, id, status, decodeCursor(cursor), n), n);
}

export async function getDelivery(scope: Scope, id: string, deliveryId: string) {
  await getSubscription(scope, id);
  const d = await q.findDelivery(scope.db, deliveryId);
  if (!d || d.subscriptionId !== id) throw notFound("WebhookDelivery", `delivery ${deliveryId} not found`);
  return d;
}

export async function redeliver(scope: Scope, id: string, deliveryId: string) {
  const original = await getDelivery(scope, id, deliveryId);
  const now = Date.now();
  const row: q.DeliveryRow = { ...original, ...resetOf(now), id: newId(), redeliveryOf: original.id };
  await scope.db.batch([
    q.insertDelivery(scope.db, row),
    auditQuery(scope, { action: "webhook.redeliver", resourceType: "webhook", resourceId: id, projectId: null, after: { delivery_id: row.id, redelivery_of: original.id } }, now),
  ]);
  await enqueueDeliveries(scope.env, [row.id]);
  return row;
}

export async function ping(scope: Scope, id: string) {
  const sub = await getSubscription(scope, id);
  if (!sub.enabled) throw conflict("WebhookDisabled", "the webhook is disabled; enable it first");
  const now = Date.now();
  const event: EventEnvelope = {
    id: newId(),
    type: "ping",
    occurred_at: new Date(now).toISOString(),
    project_id: sub.projectId,
    actor: describe(scope.access.principal),
    request_id: scope.requestId,
    data: { webhook: { id: sub.id, name: sub.name, events: sub.events } } satisfies EventData<"ping">,
  };
  const row = newDeliveryRow(newId(), sub.id, event, webhookPayload(event), now);
  await scope.db.batch([q.insertDelivery(scope.db, row)]);
  await enqueueDeliveries(scope.env, [row.id]);
  return row;
}

const resetOf = (now: number) => ({
  status: "pending" as const,
  attempts: 0,
  responseCode: null,
  latencyMs: null,
  error: null,
  nextAttemptAt: null,
  deadLetteredAt: null,
  completedAt: null,
  createdAt: now,
  updatedAt: now,
});
