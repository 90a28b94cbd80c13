/** The download log's queue in tests: what the Worker sent to DOWNLOADS, fed to its consumer as the Queues runtime would. */
import { expect, vi } from "vitest";
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import worker from "../../src/index";
import { flushDownloadLog } from "../../src/services/artifacts/downloads";

/**
 * Records what the Worker queues for the log from now on, and feeds it to the consumer.
 * The Worker buffers messages per isolate for a short window; `messages()` and
 * `consume()` first send what is still buffered (flushDownloadLog), so they see every
 * download answered before them without waiting for the window.
 */
export function downloadLog() {
  // What earlier tests' downloads left in the buffer goes out unrecorded (sendBatch is
  // called before flushDownloadLog's first await).
  void flushDownloadLog(env);
  const spy = vi.spyOn(env.DOWNLOADS, "sendBatch");
  spy.mockClear();
  let seq = 0;
  const sent = async () => {
    await flushDownloadLog(env);
    return spy.mock.calls.flatMap(([batch]) => [...batch].map((m) => m.body as Record<string, any>));
  };
  return {
    messages: sent,
    /** The sendBatch calls so far, each the bodies it carried (what was batched with what). */
    batches: () => spy.mock.calls.map(([batch]) => [...batch].map((m) => m.body as Record<string, any>)),
    async consume() {
      const bodies = await sent();
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
