// Applies the D1 migrations (the same files `wrangler d1 migrations apply` uses)
// to the test database before each test file, and checks every domain event the Worker
// sends against the event catalogue (src/core/events.ts): a payload that drifts from its
// schema fails the request that emitted it, and the test.
import { applyD1Migrations, env, type D1Migration } from "cloudflare:test";
import { afterEach, expect } from "vitest";
import { checkEvent } from "../src/core/events";

await applyD1Migrations(env.DB, (env as unknown as { TEST_MIGRATIONS: D1Migration[] }).TEST_MIGRATIONS);

const offCatalogue: string[] = [];
const send = env.EVENTS.send.bind(env.EVENTS);
env.EVENTS.send = async (message, options) => {
  const verdict = checkEvent(message as { type: string });
  if (!verdict.ok) {
    offCatalogue.push(verdict.error);
    throw new Error(`domain event off its catalogue schema: ${verdict.error}`);
  }
  return send(message, options);
};
afterEach(() => {
  expect(offCatalogue.splice(0), "events that do not match src/core/events.ts").toEqual([]);
});
