#!/usr/bin/env node
// e2e runner: starts the registry exactly as the README does (`npm run dev`), with a
// throw-away state directory and a fresh admin token, waits for /health/ready, runs
// every test/e2e/*.test.mjs with node's test runner against it, then stops it.
// Env for tests: ORBITALREG_URL, ORBITALREG_ADMIN_TOKEN, E2E_WORK (scratch dir),
// ORBITALREG_SERVER_LOG (the registry's output so far, for tests that check what it logged),
// ORBITALREG_INTERNAL_JWT_SECRET (this run's key of the internal API: a scanner signs with it).
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync, existsSync, readFileSync, rmSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const work = mkdtempSync(join(tmpdir(), "orbitalreg-e2e-"));
const only = process.argv.slice(2);

const freePort = () =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

const port = Number(process.env.E2E_PORT) || (await freePort());
const inspectorPort = await freePort();
const url = `http://127.0.0.1:${port}`;

// Reuse the developer's .dev.vars token if there is one, else make one for this run.
const varsFile = join(root, ".dev.vars");
let admin = existsSync(varsFile) ? readFileSync(varsFile, "utf8").match(/^ORBITALREG_ADMIN_TOKEN\s*=\s*"?([^"\n]+)"?/m)?.[1] : undefined;
if (!admin) {
  admin = `orbadmin_${randomBytes(24).toString("base64url")}`;
  writeFileSync(varsFile, `ORBITALREG_ADMIN_TOKEN="${admin}"\nORBITALREG_ALLOW_PRIVATE_WEBHOOKS="true"\n`, { mode: 0o600 });
}

const internalSecret = randomBytes(32).toString("base64url");
const server = spawn(
  process.execPath,
  [join(root, "scripts", "dev.mjs"), "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", join(work, "state"), "--var", "ORBITALREG_ALLOW_PRIVATE_WEBHOOKS:true", "--var", "ORBITALREG_ALLOW_PRIVATE_UPSTREAMS:true", "--var", `ORBITALREG_INTERNAL_JWT_SECRET:${internalSecret}`],
  { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "true" } },
);
let serverLog = "";
const serverLogFile = join(work, "server.log");
const logged = (d) => {
  serverLog += d;
  appendFileSync(serverLogFile, d);
};
server.stdout.on("data", logged);
server.stderr.on("data", logged);
const stop = () => {
  try {
    process.kill(server.pid, "SIGTERM");
  } catch {}
};
process.on("exit", stop);

const deadline = Date.now() + 120_000;
for (;;) {
  try {
    const res = await fetch(`${url}/health/ready`);
    if (res.ok) break;
  } catch {}
  if (server.exitCode !== null || Date.now() > deadline) {
    console.error(serverLog);
    throw new Error("registry did not become ready");
  }
  await new Promise((r) => setTimeout(r, 250));
}

const files = readdirSync(join(root, "test", "e2e"))
  .filter((f) => f.endsWith(".test.mjs"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
  .map((f) => join("test", "e2e", f));

// The tests run in their own process group, so that a file which never exits (a browser or a
// server left open) can be stopped with everything it started. The watchdog turns such a hang
// into a failure with a message, well inside CI's limit, instead of a run that never ends.
const tests = spawn(process.execPath, ["--test", "--test-concurrency=1", "--test-reporter=spec", ...files], {
  cwd: root,
  stdio: "inherit",
  detached: true,
  // `npm run -s` would pass its silence on to every npm the tests run, and they read npm's messages.
  env: { ...process.env, npm_config_loglevel: undefined, ORBITALREG_URL: url, ORBITALREG_ADMIN_TOKEN: admin, E2E_WORK: work, ORBITALREG_SERVER_LOG: serverLogFile, ORBITALREG_INTERNAL_JWT_SECRET: internalSecret },
});
const killTests = () => {
  try {
    process.kill(-tests.pid, "SIGKILL");
  } catch {}
};
const limitMinutes = Number(process.env.E2E_TIMEOUT_MINUTES) || 30;
const watchdog = setTimeout(() => {
  console.error(`\ne2e: the tests did not finish within ${limitMinutes} minutes (E2E_TIMEOUT_MINUTES); stopping them and everything they started`);
  killTests();
}, limitMinutes * 60_000);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => (killTests(), stop(), process.exit(130)));
const code = await new Promise((r) => tests.on("exit", (c) => r(c ?? 1)));
clearTimeout(watchdog);
killTests(); // anything a passing file left running
stop();
if (code !== 0) {
  console.error("---- registry log (last 8000 chars) ----");
  console.error(serverLog.slice(-8000));
}
if (!process.env.E2E_KEEP) rmSync(work, { recursive: true, force: true });
process.exit(code);
