// OIDC token exchange against `npm run dev`: a local issuer (keys made here, discovery
// and JWKS served over HTTP on 127.0.0.1) that also plays GitHub's ID-token endpoint;
// the README's GitHub Actions and GitLab CI exchange scripts run as written.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { URL_, api, run, scratch, unique } from "./lib.mjs";

/**
 * Like lib.mjs `run`, but asynchronous: the scripts call back into this process's
 * issuer (and the registry fetches its JWKS from it), so the event loop must stay free.
 */
function runAsync(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${cmd} exited ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`))));
  });
}

const REQUEST_TOKEN = `ghs_${randomBytes(16).toString("hex")}`;
let server;
let issuer;
let privateKey;
let jwk;

async function sign(claims) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: issuer, iat: now, nbf: now - 5, exp: now + 300, jti: randomBytes(8).toString("hex"), ...claims })
    .setProtectedHeader({ alg: "RS256", kid: jwk.kid, typ: "JWT" })
    .sign(privateKey);
}

const github = (aud, over = {}) => ({ aud, sub: "repo:acme/app:environment:prod", repository: "acme/app", ref: "refs/heads/main", environment: "prod", job_workflow_ref: "acme/app/.github/workflows/release.yml@refs/heads/main", ...over });
const gitlab = (over = {}) => ({ aud: URL_, sub: "project_path:acme/platform/api:ref_type:branch:ref:main", namespace_path: "acme/platform", project_path: "acme/platform/api", ref: "main", ref_protected: "true", ...over });

before(async () => {
  const pair = await generateKeyPair("RS256");
  privateKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: "e2e-1", alg: "RS256", use: "sig" };
  server = createServer(async (req, res) => {
    const url = new URL(req.url, issuer);
    const reply = (status, body) => res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
    if (url.pathname === "/.well-known/openid-configuration") return reply(200, { issuer, jwks_uri: `${issuer}/jwks` });
    if (url.pathname === "/jwks") return reply(200, { keys: [jwk] });
    if (url.pathname === "/github/id-token") {
      if (req.headers.authorization !== `bearer ${REQUEST_TOKEN}`) return reply(401, { message: "bad request token" });
      return reply(200, { value: await sign(github(url.searchParams.get("audience"))) });
    }
    reply(404, {});
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  issuer = `http://127.0.0.1:${server.address().port}`;
});

after(() => server.close());

/** The block-scalar scripts (`run: |` or `- |`) of a README code block that call the exchange. */
function exchangeScripts(fence) {
  const readme = readFileSync("README.md", "utf8");
  const start = readme.indexOf(fence);
  const block = readme.slice(start, readme.indexOf("\n```\n", start));
  const lines = block.split("\n");
  const scripts = [];
  lines.forEach((line, i) => {
    if (!/(run:|-) \|$/.test(line.trim())) return;
    const indent = line.search(/\S/);
    const body = [];
    for (let j = i + 1; j < lines.length && (lines[j].trim() === "" || lines[j].search(/\S/) > indent); j++) body.push(lines[j]);
    const pad = Math.min(...body.filter((l) => l.trim()).map((l) => l.search(/\S/)));
    const script = body.map((l) => l.slice(pad)).join("\n");
    if (script.includes("/api/v1/oidc/exchange")) scripts.push(script);
  });
  return scripts;
}

async function world(conditions, role = "writer") {
  const project = await api("/api/v1/projects", { method: "POST", json: { slug: unique("oidc") } });
  const repo = await api("/api/v1/repos", { method: "POST", json: { project_id: project.id, slug: "files", format: "generic" } });
  const policy = await api("/api/admin/oidc/trust-policies", {
    method: "POST",
    json: { name: unique("pol"), issuer, audiences: [URL_], project_id: project.id, role, max_lifetime_seconds: 900, claim_conditions: conditions },
  });
  return { project, repo, policy };
}

test("the README's GitHub Actions step exchanges the job's token, which then works as Bearer and Basic", async () => {
  const { project, repo } = await world([
    { claim: "repository", match: "exact", values: ["acme/app"] },
    { claim: "ref", match: "glob", values: ["refs/heads/main", "refs/tags/v*"] },
    { claim: "environment", match: "exact", values: ["prod"] },
  ]);
  const [script] = exchangeScripts("name: release");
  assert.ok(script, "GitHub exchange step found in README");
  const githubEnv = join(scratch("gh"), "github_env");
  writeFileSync(githubEnv, "");
  const stdout = await runAsync("bash", ["-euo", "pipefail", "-c", script], {
    env: { ...process.env, ORBITALREG_URL: URL_, ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer}/github/id-token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN, GITHUB_ENV: githubEnv },
  });
  const token = readFileSync(githubEnv, "utf8").match(/^ORBITALREG_TOKEN=(orbx_\S+)$/m)?.[1];
  assert.ok(token, `token written to GITHUB_ENV (${stdout})`);
  assert.match(stdout, new RegExp(`::add-mask::${token}`));

  const list = await api(`/api/v1/repos?project_id=${project.id}`, { token });
  assert.deepEqual(list.items.map((r) => r.id), [repo.id]);
  const basic = run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", `ci:${token}`, `${URL_}/api/v1/repos/${repo.id}`]);
  assert.equal(basic, "200");
  const denied = run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", `Authorization: Bearer ${token}`, "-H", "Content-Type: application/json", "-d", '{"slug":"nope"}', `${URL_}/api/v1/projects`]);
  assert.equal(denied, "403");

  const audit = await api(`/api/v1/audit?project_id=${project.id}&action=oidc.exchange`);
  assert.equal(audit.items.at(-1).after.outcome, "accepted");
  assert.equal(audit.items.at(-1).after.claims.repository, "acme/app");
});

test("the README's GitLab CI scripts exchange an id_tokens token; unprotected refs are refused", async () => {
  const { project, policy } = await world(
    [
      { claim: "namespace_path", match: "exact", values: ["acme/platform"] },
      { claim: "project_path", match: "glob", values: ["acme/platform/*"] },
      { claim: "ref_protected", match: "exact", values: ["true"] },
    ],
    "reader",
  );
  const scripts = exchangeScripts("variables:\n  ORBITALREG_URL");
  assert.equal(scripts.length, 2, "two GitLab exchange scripts in README");
  for (const script of scripts) {
    const env = { ...process.env, ORBITALREG_URL: URL_, ORBITALREG_ID_TOKEN: await sign(gitlab()) };
    const token = (await runAsync("bash", ["-euo", "pipefail", "-c", `${script}\nprintf '%s' "$TOKEN"`], { env })).trim();
    assert.match(token, /^orbx_/);
    const repos = await api(`/api/v1/repos?project_id=${project.id}`, { token });
    assert.equal(repos.items.length, 1);
  }
  const unprotected = { ...process.env, ORBITALREG_URL: URL_, ORBITALREG_ID_TOKEN: await sign(gitlab({ ref_protected: "false" })) };
  await assert.rejects(runAsync("bash", ["-euo", "pipefail", "-c", scripts[0]], { env: unprotected }), /exited 22/);
  // policies of two projects trust this issuer, so the refusal is filed instance-wide
  const audit = await api("/api/v1/audit?action=oidc.exchange&limit=500");
  assert.equal(audit.items.at(-1).after.reason, "claims_mismatch");
  const verdict = audit.items.at(-1).after.policies.find((p) => p.id === policy.id);
  assert.deepEqual(verdict.failed_condition, { claim: "ref_protected", actual: "false" });
});
