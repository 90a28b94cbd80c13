// Shared helpers for e2e tests: the registry URL, admin calls, and running real clients.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";

export const URL_ = process.env.ORBITALREG_URL;
export const ADMIN = process.env.ORBITALREG_ADMIN_TOKEN;
export const WORK = process.env.E2E_WORK;
export const HOSTPORT = URL_ ? new URL(URL_).host : "";

export const scratch = (name) => mkdtempSync(join(WORK, `${name}-`));
export const unique = (p) => `${p}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/**
 * One raw HTTP request (node:http, one connection per request), for what fetch hides:
 * streamed bodies, their exact headers, and a server answering before the body is sent.
 * `body`: a readable stream or nothing. Resolves {status, headers, body}.
 */
export function send(method, path, auth, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request(`${URL_}${path}`, { method, headers: { Authorization: auth, ...headers } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body) body.pipe(req);
    else req.end();
  });
}

export async function api(path, { method = "GET", token = ADMIN, json } = {}) {
  const res = await fetch(`${URL_}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(json ? { "Content-Type": "application/json" } : {}) },
    body: json ? JSON.stringify(json) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A project, a repo of `format`, a writer service account and its token. */
export async function setup(format, repoExtra = {}) {
  const project = await api("/api/v1/projects", { method: "POST", json: { slug: unique("p") } });
  const repo = await api("/api/v1/repos", { method: "POST", json: { project_id: project.id, slug: unique("r"), format, ...repoExtra } });
  const sa = await api(`/api/v1/projects/${project.id}/service_accounts`, { method: "POST", json: { name: "ci", role: "writer" } });
  const { token } = await api(`/api/v1/projects/${project.id}/service_accounts/${sa.id}/tokens`, { method: "POST", json: { name: "e2e" } });
  return { project, repo, sa, token };
}

/** Runs a command, returning stdout; throws with stdout+stderr on failure. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 600_000, ...opts });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.status ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  return r.stdout;
}

/**
 * Like `run`, but asynchronous: for commands that call back into a server this test
 * process runs (an OIDC issuer, a webhook receiver), whose event loop must stay free.
 */
export function runAsync(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${cmd} exited ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`))));
  });
}

/**
 * The code of a documentation block, as published: the fenced block between
 * `<!-- name:begin -->` and `<!-- name:end -->` in `file` (a path from the repository
 * root), without its fence. Throws when the markers are missing, so a moved or renamed
 * block fails its test instead of running nothing.
 */
export function snippet(file, name) {
  const text = readFileSync(file, "utf8");
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end, from);
  if (from === -1 || to === -1) throw new Error(`${file} has no ${begin} … ${end} block`);
  const block = text.slice(from + begin.length, to).trim();
  const fenced = block.match(/^```[a-z]*\n([\s\S]*)\n```$/);
  if (!fenced) throw new Error(`the ${name} block of ${file} is not one fenced code block`);
  return `${fenced[1]}\n`;
}

/** Polls `fn` until it returns something truthy (what an asynchronous delivery needs), or throws after `timeoutMs`. */
export async function until(what, fn, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export { execFileSync };
