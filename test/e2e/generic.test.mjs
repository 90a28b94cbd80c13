// curl against generic repos: upload with a declared checksum, download, range, delete,
// and the auth a private repo needs (docs/formats/generic.md's commands, as written there).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, readFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { request } from "node:http";
import { URL_, run, scratch, setup, snippet } from "./lib.mjs";

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

test("docs/formats/generic.md's commands work as written", async () => {
  const { project, repo, token } = await setup("generic");
  const script = snippet("docs/formats/generic.md", "generic");
  const out = run("bash", ["-euo", "pipefail", "-c", script], { env: { ...process.env, BASE: URL_, P: project.slug, REPO: repo.slug, TOKEN: token } });
  assert.match(out, /"size":100000/);
  assert.match(out, /^same$/m);
  assert.match(out, /^\s*10$/m);
  assert.match(out, /x-checksum-sha256: [a-f0-9]{64}/i);
  assert.match(out, /^204$/m);
});

/** One request with its path exactly as given (node:http sends `path` untouched; a URL string would be normalized first). */
function rawRequest(method, path, token, body) {
  const { hostname, port } = new URL(URL_);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Length": Buffer.byteLength(body) } : {}) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, type: res.headers["content-type"], text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

// What reaches the Worker of a path with dot segments, sent raw (as `curl --path-as-is`
// does; curl, browsers and fetch resolve them before sending). Under `wrangler dev` the
// local proxy in front of the Worker resolves them, as Cloudflare's default URL
// normalization does in production: the Worker sees the resolved URL and can't tell. So:
// a spelling that resolves to a path in the repo addresses that path (nothing is stored
// under a name with a dot segment), one that resolves to an empty segment is refused,
// and one that climbs out of the repo is authorized for where it lands. The registry
// itself refuses every dot segment it is handed (test/generic.test.ts, through workerd).
test("raw dot segments: resolved before the Worker under wrangler dev, never stored as written", async () => {
  const { project, repo, token } = await setup("generic");
  const other = await setup("generic");
  const base = `/generic/${project.slug}/${repo.slug}`;
  const resolved = [
    ["a/../b.bin", "b.bin"],
    ["./d.bin", "d.bin"],
    ["x/./y.bin", "x/y.bin"],
    ["x/%2E/z.bin", "x/z.bin"],
    ["x/.%2e/w.bin", "w.bin"],
  ];
  for (const [raw, path] of resolved) {
    const put = await rawRequest("PUT", `${base}/${raw}`, token, `bytes of ${raw}`);
    assert.equal(put.status, 201, `PUT ${raw}: ${put.text}`);
    assert.equal(JSON.parse(put.text).path, path, `PUT ${raw}`);
    const get = await rawRequest("GET", `${base}/${raw}`, token);
    assert.equal(get.text, `bytes of ${raw}`, `GET ${raw}`);
  }
  for (const raw of ["a/.", "a/%2e", "a/.."]) {
    for (const method of ["PUT", "GET", "DELETE"]) {
      const res = await rawRequest(method, `${base}/${raw}`, token, method === "PUT" ? "x" : undefined);
      assert.equal(res.status, 400, `${method} ${raw}: ${res.text}`);
      assert.match(res.type, /^text\/plain/);
    }
  }
  // `..` past the repo lands in another repo's URL, and is authorized for that one.
  const climb = await rawRequest("PUT", `${base}/../../${other.project.slug}/${other.repo.slug}/evil.bin`, token, "x");
  assert.equal(climb.status, 403, climb.text);
  const listed = await fetch(`${URL_}/api/v1/repos/${repo.id}/packages?limit=500`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.json());
  assert.deepEqual(listed.items.map((p) => p.name).sort(), ["b.bin", "d.bin", "w.bin", "x/y.bin", "x/z.bin"]);
});
