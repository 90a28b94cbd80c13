// The delivery consumer driven message by message (createMessageBatch/getQueueResult):
// retries with backoff, the last attempt to the real dead-letter queue, refused and
// disabled targets; plus fan-out idempotency, signatures and address classification.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import worker from "../src/index";
import { ADMIN, createProject, jsonOf, req, unique } from "./helpers";
import { installOutbound, uninstallOutbound } from "./support/outbound";
import { TestReceiver } from "./support/receiver";
import { database } from "../src/db/client";
import { findDelivery, insertDelivery, updateSubscription } from "../src/db/webhooks";
import { MAX_ATTEMPTS, expandEvent, newDeliveryRow, webhookPayload, type EventEnvelope } from "../src/services/events/webhook-delivery";
import { signWebhook, verifyWebhook } from "../src/core/webhook-signature";
import { classifyHost, parseIpv6 } from "../src/core/net";

beforeAll(installOutbound);
// The seam stays installed: deliveries still queued when the file ends must not reach the network.
void afterAll;
void uninstallOutbound;

const db = database(env.DB);

const event = (projectId: string | null, type = "artifact.uploaded"): EventEnvelope => ({
  id: crypto.randomUUID(),
  type,
  occurred_at: new Date().toISOString(),
  project_id: projectId,
  actor: { actorType: "service_account", actorId: "sa-1", actorName: "ci" },
  request_id: "req-1",
  data: { format: "npm", repo_id: "r1", package: "left-pad", version: "1.0.0", file: "left-pad-1.0.0.tgz", digest: "sha256:ab", size: 3 },
});

async function subscribe(receiver: TestReceiver, extra: Record<string, unknown> = {}) {
  return jsonOf(
    await req("/api/admin/webhooks", { method: "POST", token: ADMIN, json: { name: unique("hook"), url: receiver.url, secret: receiver.secret, events: ["artifact.uploaded"], ...extra } }),
    201,
  );
}

/** A pending delivery written straight to D1, so no queue message exists for it. */
async function pendingDelivery(hookId: string, projectId: string | null = null) {
  const e = event(projectId);
  const row = newDeliveryRow(crypto.randomUUID(), hookId, e, webhookPayload(e), Date.now());
  await insertDelivery(db, row).run();
  return row;
}

let seq = 0;
async function runDeliveryMessage(deliveryId: string, attempts: number) {
  const id = `msg-${seq++}`;
  const batch = createMessageBatch("orbitalreg-deliveries", [{ id, timestamp: new Date(), attempts, body: { delivery_id: deliveryId } }]);
  // the harness records that a message was retried, not with which delay: watch the call
  const retry = vi.spyOn(batch.messages[0]!, "retry");
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, ctx);
  const retries = result.retryMessages.map((r) => ({ ...r, delaySeconds: retry.mock.calls[0]?.[0]?.delaySeconds }));
  return { id, result: { ...result, retryMessages: retries }, row: (await findDelivery(db, deliveryId))! };
}

describe("delivery consumer", () => {
  it("retries failures with exponential backoff, then succeeds with the same delivery id", async () => {
    const receiver = new TestReceiver();
    receiver.respond = 500;
    const hook = await subscribe(receiver);
    const d = await pendingDelivery(hook.id);

    const first = await runDeliveryMessage(d.id, 1);
    expect(first.result.retryMessages).toEqual([{ msgId: first.id, delaySeconds: 60 }]);
    expect(first.row).toMatchObject({ status: "retrying", attempts: 1, responseCode: 500, error: "the receiver answered HTTP 500" });
    expect(first.row.nextAttemptAt! - Date.now()).toBeGreaterThan(55_000);

    receiver.respond = () => {
      throw new TypeError("connection refused");
    };
    const second = await runDeliveryMessage(d.id, 2);
    expect(second.result.retryMessages).toEqual([{ msgId: second.id, delaySeconds: 120 }]);
    expect(second.row).toMatchObject({ status: "retrying", attempts: 2, responseCode: null, error: "connection refused" });

    receiver.respond = 204;
    const third = await runDeliveryMessage(d.id, 3);
    expect(third.result.retryMessages).toEqual([]);
    expect(third.result.explicitAcks).toEqual([third.id]);
    expect(third.row).toMatchObject({ status: "succeeded", attempts: 3, responseCode: 204, error: null, nextAttemptAt: null });

    expect(receiver.received.map((r) => [r.delivery, r.attempt, r.signatureValid])).toEqual([
      [d.id, "1", true],
      [d.id, "2", true],
      [d.id, "3", true],
    ]);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    // a late duplicate message for a finished delivery sends nothing
    await runDeliveryMessage(d.id, 1);
    expect(receiver.received).toHaveLength(3);
  });

  it("after the last attempt records the failure and dead-letters the message", async () => {
    const receiver = new TestReceiver();
    receiver.respond = 503;
    const hook = await subscribe(receiver);
    const d = await pendingDelivery(hook.id);
    const delays: (number | undefined)[] = [];
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      const run = await runDeliveryMessage(d.id, attempt);
      delays.push(run.result.retryMessages[0]?.delaySeconds);
    }
    expect(delays).toEqual([60, 120, 240, 480, 960, 1920, 3600]);
    const last = await runDeliveryMessage(d.id, MAX_ATTEMPTS);
    expect(last.result.retryMessages).toEqual([]);
    expect(last.result.explicitAcks).toEqual([last.id]);
    expect(last.row).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS, responseCode: 503 });
    expect(receiver.received).toHaveLength(MAX_ATTEMPTS);
    // the message travelled through the real orbitalreg-deliveries-dlq queue
    await vi.waitFor(async () => expect((await findDelivery(db, d.id))!.deadLetteredAt).not.toBeNull(), { timeout: 60_000, interval: 50 });
    const [log] = (await jsonOf(await req(`/api/admin/webhooks/${hook.id}/deliveries?status=failed`, { token: ADMIN }), 200)).items;
    expect(log).toMatchObject({ id: d.id, status: "failed", attempts: MAX_ATTEMPTS, response_code: 503 });
    expect(log.dead_lettered_at).not.toBeNull();
  });

  it("does not follow redirects, and gives up at once on disabled or refused targets", async () => {
    const elsewhere = new TestReceiver();
    const receiver = new TestReceiver();
    receiver.respond = () => new Response(null, { status: 302, headers: { Location: elsewhere.url } });
    const hook = await subscribe(receiver);
    const redirected = await runDeliveryMessage((await pendingDelivery(hook.id)).id, 1);
    expect(redirected.row).toMatchObject({ status: "retrying", responseCode: 302 });
    expect(elsewhere.received).toHaveLength(0);

    await jsonOf(await req(`/api/admin/webhooks/${hook.id}`, { method: "PATCH", token: ADMIN, json: { enabled: false } }), 200);
    const disabled = await runDeliveryMessage((await pendingDelivery(hook.id)).id, 1);
    expect(disabled.result.explicitAcks).toEqual([disabled.id]);
    expect(disabled.row).toMatchObject({ status: "failed", attempts: 0, error: "the subscription is disabled" });

    // the operator turned private targets off after this one was subscribed
    const sneaky = await subscribe(new TestReceiver());
    await updateSubscription(db, sneaky.id, { url: "http://169.254.169.254/latest" }).run();
    const refused = await runDeliveryMessage((await pendingDelivery(sneaky.id)).id, 1);
    expect(refused.row).toMatchObject({ status: "failed", attempts: 0 });
    expect(refused.row.error).toMatch(/^target refused/);
    expect(receiver.received).toHaveLength(1);
  });
});

describe("fan-out", () => {
  it("creates one delivery per matching subscription, the same ids when an event is expanded twice", async () => {
    const project = await createProject();
    const a = await subscribe(new TestReceiver(), { project_id: project.id, events: ["artifact.*"] });
    const b = await subscribe(new TestReceiver(), { events: ["*"], enabled: true });
    await subscribe(new TestReceiver(), { project_id: project.id, events: ["block.hit"] });
    await subscribe(new TestReceiver(), { project_id: project.id, events: ["artifact.uploaded"], enabled: false });
    const e = event(project.id);
    const deps = { db, env };
    const first = await expandEvent(deps, e);
    const second = await expandEvent(deps, e);
    expect(second.sort()).toEqual(first.sort());
    const rows = await Promise.all(first.map((id) => findDelivery(db, id)));
    const subs = rows.map((r) => r!.subscriptionId);
    expect(subs).toContain(a.id);
    expect(subs).toContain(b.id);
    expect(subs.length).toBe(new Set(subs).size);
    const payload = JSON.parse(rows[0]!.payload);
    expect(payload).toMatchObject({ id: e.id, type: "artifact.uploaded", project_id: project.id, actor: { type: "service_account", id: "sa-1", name: "ci" } });
    expect(payload.data).toMatchObject({ repo_id: "r1", package: "left-pad", size: 3 });
  });
});

describe("signatures and targets", () => {
  it("signs t.body and verifies within the tolerance only", async () => {
    const header = await signWebhook("k".repeat(20), '{"a":1}', 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(await verifyWebhook("k".repeat(20), '{"a":1}', header, 1_700_000_100)).toBe(true);
    expect(await verifyWebhook("k".repeat(20), '{"a":2}', header, 1_700_000_100)).toBe(false);
    expect(await verifyWebhook("x".repeat(20), '{"a":1}', header, 1_700_000_100)).toBe(false);
    expect(await verifyWebhook("k".repeat(20), '{"a":1}', header, 1_700_000_301)).toBe(false);
    expect(await verifyWebhook("k".repeat(20), '{"a":1}', `${header},v1=${"0".repeat(64)}`, 1_700_000_000)).toBe(true);
    expect(await verifyWebhook("k".repeat(20), '{"a":1}', header.replace("t=1700000000", "t=1700000001"), 1_700_000_000)).toBe(false);
  });

  it("classifies hosts", () => {
    expect(parseIpv6("::ffff:127.0.0.1")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    expect(parseIpv6("2001:db8::1")).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6("1::2::3")).toBeNull();
    expect(classifyHost("[64:ff9b::a00:1]")).toBe("private");
    expect(classifyHost("[2606:4700::1111]")).toBe("public");
    expect(classifyHost("100.64.0.1")).toBe("private");
    expect(classifyHost("0.0.0.0")).toBe("reserved");
    expect(classifyHost("8.8.8.8")).toBe("public");
    expect(classifyHost("hooks.example.com")).toBe("public");
    expect(classifyHost("LOCALHOST.")).toBe("loopback");
  });
});
