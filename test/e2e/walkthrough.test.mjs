// Runs the README's curl walk-through exactly as written (the block between the
// walkthrough markers), so the documented commands can't rot.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ADMIN, URL_, run } from "./lib.mjs";

test("README curl walk-through works as written", () => {
  const readme = readFileSync("README.md", "utf8");
  const block = readme.split("<!-- walkthrough:begin -->")[1].split("<!-- walkthrough:end -->")[0];
  const script = block.replace(/^```sh\n/m, "").replace(/```\s*$/m, "");
  const out = run("bash", ["-euo", "pipefail", "-c", script], { env: { ...process.env, BASE: URL_, ADMIN } });
  assert.match(out, /"slug":"files"/);
  assert.match(out, /^403$/m);
  assert.match(out, /"action":"token.create"/);
});
