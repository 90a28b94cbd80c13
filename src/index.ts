/** Worker entry: HTTP, queue and cron handlers, and the Durable Object classes. */
import { buildApp } from "./app";
import { handleQueue } from "./queues";
import type { Env } from "./env";

export { UploadSession } from "./objects/upload-session";
export { ProjectQuota } from "./objects/project-quota";

const app = buildApp();

export default {
  fetch: app.fetch,
  queue: (batch, env) => handleQueue(batch, env),
  async scheduled(_controller, _env, _ctx) {
    // Periodic jobs (upload expiry, retention) are enqueued here as they are built.
  },
} satisfies ExportedHandler<Env>;
