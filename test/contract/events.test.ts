// The event catalogue (src/core/events.ts) is the single source of event types and
// payloads: the docs are generated from it, its examples match their schemas, and the
// sources emit exactly the types it marks as emitted. (Every event the Worker sends in
// any test is checked against its schema by test/setup.ts.)
import { describe, expect, it } from "vitest";
import { EVENT_CATALOG, EVENT_TYPES, checkEvent, exampleEnvelope } from "../../src/core/events";
import { GENERATED_DOCS } from "../../scripts/contract/docs";
import { DOCS, SOURCES } from "./sources";

describe("event catalogue", () => {
  it("has an example for every type that validates against the type's schema", () => {
    for (const type of EVENT_TYPES) expect(checkEvent(exampleEnvelope(type)), type).toEqual({ ok: true });
  });

  it("refuses payloads off their schema and types off the catalogue", () => {
    expect(checkEvent({ type: "artifact.yanked", project_id: null, data: {} })).toMatchObject({ ok: false });
    const quota = { type: "quota.exceeded", project_id: "p", data: { quota: "storage_bytes", limit: 1, used: 1, attempted: 1, action: "rejected", repo_id: "r" } };
    expect(checkEvent(quota)).toMatchObject({ ok: false });
    const leaky = exampleEnvelope("token.created") as { data: { token: object } };
    expect(checkEvent({ type: "token.created", project_id: null, data: { token: { ...leaky.data.token, token_hash: "ab12" } } })).toMatchObject({ ok: false });
  });

  it("marks as emitted exactly the types the sources emit", () => {
    const code = Object.entries(SOURCES)
      .filter(([path]) => path !== "src/core/events.ts")
      .map(([, text]) => text)
      .join("\n");
    const emitted = new Set([...code.matchAll(/\btype: "([a-z_]+(?:\.[a-z_-]+)*)"/g)].map((m) => m[1]!).filter((t) => t in EVENT_CATALOG));
    for (const type of EVENT_TYPES) {
      const status = EVENT_CATALOG[type].status;
      expect(emitted.has(type) ? "emitted" : "reserved", `${type} is catalogued as ${status}`).toBe(status);
    }
  });
});

describe("generated documentation", () => {
  it.each(Object.keys(GENERATED_DOCS))("%s is up to date (npm run docs:generate)", (path) => {
    const committed = DOCS[path];
    expect(committed, path).toBeDefined();
    expect(GENERATED_DOCS[path]!(committed!)).toBe(committed);
  });
});

describe("webhook payload", () => {
  it("sends data as emitted: keys a user wrote (repo labels) are not rewritten", async () => {
    const { webhookPayload } = await import("../../src/services/events");
    const { snakeKeys } = await import("../../src/core/event-shapes");
    const repo = snakeKeys({ id: "r", projectId: "p", labels: { buildId: "7", "team-name": "web" } });
    const body = JSON.parse(webhookPayload({ id: "e", type: "repo.created", occurred_at: "t", project_id: "p", data: { repo } }));
    expect(body.data.repo).toEqual({ id: "r", project_id: "p", labels: { buildId: "7", "team-name": "web" } });
  });
});
