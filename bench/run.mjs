#!/usr/bin/env node
// Benchmark: OrbitalReg under `wrangler dev`, the floor Worker under `wrangler dev`
// (only R2 streaming: the runtime's own ceiling), and CNCF distribution (Debian's
// docker-registry), measured in one run on one machine. Prints each figure and its
// ratio to the floor and to distribution; writes bench/results/<time>.json.
//
//   node bench/run.mjs            (BENCH_MB=512 blob size, BENCH_ROUNDS=2,
//                                  BENCH_TARGETS=orbitalreg,floor,distribution, BENCH_OPS: see below)
// Needs: hey and docker-registry (apt-get install -y hey docker-registry).
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { bufferBlob, hey, makeBlob, mbps, median, treeCpuMs } from "./lib.mjs";
import { startDistribution, startFloor, startOrbitalReg, withServers } from "./servers.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const MB = Number(process.env.BENCH_MB ?? 512);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CHUNK = 16 * 1024 * 1024;
// BENCH_OPS picks what to measure (default all): mono, chunked, patch, streamed, pull, manifest.
const ops = new Set((process.env.BENCH_OPS ?? "mono,chunked,patch,streamed,pull,manifest").split(","));
const work = mkdtempSync(join(tmpdir(), "orbitalreg-bench-"));

async function timeIt(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * The order of the targets in round `round`: the first one always opens the round and the
 * others swap places every other round (A B C, A C B, …). No target ever runs twice in a
 * row, and each one follows each of the others equally often.
 */
function order(runs, round) {
  const [first, ...rest] = runs;
  return [first, ...(round % 2 ? rest.reverse() : rest)];
}

/**
 * Runs `runs` ([target, (round) => Promise]) ROUNDS times each, taking turns within each
 * round (`order`), so that a drift in the machine's speed during the run (disk state
 * growing, other load) falls on every target alike; `before` runs untimed ahead of
 * each one. Records each target's best speed and least server CPU per MiB, and
 * OrbitalReg's speed and CPU over the floor's within each round.
 */
async function alternate(what, bytes, runs, before = () => {}) {
  const got = new Map(runs.map(([t]) => [t, { ms: [], cpu: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [t, run] of order(runs, round)) {
      before();
      const cpu0 = treeCpuMs(t.pid);
      got.get(t).ms.push(await timeIt(() => run(round)));
      got.get(t).cpu.push(treeCpuMs(t.pid) - cpu0);
    }
  }
  for (const [t, g] of got) {
    record(`${what} MB/s`, t.label, mbps(bytes, Math.min(...g.ms)));
    record(`${what} server CPU ms/MiB`, t.label, Math.min(...g.cpu) / (bytes / 1024 / 1024));
  }
  const of = (label) => [...got].find(([t]) => t.label === label)?.[1];
  const [ours, floor] = [of("orbitalreg"), of("floor")];
  if (!ours || !floor) return;
  paired.push([`${what} (speed)`, ours.ms.map((ms, i) => floor.ms[i] / ms)]);
  paired.push([`${what} (server CPU)`, ours.cpu.map((cpu, i) => floor.cpu[i] / cpu)]);
}

async function pushManifest(t, blob) {
  if (!ops.has("mono")) await t.pushMonolithic(blob); // else the first monolithic round pushed it
  const config = bufferBlob(Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } })));
  await t.pushMonolithic(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: blob.digest, size: blob.size }],
    }),
  );
  await t.putManifest("v1", manifest);
}

const results = {};
/** [what, ratios]: OrbitalReg over the floor within each round (the two ran back to back). */
const paired = [];
const record = (metric, label, value) => ((results[metric] ??= {})[label] = value);

await withServers(work, async (start) => {
  console.log(`bench: ${MB} MiB blob, best of ${ROUNDS} rounds; work dir ${work}`);
  // Fresh content for every push (op × round), shared by the three targets: a registry
  // that already holds a digest would only deduplicate it, which no client asks of it
  // (clients HEAD a blob before pushing it), so re-pushing one blob measures the wrong thing.
  const pushOps = ["mono", "chunked", "patch", "streamed"].filter((o) => ops.has(o));
  const fresh = {};
  for (const op of pushOps) fresh[op] = Array.from({ length: ROUNDS }, () => makeBlob(MB * 1024 * 1024));
  const blob = fresh.mono?.[0] ?? makeBlob(MB * 1024 * 1024);
  const only = (process.env.BENCH_TARGETS ?? "orbitalreg,floor,distribution").split(",");
  const starters = { orbitalreg: startOrbitalReg, floor: startFloor, distribution: startDistribution };
  const servers = [];
  for (const [name, starter] of Object.entries(starters)) if (only.includes(name)) servers.push(await start(starter));
  const targets = servers.map((s) => Object.assign(s.target, { pid: s.proc.child.pid }));

  const pushes = [
    ["mono", "push monolithic", "pushMonolithic"],
    ["chunked", "push 16 MiB chunks", "pushChunked"],
    ["patch", "push 1 PATCH, length (skopeo)", "pushPatch"],
    ["streamed", "push 1 PATCH, no length (podman)", "pushStreamed"],
  ].filter(([op]) => ops.has(op));
  for (const [op, what, method] of pushes) {
    const runs = targets.filter((t) => t[method]).map((t) => [t, (round) => t[method](fresh[op][round], CHUNK)]);
    // Start every push with no dirty pages: the kernel writing back the previous push's
    // 512 MiB (30 s later, by default) would otherwise land on a random round.
    await alternate(what, blob.size, runs, () => spawnSync("sync"));
  }
  if (ops.has("pull") || ops.has("manifest")) for (const t of targets) await pushManifest(t, blob);
  if (ops.has("pull")) {
    await alternate("pull 1 client", blob.size, targets.map((t) => [t, () => t.pull(blob.digest)]));
    await alternate("pull 4 clients", 4 * blob.size, targets.map((t) => [t, () => Promise.all([1, 2, 3, 4].map(() => t.pull(blob.digest)))]));
  }
  for (const t of ops.has("manifest") ? targets : []) {
    for (const method of ["HEAD", "GET"]) {
      for (const c of [1, 32]) {
        const r = hey(t.manifestUrl("v1"), { n: c === 1 ? 1000 : 4000, c, method, headers: t.manifestHeaders });
        record(`manifest ${method} c=${c} req/s`, t.label, r.rps);
        record(`manifest ${method} c=${c} p50 ms`, t.label, r.p50);
        record(`manifest ${method} c=${c} p99 ms`, t.label, r.p99);
      }
    }
  }
});

const fmt = (v) => (v === undefined ? "-" : v >= 100 ? v.toFixed(0) : v.toFixed(2));
const lowerIsBetter = (m) => m.endsWith(" ms") || m.endsWith(" ms/MiB");
const ratio = (ours, other, metric) => (ours && other ? (lowerIsBetter(metric) ? other / ours : ours / other).toFixed(2) + "×" : "-");
const rows = [["metric", "orbitalreg", "floor", "distribution", "vs floor", "vs distribution"]];
for (const [metric, v] of Object.entries(results)) {
  rows.push([metric, fmt(v.orbitalreg), fmt(v.floor), fmt(v.distribution), ratio(v.orbitalreg, v.floor, metric), ratio(v.orbitalreg, v.distribution, metric)]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
console.log("(ratios: >1× means OrbitalReg is better; latency ratios are other/ours)");
// Best-of ratios compare two maxima, each at the mercy of one lucky round; a ratio taken
// within each round (same minute, same disk state) and then its median is steadier.
for (const [what, ratios] of paired) {
  const sorted = [...ratios].sort((a, b) => a - b);
  console.log(`${what}: vs floor, round by round ${ratios.map((r) => r.toFixed(2)).join(" ")}; median ${median(ratios).toFixed(2)}× (range ${sorted[0].toFixed(2)}–${sorted.at(-1).toFixed(2)})`);
}
mkdirSync(join(root, "bench", "results"), { recursive: true });
writeFileSync(join(root, "bench", "results", `${new Date().toISOString().replace(/[:.]/g, "-")}.json`), JSON.stringify({ mb: MB, rounds: ROUNDS, results, paired: Object.fromEntries(paired) }, null, 2));
