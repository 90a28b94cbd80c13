// The CI story end to end (issue 5's e2e): a local OIDC issuer mints a job token, a
// script exchanges it for a short-lived orbx_ token, skopeo pushes an image and npm
// publishes a package with it, and a local receiver gets the signed artifact.uploaded
// webhooks and verifies them with the verification code docs/webhooks.md publishes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { randomBytes } from "node:crypto";
import { HOSTPORT, URL_, api, runAsync, scratch, snippet, unique } from "./lib.mjs";
import { startIssuer } from "./oidc-issuer.mjs";
import { newLayout, writeImage, writeIndex, writeLayer } from "./oci-layout.mjs";

let idp, receiverServer, issuer, receiver, verify;
const received = [];
const waiters = new Set();

before(async () => {
  idp = await startIssuer({ alg: "ES256" });
  issuer = idp.url;

  const file = join(scratch("ci-verify"), "verify.mjs");
  writeFileSync(file, snippet("docs/webhooks.md", "webhook-verify"));
  ({ verifyOrbitalregSignature: verify } = await import(pathToFileURL(file).href));

  receiverServer = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c)).on("end", () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks) });
      res.writeHead(204).end();
      for (const wake of waiters) wake();
    });
  });
  await new Promise((r) => receiverServer.listen(0, "127.0.0.1", r));
  receiver = `http://127.0.0.1:${receiverServer.address().port}/hooks`;
});

after(() => {
  idp.close();
  receiverServer.close();
});

/** Resolves when `pick(received)` is truthy; the receiver's arrivals wake it (no polling sleeps). */
function delivered(pick, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching delivery in ${timeoutMs} ms; got ${received.map((r) => r.raw.toString()).join("\n")}`)), timeoutMs);
    const check = () => {
      const hit = pick(received);
      if (hit) {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(hit);
      }
    };
    waiters.add(check);
    check();
  });
}

test("a CI job exchanges its OIDC token, pushes an image and an npm package, and signed webhooks arrive", async () => {
  const project = await api("/api/v1/projects", { method: "POST", json: { slug: unique("ci") } });
  const images = await api("/api/v1/repos", { method: "POST", json: { project_id: project.id, slug: "images", format: "docker" } });
  const packages = await api("/api/v1/repos", { method: "POST", json: { project_id: project.id, slug: "npm", format: "npm" } });
  await api("/api/admin/oidc/trust-policies", {
    method: "POST",
    json: { name: unique("ci"), issuer, audiences: [URL_], project_id: project.id, role: "writer", max_lifetime_seconds: 600, claim_conditions: [{ claim: "repository", match: "exact", values: ["acme/app"] }] },
  });
  const secret = randomBytes(32).toString("hex");
  await api("/api/admin/webhooks", { method: "POST", json: { name: unique("ci"), url: receiver, secret, events: ["artifact.uploaded"], project_id: project.id } });

  // The job: mint an ID token, exchange it with curl as a pipeline step would.
  const idToken = await idp.sign({ aud: URL_, sub: "repo:acme/app:ref:refs/heads/main", repository: "acme/app" });
  const exchanged = JSON.parse(
    await runAsync("curl", ["-sSf", "-X", "POST", `${URL_}/api/v1/oidc/exchange`, "-H", "Content-Type: application/json", "-d", JSON.stringify({ token: idToken })]),
  );
  assert.match(exchanged.token, /^orbx_/);
  const token = exchanged.token;

  // skopeo push with the exchanged token as the password.
  const work = scratch("ci");
  const policy = join(work, "policy.json");
  writeFileSync(policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  writeFileSync(join(work, "registries.conf"), "unqualified-search-registries = []\n");
  const env = { ...process.env, HOME: work, CONTAINERS_REGISTRIES_CONF: join(work, "registries.conf"), XDG_RUNTIME_DIR: join(work, "run") };
  const layout = newLayout(join(work, "layout"));
  const image = writeImage(layout, [await writeLayer(layout, "app.bin", 100_000)], "amd64");
  writeIndex(layout, { v1: image });
  await runAsync("skopeo", ["--policy", policy, "copy", "--dest-tls-verify=false", "--dest-creds", `ci:${token}`, `oci:${layout}:v1`, `docker://${HOSTPORT}/${project.slug}/${images.slug}/app:v1`], { env });

  // npm publish with the exchanged token in .npmrc.
  const pkg = join(work, "pkg");
  mkdirSync(pkg);
  const registry = `${URL_}/npm/${project.slug}/${packages.slug}/`;
  writeFileSync(join(pkg, ".npmrc"), `registry=${registry}\n//${HOSTPORT}/npm/${project.slug}/${packages.slug}/:_authToken=${token}\n`);
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "ci-built", version: "1.0.0", main: "index.js" }));
  writeFileSync(join(pkg, "index.js"), "module.exports = 42;\n");
  writeFileSync(join(work, "user.npmrc"), "");
  await runAsync("npm", ["publish"], { cwd: pkg, env: { ...process.env, npm_config_userconfig: join(work, "user.npmrc"), npm_config_cache: join(work, "npm-cache") } });

  // Both uploads arrive as signed artifact.uploaded deliveries.
  const isUpload = (r, format) => r.headers["x-orbitalreg-event"] === "artifact.uploaded" && JSON.parse(r.raw).data?.format === format;
  const [oci, npm] = await Promise.all([delivered((all) => all.find((r) => isUpload(r, "docker"))), delivered((all) => all.find((r) => isUpload(r, "npm")))]);
  for (const d of [oci, npm]) {
    assert.equal(verify(secret, d.raw, d.headers["x-orbitalreg-signature"]), true);
    assert.equal(verify("wrong-secret-wrong-secret", d.raw, d.headers["x-orbitalreg-signature"]), false);
    assert.match(d.headers["x-orbitalreg-delivery"], /^[0-9a-f-]{36}$/);
    assert.equal(JSON.parse(d.raw).project_id, project.id);
  }
  assert.equal(JSON.parse(npm.raw).data.package, "ci-built");
});
