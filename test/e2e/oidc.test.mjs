// OIDC token exchange against `npm run dev`: a local issuer (oidc-issuer.mjs) that also
// plays GitHub's ID-token endpoint; the GitHub Actions and GitLab CI exchange scripts of
// docs/oidc.md run as written.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { URL_, api, run, runAsync, scratch, snippet, unique } from "./lib.mjs";
import { startIssuer } from "./oidc-issuer.mjs";

let idp;
let issuer;
const sign = (claims) => idp.sign(claims);

const gitlab = (over = {}) => ({ aud: URL_, sub: "project_path:acme/platform/api:ref_type:branch:ref:main", namespace_path: "acme/platform", project_path: "acme/platform/api", ref: "main", ref_protected: "true", ...over });

before(async () => {
  idp = await startIssuer();
  issuer = idp.url;
});

after(() => idp.close());

/** The block-scalar scripts (`run: |` or `- |`) of a docs/oidc.md YAML block that call the exchange. */
function exchangeScripts(block) {
  const lines = snippet("docs/oidc.md", block).split("\n");
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

test("docs/oidc.md's GitHub Actions step exchanges the job's token, which then works as Bearer and Basic", async () => {
  const { project, repo } = await world([
    { claim: "repository", match: "exact", values: ["acme/app"] },
    { claim: "ref", match: "glob", values: ["refs/heads/main", "refs/tags/v*"] },
    { claim: "environment", match: "exact", values: ["prod"] },
  ]);
  const [script] = exchangeScripts("oidc-github");
  assert.ok(script, "GitHub exchange step found in docs/oidc.md");
  const githubEnv = join(scratch("gh"), "github_env");
  writeFileSync(githubEnv, "");
  const stdout = await runAsync("bash", ["-euo", "pipefail", "-c", script], {
    env: { ...process.env, ORBITALREG_URL: URL_, ...idp.githubEnv, GITHUB_ENV: githubEnv },
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

test("docs/oidc.md's GitLab CI scripts exchange an id_tokens token; unprotected refs are refused", async () => {
  const { project, policy } = await world(
    [
      { claim: "namespace_path", match: "exact", values: ["acme/platform"] },
      { claim: "project_path", match: "glob", values: ["acme/platform/*"] },
      { claim: "ref_protected", match: "exact", values: ["true"] },
    ],
    "reader",
  );
  const scripts = exchangeScripts("oidc-gitlab");
  assert.equal(scripts.length, 2, "two GitLab exchange scripts in docs/oidc.md");
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
