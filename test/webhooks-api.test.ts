import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ADMIN, createProject, createRepo, createServiceAccount, createUser, jsonOf, mintTokenFull, mintUserToken, projectWithToken, req, unique } from "./helpers";
import { installOutbound, uninstallOutbound } from "./support/outbound";
import { TestReceiver } from "./support/receiver";

beforeAll(installOutbound);
// The seam stays installed: deliveries still queued when the file ends must not reach the network.
void afterAll;
void uninstallOutbound;

const until = <T>(fn: () => T | Promise<T>) => vi.waitFor(fn, { timeout: 60_000, interval: 50 });

async function subscribe(receiver: TestReceiver, extra: Record<string, unknown> = {}) {
  return jsonOf(
    await req("/api/admin/webhooks", { method: "POST", token: ADMIN, json: { name: unique("hook"), url: receiver.url, secret: receiver.secret, events: ["repo.*"], ...extra } }),
    201,
  );
}

const deliveries = async (hookId: string) => (await jsonOf(await req(`/api/admin/webhooks/${hookId}/deliveries`, { token: ADMIN }), 200)).items;

describe("webhook subscriptions (admin API)", () => {
  it("is for instance admins only", async () => {
    expect((await req("/api/admin/webhooks")).status).toBe(401);
    const { token } = await projectWithToken("admin");
    expect((await req("/api/admin/webhooks", { token })).status).toBe(403);
    expect((await req("/api/admin/webhooks/event-types", { token })).status).toBe(403);
  });

  it("never returns the secret, not even in the audit log, and records rotations", async () => {
    const receiver = new TestReceiver();
    const hook = await subscribe(receiver, { description: "ci" });
    expect(hook).toMatchObject({ url: receiver.url, events: ["repo.*"], enabled: true, project_id: null, description: "ci" });
    expect(JSON.stringify(hook)).not.toContain(receiver.secret);
    expect(hook).not.toHaveProperty("secret");
    const got = await req(`/api/admin/webhooks/${hook.id}`, { token: ADMIN });
    expect(await got.clone().text()).not.toContain(receiver.secret);
    expect(await jsonOf(got, 200)).toEqual(hook);
    const list = await req("/api/admin/webhooks?limit=500", { token: ADMIN });
    expect(await list.text()).not.toContain(receiver.secret);

    const rotated = await jsonOf(await req(`/api/admin/webhooks/${hook.id}`, { method: "PATCH", token: ADMIN, json: { secret: "a-brand-new-secret-value" } }), 200);
    expect(rotated.secret_updated_at >= hook.secret_updated_at).toBe(true);
    const audit = await req(`/api/v1/audit?resource_id=${hook.id}`, { token: ADMIN });
    const auditText = await audit.clone().text();
    expect(auditText).not.toContain(receiver.secret);
    expect(auditText).not.toContain("a-brand-new-secret-value");
    const rows = (await jsonOf(audit, 200)).items;
    expect(rows.map((r: any) => r.action)).toEqual(["webhook.create", "webhook.update"]);
    expect(rows[1].after.secret_changed).toBe(true);

    expect((await req(`/api/admin/webhooks/${hook.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect((await req(`/api/admin/webhooks/${hook.id}`, { token: ADMIN })).status).toBe(404);
  });

  it("refuses private, loopback and link-local targets while ORBITALREG_ALLOW_PRIVATE_WEBHOOKS is off", async () => {
    const code = async (url: string) =>
      (await jsonOf(await req("/api/admin/webhooks", { method: "POST", token: ADMIN, json: { name: unique("h"), url, secret: "0123456789abcdef", events: ["*"] } }), 400)).error.code;
    for (const url of [
      "http://127.0.0.1:8080/hook",
      "http://2130706433/hook",
      "http://0x7f.1/hook",
      "http://localhost/hook",
      "http://api.localhost/hook",
      "http://10.1.2.3/hook",
      "http://172.20.0.1/hook",
      "http://192.168.1.10/hook",
      "http://169.254.169.254/latest/meta-data",
      "http://[::1]/hook",
      "http://[::ffff:127.0.0.1]/hook",
      "http://[fe80::1]/hook",
      "http://[fd00::1]/hook",
      "http://metadata.google.internal/",
      "http://printer.local/",
    ]) {
      expect(await code(url), url).toBe("InvalidWebhookUrl");
    }
    expect(await code("ftp://files.example.com/x")).toBe("InvalidWebhookUrl");
  });

  it("validates events, secret and project", async () => {
    const receiver = new TestReceiver();
    const body = (extra: Record<string, unknown>) => ({ name: unique("h"), url: receiver.url, secret: receiver.secret, events: ["*"], ...extra });
    const post = async (extra: Record<string, unknown>) => (await jsonOf(await req("/api/admin/webhooks", { method: "POST", token: ADMIN, json: body(extra) }), 400)).error.code;
    expect(await post({ events: ["artifact.uplaoded"] })).toBe("InvalidWebhookEvents");
    expect(await post({ events: ["nothing.*"] })).toBe("InvalidWebhookEvents");
    expect(await post({ events: [] })).toBe("InvalidRequest");
    expect(await post({ secret: "short" })).toBe("InvalidRequest");
    expect(await post({ project_id: "missing" })).toBe("InvalidWebhookProject");
    expect(await post({ events: ["token.created", "manifest.label.*", "nothing.*"] })).toBe("InvalidWebhookEvents");
    const emittedBeforeTheCatalogueHadThem = ["artifact.updated", "manifest.label.added", "manifest.label.deleted", "member.set", "member.removed", "service_account.updated", "service_account.deleted", "token.created", "token.revoked", "user.created", "user.deleted"];
    for (const events of [["*"], ["artifact.*", "block.hit"], ["finding.threshold-exceeded", "quota.exceeded"], ["token.*", "user.*", "member.*", "manifest.*", "manifest.label.*"], emittedBeforeTheCatalogueHadThem]) {
      await jsonOf(await req("/api/admin/webhooks", { method: "POST", token: ADMIN, json: body({ events, enabled: false }) }), 201);
    }
  });

  it("publishes the event catalog and the routes in OpenAPI", async () => {
    const items = (await jsonOf(await req("/api/admin/webhooks/event-types", { token: ADMIN }), 200)).items;
    const types = items.map((t: any) => t.type);
    expect(types).toEqual(expect.arrayContaining(["artifact.uploaded", "artifact.promoted", "artifact.deleted", "finding.created", "finding.threshold-exceeded", "block.created", "block.hit", "retention.deleted", "policy.changed", "quota.exceeded"]));
    expect(types).toEqual(expect.arrayContaining(["artifact.updated", "token.created", "token.revoked", "user.created", "member.set", "manifest.label.added"]));
    expect(items.find((t: any) => t.type === "finding.created")).toMatchObject({ status: "emitted" });
    const quota = items.find((t: any) => t.type === "quota.exceeded");
    expect(quota).toMatchObject({ status: "emitted", data_schema: { type: "object", required: expect.arrayContaining(["rejected", "limits", "usage"]) } });
    const doc = await jsonOf(await req("/api/openapi.json"), 200);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/admin/webhooks", "/api/admin/webhooks/{id}/deliveries", "/api/admin/webhooks/{id}/deliveries/{delivery}/redeliver"]));
    expect(JSON.stringify(doc.components.schemas.Webhook)).not.toContain('"secret"');
  });
});

describe("deliveries through the real queues", () => {
  it("signs and delivers a matching event to its project's subscribers only", async () => {
    const project = await createProject();
    const other = await createProject();
    const receiver = new TestReceiver();
    const hook = await subscribe(receiver, { project_id: project.id });
    const otherProjectHook = await subscribe(new TestReceiver(), { project_id: other.id });
    const otherEventsHook = await subscribe(new TestReceiver(), { project_id: project.id, events: ["artifact.*"] });

    const repo = await createRepo(project.id, "generic");
    await until(() => expect(receiver.received.length).toBe(1));
    const got = receiver.received[0]!;
    expect(got.signatureValid).toBe(true);
    expect(got.event).toBe("repo.created");
    expect(got.contentType).toBe("application/json");
    expect(got.delivery).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(got.json).toMatchObject({ type: "repo.created", project_id: project.id, actor: { type: "instance_admin" }, data: { repo: { id: repo.id, project_id: project.id, slug: repo.slug } } });

    await until(async () => expect((await deliveries(hook.id))[0]?.status).toBe("succeeded"));
    const [log] = await deliveries(hook.id);
    expect(log).toMatchObject({ id: got.delivery, event_type: "repo.created", event_id: got.json.id, attempts: 1, response_code: 200, error: null });
    expect(log.latency_ms).toBeGreaterThanOrEqual(0);
    expect(await deliveries(otherProjectHook.id)).toEqual([]);
    expect(await deliveries(otherEventsHook.id)).toEqual([]);

    const detail = await jsonOf(await req(`/api/admin/webhooks/${hook.id}/deliveries/${log.id}`, { token: ADMIN }), 200);
    expect(detail.payload).toEqual(got.json);
  });

  it("announces every live token of a deleted service account or user as revoked, once", async () => {
    const project = await createProject();
    const receiver = new TestReceiver();
    await subscribe(receiver, { project_id: project.id, events: ["token.revoked", "service_account.deleted"] });
    const sa = await createServiceAccount(project.id);
    const live = [await mintTokenFull(project.id, sa.id), await mintTokenFull(project.id, sa.id)];
    const revoked = await mintTokenFull(project.id, sa.id);
    const tokensOf = `/api/v1/projects/${project.id}/service_accounts/${sa.id}/tokens`;
    expect((await req(`${tokensOf}/${revoked.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    await until(() => expect(receiver.received.map((r) => r.json.data.token?.id)).toContain(revoked.id));
    expect((await req(`/api/v1/projects/${project.id}/service_accounts/${sa.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);

    await until(() => expect(receiver.received.filter((r) => r.event === "token.revoked")).toHaveLength(3));
    await until(() => expect(receiver.received.some((r) => r.event === "service_account.deleted")).toBe(true));
    const announced = receiver.received.filter((r) => r.event === "token.revoked").map((r) => r.json.data.token);
    expect(announced.map((t) => t.id).sort()).toEqual([...live.map((t) => t.id), revoked.id].sort());
    for (const t of announced) expect(t.revoked_at).toEqual(expect.any(Number));
    expect(JSON.stringify(announced)).not.toMatch(/hash/i);

    const watcher = new TestReceiver();
    await subscribe(watcher, { events: ["token.revoked"] });
    const user = await createUser();
    const userToken = await mintUserToken(user.id);
    expect((await req(`/api/admin/users/${user.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    await until(() => expect(watcher.received.map((r) => r.json.data.token.id)).toContain(userToken.id));
  });

  it("announces subscription changes instance-wide, without the secret or the full URL", async () => {
    const watcher = new TestReceiver();
    await subscribe(watcher, { events: ["webhook.*"] });
    const project = await createProject();
    const target = new TestReceiver();
    const created = await subscribe(target, { project_id: project.id, url: `${target.url}?token=hunter2` });
    await until(() => expect(watcher.received.some((r) => r.json.data.webhook.id === created.id)).toBe(true));
    const got = watcher.received.find((r) => r.json.data.webhook.id === created.id)!;
    expect(got).toMatchObject({ event: "webhook.created", signatureValid: true });
    expect(got.json.project_id).toBeNull();
    expect(got.json.data.webhook).toMatchObject({ name: created.name, url_host: new URL(target.url).host, project_id: project.id });
    expect(got.body).not.toContain("hunter2");
    expect(got.body).not.toContain(target.secret);
  });

  it("pings on demand and redelivers as a new delivery with the same payload", async () => {
    const receiver = new TestReceiver();
    const hook = await subscribe(receiver, { events: ["quota.exceeded"] });
    const queued = await jsonOf(await req(`/api/admin/webhooks/${hook.id}/ping`, { method: "POST", token: ADMIN }), 202);
    expect(queued).toMatchObject({ event_type: "ping", status: "pending", attempts: 0 });
    await until(() => expect(receiver.received.length).toBe(1));
    expect(receiver.received[0]).toMatchObject({ event: "ping", delivery: queued.id, signatureValid: true });

    const again = await jsonOf(await req(`/api/admin/webhooks/${hook.id}/deliveries/${queued.id}/redeliver`, { method: "POST", token: ADMIN }), 202);
    expect(again).toMatchObject({ redelivery_of: queued.id, status: "pending", event_id: queued.event_id });
    expect(again.id).not.toBe(queued.id);
    await until(() => expect(receiver.received.length).toBe(2));
    expect(receiver.received[1]).toMatchObject({ delivery: again.id, signatureValid: true, body: receiver.received[0]!.body });

    await jsonOf(await req(`/api/admin/webhooks/${hook.id}`, { method: "PATCH", token: ADMIN, json: { enabled: false } }), 200);
    expect((await jsonOf(await req(`/api/admin/webhooks/${hook.id}/ping`, { method: "POST", token: ADMIN }), 409)).error.code).toBe("ConflictWebhookDisabled");
    expect((await req(`/api/admin/webhooks/${hook.id}/deliveries/nope/redeliver`, { method: "POST", token: ADMIN })).status).toBe(404);
  });
});
