// Starts the three servers the benchmarks compare, each on a free 127.0.0.1 port with its
// state under `work`: OrbitalReg (`scripts/dev.mjs`, with a project, a docker repo and a
// writer token), the floor Worker, and CNCF distribution. Each resolves {proc, target}.
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, request, startProcess, waitFor, expectStatus } from "./lib.mjs";
import { floorTarget, registryTarget } from "./targets.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const node = process.execPath;
const wranglerBin = join(root, "node_modules", ".bin", "wrangler");
// node_modules/.bin first: wrangler needs the Node 22 that the `node` package provides.
const env = { ...process.env, PATH: `${join(root, "node_modules", ".bin")}:${process.env.PATH}`, CI: "true", WRANGLER_SEND_METRICS: "false", X_LOCAL_OBSERVABILITY: "false" };

/** `vars`: more `NAME:value` settings (the proxy bench allows private upstreams); also returns base, auth, api and project. */
export async function startOrbitalReg(work, { vars = [] } = {}) {
  const extra = Object.fromEntries(vars.map((v) => [v.slice(0, v.indexOf(":")), v.slice(v.indexOf(":") + 1)]));
  const { proc, target, api, project } = await startOrbitalRegWith(work, { format: "docker", slug: "images", vars: extra });
  const auth = `Basic ${Buffer.from(`bench:${target.token}`).toString("base64")}`;
  return { proc, target: registryTarget("orbitalreg", target.base, "bench/images/app", auth), base: target.base, auth, api, project };
}

/** OrbitalReg with project `bench`, one repo of `format` named `slug`, and a writer token: {proc, target: {base, token}}. */
export async function startOrbitalRegWith(work, { format, slug, vars = {}, state = "orbitalreg-state" }) {
  const port = await freePort();
  const admin = `bench-admin-${randomBytes(8).toString("hex")}`;
  const proc = startProcess(node, [join(root, "scripts", "dev.mjs"), "--port", String(port), "--inspector-port", String(await freePort()), "--persist-to", join(work, state), "--log-level", "warn", "--var", `ORBITALREG_ADMIN_TOKEN:${admin}`, ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])], { cwd: root, env });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/health/live`);
  const api = async (path, json) => JSON.parse((await expectStatus(await request(`${base}${path}`, { method: "POST", headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" }, body: JSON.stringify(json) }), 201, path)).body);
  const project = await api("/api/v1/projects", { slug: "bench" });
  await api("/api/v1/repos", { project_id: project.id, slug, format });
  const sa = await api(`/api/v1/projects/${project.id}/service_accounts`, { name: "bench", role: "writer" });
  const { token } = await api(`/api/v1/projects/${project.id}/service_accounts/${sa.id}/tokens`, { name: "bench" });
  return { proc, target: { label: "orbitalreg", base, token }, api, project };
}

/** Verdaccio (the npm package, a dev dependency): JWT tokens, no uplinks, one user `bench`: {proc, target: {label, registry, token}}. */
export async function startVerdaccio(w) {
  const port = await freePort();
  const dir = join(w, "verdaccio");
  mkdirSync(dir, { recursive: true });
  const config = join(dir, "config.yaml");
  writeFileSync(
    config,
    `storage: ${join(dir, "storage")}\nauth:\n  htpasswd:\n    file: ${join(dir, "htpasswd")}\n    max_users: 10\nsecurity:\n  api:\n    jwt:\n      sign:\n        expiresIn: 1d\nuplinks: {}\npackages:\n  '**':\n    access: $authenticated\n    publish: $authenticated\nlog: { type: stdout, format: pretty, level: error }\nserver:\n  keepAliveTimeout: 60\n`,
  );
  const proc = startProcess(join(root, "node_modules", ".bin", "verdaccio"), ["-c", config, "-l", `127.0.0.1:${port}`], { cwd: dir });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/-/ping`);
  const res = await expectStatus(
    await request(`${base}/-/user/org.couchdb.user:bench`, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "bench", password: "bench-password-1" }) }),
    201,
    "verdaccio adduser",
  );
  return { proc, target: { label: "verdaccio", registry: `${base}/`, token: JSON.parse(res.body).token } };
}

export async function startFloor(work) {
  const port = await freePort();
  const proc = startProcess(wranglerBin, ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()), "--persist-to", join(work, "floor-state"), "--log-level", "warn"], { cwd: join(root, "bench", "floor-worker"), env });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/trivial`);
  return { proc, target: floorTarget(base), base };
}

export async function startDistribution(work) {
  const port = await freePort();
  const dir = join(work, "distribution");
  mkdirSync(dir, { recursive: true });
  const config = join(work, "distribution.yml");
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const proc = startProcess("docker-registry", ["serve", config]);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/v2/`);
  return { proc, target: registryTarget("distribution", base, "bench/images/app"), base };
}

/**
 * Runs `fn(start)`, where `start(startX)` starts a server with its state under `work`.
 * However `fn` ends, every server started is stopped and `work` is deleted; when it
 * fails, the tail of each server's log is printed first.
 */
export async function withServers(work, fn) {
  const servers = [];
  const start = async (starter) => {
    const server = await starter(work);
    servers.push(server);
    return server;
  };
  try {
    return await fn(start);
  } catch (e) {
    for (const s of servers) console.error(`--- ${s.target.label} log\n${s.proc.log().slice(-3000)}`);
    throw e;
  } finally {
    await Promise.all(servers.map((s) => s.proc.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}
