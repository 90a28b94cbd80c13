#!/usr/bin/env node
// Writes src/core/archive/xz-embedded.wasm: the xz-embedded decoder (Lasse Collin, public
// domain) as compiled by the xz-decompress package (pinned in devDependencies), which
// ships it only as a base64 data URL and compiles it at run time. workerd refuses run-time
// WebAssembly compilation but accepts a statically imported .wasm module, so the bytes are
// taken out once and committed. `node scripts/vendor-xz-wasm.mjs --check` fails when the
// committed file differs from the pinned package's.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const js = readFileSync(require.resolve("xz-decompress"), "utf8");
const b64 = js.match(/data:application\/wasm;base64,([A-Za-z0-9+/=]+)/)?.[1];
if (!b64) throw new Error("no wasm data URL found in xz-decompress");
const wasm = Buffer.from(b64, "base64");
const out = new URL("../src/core/archive/xz-embedded.wasm", import.meta.url);
if (process.argv.includes("--check")) {
  if (!readFileSync(out).equals(wasm)) throw new Error(`${out.pathname} differs from xz-decompress's wasm: run node scripts/vendor-xz-wasm.mjs`);
  console.log("xz-embedded.wasm matches xz-decompress");
} else {
  writeFileSync(out, wasm);
  console.log(`wrote ${out.pathname} (${wasm.length} bytes)`);
}
