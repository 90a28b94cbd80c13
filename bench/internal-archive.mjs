#!/usr/bin/env node
// The internal API's archive (docs/internal-api.md) of one large stored file, as tar.gz
// and as plain tar, against a plain download of the same file from the same server, in
// rounds (plain, tar.gz, tar, plain, …) so that load on the machine hits all three. The archive is the file's bytes
// through the tar writer and gzip (CompressionStream) in the Worker: the bench checks
// that the tar holds the file exactly (SHA-256 of the member) and samples the server's
// resident memory (whole process tree, /proc) to show the archive is streamed, not held.
//
//   node bench/internal-archive.mjs     (BENCH_ARCHIVE_MB=1100 file size, BENCH_ARCHIVE_RUNS=2 rounds)
import { createHash, createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import http from "node:http";
import { createGunzip } from "node:zlib";
import { expectStatus, makeBlob, mbps, median, request } from "./lib.mjs";
import { startOrbitalRegWith, withServers } from "./servers.mjs";

const SIZE = Number(process.env.BENCH_ARCHIVE_MB ?? 1100) * 1024 * 1024;
const RUNS = Number(process.env.BENCH_ARCHIVE_RUNS ?? 2);
const secret = randomBytes(32).toString("base64url");
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
function serviceJwt() {
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: "HS256" })}.${b64({ sub: "scanner:bench", aud: "orbitalreg-internal", exp: now + 300 })}`;
  return `${head}.${createHmac("sha256", secret).update(head).digest("base64url")}`;
}

/** Resident memory (MiB) of a process and its descendants. */
function treeRssMiB(root) {
  const children = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      (children.get(ppid) ?? children.set(ppid, []).get(ppid)).push(Number(d));
    } catch {}
  }
  let kb = 0;
  for (const stack = [root]; stack.length; ) {
    const pid = stack.pop();
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {}
    stack.push(...(children.get(pid) ?? []));
  }
  return kb / 1024;
}

/** GETs `url`, timing it; `check(stream)` consumes the body (resolves what it found). */
function timedGet(url, headers, consume) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http.get(url, { headers }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode}`));
      consume(res).then((found) => resolve({ ms: performance.now() - t0, found }), reject);
    }).on("error", reject);
  });
}

/** Reads at most `rate` MB/s (pausing the socket): a plain download as slow as a gzip archive, to see who holds unread bytes. */
const slowSink = (rate) => (res) =>
  new Promise((resolve, reject) => {
    let n = 0;
    const t0 = performance.now();
    res.on("data", (c) => {
      n += c.length;
      const due = (n / 1024 / 1024 / rate) * 1000 - (performance.now() - t0);
      if (due > 0) {
        res.pause();
        setTimeout(() => res.resume(), due);
      }
    });
    res.on("end", () => resolve({ bytes: n }));
    res.on("error", reject);
  });

/** Runs `get()` while sampling the server tree's resident memory: {result, before, peak}. */
async function sampled(pid, get) {
  const before = treeRssMiB(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, treeRssMiB(pid))), 200);
  try {
    return { result: await get(), before, peak };
  } finally {
    clearInterval(sampler);
  }
}

const sink = (res) => new Promise((resolve, reject) => { let n = 0; res.on("data", (c) => (n += c.length)); res.on("end", () => resolve({ bytes: n })); res.on("error", reject); });

/** Gunzips the archive (unless `gzip` is false) and hashes its one member (ustar header, data, padding, end blocks). */
const unpackOne = (gzip) => (res) =>
  new Promise((resolve, reject) => {
    let wire = 0;
    let at = 0;
    let size = -1;
    let header = Buffer.alloc(0);
    const hash = createHash("sha256");
    res.on("data", (c) => (wire += c.length));
    const gz = gzip ? res.pipe(createGunzip()) : res;
    gz.on("data", (c) => {
      if (size < 0) {
        header = Buffer.concat([header, c]);
        if (header.length < 512) return;
        size = parseInt(header.subarray(124, 136).toString("latin1").replace(/\0.*$/s, "").trim(), 8);
        c = header.subarray(512);
        at = 0;
      }
      const take = Math.max(0, Math.min(c.length, size - at));
      hash.update(c.subarray(0, take));
      at += c.length;
    });
    gz.on("end", () => resolve({ wire, size, digest: `sha256:${hash.digest("hex")}`, tarBytes: at + 512 }));
    gz.on("error", reject);
  });

const finished = withServers(mkdtempSync(join(tmpdir(), "orbitalreg-archive-")), async (start) => {
  const server = await start((w) => startOrbitalRegWith(w, { format: "generic", slug: "files", vars: { ORBITALREG_INTERNAL_JWT_SECRET: secret } }));
  const { base, token } = server.target;
  const repo = JSON.parse((await request(`${base}/api/v1/repos`, { headers: { Authorization: `Bearer ${token}` } })).body).items.find((r) => r.slug === "files");
  const blob = makeBlob(SIZE);
  const t0 = performance.now();
  await expectStatus(await request(`${base}/generic/bench/files/big.bin`, { method: "PUT", headers: { Authorization: `Bearer ${token}`, "Content-Length": String(SIZE), "Content-Type": "application/octet-stream" }, body: () => blob.open() }), 201, "upload");
  console.log(`uploaded ${SIZE / 1024 / 1024} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s (${blob.digest})`);
  const pid = server.proc.child.pid;
  const plain = [];
  const results = { "tar.gz": [], tar: [] };
  for (let i = 0; i < RUNS; i++) {
    const p = await timedGet(`${base}/generic/bench/files/big.bin`, { Authorization: `Bearer ${token}` }, sink);
    plain.push(mbps(SIZE, p.ms));
    const line = [`round ${i + 1}: plain ${plain.at(-1).toFixed(0)} MB/s`];
    for (const format of ["tar.gz", "tar"]) {
      const { result: a, before, peak } = await sampled(pid, () => timedGet(`${base}/internal/scanner/repos/${repo.id}/archive?name=big.bin&version=current&format=${format}`, { "Orbitalreg-Internal-Api-Request": serviceJwt() }, unpackOne(format === "tar.gz")));
      if (a.found.size !== SIZE || a.found.digest !== blob.digest) throw new Error(`the archive's member is not the file: ${JSON.stringify(a.found)}`);
      results[format].push(mbps(SIZE, a.ms));
      line.push(`${format} ${results[format].at(-1).toFixed(0)} MB/s (${(a.found.wire / 1024 / 1024).toFixed(0)} MiB on the wire, member verified; server RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} MiB)`);
    }
    console.log(line.join("; "));
  }
  // The control: a plain download read as slowly as the gzip archive is made.
  const rate = Math.max(5, Math.round(median(results["tar.gz"])));
  const slow = await sampled(pid, () => timedGet(`${base}/generic/bench/files/big.bin`, { Authorization: `Bearer ${token}` }, slowSink(rate)));
  console.log(`control: plain download read at ${rate} MB/s: server RSS ${slow.before.toFixed(0)} → peak ${slow.peak.toFixed(0)} MiB`);
  console.log(`median of ${RUNS}: plain download ${median(plain).toFixed(0)} MB/s, archive tar.gz ${median(results["tar.gz"]).toFixed(0)} MB/s, archive tar ${median(results.tar).toFixed(0)} MB/s (file of ${SIZE / 1024 / 1024} MiB)`);
});
await finished;
