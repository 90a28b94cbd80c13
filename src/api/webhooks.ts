/**
 * /api/admin/webhooks: subscriptions (the secret is write-only: accepted on create and
 * update, never returned), the event catalog, the delivery log, redelivery and ping.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, jsonBody } from "./route";
import { At, Id, PageQuery, idParam, iso, pageOf, pathParam } from "./schemas";
import { page } from "./serialize";
import * as hooks from "../services/events";
import { DELIVERY_STATUSES } from "../core/vocabulary";
import type { DeliveryRow, SubscriptionRow } from "../services/events";
import { webhookEventTypes } from "../core/webhook-events";

const tags = ["Webhooks"];
const HookParam = idParam("subscription");
const DeliveryParam = HookParam.extend({ delivery: pathParam("delivery", "The delivery's id") });

const Fields = {
  name: z.string().min(1).max(64).describe("Unique name: 1–64 lowercase letters, digits, '-', '_' or '.'"),
  description: z.string().max(2000).describe("Free text"),
  url: z.string().url().max(2048).openapi({ example: "https://ci.example.com/hooks/orbitalreg", description: "The receiver: an http(s) URL on a public address, POSTed one JSON event at a time" }),
  events: z.array(z.string().min(1).max(100)).min(1).max(50).openapi({ example: ["artifact.uploaded", "block.*"], description: "Event types, `<category>.*`, or `*`" }),
  project_id: z.string().nullable().openapi({ description: "Only this project's events; null: all" }),
  enabled: z.boolean().describe("Disabled subscriptions receive nothing (default true)"),
};
const Secret = z.string().min(16).max(256).openapi({ description: "HMAC key for X-Orbitalreg-Signature. Write-only: never returned." });

const Webhook = z
  .object({ id: Id("subscription"), ...Fields, secret_updated_at: At("When the secret was last set"), created_at: At("Creation time"), updated_at: At("Last change") })
  .openapi("Webhook");
const WebhookCreate = z
  .object({ ...Fields, secret: Secret })
  .partial({ description: true, project_id: true, enabled: true })
  .openapi("WebhookCreate");
const WebhookUpdate = z.object({ ...Fields, secret: Secret }).partial().openapi("WebhookUpdate");

const Delivery = z
  .object({
    id: z.string().openapi({ description: "Sent as X-Orbitalreg-Delivery; the same on every attempt" }),
    subscription_id: Id("subscription"),
    event_id: z.string().describe("The event's id (the payload's `id`)"),
    event_type: z.string().describe("The event's type"),
    project_id: z.string().nullable().describe("The event's project, or null"),
    status: z.enum(DELIVERY_STATUSES).describe("`pending`, `retrying`, `succeeded` or `failed` (after the last attempt)"),
    attempts: z.number().int().describe("Attempts made so far"),
    response_code: z.number().int().nullable().describe("HTTP status of the last attempt; null when it got none"),
    latency_ms: z.number().int().nullable().describe("Duration of the last attempt"),
    error: z.string().nullable().describe("Why the last attempt failed"),
    next_attempt_at: At("When the next attempt is due").nullable(),
    redelivery_of: z.string().nullable().describe("The delivery this one re-sends, for manual redeliveries"),
    dead_lettered_at: At("When it went to the dead-letter queue").nullable(),
    created_at: At("Creation time"),
    updated_at: At("Last change"),
    completed_at: At("When it succeeded or finally failed").nullable(),
  })
  .openapi("WebhookDelivery");
const DeliveryDetail = Delivery.extend({ payload: z.unknown().openapi({ description: "The body as sent" }) }).openapi("WebhookDeliveryDetail");
const EventType = z
  .object({
    type: z.string().openapi({ description: "The event type, as in `X-Orbitalreg-Event` and subscription filters", example: "artifact.uploaded" }),
    description: z.string().openapi({ description: "When it is sent" }),
    status: z.enum(["emitted", "reserved"]).openapi({ description: "`emitted`: the registry sends it; `reserved`: catalogued for a feature not built yet (subscriptions may name it)" }),
    data_schema: z.unknown().openapi({ description: "JSON Schema (2020-12) of the event's `data`" }),
  })
  .openapi("WebhookEventType");
const EventTypes = z.object({ items: z.array(EventType).openapi({ description: "Every catalogued event type" }) }).openapi("WebhookEventTypes");

const webhookOut = (s: SubscriptionRow) => ({
  id: s.id,
  name: s.name,
  description: s.description,
  url: s.url,
  events: s.events,
  project_id: s.projectId,
  enabled: s.enabled,
  secret_updated_at: iso(s.secretUpdatedAt)!,
  created_at: iso(s.createdAt)!,
  updated_at: iso(s.updatedAt)!,
});

const deliveryOut = (d: DeliveryRow) => ({
  id: d.id,
  subscription_id: d.subscriptionId,
  event_id: d.eventId,
  event_type: d.eventType,
  project_id: d.projectId,
  status: d.status,
  attempts: d.attempts,
  response_code: d.responseCode,
  latency_ms: d.latencyMs,
  error: d.error,
  next_attempt_at: iso(d.nextAttemptAt),
  redelivery_of: d.redeliveryOf,
  dead_lettered_at: iso(d.deadLetteredAt),
  created_at: iso(d.createdAt)!,
  updated_at: iso(d.updatedAt)!,
  completed_at: iso(d.completedAt),
});

export const adminWebhookRoutes = new OpenAPIHono<AppEnv>();

adminWebhookRoutes.openapi(
  apiRoute({ method: "get", path: "/webhooks/event-types", tags, summary: "The event catalog", responses: { 200: json(EventTypes, "Every event type a subscription can name") } }),
  async (c) => {
    c.var.scope.access.requireInstanceAdmin();
    return c.json({ items: webhookEventTypes() }, 200);
  },
);
adminWebhookRoutes.openapi(
  apiRoute({ method: "get", path: "/webhooks", tags, summary: "List webhook subscriptions", request: { query: PageQuery.extend({ project_id: z.string().optional().describe("Only subscriptions filtered to this project") }) }, responses: { 200: json(pageOf(Webhook, "WebhookPage"), "A page of subscriptions") } }),
  async (c) => {
    const q = c.req.valid("query");
    return c.json(page(await hooks.listSubscriptions(c.var.scope, q.project_id, q.cursor, q.limit), webhookOut), 200);
  },
);
adminWebhookRoutes.openapi(
  apiRoute({ method: "post", path: "/webhooks", tags, summary: "Subscribe a URL to events", request: jsonBody(WebhookCreate), responses: { 201: json(Webhook, "Created (the secret is not echoed)") } }),
  async (c) => c.json(webhookOut(await hooks.createSubscription(c.var.scope, c.req.valid("json"))), 201),
);
adminWebhookRoutes.openapi(
  apiRoute({ method: "get", path: "/webhooks/{id}", tags, summary: "Get a webhook subscription", request: { params: HookParam }, responses: { 200: json(Webhook, "The subscription") } }),
  async (c) => c.json(webhookOut(await hooks.getSubscription(c.var.scope, c.req.valid("param").id)), 200),
);
adminWebhookRoutes.openapi(
  apiRoute({ method: "patch", path: "/webhooks/{id}", tags, summary: "Update a subscription (send `secret` to rotate it)", request: { params: HookParam, ...jsonBody(WebhookUpdate) }, responses: { 200: json(Webhook, "Updated") } }),
  async (c) => c.json(webhookOut(await hooks.updateSubscription(c.var.scope, c.req.valid("param").id, c.req.valid("json"))), 200),
);
adminWebhookRoutes.openapi(
  apiRoute({ method: "delete", path: "/webhooks/{id}", tags, summary: "Delete a subscription and its delivery log", request: { params: HookParam }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    await hooks.deleteSubscription(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);
adminWebhookRoutes.openapi(
  apiRoute({ method: "post", path: "/webhooks/{id}/ping", tags, summary: "Send a `ping` event to the receiver", request: { params: HookParam }, responses: { 202: json(Delivery, "Queued") } }),
  async (c) => c.json(deliveryOut(await hooks.ping(c.var.scope, c.req.valid("param").id)), 202),
);
adminWebhookRoutes.openapi(
  apiRoute({ method: "get", path: "/webhooks/{id}/deliveries", tags, summary: "The subscription's delivery log, oldest first", request: { params: HookParam, query: PageQuery.extend({ status: z.enum(DELIVERY_STATUSES).optional().describe("Only deliveries in this status") }) }, responses: { 200: json(pageOf(Delivery, "WebhookDeliveryPage"), "A page of deliveries") } }),
  async (c) => {
    const q = c.req.valid("query");
    return c.json(page(await hooks.listDeliveries(c.var.scope, c.req.valid("param").id, q.status, q.cursor, q.limit), deliveryOut), 200);
  },
);
adminWebhookRoutes.openapi(
  apiRoute({ method: "get", path: "/webhooks/{id}/deliveries/{delivery}", tags, summary: "One delivery, with its payload", request: { params: DeliveryParam }, responses: { 200: json(DeliveryDetail, "The delivery") } }),
  async (c) => {
    const { id, delivery } = c.req.valid("param");
    const d = await hooks.getDelivery(c.var.scope, id, delivery);
    return c.json({ ...deliveryOut(d), payload: JSON.parse(d.payload) as unknown }, 200);
  },
);
adminWebhookRoutes.openapi(
  apiRoute({ method: "post", path: "/webhooks/{id}/deliveries/{delivery}/redeliver", tags, summary: "Send a delivery's payload again, as a new delivery", request: { params: DeliveryParam }, responses: { 202: json(Delivery, "Queued") } }),
  async (c) => {
    const { id, delivery } = c.req.valid("param");
    return c.json(deliveryOut(await hooks.redeliver(c.var.scope, id, delivery)), 202);
  },
);
