/** Worker entry: HTTP, queue and cron handlers, and the Durable Object classes. */
import { buildApp } from "./app";
import { handleQueue } from "./queues";
import type { Env } from "./env";
import { checkReadiness } from "./services/health";
import { database } from "./db/client";
import { config } from "./config";
import { purgeDownloadLog } from "./services/artifacts";
import { clearExpiredBlocks } from "./services/policy";
import { scheduleDueMirrors } from "./services/proxy";

export { UploadSession } from "./objects/upload-session";
export { ProjectQuota } from "./objects/project-quota";
export { FetchLock } from "./objects/fetch-lock";

const app = buildApp();

export default {
  fetch: app.fetch,
  queue: (batch, env) => handleQueue(batch, env),
  async scheduled(_controller, env, ctx) {
    // Record store health so /health/backup can say when D1 and R2 last answered.
    const db = database(env.DB);
    const { record } = await checkReadiness(db, env.BLOBS);
    ctx.waitUntil(record);
    // Housekeeping: the download log's retention, and blocks whose end has passed.
    ctx.waitUntil(purgeDownloadLog(db, config(env).downloadLogMs));
    ctx.waitUntil(clearExpiredBlocks(db));
    // Lifecycle: resume stalled runs, schedule retention and GC, expire the trash (services/lifecycle/jobs.ts).
    ctx.waitUntil(env.JOBS.send({ type: "lifecycle.tick" }, { contentType: "json" }));
    // Mirrors whose scheduled sync is due get a job (services/proxy/mirrors.ts).
    ctx.waitUntil(scheduleDueMirrors(env));
  },
} satisfies ExportedHandler<Env>;
