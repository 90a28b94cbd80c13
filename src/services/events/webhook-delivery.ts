/**
 * Webhook fan-out and delivery, driven by the queue consumers (src/queues/).
 *
 *   EVENTS message (domain event) ─ expandEvent ─▶ one delivery row per matching
 *     subscription (id = hash(event id, subscription id)) ─▶ DELIVERIES message each
 *   DELIVERIES message ─ deliverOnce ─▶ POST, record the attempt, then
 *     2xx → succeeded │ attempt < MAX_ATTEMPTS → retry after backoff(attempt)
 *                     │ last attempt → failed, message to DELIVERIES_DLQ
 *   DELIVERIES_DLQ message ─ deadLettered ─▶ delivery marked failed + dead_lettered_at
 *
 * Invariants:
 * - At least once: expanding an event twice re-sends messages but never duplicates a
 *   delivery; a delivery that already succeeded or failed is never sent again (only a
 *   manual redelivery, a new row, is). Receivers dedupe on X-Orbitalreg-Delivery.
 * - Every attempt sends the stored payload byte for byte, freshly signed (new `t`).
 * - The target is re-checked before each attempt (the operator may have turned
 *   private targets off) and redirects are not followed.
 */
import type { Db } from "../../db/client";
import type { Env } from "../../env";
import { config } from "../../config";
import * as q from "../../db/webhooks";
import { checkOutboundUrl } from "../../core/net";
import { eventMatches } from "../../core/webhook-events";
import { signWebhook } from "../../core/webhook-signature";
import { sha256Hex } from "../../core/ids";
import { outboundFetch } from "../../outbound/fetch";
import { VERSION } from "../../version";

export const MAX_ATTEMPTS = 8;
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Seconds to wait after failed attempt `n` (1-based): 60, 120, 240 … capped at 1 h. */
export const backoffSeconds = (attempt: number) => Math.min(60 * 2 ** (attempt - 1), 3600);

export interface Deps {
  db: Db;
  env: Env;
}

export interface EventEnvelope {
  id: string;
  type: string;
  occurred_at: string;
  project_id: string | null;
  actor?: { actorType?: string; actorId?: string | null; actorName?: string | null };
  request_id?: string | null;
  data: Record<string, unknown>;
}

export function parseEnvelope(body: unknown): EventEnvelope | null {
  const e = body as Partial<EventEnvelope> | null;
  if (!e || typeof e !== "object" || typeof e.id !== "string" || typeof e.type !== "string") return null;
  return {
    id: e.id,
    type: e.type,
    occurred_at: typeof e.occurred_at === "string" ? e.occurred_at : new Date().toISOString(),
    project_id: typeof e.project_id === "string" ? e.project_id : null,
    actor: e.actor,
    request_id: e.request_id ?? null,
    data: e.data && typeof e.data === "object" ? e.data : {},
  };
}

/**
 * The body receivers get. `data` is sent as emitted: emitters build it in the
 * catalogue's snake_case shape (core/events.ts), so keys a user wrote (repo labels) are
 * never rewritten here.
 */
export function webhookPayload(e: EventEnvelope): string {
  return JSON.stringify({
    id: e.id,
    type: e.type,
    occurred_at: e.occurred_at,
    project_id: e.project_id,
    actor: { type: e.actor?.actorType ?? "system", id: e.actor?.actorId ?? null, name: e.actor?.actorName ?? null },
    request_id: e.request_id ?? null,
    data: e.data,
  });
}

/** A UUID-shaped id derived from (event, subscription): the same on every expansion. */
export async function deliveryIdOf(eventId: string, subscriptionId: string): Promise<string> {
  const h = await sha256Hex(`${eventId}/${subscriptionId}`);
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function newDeliveryRow(id: string, subscriptionId: string, e: EventEnvelope, payload: string, now: number, redeliveryOf: string | null = null): q.DeliveryRow {
  return {
    id,
    subscriptionId,
    eventId: e.id,
    eventType: e.type,
    projectId: e.project_id,
    payload,
    status: "pending",
    attempts: 0,
    responseCode: null,
    latencyMs: null,
    error: null,
    nextAttemptAt: null,
    redeliveryOf,
    deadLetteredAt: null,
    createdAt: now,
    updatedAt: now,
    completedAt: null,
  };
}

/** Fan-out: one delivery per enabled subscription whose filters match. Returns their ids. */
export async function expandEvent(deps: Deps, envelope: EventEnvelope, now = Date.now()): Promise<string[]> {
  const subs = (await q.candidateSubscriptions(deps.db, envelope.project_id)).filter((s) => eventMatches(s.events, envelope.type));
  if (subs.length === 0) return [];
  const payload = webhookPayload(envelope);
  const rows = await Promise.all(subs.map(async (s) => newDeliveryRow(await deliveryIdOf(envelope.id, s.id), s.id, envelope, payload, now)));
  await deps.db.batch(rows.map((r) => q.insertDelivery(deps.db, r)) as [ReturnType<typeof q.insertDelivery>]);
  await enqueueDeliveries(deps.env, rows.map((r) => r.id));
  return rows.map((r) => r.id);
}

export async function enqueueDeliveries(env: Env, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 100) {
    await env.DELIVERIES.sendBatch(ids.slice(i, i + 100).map((id) => ({ body: { delivery_id: id }, contentType: "json" as const })));
  }
}

export type DeliveryOutcome = { kind: "done" } | { kind: "retry"; delaySeconds: number } | { kind: "dead" };

/** One attempt at one delivery. */
export async function deliverOnce(deps: Deps, deliveryId: string): Promise<DeliveryOutcome> {
  const d = await q.findDelivery(deps.db, deliveryId);
  if (!d || d.status === "succeeded" || d.status === "failed") return { kind: "done" };
  const sub = await q.findSubscription(deps.db, d.subscriptionId);
  if (!sub || !sub.enabled) {
    await q.failDelivery(deps.db, d.id, "the subscription is disabled", Date.now()).run();
    return { kind: "done" };
  }
  let url: URL;
  try {
    url = checkOutboundUrl(sub.url, "Webhook", { allowPrivate: config(deps.env).allowPrivateTargets });
  } catch (e) {
    await q.failDelivery(deps.db, d.id, `target refused: ${(e as Error).message}`, Date.now()).run();
    return { kind: "done" };
  }
  const attempt = d.attempts + 1;
  const t = Math.floor(Date.now() / 1000);
  const headers = {
    "Content-Type": "application/json",
    "User-Agent": `OrbitalReg-Webhook/${VERSION}`,
    "X-Orbitalreg-Event": d.eventType,
    "X-Orbitalreg-Delivery": d.id,
    "X-Orbitalreg-Attempt": String(attempt),
    "X-Orbitalreg-Signature": await signWebhook(sub.secret, d.payload, t),
  };
  const started = Date.now();
  let code: number | null = null;
  let error: string | null = null;
  try {
    const res = await outboundFetch(url, { method: "POST", headers, body: d.payload, timeoutMs: DELIVERY_TIMEOUT_MS });
    code = res.status;
    await res.body?.cancel();
  } catch (e) {
    error = (e as Error)?.message ?? String(e);
  }
  const now = Date.now();
  const base = { responseCode: code, latencyMs: now - started, updatedAt: now };
  if (code !== null && code >= 200 && code < 300) {
    await q.recordAttempt(deps.db, d.id, { ...base, status: "succeeded", error: null, nextAttemptAt: null, completedAt: now });
    return { kind: "done" };
  }
  error ??= `the receiver answered HTTP ${code}`;
  if (attempt >= MAX_ATTEMPTS) {
    await q.recordAttempt(deps.db, d.id, { ...base, status: "failed", error, nextAttemptAt: null, completedAt: now });
    return { kind: "dead" };
  }
  const delaySeconds = backoffSeconds(attempt);
  await q.recordAttempt(deps.db, d.id, { ...base, status: "retrying", error, nextAttemptAt: now + delaySeconds * 1000, completedAt: null });
  return { kind: "retry", delaySeconds };
}

/** A delivery's message reached the dead-letter queue. */
export async function deadLettered(deps: Deps, deliveryId: string): Promise<void> {
  await q.markDeadLettered(deps.db, deliveryId, Date.now()).run();
}
