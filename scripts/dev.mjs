#!/usr/bin/env node
// `npm run dev [-- wrangler dev args]`: runs the whole registry locally.
//  1. creates .dev.vars with a random ORBITALREG_ADMIN_TOKEN on first run (and prints it),
//  2. applies D1 migrations to the local persisted state,
//  3. execs `wrangler dev` on 127.0.0.1:8787 (both overridable by your own args).
import { spawnSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync, appendFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
// Run wrangler with the Node 22 that the `node` devDependency installs (wrangler needs
// ≥ 22.12), whatever Node started this script.
const localNode = join(root, "node_modules", ".bin", "node");
const nodeBin = existsSync(localNode) ? localNode : process.execPath;
const wranglerJs = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
const varsFile = join(root, ".dev.vars");

function ensureAdminToken() {
  const existing = existsSync(varsFile) ? readFileSync(varsFile, "utf8") : "";
  const match = existing.match(/^ORBITALREG_ADMIN_TOKEN\s*=\s*"?([^"\n]+)"?/m);
  if (match) {
    console.log(`[orbitalreg] instance-admin token: in .dev.vars (ORBITALREG_ADMIN_TOKEN)`);
    return;
  }
  const token = `orbadmin_${randomBytes(32).toString("base64url")}`;
  const line = `ORBITALREG_ADMIN_TOKEN="${token}"\n`;
  if (existing) appendFileSync(varsFile, (existing.endsWith("\n") ? "" : "\n") + line);
  else writeFileSync(varsFile, line, { mode: 0o600 });
  console.log(`[orbitalreg] created .dev.vars with a new instance-admin token:\n\n    ${token}\n`);
}

function optionValue(name) {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i === -1) return undefined;
  return args[i].includes("=") ? args[i].split("=").slice(1).join("=") : args[i + 1];
}

ensureAdminToken();

const persist = optionValue("--persist-to");
const migrate = spawnSync(
  nodeBin,
  [wranglerJs, "d1", "migrations", "apply", "DB", "--local", ...(persist ? ["--persist-to", persist] : [])],
  { cwd: root, stdio: "inherit", env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" } },
);
if (migrate.status !== 0) {
  console.error("[orbitalreg] applying D1 migrations failed");
  process.exit(migrate.status ?? 1);
}

const defaults = [];
if (optionValue("--ip") === undefined) defaults.push("--ip", "127.0.0.1");
if (optionValue("--port") === undefined) defaults.push("--port", "8787");
// wrangler's local trace collector (X_LOCAL_OBSERVABILITY, on by default since 4.1xx)
// triples the Worker's CPU cost per request; see docs/performance.md. Opt back in with
// X_LOCAL_OBSERVABILITY=true.
const child = spawn(nodeBin, [wranglerJs, "dev", ...defaults, ...args], {
  cwd: root,
  stdio: "inherit",
  env: { WRANGLER_SEND_METRICS: "false", X_LOCAL_OBSERVABILITY: "false", ...process.env },
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
