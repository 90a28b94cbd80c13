// Shared helpers for e2e tests: the registry URL, admin calls, and running real clients.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
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

export { execFileSync };
