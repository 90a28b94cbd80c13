#!/usr/bin/env node
// Install benchmark: `npm install` of a 60-package tree from OrbitalReg (under
// `wrangler dev`) against Verdaccio (npm package, started here with JWT tokens and no
// uplinks) and against the Worker floor (bench/floor-worker: the same 60 packages served
// from a Worker's memory under the same `wrangler dev`, no checks; BENCH_NPM_FLOOR=0 skips
// it), and `pip install` of a 30-package tree from OrbitalReg against a static
// PEP 503 directory served by bench/pep503-server.py (the floor). The same packages
// are published to both sides first (timed, alternating, for npm). Every install starts
// from an empty client cache and an empty target, and the targets take turns round by
// round (A B, then B A); the bench prints each round's ratio and their median.
//
//   node bench/installs.mjs      (BENCH_ROUNDS=5, BENCH_SUITES=npm,pip)
// Needs: npm, curl, and Debian's pip (python3-pip, 23.0.1: what the e2e tests use).
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readdirSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { freePort, median, startProcess, treeCpuMs, waitFor } from "./lib.mjs";
import { startFloor, startOrbitalRegWith, startVerdaccio, withServers } from "./servers.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SUITES = new Set((process.env.BENCH_SUITES ?? "npm,pip").split(","));
const NPM_PACKAGES = 60;
const PIP_PACKAGES = 30;
const work = mkdtempSync(join(tmpdir(), "orbitalreg-installs-"));

function run(cmd, args, opts = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return ms;
}

/** 60 npm packages: bench-pkg-NN depends on the next three (a DAG), a root depends on the first six. */
function npmTree(dir) {
  const name = (i) => `bench-pkg-${String(i).padStart(2, "0")}`;
  const pkgs = [];
  for (let i = 0; i < NPM_PACKAGES; i++) {
    const d = join(dir, name(i));
    mkdirSync(d, { recursive: true });
    const deps = Object.fromEntries([1, 2, 3].map((k) => i + k).filter((j) => j < NPM_PACKAGES).map((j) => [name(j), "^1.0.0"]));
    writeFileSync(join(d, "package.json"), JSON.stringify({ name: name(i), version: "1.0.0", main: "index.js", license: "MIT", dependencies: deps }));
    // Some body, so a tarball is a few KiB like a small real package.
    writeFileSync(join(d, "index.js"), `module.exports = ${JSON.stringify(createHash("sha256").update(name(i)).digest("hex").repeat(40))};\n`);
    pkgs.push(d);
  }
  const app = join(dir, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "bench-app", version: "1.0.0", private: true, dependencies: Object.fromEntries([0, 1, 2, 3, 4, 5].map((i) => [name(i), "^1.0.0"])) }));
  return { pkgs, app };
}

/** An .npmrc for one registry: its URL and token, and nothing from the user's own config. */
function npmrc(dir, t) {
  const host = t.registry.replace(/^https?:/, "");
  writeFileSync(join(dir, ".npmrc"), `registry=${t.registry}\n${host}:_authToken=${t.token}\naudit=false\nfund=false\nupdate-notifier=false\n`);
}

function npmEnv(home) {
  return { ...process.env, HOME: home, npm_config_userconfig: join(home, ".npmrc"), npm_config_cache: join(home, "cache") };
}

async function npmSuite(start) {
  const orb = await start((w) => startOrbitalRegWith(w, { format: "npm", slug: "npm", state: "orbitalreg-npm-state" }));
  const ver = await start(startVerdaccio);
  const targets = [
    { label: "orbitalreg", registry: `${orb.target.base}/npm/bench/npm/`, token: orb.target.token, pid: orb.proc.child.pid },
    { ...ver.target, pid: ver.proc.child.pid },
  ];
  // The Worker floor: an npm registry in a Worker's memory under the same `wrangler dev`
  // (bench/floor-worker: no auth, no D1, no R2, no checks). What any Worker pays here.
  if (process.env.BENCH_NPM_FLOOR !== "0") {
    const floor = await start(startFloor);
    targets.push({ label: "floor", registry: `${floor.base}/npm/`, token: "none", pid: floor.proc.child.pid });
  }
  const tree = npmTree(join(work, "npm-tree"));
  const publishMs = new Map(targets.map((t) => [t.label, 0]));
  // Publish package by package, alternating which registry goes first.
  for (const [i, dir] of tree.pkgs.entries()) {
    for (const t of i % 2 ? [...targets].reverse() : targets) {
      const home = mkdtempSync(join(work, "home-"));
      npmrc(home, t);
      publishMs.set(t.label, publishMs.get(t.label) + run("npm", ["publish", "--registry", t.registry], { cwd: dir, env: npmEnv(home) }));
      rmSync(home, { recursive: true, force: true });
    }
  }
  if (process.env.BENCH_KEEP) {
    writeFileSync(process.env.BENCH_KEEP, JSON.stringify({ targets, app: tree.app }));
    await new Promise((r) => process.once("SIGINT", r));
  }
  const installs = new Map(targets.map((t) => [t.label, []]));
  const cpu = new Map(targets.map((t) => [t.label, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of round % 2 ? [...targets].reverse() : targets) {
      const home = mkdtempSync(join(work, "home-"));
      const app = join(home, "app");
      cpSync(tree.app, app, { recursive: true });
      npmrc(home, t);
      const cpu0 = treeCpuMs(t.pid);
      installs.get(t.label).push(run("npm", ["install", "--registry", t.registry, "--no-package-lock"], { cwd: app, env: npmEnv(home) }));
      cpu.get(t.label).push(treeCpuMs(t.pid) - cpu0);
      const installed = readdirSync(join(app, "node_modules")).filter((n) => n.startsWith("bench-pkg-")).length;
      if (installed !== NPM_PACKAGES) throw new Error(`${t.label}: ${installed} packages installed, not ${NPM_PACKAGES}`);
      rmSync(home, { recursive: true, force: true });
    }
  }
  report("npm publish (60 packages, one npm publish each)", publishMs.get("orbitalreg"), publishMs.get("verdaccio"), "verdaccio");
  reportRounds("npm install (60 packages, empty cache)", installs.get("orbitalreg"), installs.get("verdaccio"), "verdaccio");
  reportCpu("npm install", cpu.get("orbitalreg"), cpu.get("verdaccio"), "verdaccio");
  if (installs.has("floor")) {
    reportRounds("npm install from the Worker floor (bench/floor-worker, same wrangler dev)", installs.get("floor"), installs.get("verdaccio"), "verdaccio", "floor");
    reportCpu("npm install", cpu.get("floor"), cpu.get("verdaccio"), "verdaccio", "floor");
  }
}

/** 30 wheels: bench_pkg_NN requires the next two; built with plain zip (no build backend needed). */
async function pipTree(dir) {
  mkdirSync(dir, { recursive: true });
  const wheels = [];
  for (let i = 0; i < PIP_PACKAGES; i++) {
    const name = `bench_pkg_${String(i).padStart(2, "0")}`;
    const requires = [1, 2].map((k) => i + k).filter((j) => j < PIP_PACKAGES).map((j) => `Requires-Dist: bench-pkg-${String(j).padStart(2, "0")}>=1.0`);
    const src = join(dir, `${name}-src`);
    const info = join(src, `${name}-1.0.0.dist-info`);
    mkdirSync(join(src, name), { recursive: true });
    mkdirSync(info, { recursive: true });
    writeFileSync(join(src, name, "__init__.py"), `VALUE = ${JSON.stringify(createHash("sha256").update(name).digest("hex").repeat(40))}\n`);
    writeFileSync(join(info, "METADATA"), `Metadata-Version: 2.1\nName: bench-pkg-${String(i).padStart(2, "0")}\nVersion: 1.0.0\n${requires.join("\n")}${requires.length ? "\n" : ""}\n`);
    writeFileSync(join(info, "WHEEL"), "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n");
    const files = [`${name}/__init__.py`, `${name}-1.0.0.dist-info/METADATA`, `${name}-1.0.0.dist-info/WHEEL`];
    const record = files.map((f) => `${f},,`).join("\n") + `\n${name}-1.0.0.dist-info/RECORD,,\n`;
    writeFileSync(join(info, "RECORD"), record);
    const wheel = join(dir, `${name}-1.0.0-py3-none-any.whl`);
    run("python3", ["-c", "import sys,zipfile,os\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)\nfor f in sys.argv[3:]: z.write(os.path.join(sys.argv[2],f),f)\nz.close()", wheel, src, ...files, `${name}-1.0.0.dist-info/RECORD`]);
    wheels.push({ name: `bench-pkg-${String(i).padStart(2, "0")}`, file: wheel });
  }
  return wheels;
}

// Debian 12's pip (23.0.1), as the e2e tests use it, with only the index given: no pip
// config file and no PIP_* settings of the machine (find-links, extra indexes, caches).
const PIP = ["/usr/bin/python3", "-m", "pip"];
const pipEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PIP_"))),
  PIP_CONFIG_FILE: "/dev/null",
  PIP_NO_CACHE_DIR: "1",
  PIP_DISABLE_PIP_VERSION_CHECK: "1",
  PYTHONDONTWRITEBYTECODE: "1",
};

async function pipSuite(start) {
  const orb = await start((w) => startOrbitalRegWith(w, { format: "pypi", slug: "py", state: "orbitalreg-pip-state" }));
  const wheels = await pipTree(join(work, "pip-tree"));
  // The floor: a static PEP 503 tree (/simple/<name>/index.html linking the wheel).
  const floorDir = join(work, "pep503");
  for (const w of wheels) {
    const d = join(floorDir, "simple", w.name);
    mkdirSync(d, { recursive: true });
    const base = w.file.split("/").pop();
    cpSync(w.file, join(d, base));
    const sha = createHash("sha256").update(spawnSync("cat", [w.file]).stdout).digest("hex");
    writeFileSync(join(d, "index.html"), `<!DOCTYPE html><html><body><a href="${base}#sha256=${sha}">${base}</a></body></html>\n`);
  }
  const port = await freePort();
  // Not `python3 -m http.server`: nobody reads its log pipe while spawnSync runs pip, and
  // once the pipe was full it stopped answering (bench/pep503-server.py says more).
  const floor = startProcess("python3", [join(root, "bench", "pep503-server.py"), String(port), floorDir]);
  await start(async () => ({ proc: floor, target: { label: "static PEP 503" } }));
  await waitFor(`http://127.0.0.1:${port}/simple/`);
  for (const w of wheels) {
    const form = spawnSync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-u", `__token__:${orb.target.token}`, "-F", ":action=file_upload", "-F", "protocol_version=1", "-F", `name=${w.name}`, "-F", "version=1.0.0", "-F", "filetype=bdist_wheel", "-F", "pyversion=py3", "-F", "metadata_version=2.1", "-F", `content=@${w.file}`, `${orb.target.base}/pypi/bench/py/`], { encoding: "utf8" });
    if (form.stdout !== "200") throw new Error(`upload ${w.name}: HTTP ${form.stdout} ${form.stderr}`);
  }
  const indexes = [
    { label: "orbitalreg", url: `http://__token__:${orb.target.token}@127.0.0.1:${new URL(orb.target.base).port}/pypi/bench/py/simple/` },
    { label: "static", url: `http://127.0.0.1:${port}/simple/` },
  ];
  const times = new Map(indexes.map((t) => [t.label, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of round % 2 ? [...indexes].reverse() : indexes) {
      const dir = mkdtempSync(join(work, "pip-"));
      times.get(t.label).push(run(PIP[0], [...PIP.slice(1), "install", "--no-input", "--target", join(dir, "site"), "--index-url", t.url, "bench-pkg-00"], { env: pipEnv }));
      const installed = readdirSync(join(dir, "site")).filter((n) => /^bench_pkg_\d+$/.test(n)).length;
      if (installed !== PIP_PACKAGES) throw new Error(`${t.label}: ${installed} packages installed, not ${PIP_PACKAGES}`);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  reportRounds("pip install (30 wheels, no cache)", times.get("orbitalreg"), times.get("static"), "static PEP 503 server");
}

function report(what, ours, theirs, other) {
  console.log(`${what}: orbitalreg ${(ours / 1000).toFixed(2)} s, ${other} ${(theirs / 1000).toFixed(2)} s → speed ${(theirs / ours).toFixed(2)}× ${other}'s`);
}

/** Server CPU (whole process tree) per install: what the server spent, whatever else ran on the machine. */
function reportCpu(what, ours, theirs, other, mine = "orbitalreg") {
  console.log(`  ${what} server CPU: ${mine} ${ours.join(" ")} ms (median ${median(ours)}); ${other} ${theirs.join(" ")} ms (median ${median(theirs)})`);
}

function reportRounds(what, ours, theirs, other, mine = "orbitalreg") {
  const ratios = ours.map((ms, i) => theirs[i] / ms);
  const sorted = [...ratios].sort((a, b) => a - b);
  const s = (xs) => xs.map((x) => (x / 1000).toFixed(2)).join(" ");
  console.log(`${what}: ${mine} ${s(ours)} s (median ${(median(ours) / 1000).toFixed(2)}); ${other} ${s(theirs)} s (median ${(median(theirs) / 1000).toFixed(2)})`);
  console.log(`  speed vs ${other}, round by round ${ratios.map((r) => r.toFixed(2)).join(" ")}; median ${median(ratios).toFixed(2)}× (range ${sorted[0].toFixed(2)}–${sorted.at(-1).toFixed(2)})`);
}

await withServers(work, async (start) => {
  if (SUITES.has("npm")) await npmSuite(start);
  if (SUITES.has("pip")) await pipSuite(start);
});
