// Real upstreams for the proxy e2e test, on 127.0.0.1 with their state in a scratch dir:
// a second OrbitalReg (`scripts/dev.mjs`, as test/e2e/run.mjs starts the first) and
// CNCF distribution (Debian's `docker-registry`, with a config file of its own).
import { mkdirSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startProcess, waitFor } from "../../bench/lib.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A second registry instance; its admin token is the one .dev.vars holds (run.mjs made sure of it). */
export async function startOrbitalReg(work) {
  const port = await freePort();
  const proc = startProcess(
    process.execPath,
    [join(root, "scripts", "dev.mjs"), "--port", String(port), "--inspector-port", String(await freePort()), "--persist-to", join(work, "upstream-state"), "--log-level", "warn"],
    { cwd: root, env: { ...process.env, CI: "true" } },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/health/ready`, 180_000);
  } catch (e) {
    console.error(proc.log());
    throw e;
  }
  const admin = readFileSync(join(root, ".dev.vars"), "utf8").match(/^ORBITALREG_ADMIN_TOKEN\s*=\s*"?([^"\n]+)"?/m)[1];
  const api = async (path, { method = "GET", token = admin, json } = {}) => {
    const res = await fetch(`${url}${path}`, { method, headers: { Authorization: `Bearer ${token}`, ...(json ? { "Content-Type": "application/json" } : {}) }, body: json ? JSON.stringify(json) : undefined });
    const text = await res.text();
    if (!res.ok) throw new Error(`upstream ${method} ${path} → ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return { url, host: `127.0.0.1:${port}`, proc, api };
}

/** CNCF distribution 2.8.2 with a filesystem store, no auth. */
export async function startDistribution(work) {
  const port = await freePort();
  const dir = join(work, "distribution");
  mkdirSync(dir, { recursive: true });
  const config = join(work, "distribution.yml");
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  if (!existsSync("/usr/bin/docker-registry")) throw new Error("docker-registry is not installed (apt-get install docker-registry; .ci/apt-packages lists it)");
  const proc = startProcess("docker-registry", ["serve", config]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/v2/`);
  return { url, host: `127.0.0.1:${port}`, proc };
}
