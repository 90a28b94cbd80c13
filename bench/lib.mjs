// Bench helpers: servers under test, raw HTTP with keep-alive, and timing.
import http from "node:http";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { readFileSync, readdirSync } from "node:fs";
import { Readable } from "node:stream";
import { createHash, randomBytes } from "node:crypto";

export const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export const freePort = () =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

/**
 * One HTTP request. `body` may be a Buffer, a string, a function that opens a readable
 * stream (so that it can be opened again), a readable stream, or undefined. Resolves
 * {status, headers, body?}. A request sent on a kept-alive socket the server had just
 * closed is sent again once (Node's documented keep-alive race: the server never saw
 * it), unless its body was a stream given as it is, which cannot be read twice.
 */
export function request(url, opts = {}) {
  const attempt = () => requestOnce(url, { ...opts, body: typeof opts.body === "function" ? opts.body() : opts.body });
  return attempt().catch((e) => {
    if (e.code !== "ECONNRESET" || !e.reusedSocket || typeof opts.body?.pipe === "function") throw e;
    return attempt();
  });
}

function requestOnce(url, { method = "GET", headers = {}, body, sink = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      if (sink) {
        let bytes = 0;
        res.on("data", (c) => (bytes += c.length));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, bytes }));
      } else {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      }
      res.on("error", reject);
    });
    req.on("error", (e) => reject(Object.assign(e, { reusedSocket: req.reusedSocket })));
    if (body && typeof body.pipe === "function") body.pipe(req);
    else req.end(body);
  });
}

export async function expectStatus(res, ok, what) {
  const list = Array.isArray(ok) ? ok : [ok];
  if (!list.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${res.body?.toString().slice(0, 500) ?? ""}`);
  return res;
}

export async function waitFor(url, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await request(url);
      if (res.status < 500) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${url}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function startProcess(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
  let log = "";
  child.stdout.on("data", (d) => (log = (log + d).slice(-20000)));
  child.stderr.on("data", (d) => (log = (log + d).slice(-20000)));
  return { child, log: () => log, stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once("exit", r), child.kill("SIGTERM")))) };
}

/** Runs `hey` and extracts req/s and latency percentiles (ms). */
export function hey(url, { n, c, method = "GET", headers = {} }) {
  const args = ["-n", String(n), "-c", String(c), "-m", method, "-disable-compression"];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  args.push(url);
  const r = spawnSync("hey", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`hey failed: ${r.stderr}`);
  const out = r.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p = (q) => Number(new RegExp(`${q}% in ([\\d.]+) secs`).exec(out)?.[1]) * 1000;
  const statuses = [...out.matchAll(/\[(\d+)\]\s+(\d+) responses/g)];
  const ok = statuses.filter((m) => m[1].startsWith("2")).reduce((a, m) => a + Number(m[2]), 0);
  const errors = out.split("Error distribution:")[1]?.trim() ?? "";
  if (ok !== n) throw new Error(`hey: ${ok}/${n} requests answered 2xx for ${method} ${url}\n${statuses.map((m) => m[0]).join("\n")}\n${errors}`);
  return { rps, p50: p(50), p99: p(99) };
}

export const mbps = (bytes, ms) => bytes / 1024 / 1024 / (ms / 1000);

/**
 * CPU time (ms, user + system) used so far by a process and all its descendants, from
 * /proc. Unlike throughput, it is barely disturbed by other load on the machine.
 */
export function treeCpuMs(root) {
  const children = new Map();
  const ticks = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ppid = Number(f[1]);
      (children.get(ppid) ?? children.set(ppid, []).get(ppid)).push(Number(d));
      ticks.set(Number(d), Number(f[11]) + Number(f[12]));
    } catch {}
  }
  let total = 0;
  for (const stack = [root]; stack.length; ) {
    const pid = stack.pop();
    total += ticks.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total * 10; // USER_HZ is 100 on Linux
}

const MiB = 1 << 20;
let pattern = null; // one random MiB, the body of every generated blob

/**
 * A blob of `size` bytes made on the fly and never stored: one random MiB, each MiB of the
 * blob stamped with the blob's own random id and the MiB's index, so no two blobs (and no
 * two MiBs of one) are alike. Every target reads it the same way, from memory: a blob read
 * from a file came from the page cache for one target and from disk for another (a run
 * writes more than RAM holds), and the disk read cost the machine ~1.3 s of system CPU
 * per 512 MiB during that target's push. Returns {size, digest, open(start, end)}: `open`
 * gives a readable stream of bytes start..end (inclusive, like createReadStream).
 */
export function makeBlob(size) {
  pattern ??= randomBytes(MiB);
  const id = randomBytes(16);
  const block = (i) => {
    const b = Buffer.allocUnsafe(MiB);
    pattern.copy(b);
    id.copy(b);
    b.writeUInt32BE(i, id.length);
    return b;
  };
  const hash = createHash("sha256");
  for (let i = 0; i * MiB < size; i++) hash.update(block(i).subarray(0, Math.min(MiB, size - i * MiB)));
  function* range(start, end) {
    for (let i = Math.floor(start / MiB); i * MiB <= end; i++) yield block(i).subarray(Math.max(start - i * MiB, 0), Math.min(end + 1 - i * MiB, MiB));
  }
  return { size, digest: `sha256:${hash.digest("hex")}`, open: (start = 0, end = size - 1) => Readable.from(range(start, end), { objectMode: false }) };
}

/** The same shape as makeBlob's, for small fixed content (a config, a test layer). */
export function bufferBlob(bytes) {
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  return { size: bytes.length, digest, open: (start = 0, end = bytes.length - 1) => Readable.from([bytes.subarray(start, end + 1)], { objectMode: false }) };
}

/** The middle value (the lower of the two middle ones for an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
