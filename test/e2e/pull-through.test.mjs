// Upstream (pull-through) and virtual repos with real clients against real upstreams on
// 127.0.0.1: a second OrbitalReg for the package formats, CNCF distribution
// (docker-registry) for OCI. Each client (npm, skopeo, podman, Debian 12's pip 23.0.1,
// mvn, go 1.19, cargo) first installs something only the upstream has, through the
// proxy; an npm virtual repo resolves a local and an upstream package through one URL,
// and a name published locally to the local package; then the upstreams are stopped and
// the same installs run again from a clean client cache: they are served from
// OrbitalReg's cache (metadata with a TTL of 0, so stale).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
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

// ---------- npm: a virtual repo over a local and an upstream repo ----------

test("npm installs a local and an upstream package through one virtual repo; a name published locally resolves locally", async () => {
  const u = await upstreamRepo("npm");
  const upRegistry = `${up.url}/npm/${u.prefix}/`;
  npmPublish(upRegistry, u.token, "up-only", "1.0.0", {}, "module.exports = () => 'from upstream';");
  // The dependency-confusion case: the upstream has a higher version of a name published locally.
  npmPublish(upRegistry, u.token, "acme-internal", "9.9.9", {}, "module.exports = () => 'HOSTILE upstream copy';");

  const local = await setup("npm");
  const localRegistry = `${URL_}/npm/${local.project.slug}/${local.repo.slug}/`;
  npmPublish(localRegistry, local.token, "acme-internal", "1.0.0", {}, "module.exports = () => 'internal';");
  const upstream = await api("/api/v1/repos", { method: "POST", json: { project_id: local.project.id, slug: "npmjs", format: "npm", kind: "upstream", upstream_url: upRegistry, config: { upstream_auth: "bearer" }, upstream_secret: u.token } });
  const virtual = await api("/api/v1/repos", { method: "POST", json: { project_id: local.project.id, slug: "all", format: "npm", kind: "virtual", virtual_members: [local.repo.id, upstream.id], config: { deploy_member: local.repo.id } } });
  const registry = `${URL_}/npm/${local.project.slug}/${virtual.slug}/`;
  const dir = npmInstall(registry, local.token, ["up-only", "acme-internal"]);
  assert.equal(run("node", ["-p", "require('up-only')() + ' / ' + require('acme-internal')()"], { cwd: dir }).trim(), "from upstream / internal");
  const lock = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8"));
  assert.equal(lock.packages["node_modules/acme-internal"].version, "1.0.0");
});

// ---------- PyPI ----------

const SYSTEM_PYTHON = "/usr/bin/python3";
const cleanEnv = () => ({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PIP_"))), PIP_CONFIG_FILE: "/dev/null", PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_CACHE_DIR: "1", PYTHONDONTWRITEBYTECODE: "1" });

test("pip (Debian 12's 23.0.1) installs a package only the upstream has, through an upstream repo", async () => {
  const u = await upstreamRepo("pypi");
  const dir = scratch("pypi-build");
  mkdirSync(join(dir, "up_lib"));
  writeFileSync(join(dir, "up_lib", "__init__.py"), "WHERE = 'upstream'\n");
  writeFileSync(join(dir, "setup.py"), `from setuptools import setup\nsetup(name="up-lib", version="2.0.0", packages=["up_lib"])\n`);
  run(SYSTEM_PYTHON, ["setup.py", "-q", "sdist", "bdist_wheel"], { cwd: dir });
  const dists = readdirSync(join(dir, "dist")).map((f) => join(dir, "dist", f));
  run("twine", ["upload", "--non-interactive", "--disable-progress-bar", "--repository-url", `${up.url}/pypi/${u.prefix}/`, "-u", "__token__", "-p", u.token, ...dists], { env: cleanEnv() });

  const local = await setup("pypi", { kind: "upstream", upstream_url: `${up.url}/pypi/${u.prefix}/`, config: { upstream_auth: "basic", upstream_username: "__token__", metadata_ttl_seconds: 0 }, upstream_secret: u.token });
  ctx.pypi = { index: `${URL_.replace("://", `://__token__:${local.token}@`)}/pypi/${local.project.slug}/${local.repo.slug}/simple/` };
  await pipInstall("first");
});

async function pipInstall(round) {
  const venv = join(scratch(`venv-${round}`), "venv");
  run(SYSTEM_PYTHON, ["-m", "venv", "--system-site-packages", venv], { env: cleanEnv() });
  assert.match(run(join(venv, "bin", "pip"), ["--version"], { env: cleanEnv() }), /^pip 23\.0\.1 /);
  const out = run(join(venv, "bin", "pip"), ["install", "--index-url", ctx.pypi.index, "up-lib==2.0.0"], { env: cleanEnv() });
  assert.match(out, /Successfully installed up-lib-2\.0\.0/i);
  assert.equal(run(join(venv, "bin", "python"), ["-c", "import up_lib; print(up_lib.WHERE)"], { env: cleanEnv(), cwd: venv }).trim(), "upstream");
}

// ---------- Maven ----------

const mavenSettings = (dir, servers) => {
  const file = join(dir, "settings.xml");
  writeFileSync(file, `<settings>\n  <servers>${servers.map((s) => `<server><id>${s.id}</id><username>ci</username><password>${s.token}</password></server>`).join("")}</servers>\n  <mirrors><mirror><id>debian</id><mirrorOf>central</mirrorOf><url>file:///usr/share/maven-repo</url></mirror></mirrors>\n</settings>\n`);
  return file;
};
const JAVA_PROPS = "<properties><maven.compiler.source>17</maven.compiler.source><maven.compiler.target>17</maven.compiler.target><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>";

test("mvn resolves a jar only the upstream has, through an upstream repo", async () => {
  const u = await upstreamRepo("maven");
  const work = scratch("maven-up");
  const upUrl = `${up.url}/maven/${u.prefix}`;
  const lib = join(work, "lib");
  mkdirSync(join(lib, "src/main/java/com/up"), { recursive: true });
  writeFileSync(join(lib, "pom.xml"), `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion><groupId>com.up</groupId><artifactId>greeter</artifactId><version>3.1</version><packaging>jar</packaging>${JAVA_PROPS}<distributionManagement><repository><id>up</id><url>${upUrl}</url></repository></distributionManagement></project>\n`);
  writeFileSync(join(lib, "src/main/java/com/up/Greeter.java"), `package com.up;\npublic class Greeter { public static String greet() { return "maven upstream"; } }\n`);
  run("mvn", ["-B", "-q", "-s", mavenSettings(work, [{ id: "up", token: u.token }]), `-Dmaven.repo.local=${join(work, "m2-producer")}`, "deploy", "-DskipTests"], { cwd: lib });

  const local = await setup("maven", { kind: "upstream", upstream_url: upUrl, config: { upstream_auth: "basic", upstream_username: "ci", metadata_ttl_seconds: 0 }, upstream_secret: u.token });
  ctx.maven = { url: `${URL_}/maven/${local.project.slug}/${local.repo.slug}`, token: local.token };
  mvnResolve("first");
});

function mvnResolve(round) {
  const work = scratch(`maven-app-${round}`);
  const app = join(work, "app");
  mkdirSync(join(app, "src/main/java/app"), { recursive: true });
  writeFileSync(join(app, "pom.xml"), `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion><groupId>app</groupId><artifactId>app</artifactId><version>1</version>${JAVA_PROPS}<repositories><repository><id>orb</id><url>${ctx.maven.url}</url></repository></repositories><dependencies><dependency><groupId>com.up</groupId><artifactId>greeter</artifactId><version>3.1</version></dependency></dependencies></project>\n`);
  writeFileSync(join(app, "src/main/java/app/Main.java"), `package app;\npublic class Main { public static void main(String[] a) { System.out.println(com.up.Greeter.greet()); } }\n`);
  const m2 = join(work, "m2");
  run("mvn", ["-B", "-q", "-s", mavenSettings(work, [{ id: "orb", token: ctx.maven.token }]), `-Dmaven.repo.local=${m2}`, "package", "-DskipTests"], { cwd: app });
  assert.equal(run("java", ["-cp", `${join(app, "target/classes")}:${join(m2, "com/up/greeter/3.1")}/*`, "app.Main"]).trim(), "maven upstream");
}

// ---------- Go ----------

const MODULE = "example.com/Up/hello";
const escapedModule = MODULE.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);

test("go get fetches a module only the upstream has, through an upstream repo (GOPROXY)", async () => {
  const u = await upstreamRepo("go", { visibility: "public" });
  const work = scratch("go-up");
  const zip = join(work, "v1.2.0.zip");
  run("python3", ["-c", `
import sys, zipfile
p = "${MODULE}@v1.2.0/"
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr(p + "go.mod", "module ${MODULE}\\n\\ngo 1.19\\n")
    z.writestr(p + "hello.go", 'package hello\\n\\nfunc Hello() string { return "go upstream" }\\n')
`, zip]);
  run("curl", ["-sf", "-u", `ci:${u.token}`, "-T", zip, `${up.url}/go/${u.prefix}/${escapedModule}/@v/v1.2.0.zip`]);
  const local = await setup("go", { kind: "upstream", upstream_url: `${up.url}/go/${u.prefix}/`, visibility: "public", config: { metadata_ttl_seconds: 0 } });
  ctx.go = { proxy: `${URL_}/go/${local.project.slug}/${local.repo.slug}` };
  goGet("first");
});

function goGet(round) {
  const work = scratch(`go-app-${round}`);
  const app = join(work, "app");
  mkdirSync(app);
  writeFileSync(join(app, "go.mod"), "module example.com/app\n\ngo 1.19\n");
  writeFileSync(join(app, "main.go"), `package main\n\nimport (\n\t"fmt"\n\t"${MODULE}"\n)\n\nfunc main() { fmt.Println(hello.Hello()) }\n`);
  const env = { ...process.env, GOPROXY: ctx.go.proxy, GOFLAGS: "-mod=mod", GONOSUMDB: "example.com", GOPATH: join(work, "gopath"), GOMODCACHE: join(work, "gopath", "mod"), GOCACHE: join(work, "gocache"), GOTOOLCHAIN: "local" };
  run("go", ["get", `${MODULE}@v1.2.0`], { cwd: app, env });
  assert.equal(run("go", ["run", "."], { cwd: app, env }).trim(), "go upstream");
}

// ---------- Cargo ----------

const rustupCargo = join(homedir(), ".cargo", "bin", "cargo");
const CARGO = process.env.CARGO_BIN ?? (spawnSync("cargo", ["--version"]).status === 0 || !existsSync(rustupCargo) ? "cargo" : rustupCargo);

function cargoHome(dir, registries) {
  const home = join(dir, "cargo-home");
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, "config.toml"), `[registry]\nglobal-credential-providers = ["cargo:token"]\n\n${registries.map((r) => `[registries.${r.name}]\nindex = "${r.index}"\n`).join("\n")}\n[net]\nretry = 0\n`);
  return home;
}

function crateDir(dir, name, version, deps, lib) {
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "Cargo.toml"), `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\ndescription = "e2e ${name}"\nlicense = "MIT"\n\n[dependencies]\n${deps}\n`);
  writeFileSync(join(dir, "src", "lib.rs"), lib);
}

test("cargo builds against a crate only the upstream has, through an upstream repo (sparse index)", async () => {
  const u = await upstreamRepo("cargo");
  const work = scratch("cargo-up");
  const upIndex = `${up.url}/cargo/${u.prefix}/index/`;
  const home = cargoHome(work, [{ name: "up", index: `sparse+${upIndex}` }]);
  const lib = join(work, "lib");
  crateDir(lib, "up_greet", "0.3.0", "", 'pub fn greet() -> &\'static str { "cargo upstream" }\n');
  run(CARGO, ["publish", "--registry", "up", "--allow-dirty", "--no-verify"], { cwd: lib, env: { ...process.env, CARGO_HOME: home, CARGO_REGISTRIES_UP_TOKEN: u.token, CARGO_TERM_COLOR: "never" } });

  const local = await setup("cargo", { kind: "upstream", upstream_url: upIndex, config: { upstream_auth: "bearer", metadata_ttl_seconds: 0 }, upstream_secret: u.token });
  ctx.cargo = { index: `sparse+${URL_}/cargo/${local.project.slug}/${local.repo.slug}/index/`, token: local.token };
  cargoBuild("first");
});

function cargoBuild(round) {
  const work = scratch(`cargo-app-${round}`);
  const home = cargoHome(work, [{ name: "orb", index: ctx.cargo.index }]);
  const app = join(work, "app");
  crateDir(app, "orb_app", "0.1.0", `up_greet = { version = "0.3", registry = "orb" }`, 'pub fn run() -> &\'static str { up_greet::greet() }\n#[test]\nfn works() { assert_eq!(run(), "cargo upstream"); }\n');
  const env = { ...process.env, CARGO_HOME: home, CARGO_REGISTRIES_ORB_TOKEN: ctx.cargo.token, CARGO_TERM_COLOR: "never" };
  run(CARGO, ["build"], { cwd: app, env });
  const tested = spawnSync(CARGO, ["test", "--quiet"], { cwd: app, env, encoding: "utf8" });
  assert.equal(tested.status, 0, tested.stderr);
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

test("pip installs the same package again, served from OrbitalReg's cache", async () => {
  await pipInstall("again");
});

test("mvn resolves the same jar again, served from OrbitalReg's cache", () => {
  mvnResolve("again");
});

test("go get fetches the same module again, served from OrbitalReg's cache", () => {
  goGet("again");
});

test("cargo builds against the same crate again, served from OrbitalReg's cache", () => {
  cargoBuild("again");
});
