/** The download log's queue in tests: what the Worker sent to DOWNLOADS, fed to its consumer as the Queues runtime would. */
import { expect, vi } from "vitest";
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import worker from "../../src/index";

/** Records what the Worker queues for the log from now on, and feeds it to the consumer. */
export function downloadLog() {
  const spy = vi.spyOn(env.DOWNLOADS, "send");
  spy.mockClear();
  let seq = 0;
  return {
    messages: () => spy.mock.calls.map(([m]) => m as Record<string, any>),
    async consume() {
      const bodies = spy.mock.calls.map(([m]) => m);
      spy.mockClear();
      const batch = createMessageBatch("orbitalreg-downloads", bodies.map((body) => ({ id: `dl-${seq++}`, timestamp: new Date(), attempts: 1, body })));
      const ctx = createExecutionContext();
      await worker.queue(batch, env);
      const result = await getQueueResult(batch, ctx);
      expect(result.explicitAcks.length + (result.ackAll ? batch.messages.length : 0)).toBe(batch.messages.length);
    },
    restore: () => spy.mockRestore(),
  };
}

