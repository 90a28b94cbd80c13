// Supply-chain policy with the real clients (docs/policy.md): a security block made in
// one API request refuses the very next npm install, pip install, skopeo copy and podman
// pull, each printing what the client shows of the 451; its public page with curl and
// no credentials; a quarantined version npm skips until it is released; a GPL-only
// package refused at npm publish under a deny-GPL policy; who-pulled after three pulls
// by two tokens. Each client's output is printed as a test diagnostic (the quotes in
// docs/policy.md come from these runs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { HOSTPORT, URL_, api, run, scratch, setup, unique } from "./lib.mjs";
import { newLayout, writeImage, writeIndex, writeLayer } from "./oci-layout.mjs";

const MESSAGE = "This release was compromised: use 1.0.0 until 1.1.1 is out.";
const block = (json) => api("/api/admin/security", { method: "POST", json: { reason: "FAS-2026-0042: credential stealer", customer_message: MESSAGE, ...json } });
const fails = (cmd, args, opts) => {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 600_000, ...opts });
  assert.notEqual(r.status, 0, `${cmd} ${args.join(" ")} should fail\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}\n${r.stderr}`;
};
/**
 * Waits until the registry's log (run.mjs tees it to ORBITALREG_SERVER_LOG) holds `count`
 * request lines matching `line`: wrangler writes a request's line after the response,
 * so the client may exit first.
 */
async function answered(line, count) {
  const matches = () => readFileSync(process.env.ORBITALREG_SERVER_LOG, "utf8").replace(/\x1b\[[0-9;]*m/g, "").split("\n").filter((l) => line.test(l)).length;
  for (const deadline = Date.now() + 60_000; matches() < count && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 200));
  assert.ok(matches() >= count, `the registry's log has ${matches()} lines matching ${line}, expected ${count}`);
}
const lastLines = (text, n = 8) => text.trim().split("\n").slice(-n).join("\n");

/** An npm sandbox: a registry, a token, and npm with its own empty config and a cache per call. */
function npmFor(registry, token, name) {
  const work = scratch(name);
  const userconfig = join(work, "user.npmrc");
  writeFileSync(userconfig, "");
  const host = registry.replace(/^https?:/, "");
  const npmrc = `registry=${registry}\n${host}:_authToken=${token}\nfund=false\naudit=false\nupdate-notifier=false\n`;
  let n = 0;
  const dir = (label) => {
    const d = join(work, `${label}-${n++}`);
    mkdirSync(d);
    writeFileSync(join(d, ".npmrc"), npmrc);
    return d;
  };
  // A fresh cache for every call: each install asks the registry, as a new CI job would.
  const env = () => ({ ...process.env, npm_config_userconfig: userconfig, npm_config_cache: join(work, `cache-${n++}`), NO_UPDATE_NOTIFIER: "1" });
  return {
    dir,
    npm: (cwd, ...args) => run("npm", args, { cwd, env: env() }),
    npmFails: (cwd, ...args) => fails("npm", args, { cwd, env: env() }),
    consumer() {
      const d = dir("consumer");
      writeFileSync(join(d, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
      return d;
    },
  };
}

function publishLib(tool, name, version, extra = {}) {
  const d = tool.dir("lib");
  writeFileSync(join(d, "index.js"), `module.exports = "${version}";\n`);
  writeFileSync(join(d, "package.json"), JSON.stringify({ name, version, main: "index.js", license: "MIT", ...extra }));
  return d;
}

const installed = (dir, name) => JSON.parse(run("node", ["-p", `JSON.stringify(require("${name}/package.json").version)`], { cwd: dir }));

test("a block made in one request refuses the very next npm install, with its message in npm's output; npm install pkg@^1 picks another version; curl shows the public page", async (t) => {
  const { project, repo, token } = await setup("npm");
  const registry = `${URL_}/npm/${project.slug}/${repo.slug}/`;
  const tool = npmFor(registry, token, "policy-npm");
  const name = unique("e2e-widget");
  for (const v of ["1.0.0", "1.1.0"]) tool.npm(publishLib(tool, name, v), "publish");
  const warm = tool.consumer();
  tool.npm(warm, "install", `${name}@1.1.0`);
  assert.equal(installed(warm, name), "1.1.0");

  const b = await block({ format: "npm", package: name, versions: ["1.1.0"] });
  const out = tool.npmFails(tool.consumer(), "install", `${name}@1.1.0`);
  t.diagnostic(`npm install ${name}@1.1.0 →\n${lastLines(out)}`);
  assert.match(out, /451/);
  assert.match(out.replace(/\s+/g, " "), /This release was compromised: use 1\.0\.0 until 1\.1\.1 is out\./);
  assert.ok(out.includes(b.public_url), out);

  const ranged = tool.consumer();
  const rangedOut = tool.npm(ranged, "install", `${name}@^1`);
  t.diagnostic(`npm install ${name}@^1 →\n${lastLines(rangedOut, 3)}`);
  assert.equal(installed(ranged, name), "1.0.0");

  const page = spawnSync("curl", ["-sS", "-w", "\n%{http_code}", b.public_url], { encoding: "utf8" });
  const [html, status] = [page.stdout.slice(0, page.stdout.lastIndexOf("\n")), page.stdout.slice(page.stdout.lastIndexOf("\n") + 1)];
  assert.equal(status, "200", page.stdout + page.stderr);
  assert.ok(html.includes(MESSAGE) && html.includes(name), html);
  assert.ok(!html.includes("credential stealer"), "the reason stays off the public page");
  const json = JSON.parse(run("curl", ["-sS", "-H", "Accept: application/json", b.public_url]));
  assert.equal(json.block_id, b.id);
});

test("a blocked wheel makes Debian 12's pip 23.0.1 fail; an unpinned install takes the unblocked version", async (t) => {
  const { project, repo, token } = await setup("pypi");
  const work = scratch("policy-pypi");
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PIP_")));
  const env = { ...clean, PIP_CONFIG_FILE: "/dev/null", PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_CACHE_DIR: "1", PYTHONDONTWRITEBYTECODE: "1" };
  const pkg = unique("e2e_policy").replace(/-/g, "_");
  for (const v of ["1.0.0", "1.1.0"]) {
    const dir = join(work, `src-${v}`);
    mkdirSync(join(dir, pkg), { recursive: true });
    writeFileSync(join(dir, pkg, "__init__.py"), `VERSION = "${v}"\n`);
    writeFileSync(join(dir, "setup.py"), `from setuptools import setup\nsetup(name="${pkg}", version="${v}", packages=["${pkg}"])\n`);
    run("/usr/bin/python3", ["setup.py", "-q", "bdist_wheel"], { cwd: dir });
    run("twine", ["upload", "--non-interactive", "--disable-progress-bar", "--repository-url", `${URL_}/pypi/${project.slug}/${repo.slug}/`, "-u", "__token__", "-p", token, ...readdirSync(join(dir, "dist")).map((f) => join(dir, "dist", f))], { env });
  }
  const index = `${URL_.replace("://", `://__token__:${token}@`)}/pypi/${project.slug}/${repo.slug}/simple/`;
  const venv = join(work, "venv");
  run("/usr/bin/python3", ["-m", "venv", "--system-site-packages", venv], { env });
  assert.match(run(join(venv, "bin", "pip"), ["--version"], { env }), /^pip 23\.0\.1 /);
  const b = await block({ format: "pypi", package: pkg, versions: ["==1.1.0"] });
  const out = fails(join(venv, "bin", "pip"), ["install", "--index-url", index, `${pkg}==1.1.0`], { env });
  t.diagnostic(`pip install ${pkg}==1.1.0 →\n${lastLines(out)}`);
  assert.match(out, /451/);
  assert.match(out, /is blocked/);
  assert.ok(out.includes(b.public_url), out);
  const ok = run(join(venv, "bin", "pip"), ["install", "--index-url", index, pkg], { env });
  assert.match(ok, new RegExp(`Successfully installed ${pkg.replace(/_/g, "[-_]")}-1\\.0\\.0`, "i"));
});

test("a blocked image makes skopeo copy and podman pull fail with 451", async (t) => {
  const { project, repo, token } = await setup("docker");
  const work = scratch("policy-oci");
  const policy = join(work, "policy.json");
  writeFileSync(policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  writeFileSync(join(work, "registries.conf"), "unqualified-search-registries = []\n");
  const env = { ...process.env, HOME: work, CONTAINERS_REGISTRIES_CONF: join(work, "registries.conf"), XDG_RUNTIME_DIR: join(work, "run") };
  const layout = newLayout(join(work, "layout"));
  const image = writeImage(layout, [await writeLayer(layout, "evil.txt", 10_000, false)]);
  writeIndex(layout, { v1: image });
  const ref = `${HOSTPORT}/${project.slug}/${repo.slug}/tool:v1`;
  const creds = `ci:${token}`;
  run("skopeo", ["--policy", policy, "copy", "--dest-tls-verify=false", "--dest-creds", creds, `oci:${layout}:v1`, `docker://${ref}`], { env });
  run("skopeo", ["--policy", policy, "copy", "--src-tls-verify=false", "--src-creds", creds, `docker://${ref}`, `oci:${join(work, "before")}:v1`], { env });

  const b = await block({ format: "docker", package: "tool", versions: ["v1"] });
  const skopeoOut = fails("skopeo", ["--policy", policy, "copy", "--src-tls-verify=false", "--src-creds", creds, `docker://${ref}`, `oci:${join(work, "after")}:v1`], { env });
  t.diagnostic(`skopeo copy →\n${lastLines(skopeoOut)}`);
  // skopeo prints the OCI error (DENIED and the message), not the status: the 451 is in
  // the registry's log.
  assert.match(skopeoOut.replace(/\s+/g, " "), /denied: tool v1 is blocked: This release was compromised/);
  assert.ok(skopeoOut.includes(b.public_url), skopeoOut);
  await answered(new RegExp(`GET /v2/${project.slug}/${repo.slug}/tool/manifests/v1 451 `), 1);

  // podman refuses a runroot longer than 50 characters: a short directory of its own.
  const root = mkdtempSync(join(tmpdir(), "orb-pd-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const podmanOut = fails("podman", ["--root", join(root, "root"), "--runroot", join(root, "run"), "--storage-driver", "vfs", "pull", "--signature-policy", policy, "--tls-verify=false", "--creds", creds, ref], { env });
  t.diagnostic(`podman pull →\n${lastLines(podmanOut)}`);
  assert.match(podmanOut.replace(/\s+/g, " "), /This release was compromised/);
  await answered(new RegExp(`GET /v2/${project.slug}/${repo.slug}/tool/manifests/v1 451 `), 2);
});

test("a quarantined version is not picked by npm install pkg@^1 until released, then is", async (t) => {
  const { project, repo, token } = await setup("npm");
  const registry = `${URL_}/npm/${project.slug}/${repo.slug}/`;
  const reader = await api(`/api/v1/projects/${project.id}/service_accounts`, { method: "POST", json: { name: "reader", role: "reader" } });
  const readerToken = (await api(`/api/v1/projects/${project.id}/service_accounts/${reader.id}/tokens`, { method: "POST", json: { name: "r" } })).token;
  const publisher = npmFor(registry, token, "policy-q-pub");
  const consumer = npmFor(registry, readerToken, "policy-q-use");
  const name = unique("e2e-held");
  publisher.npm(publishLib(publisher, name, "1.0.0"), "publish");
  await api("/api/admin/quarantine/policies", { method: "POST", json: { project_id: project.id, repo_id: repo.id, require_approval: true } });
  publisher.npm(publishLib(publisher, name, "1.1.0"), "publish");

  const before = consumer.consumer();
  consumer.npm(before, "install", `${name}@^1`);
  assert.equal(installed(before, name), "1.0.0");
  const pinned = consumer.npmFails(consumer.consumer(), "install", `${name}@1.1.0`);
  t.diagnostic(`npm install ${name}@1.1.0 while held →\n${lastLines(pinned, 4)}`);
  assert.match(pinned, /notarget|No matching version|451/);

  const held = (await api(`/api/admin/quarantine/held?repo_id=${repo.id}`)).items;
  assert.deepEqual(held.map((h) => h.version), ["1.1.0"]);
  await api(`/api/admin/quarantine/held/${held[0].id}/release`, { method: "POST" });
  const after = consumer.consumer();
  consumer.npm(after, "install", `${name}@^1`);
  assert.equal(installed(after, name), "1.1.0");
});

test("a GPL-only package is refused at npm publish under a deny-GPL policy", async (t) => {
  const { project, repo, token } = await setup("npm");
  const tool = npmFor(`${URL_}/npm/${project.slug}/${repo.slug}/`, token, "policy-license");
  await api("/api/admin/license-policies", { method: "POST", json: { name: unique("no-gpl"), repo_id: repo.id, deny: ["GPL-*", "AGPL-*"], action: "block", description: "GPL code can't ship in our products." } });
  const name = unique("e2e-gpl");
  const out = tool.npmFails(publishLib(tool, name, "1.0.0", { license: "GPL-3.0-only" }), "publish");
  t.diagnostic(`npm publish (GPL-3.0-only) →\n${lastLines(out, 4)}`);
  assert.match(out, /403/);
  assert.match(out, /refuses .* 'GPL-3\.0-only' relies on GPL-3\.0-only \(denied\)/);
  tool.npm(publishLib(tool, name, "1.0.1", { license: "MIT OR GPL-3.0-only" }), "publish");
});

test("after 3 pulls by two tokens, who-pulled lists exactly those", async () => {
  const { project, repo, token, sa } = await setup("npm");
  const registry = `${URL_}/npm/${project.slug}/${repo.slug}/`;
  const other = await api(`/api/v1/projects/${project.id}/service_accounts`, { method: "POST", json: { name: "ci-two", role: "reader" } });
  const second = await api(`/api/v1/projects/${project.id}/service_accounts/${other.id}/tokens`, { method: "POST", json: { name: "two" } });
  const first = npmFor(registry, token, "policy-who-1");
  const two = npmFor(registry, second.token, "policy-who-2");
  const name = unique("e2e-pulled");
  first.npm(publishLib(first, name, "1.0.0"), "publish");
  first.npm(first.consumer(), "install", name);
  first.npm(first.consumer(), "install", name);
  two.npm(two.consumer(), "install", name);
  // The log is written by the DOWNLOADS queue's consumer (batches of up to 5 s): wait for it.
  const query = `/api/v1/security/who-pulled?repo_id=${repo.id}&package=${encodeURIComponent(name)}`;
  let pulls;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    pulls = await api(query);
    if (pulls.items.length >= 3) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(pulls.items.length, 3, JSON.stringify(pulls));
  assert.deepEqual(pulls.summary.principals.map((p) => [p.principal.id, p.downloads]), [[sa.id, 2], [other.id, 1]]);
  assert.deepEqual(pulls.summary.principals.map((p) => p.token_id)[1], second.id);
  assert.ok(pulls.items.every((i) => /^npm\/11\./.test(i.user_agent)), JSON.stringify(pulls.items.map((i) => i.user_agent)));
});

