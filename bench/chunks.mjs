#!/usr/bin/env node
// Where a chunked push's time goes: OrbitalReg against the floor Worker, one chunk at a
// time. The two servers take turns chunk by chunk (ours, floor, ours, …), each PATCH is
// timed on its own and charged the server's CPU (whole process tree, /proc), and the
// machine idles between chunks so that no server's leftover work lands on the other.
// Two chunk sizes separate what a request costs from what a byte costs:
//   extra(size) ≈ per request + size × per MiB.
//
//   node bench/chunks.mjs     (BENCH_CHUNKS_MB=5,16 chunk sizes, BENCH_CHUNKS=24 per size)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { makeBlob, median, treeCpuMs } from "./lib.mjs";
import { startFloor, startOrbitalReg, withServers } from "./servers.mjs";

const SIZES = (process.env.BENCH_CHUNKS_MB ?? "5,16").split(",").map(Number);
const COUNT = Number(process.env.BENCH_CHUNKS ?? 24);
const IDLE_MS = 500;
const work = mkdtempSync(join(tmpdir(), "orbitalreg-chunks-"));
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** One PATCH (or floor part) timed and charged its server's CPU, then an idle pause. */
async function timedChunk(server, upload, blob, off, end) {
  const cpu0 = treeCpuMs(server.proc.child.pid);
  const t0 = performance.now();
  await server.target.sendChunk(upload, blob, off, end);
  const ms = performance.now() - t0;
  await sleep(IDLE_MS);
  return { ms, cpu: treeCpuMs(server.proc.child.pid) - cpu0 };
}

const rows = [];
await withServers(work, async (start) => {
  const ours = await start(startOrbitalReg);
  const floor = await start(startFloor);
  for (const mib of SIZES) {
    const chunk = mib << 20;
    const blob = makeBlob(chunk * COUNT);
    const uploads = [await ours.target.startChunks(), await floor.target.startChunks(blob.digest)];
    const got = { ours: [], floor: [] };
    for (let i = 0; i < COUNT; i++) {
      const off = i * chunk;
      got.ours.push(await timedChunk(ours, uploads[0], blob, off, off + chunk - 1));
      got.floor.push(await timedChunk(floor, uploads[1], blob, off, off + chunk - 1));
    }
    await ours.target.finishChunks(uploads[0], blob.digest);
    await floor.target.finishChunks(uploads[1]);
    const row = { mib };
    for (const who of ["ours", "floor"]) {
      row[`${who} ms`] = median(got[who].map((c) => c.ms));
      // The idle pause is charged too: the same for both, and it catches work left over after the response.
      row[`${who} cpu`] = mean(got[who].map((c) => c.cpu));
    }
    rows.push(row);
    console.log(
      `${mib} MiB chunks × ${COUNT}: median ${row["ours ms"].toFixed(1)} ms vs floor ${row["floor ms"].toFixed(1)} ms (${(row["floor ms"] / row["ours ms"]).toFixed(2)}×); ` +
        `CPU per chunk ${row["ours cpu"].toFixed(1)} vs ${row["floor cpu"].toFixed(1)} ms (${(row["floor cpu"] / row["ours cpu"]).toFixed(2)}×)`,
    );
  }
  if (rows.length >= 2) {
    const [a, b] = [rows[0], rows.at(-1)];
    for (const [what, key] of [["time", "ms"], ["CPU", "cpu"]]) {
      const extra = (r) => r[`ours ${key}`] - r[`floor ${key}`];
      const perMiB = (extra(b) - extra(a)) / (b.mib - a.mib);
      console.log(`extra ${what} over the floor: ${(extra(a) - perMiB * a.mib).toFixed(1)} ms per request + ${perMiB.toFixed(2)} ms per MiB`);
    }
  }
});
