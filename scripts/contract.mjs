#!/usr/bin/env node
// The public contract, produced from the sources without starting wrangler: esbuild
// bundles scripts/contract/index.ts (the doc generators and the governance API) for
// Node. Cloudflare-only modules are stubbed: nothing here touches a binding.
//
//   node scripts/contract.mjs docs            rewrite the generated regions of docs/*.md
//   node scripts/contract.mjs docs --check    exit 1 if a committed doc is out of date
//   node scripts/contract.mjs openapi [out]   write the served /api/openapi.json (default .openapi/openapi.json)
//   node scripts/contract.mjs lint            write it, lint it with Redocly (redocly.yaml); exit 1 on any error or warning
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const work = join(root, ".openapi");

async function load() {
  const outfile = join(work, "contract.bundle.mjs");
  mkdirSync(work, { recursive: true });
  await build({
    entryPoints: [join(root, "scripts/contract/index.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    // openpgp, yaml and the sigstore libraries require Node built-ins at run time in their Node builds: load them from node_modules.
    external: ["openpgp", "yaml", "@sigstore/*"],
    logLevel: "warning",
    plugins: [
      {
        name: "cloudflare-stubs",
        setup(b) {
          b.onResolve({ filter: /^cloudflare:/ }, (a) => ({ path: a.path, namespace: "cf-stub" }));
          b.onLoad({ filter: /.*/, namespace: "cf-stub" }, () => ({ contents: "export class DurableObject {}; export class WorkerEntrypoint {}", loader: "js" }));
          // Statically imported WebAssembly (core/archive's xz decoder) is a workerd module; nothing here decompresses.
          b.onResolve({ filter: /\.wasm$/ }, (a) => ({ path: a.path, namespace: "wasm-stub" }));
          b.onLoad({ filter: /.*/, namespace: "wasm-stub" }, () => ({ contents: "export default null;", loader: "js" }));
        },
      },
    ],
  });
  return import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);
}

const [command, ...args] = process.argv.slice(2);
const mod = await load();

if (command === "docs") {
  const check = args.includes("--check");
  let stale = 0;
  for (const [path, regenerate] of Object.entries(mod.GENERATED_DOCS)) {
    const file = join(root, path);
    const current = readFileSync(file, "utf8");
    const next = regenerate(current);
    if (next === current) continue;
    stale++;
    if (check) console.error(`${path} is out of date: run npm run docs:generate`);
    else writeFileSync(file, next), console.log(`updated ${path}`);
  }
  process.exit(check && stale ? 1 : 0);
} else if (command === "openapi" || command === "lint") {
  const out = resolve((command === "openapi" && args[0]) || join(work, "openapi.json"));
  const res = await mod.buildApi().request("http://localhost/api/openapi.json");
  if (res.status !== 200) throw new Error(`/api/openapi.json answered ${res.status}: ${await res.text()}`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(await res.json(), null, 2)}\n`);
  console.log(`wrote ${out}`);
  if (command === "lint") process.exit(lint(out));
} else {
  console.error("usage: node scripts/contract.mjs docs [--check] | openapi [out.json] | lint");
  process.exit(2);
}

/** Redocly's verdict on `file`: every problem printed; warnings fail too (redocly itself fails on errors only). */
function lint(file) {
  const redocly = join(root, "node_modules/.bin/redocly");
  let output;
  try {
    output = execFileSync(redocly, ["lint", file, "--format=json", "--max-problems=1000", "--config", join(root, "redocly.yaml")], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  } catch (e) {
    output = e.stdout; // exit 1 on errors: the report is still on stdout
  }
  const report = JSON.parse(output);
  for (const p of report.problems) console.log(`${p.severity.padEnd(7)} ${p.ruleId.padEnd(24)} ${p.location?.[0]?.pointer ?? ""}  ${p.message}`);
  const { errors, warnings } = report.totals;
  console.log(`redocly lint (recommended): ${errors} errors, ${warnings} warnings`);
  return errors + warnings === 0 ? 0 : 1;
}
