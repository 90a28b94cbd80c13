/**
 * Queue consumers, dispatched by queue name.
 * Invariants: a message is acked only after its work is done; an exception retries it
 * (and after max_retries a queue with a dead-letter queue sends it there). Messages of
 * one batch are handled independently: one failure doesn't retry its neighbours.
 */
import type { Env } from "../env";
import { QUEUES } from "../config";
import { database } from "../db/client";
import { backoffSeconds, deadLettered, deliverOnce, expandEvent, parseEnvelope } from "../services/events";
import { storeDownloads } from "../services/artifacts";
import { handleJob, isJobMessage } from "../services/lifecycle";
import { MIRROR_JOB, runMirrorSync } from "../services/proxy";


export async function handleQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const deps = { db: database(env.DB), env };
  switch (batch.queue) {
    case QUEUES.events.name:
      return each(batch, async (m) => {
        const envelope = parseEnvelope(m.body);
        if (!envelope) console.warn("dropping malformed domain event", m.id);
        else await expandEvent(deps, envelope);
        m.ack();
      });
    case QUEUES.deliveries.name:
      return each(batch, async (m) => {
        const id = deliveryIdIn(m.body);
        if (!id) return m.ack();
        const outcome = await deliverOnce(deps, id);
        if (outcome.kind === "retry") return m.retry({ delaySeconds: outcome.delaySeconds });
        if (outcome.kind === "dead") await env.DELIVERIES_DLQ.send({ delivery_id: id }, { contentType: "json" });
        m.ack();
      });
    case QUEUES.deliveriesDlq.name:
      return each(batch, async (m) => {
        const id = deliveryIdIn(m.body);
        if (id) await deadLettered(deps, id);
        m.ack();
      });
    case QUEUES.eventsDlq.name:
      for (const m of batch.messages) console.error("domain event dead-lettered (webhooks not expanded)", JSON.stringify(m.body));
      batch.ackAll();
      return;
    case QUEUES.downloads.name:
      // One D1 batch for the whole batch of downloads; a failure retries them all (rows are idempotent).
      try {
        await storeDownloads(deps.db, batch.messages.map((m) => m.body));
        batch.ackAll();
      } catch (e) {
        console.error("download log batch failed", e);
        batch.retryAll({ delaySeconds: 30 });
      }
      return;
    case QUEUES.jobs.name:
      // Retention runs, trash expiry, garbage collection, mirror syncs: each message one bounded step.
      return each(batch, async (m) => {
        const job = m.body as { type?: unknown; repo_id?: unknown } | null;
        if (job?.type === MIRROR_JOB && typeof job.repo_id === "string") await runMirrorSync(env, job.repo_id);
        else if (isJobMessage(m.body)) await handleJob(env, m.body);
        else console.warn("dropping malformed job", m.id);
        m.ack();
      });
    default:
      console.warn(`message batch from unknown queue ${batch.queue}`);
      batch.ackAll();
  }
}

/** Runs `work` per message; an exception retries that message with backoff. */
async function each(batch: MessageBatch<unknown>, work: (m: Message<unknown>) => Promise<void>): Promise<void> {
  await Promise.all(
    batch.messages.map(async (m) => {
      try {
        await work(m);
      } catch (e) {
        console.error(`queue ${batch.queue}: message ${m.id} failed (attempt ${m.attempts})`, e);
        m.retry({ delaySeconds: backoffSeconds(m.attempts) });
      }
    }),
  );
}

function deliveryIdIn(body: unknown): string | null {
  const id = (body as { delivery_id?: unknown } | null)?.delivery_id;
  return typeof id === "string" ? id : null;
}
