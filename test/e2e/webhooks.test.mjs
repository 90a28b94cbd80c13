// Webhooks against `npm run dev`: a receiver on 127.0.0.1 (allowed because the e2e
// runner sets ORBITALREG_ALLOW_PRIVATE_WEBHOOKS=true) gets signed deliveries through
// the real Queues; the signature is checked with the verification code docs/webhooks.md
// publishes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createHmac, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { api, scratch, snippet, unique, until } from "./lib.mjs";

const received = [];
let server;
let base;
let verifyOrbitalregSignature;

before(async () => {
  // the receiver-side check docs/webhooks.md publishes, as published
  const file = join(scratch("verify"), "verify.mjs");
  writeFileSync(file, snippet("docs/webhooks.md", "webhook-verify"));
  ({ verifyOrbitalregSignature } = await import(pathToFileURL(file).href));

  server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c)).on("end", () => {
      received.push({ path: req.url, headers: req.headers, raw: Buffer.concat(chunks) });
      res.writeHead(req.url.startsWith("/fail") ? 500 : 204).end();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => server.close());

test("a repo created in a subscribed project reaches the receiver, signed", async () => {
  const secret = randomBytes(32).toString("hex");
  const project = await api("/api/v1/projects", { method: "POST", json: { slug: unique("wh") } });
  const path = `/ok/${unique("h")}`;
  const hook = await api("/api/admin/webhooks", { method: "POST", json: { name: unique("hook"), url: `${base}${path}`, secret, events: ["repo.*"], project_id: project.id } });
  assert.equal(hook.secret, undefined);

  const repo = await api("/api/v1/repos", { method: "POST", json: { project_id: project.id, slug: "files", format: "generic" } });
  const got = await until("the delivery", () => received.find((r) => r.path === path));
  assert.equal(got.headers["x-orbitalreg-event"], "repo.created");
  assert.match(got.headers["x-orbitalreg-delivery"], /^[0-9a-f-]{36}$/);
  assert.equal(verifyOrbitalregSignature(secret, got.raw, got.headers["x-orbitalreg-signature"]), true);
  assert.equal(verifyOrbitalregSignature("wrong-secret", got.raw, got.headers["x-orbitalreg-signature"]), false);
  assert.equal(verifyOrbitalregSignature(secret, Buffer.from(got.raw.toString().replace("files", "filez")), got.headers["x-orbitalreg-signature"]), false);
  // and by hand, independently of the published code
  const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(got.headers["x-orbitalreg-signature"]);
  assert.equal(createHmac("sha256", secret).update(`${t}.${got.raw}`).digest("hex"), v1);
  assert.ok(Math.abs(Date.now() / 1000 - Number(t)) < 60);

  const event = JSON.parse(got.raw);
  assert.equal(event.type, "repo.created");
  assert.equal(event.project_id, project.id);
  assert.equal(event.data.repo.id, repo.id);

  const log = await until("the delivery log", async () => {
    const items = (await api(`/api/admin/webhooks/${hook.id}/deliveries`)).items;
    return items[0]?.status === "succeeded" && items;
  });
  assert.equal(log[0].id, got.headers["x-orbitalreg-delivery"]);
  assert.equal(log[0].response_code, 204);
  assert.equal(log[0].attempts, 1);
});

test("a failing receiver is retried later, and ping reaches a working one", async () => {
  const secret = randomBytes(32).toString("hex");
  const failing = await api("/api/admin/webhooks", { method: "POST", json: { name: unique("fail"), url: `${base}/fail/${unique("x")}`, secret, events: ["block.hit"] } });
  const queued = await api(`/api/admin/webhooks/${failing.id}/ping`, { method: "POST" });
  const retrying = await until("a failed first attempt", async () => {
    const d = (await api(`/api/admin/webhooks/${failing.id}/deliveries`)).items.find((x) => x.id === queued.id);
    return d?.status === "retrying" && d;
  });
  assert.equal(retrying.attempts, 1);
  assert.equal(retrying.response_code, 500);
  const wait = Date.parse(retrying.next_attempt_at) - Date.now();
  assert.ok(wait > 30_000 && wait <= 60_000, `next attempt in ${wait} ms`);

  const path = `/ok/${unique("ping")}`;
  const working = await api("/api/admin/webhooks", { method: "POST", json: { name: unique("ok"), url: `${base}${path}`, secret, events: ["quota.exceeded"] } });
  await api(`/api/admin/webhooks/${working.id}/ping`, { method: "POST" });
  const ping = await until("the ping", () => received.find((r) => r.path === path));
  assert.equal(ping.headers["x-orbitalreg-event"], "ping");
  assert.equal(verifyOrbitalregSignature(secret, ping.raw, ping.headers["x-orbitalreg-signature"]), true);
});
