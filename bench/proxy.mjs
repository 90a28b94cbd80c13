#!/usr/bin/env node
// Pull-through benchmark (docs/performance.md, "Upstream repos"): OrbitalReg under
// `wrangler dev` with an upstream docker repo in front of CNCF distribution (Debian's
// docker-registry), both started here, measured in one run, rounds alternating.
//
//   cached  a blob pulled through the upstream repo once, then pulled again (served from
//           the cache), against the same pull of another blob of that size from a local
//           repo of the same OrbitalReg: the pull-through path's cost on a hit
//   miss    a fresh blob pushed to distribution (untimed), then pulled from distribution
//           directly and through the upstream repo (a miss: streamed, then stored), in
//           alternating order; also how long until it is stored (the next request for it
//           waits for the store, then is served from the cache)
//
//   node bench/proxy.mjs     (BENCH_MB=256, BENCH_ROUNDS=4; needs docker-registry)
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { makeBlob, mbps, median, request } from "./lib.mjs";
import { startDistribution, startOrbitalReg, withServers } from "./servers.mjs";
import { registryTarget } from "./targets.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const MB = Number(process.env.BENCH_MB ?? 256);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const work = mkdtempSync(join(tmpdir(), "orbitalreg-bench-proxy-"));

async function timed(fn) {
  const t0 = performance.now();
  const out = await fn();
  return { ms: performance.now() - t0, out };
}

/** A pull that must be a whole 200 of `size` bytes; returns the response headers. */
async function pull(url, auth, size) {
  const res = await request(url, { headers: auth ? { Authorization: auth } : {}, sink: true });
  if (res.status !== 200 || res.bytes !== size) throw new Error(`pull ${url}: HTTP ${res.status}, ${res.bytes} of ${size} bytes`);
  return res.headers;
}

const out = { mb: MB, rounds: ROUNDS, cached: [], miss: [] };

await withServers(work, async (start) => {
  const dist = await start(startDistribution);
  const orb = await start((w) => startOrbitalReg(w, { vars: ["ORBITALREG_ALLOW_PRIVATE_UPSTREAMS:true"] }));
  await orb.api("/api/v1/repos", { project_id: orb.project.id, slug: "hub", format: "docker", kind: "upstream", upstream_url: `${dist.base}/bench` });
  const local = orb.target; // bench/images/app, a local repo
  const viaProxy = (digest) => `${orb.base}/v2/bench/hub/images/blobs/${digest}`;
  const direct = (digest) => `${dist.base}/v2/bench/images/blobs/${digest}`;
  const upstreamTarget = registryTarget("distribution", dist.base, "bench/images");
  const size = MB * 1024 * 1024;
  console.log(`bench proxy: ${MB} MiB blobs, ${ROUNDS} rounds; work dir ${work}`);

  // Cached pulls: one blob in the local repo, another pulled through once.
  const localBlob = makeBlob(size);
  await local.pushMonolithic(localBlob);
  const cachedBlob = makeBlob(size);
  await upstreamTarget.pushMonolithic(cachedBlob);
  await pull(viaProxy(cachedBlob.digest), orb.auth, size);
  const stored = await pull(viaProxy(cachedBlob.digest), orb.auth, size); // waits for the store
  if (stored["x-orbitalreg-cache"]) throw new Error("the second pull was not served from the cache");
  for (let round = 0; round < ROUNDS; round++) {
    const runs = [
      ["local", () => pull(`${orb.base}/v2/bench/images/app/blobs/${localBlob.digest}`, orb.auth, size)],
      ["cached", () => pull(viaProxy(cachedBlob.digest), orb.auth, size)],
    ];
    if (round % 2) runs.reverse();
    const t = {};
    for (const [name, fn] of runs) t[name] = (await timed(fn)).ms;
    out.cached.push({ local: mbps(size, t.local), cached: mbps(size, t.cached), ratio: t.local / t.cached });
    console.log(`cached round ${round + 1}: local ${mbps(size, t.local).toFixed(0)} MB/s, through the upstream repo ${mbps(size, t.cached).toFixed(0)} MB/s: ${(t.local / t.cached).toFixed(2)}×`);
  }

  // Misses: a fresh blob each round, pulled directly and through the proxy (alternating order).
  for (let round = 0; round < ROUNDS; round++) {
    const blob = makeBlob(size);
    await upstreamTarget.pushMonolithic(blob);
    const steps = [
      ["direct", () => pull(direct(blob.digest), null, size)],
      ["miss", () => pull(viaProxy(blob.digest), orb.auth, size)],
    ];
    if (round % 2) steps.reverse();
    const t = {};
    let missEnd = 0;
    let missStart = 0;
    for (const [name, fn] of steps) {
      if (name === "miss") missStart = performance.now();
      const r = await timed(fn);
      t[name] = r.ms;
      if (name === "miss") {
        if (r.out["x-orbitalreg-cache"] !== "MISS") throw new Error("expected a miss");
        missEnd = performance.now();
      }
    }
    // The store may still be going (a store slower than the client reads the rest itself): the next request waits for it.
    const after = await timed(() => pull(viaProxy(blob.digest), orb.auth, size));
    const storedMs = missEnd - missStart + after.ms;
    out.miss.push({ direct: mbps(size, t.direct), miss: mbps(size, t.miss), ratio: t.miss / t.direct, storedMs });
    console.log(`miss round ${round + 1}: direct ${t.direct.toFixed(0)} ms, through the upstream repo ${t.miss.toFixed(0)} ms (${(t.miss / t.direct).toFixed(2)}× the time); stored and served again after ${storedMs.toFixed(0)} ms`);
  }
});

const cachedRatios = out.cached.map((r) => r.ratio);
const missRatios = out.miss.map((r) => r.ratio);
console.log(`cached pull through the upstream repo vs a local pull: median ${median(cachedRatios).toFixed(2)}× the speed (rounds ${cachedRatios.map((r) => r.toFixed(2)).join(" ")})`);
console.log(`miss pull vs pulling from the upstream directly: median ${median(missRatios).toFixed(2)}× the time (rounds ${missRatios.map((r) => r.toFixed(2)).join(" ")})`);
console.log(`until stored (miss + the next request's wait): median ${median(out.miss.map((r) => r.storedMs)).toFixed(0)} ms`);
mkdirSync(join(root, "bench", "results"), { recursive: true });
writeFileSync(join(root, "bench", "results", `proxy-${new Date().toISOString().replace(/[:.]/g, "-")}.json`), JSON.stringify(out, null, 2));
