#!/usr/bin/env node
// Where an `npm install` request's time goes: the two requests an install is made of (the
// abbreviated packument and the tarball, each with the headers npm 11 sends and a token),
// one at a time on a kept-alive socket, against OrbitalReg under `npm run dev`, Verdaccio,
// and the floor Worker's trivial route (wrangler dev's own per-request cost) and its route
// that makes one D1 query (what a D1 round trip costs under the local simulator). Targets take
// turns in blocks of BENCH_N requests (A B C, then A C B, ...); each block is charged its
// server's CPU (whole process tree, /proc) and its wall time. Prints medians per request.
//
//   node bench/npm-requests.mjs        (BENCH_N=300, BENCH_ROUNDS=5; BENCH_ONLY=<regexp of labels>;
//                                       BENCH_VERBOSE=1: each round's wall/CPU too)
//
// BENCH_BASE=<another checkout, installed> also starts OrbitalReg from that tree (label
// "base"): a change measured against its base, both servers up at once and their blocks
// taking turns, so the machine's load hits both alike.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { median, request, treeCpuMs } from "./lib.mjs";
import { startFloor, startOrbitalRegWith, startVerdaccio, withServers } from "./servers.mjs";

const N = Number(process.env.BENCH_N ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const work = mkdtempSync(join(tmpdir(), "orbitalreg-npm-requests-"));

/** What npm 11 sends with an install's GETs (npm-registry-fetch, make-fetch-happen). */
const npmHeaders = (token) => ({
  "user-agent": "npm/11.6.2 node/v22.21.0 linux x64 workspaces/false",
  "npm-command": "install",
  "npm-auth-type": "web",
  "accept-encoding": "gzip,deflate",
  connection: "keep-alive",
  ...(token ? { authorization: `Bearer ${token}` } : {}),
});
const PACKUMENT_ACCEPT = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

function publish(t, dir) {
  const home = mkdtempSync(join(work, "home-"));
  const host = t.registry.replace(/^https?:/, "");
  writeFileSync(join(home, ".npmrc"), `registry=${t.registry}\n${host}:_authToken=${t.token}\naudit=false\nfund=false\nupdate-notifier=false\n`);
  const r = spawnSync("npm", ["publish", "--registry", t.registry], { cwd: dir, encoding: "utf8", env: { ...process.env, HOME: home, npm_config_userconfig: join(home, ".npmrc"), npm_config_cache: join(home, "cache") } });
  if (r.status !== 0) throw new Error(`publish to ${t.label}: ${r.stderr}`);
}

async function block(url, headers, pid) {
  const cpu0 = treeCpuMs(pid);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const res = await request(url, { headers });
    if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${res.body.toString().slice(0, 200)}`);
  }
  return { ms: (performance.now() - t0) / N, cpu: (treeCpuMs(pid) - cpu0) / N };
}

await withServers(work, async (start) => {
  const orb = await start((w) => startOrbitalRegWith(w, { format: "npm", slug: "npm", state: "orbitalreg-npm-state" }));
  const base = process.env.BENCH_BASE ? await import(join(resolve(process.env.BENCH_BASE), "bench", "servers.mjs")) : null;
  const other = base ? await start((w) => base.startOrbitalRegWith(w, { format: "npm", slug: "npm", state: "orbitalreg-base-state" })) : null;
  const ver = await start(startVerdaccio);
  const floor = await start(startFloor);
  const targets = [
    { label: "orbitalreg", registry: `${orb.target.base}/npm/bench/npm/`, token: orb.target.token, pid: orb.proc.child.pid },
    ...(other ? [{ label: "base", registry: `${other.target.base}/npm/bench/npm/`, token: other.target.token, pid: other.proc.child.pid }] : []),
    { ...ver.target, pid: ver.proc.child.pid },
  ];
  const dir = join(work, "pkg");
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "bench-probe", version: "1.0.0", main: "index.js", license: "MIT", dependencies: { "bench-x": "^1.0.0", "bench-y": "^1.0.0" } }));
  writeFileSync(join(dir, "index.js"), `module.exports = ${JSON.stringify("x".repeat(2000))};\n`);
  for (const t of targets) publish(t, dir);
  const cases = [];
  for (const t of targets) {
    cases.push({ label: `${t.label} packument`, url: `${t.registry}bench-probe`, headers: { ...npmHeaders(t.token), accept: PACKUMENT_ACCEPT }, pid: t.pid });
    cases.push({ label: `${t.label} tarball`, url: `${t.registry}bench-probe/-/bench-probe-1.0.0.tgz`, headers: { ...npmHeaders(t.token), accept: "*/*" }, pid: t.pid });
  }
  cases.push({ label: "floor trivial", url: `${floor.base}/trivial`, headers: npmHeaders(null), pid: floor.proc.child.pid });
  cases.push({ label: "floor one D1 query", url: `${floor.base}/d1`, headers: npmHeaders(null), pid: floor.proc.child.pid });
  const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
  if (only) cases.splice(0, cases.length, ...cases.filter((c) => only.test(c.label)));
  for (const c of cases) await block(c.url, c.headers, c.pid); // warm-up
  const results = new Map(cases.map((c) => [c.label, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [cases[0], ...cases.slice(1).reverse()] : cases;
    for (const c of order) results.get(c.label).push(await block(c.url, c.headers, c.pid));
  }
  console.log(`${N} sequential requests per block, ${ROUNDS} rounds; medians per request (range of the wall time)`);
  for (const [label, rs] of results) {
    const ms = rs.map((r) => r.ms);
    console.log(`${label.padEnd(24)} ${median(ms).toFixed(2)} ms wall (${Math.min(...ms).toFixed(2)}–${Math.max(...ms).toFixed(2)}), ${median(rs.map((r) => r.cpu)).toFixed(2)} ms server CPU${process.env.BENCH_VERBOSE ? ` [${rs.map((r) => `${r.ms.toFixed(2)}/${r.cpu.toFixed(2)}`).join(" ")}]` : ""}`);
  }
});
