// curl against generic repos: upload with a declared checksum, download, range, delete,
// and the auth a private repo needs (the README's generic commands, as written there).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, readFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { URL_, run, scratch, setup } from "./lib.mjs";

test("curl uploads, downloads (whole and ranged) and deletes a generic file", async () => {
  const { project, repo, token } = await setup("generic");
  const dir = scratch("generic");
  const file = join(dir, "tool.tar.gz");
  const data = randomBytes(3 * 1024 * 1024 + 17);
  writeFileSync(file, data);
  const sha = createHash("sha256").update(data).digest("hex");
  const url = `${URL_}/generic/${project.slug}/${repo.slug}/tools/1.0/tool.tar.gz`;

  const code = (args) => run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", ...args]).trim();
  assert.equal(code(["-T", file, url]), "401", "anonymous upload refused");
  assert.equal(code(["-u", `ci:${token}`, "-H", `X-Checksum-Sha256: ${"0".repeat(64)}`, "-T", file, url]), "400", "bad checksum refused");
  const put = JSON.parse(run("curl", ["-sf", "-u", `ci:${token}`, "-H", `X-Checksum-Sha256: ${sha}`, "-T", file, url]));
  assert.equal(put.sha256, sha);
  assert.equal(put.size, data.length);

  const out = join(dir, "down");
  const headers = run("curl", ["-sf", "-D", "-", "-o", out, "-u", `ci:${token}`, url]);
  assert.deepEqual(readFileSync(out), data);
  assert.match(headers, new RegExp(`x-checksum-sha256: ${sha}`, "i"));
  assert.match(headers, /content-type: application\/octet-stream/i);

  const part = run("curl", ["-sf", "-u", `ci:${token}`, "-r", "100-199", url], { encoding: "buffer" });
  assert.deepEqual(part, data.subarray(100, 200));
  assert.equal(code(["-I", "-u", `ci:${token}`, url]), "200");
  assert.equal(code(["-X", "DELETE", "-u", `ci:${token}`, url]), "204");
  assert.equal(code(["-u", `ci:${token}`, url]), "404");
  assert.equal(code(["-u", `ci:${token}`, "-T", file, `${URL_}/generic/${project.slug}/${repo.slug}/a%2Fb`]), "400");
});

test("the README's generic-files commands work as written", async () => {
  const { project, repo, token } = await setup("generic");
  const readme = readFileSync("README.md", "utf8");
  const block = readme.split("<!-- generic:begin -->")[1].split("<!-- generic:end -->")[0];
  const script = block.replace(/^\s*```sh\n/, "").replace(/```\s*$/, "");
  const out = run("bash", ["-euo", "pipefail", "-c", script], { env: { ...process.env, BASE: URL_, P: project.slug, REPO: repo.slug, TOKEN: token } });
  assert.match(out, /"size":100000/);
  assert.match(out, /^same$/m);
  assert.match(out, /^\s*10$/m);
  assert.match(out, /x-checksum-sha256: [a-f0-9]{64}/i);
  assert.match(out, /^204$/m);
});
