// Upstream (pull-through) repos with real clients against real upstreams on 127.0.0.1:
// a second OrbitalReg for the package formats, CNCF distribution (docker-registry) for
// OCI. Each client first installs something only the upstream has, through the proxy;
// then the upstreams are stopped and the same installs run again from a clean client
// cache: they are served from OrbitalReg's cache (metadata with a TTL of 0, so stale).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOSTPORT, URL_, api, run, scratch, setup } from "./lib.mjs";
import { startDistribution, startOrbitalReg } from "./upstreams.mjs";
import { newLayout, sha256File, writeImage, writeIndex, writeLayer } from "./oci-layout.mjs";

let work, up, dist;
const ctx = {};

before(async () => {
  work = scratch("proxy");
  [up, dist] = await Promise.all([startOrbitalReg(work), startDistribution(work)]);
});

after(async () => {
  await Promise.all([up?.proc.stop(), dist?.proc.stop()]);
});

/** A project and a repo of `format` on the upstream instance, with a writer token. */
async function upstreamRepo(format, extra = {}) {
  const slug = `up${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const project = await up.api("/api/v1/projects", { method: "POST", json: { slug } });
  const repo = await up.api("/api/v1/repos", { method: "POST", json: { project_id: project.id, slug: format, format, ...extra } });
  const sa = await up.api(`/api/v1/projects/${project.id}/service_accounts`, { method: "POST", json: { name: "ci", role: "writer" } });
  const { token } = await up.api(`/api/v1/projects/${project.id}/service_accounts/${sa.id}/tokens`, { method: "POST", json: { name: "e2e" } });
  return { project, repo, token, prefix: `${project.slug}/${repo.slug}` };
}

// ---------- npm ----------

function npmEnv(dir) {
  const userconfig = join(dir, "user.npmrc");
  writeFileSync(userconfig, "");
  return { ...process.env, npm_config_userconfig: userconfig, npm_config_cache: join(dir, "cache"), NO_UPDATE_NOTIFIER: "1" };
}
const npmrcFor = (registry, token) => `registry=${registry}\n//${new URL(registry).host}${new URL(registry).pathname}:_authToken=${token}\nfund=false\naudit=false\nupdate-notifier=false\n`;

function npmPublish(registry, token, name, version, deps = {}, body = "module.exports = () => 'hi';") {
  const dir = scratch("npm-pub");
  writeFileSync(join(dir, ".npmrc"), npmrcFor(registry, token));
  writeFileSync(join(dir, "index.js"), `${body}\n`);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version, main: "index.js", license: "MIT", dependencies: deps }));
  run("npm", ["publish"], { cwd: dir, env: npmEnv(dir) });
}

function npmInstall(registry, token, spec) {
  const dir = scratch("npm-install");
  writeFileSync(join(dir, ".npmrc"), npmrcFor(registry, token));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
  run("npm", ["install", ...spec], { cwd: dir, env: npmEnv(dir) });
  return dir;
}

test("npm installs a package tree only the upstream has, through an upstream repo", async () => {
  const u = await upstreamRepo("npm");
  const upRegistry = `${up.url}/npm/${u.prefix}/`;
  npmPublish(upRegistry, u.token, "@up/dep", "1.0.0", {}, "module.exports = () => 'dep says hi';");
  npmPublish(upRegistry, u.token, "up-app", "1.0.0", { "@up/dep": "^1.0.0" }, "module.exports = () => require('@up/dep')() + ' via app';");

  const local = await setup("npm", { kind: "upstream", upstream_url: upRegistry, config: { upstream_auth: "bearer", metadata_ttl_seconds: 0 }, upstream_secret: u.token });
  ctx.npm = { registry: `${URL_}/npm/${local.project.slug}/${local.repo.slug}/`, token: local.token };
  const dir = npmInstall(ctx.npm.registry, ctx.npm.token, ["up-app"]);
  assert.equal(run("node", ["-p", "require('up-app')()"], { cwd: dir }).trim(), "dep says hi via app");
  const lock = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8"));
  assert.match(lock.packages["node_modules/@up/dep"].integrity, /^sha512-/);
});

// ---------- OCI ----------

let ociWork, ociEnv, policy, layout, image;

test("skopeo copy and podman pull an image only the upstream (CNCF distribution) has", async () => {
  ociWork = scratch("proxy-oci");
  policy = join(ociWork, "policy.json");
  writeFileSync(policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  writeFileSync(join(ociWork, "registries.conf"), "unqualified-search-registries = []\n");
  ociEnv = { ...process.env, HOME: ociWork, CONTAINERS_REGISTRIES_CONF: join(ociWork, "registries.conf"), XDG_RUNTIME_DIR: join(ociWork, "run") };
  layout = newLayout(join(ociWork, "layout"));
  const small = await writeLayer(layout, "hello.txt", 100_000, false);
  const big = await writeLayer(layout, "data.bin", 4 * 1024 * 1024);
  image = writeImage(layout, [small, big], "amd64");
  writeIndex(layout, { v1: image });
  run("skopeo", ["--policy", policy, "copy", "--dest-tls-verify=false", `oci:${layout}:v1`, `docker://${dist.host}/team/hello:1.0`], { env: ociEnv });

  const local = await setup("docker", { kind: "upstream", upstream_url: `${dist.url}/team`, config: { metadata_ttl_seconds: 0 } });
  ctx.oci = { name: `${HOSTPORT}/${local.project.slug}/${local.repo.slug}/hello`, creds: `ci:${local.token}` };
  await pullAndCheck("first");
});

async function pullAndCheck(round) {
  const out = join(ociWork, `pulled-${round}`);
  run("skopeo", ["--policy", policy, "copy", "--src-tls-verify=false", "--src-creds", ctx.oci.creds, `docker://${ctx.oci.name}:1.0`, `oci:${out}:x`], { env: ociEnv });
  const manifest = JSON.parse(readFileSync(join(out, "blobs", "sha256", image.digest.slice(7)), "utf8"));
  for (const d of [manifest.config, ...manifest.layers]) assert.equal(await sha256File(join(out, "blobs", "sha256", d.digest.slice(7))), d.digest.slice(7));

  // podman refuses a runroot path longer than 50 characters.
  const root = mkdtempSync(join(tmpdir(), "pm-"));
  const podman = (...args) => run("podman", ["--root", join(root, "root"), "--runroot", join(root, "run"), "--storage-driver", "vfs", ...args], { env: ociEnv });
  podman("pull", "--signature-policy", policy, "--tls-verify=false", "--creds", ctx.oci.creds, `${ctx.oci.name}:1.0`);
  const inspected = JSON.parse(podman("image", "inspect", `${ctx.oci.name}:1.0`));
  assert.equal(inspected[0].Digest, image.digest);
  rmSync(root, { recursive: true, force: true });
}

// ---------- the upstreams go away ----------

test("the upstreams stop", async () => {
  await Promise.all([up.proc.stop(), dist.proc.stop()]);
  await assert.rejects(fetch(`${up.url}/health/live`));
  await assert.rejects(fetch(`${dist.url}/v2/`));
});

test("npm installs the same tree again from a clean cache, served from OrbitalReg's cache", async () => {
  const dir = npmInstall(ctx.npm.registry, ctx.npm.token, ["up-app"]);
  assert.equal(run("node", ["-p", "require('up-app')()"], { cwd: dir }).trim(), "dep says hi via app");
  const res = await fetch(`${ctx.npm.registry}up-app`, { headers: { Authorization: `Bearer ${ctx.npm.token}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-orbitalreg-cache"), "STALE");
});

test("skopeo and podman pull the same image again, served from OrbitalReg's cache", async () => {
  await pullAndCheck("again");
});
