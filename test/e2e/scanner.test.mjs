// A scanner against the internal API (docs/internal-api.md): two versions of an npm
// package published with the real npm client; a scanner client written here (Node, its
// own HS256 JWT from the run's ORBITALREG_INTERNAL_JWT_SECRET) follows the feed, reads
// the changed paths between the versions and the frames of the changed files, checks
// the bytes against the files inside the tarballs (unpacked with GNU tar), reads the
// version's archive (GNU tar unpacks it too), and posts a finding that then shows on the
// version API.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { URL_, api, scratch, setup, run } from "./lib.mjs";

const SECRET = process.env.ORBITALREG_INTERNAL_JWT_SECRET;
const b64url = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

/** The scanner's service JWT: HS256, audience `orbitalreg-internal`, subject `scanner:…`, two minutes. */
function serviceJwt(sub = "scanner:e2e") {
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url({ sub, aud: "orbitalreg-internal", iat: now, exp: now + 120 })}`;
  return `${head}.${createHmac("sha256", SECRET).update(head).digest("base64url")}`;
}

async function internal(path, init = {}) {
  const res = await fetch(`${URL_}/internal/scanner${path}`, { ...init, headers: { "Orbitalreg-Internal-Api-Request": serviceJwt(), ...(init.body ? { "Content-Type": "application/json" } : {}), ...init.headers } });
  const body = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, init.expect ?? 200, `${path}: ${body.toString("utf8", 0, 500)}`);
  return { res, body };
}

/** Frames: 4-byte big-endian length of what follows, a JSON line, the bytes. */
function frames(buf) {
  const out = [];
  for (let p = 0; p < buf.length; ) {
    const n = buf.readUInt32BE(p);
    const frame = buf.subarray(p + 4, p + 4 + n);
    assert.equal(frame.length, n, "a frame is cut short");
    const nl = frame.indexOf(0x0a);
    out.push({ header: JSON.parse(frame.subarray(0, nl).toString("utf8")), data: frame.subarray(nl + 1) });
    p += 4 + n;
  }
  return out;
}

test("a scanner reads changed paths and their bytes between two npm versions, and reports a finding", { timeout: 120_000 }, async () => {
  assert.ok(SECRET, "the e2e runner sets ORBITALREG_INTERNAL_JWT_SECRET");
  const since = new Date(Date.now() - 5_000).toISOString();
  const { project, repo, token } = await setup("npm");
  const registry = `${URL_}/npm/${project.slug}/${repo.slug}/`;
  const work = scratch("scanner");
  const userconfig = join(work, "user.npmrc");
  writeFileSync(userconfig, "");
  const env = { ...process.env, npm_config_userconfig: userconfig, npm_config_cache: join(work, "cache"), NO_UPDATE_NOTIFIER: "1" };
  const lib = join(work, "lib");
  mkdirSync(lib);
  writeFileSync(join(lib, ".npmrc"), `registry=${registry}\n//${new URL(registry).host}${new URL(registry).pathname}:_authToken=${token}\nfund=false\naudit=false\nupdate-notifier=false\n`);
  const pkg = (version) => writeFileSync(join(lib, "package.json"), JSON.stringify({ name: "scanned", version, main: "index.js", license: "MIT" }, null, 2));

  pkg("1.0.0");
  writeFileSync(join(lib, "index.js"), "module.exports = require('./util');\n");
  writeFileSync(join(lib, "util.js"), "module.exports = () => 'v1';\n");
  writeFileSync(join(lib, "README.md"), "# scanned\n");
  run("npm", ["publish"], { cwd: lib, env });
  pkg("1.1.0");
  writeFileSync(join(lib, "index.js"), "module.exports = require('./fresh');\n");
  run("rm", [join(lib, "util.js")]);
  writeFileSync(join(lib, "fresh.js"), `module.exports = () => '${"v2 ".repeat(2000)}';\n`);
  run("npm", ["publish"], { cwd: lib, env });

  // The tarballs as npm stored them, unpacked by GNU tar: what the scanner's bytes must match.
  const unpacked = {};
  for (const v of ["1.0.0", "1.1.0"]) {
    const tgz = Buffer.from(await (await fetch(`${registry}scanned/-/scanned-${v}.tgz`, { headers: { Authorization: `Bearer ${token}` } })).arrayBuffer());
    const dir = join(work, `v${v}`);
    mkdirSync(dir);
    writeFileSync(join(dir, "pkg.tgz"), tgz);
    run("tar", ["-xzf", "pkg.tgz"], { cwd: dir });
    unpacked[v] = { dir, tgz };
  }

  // The feed names both new versions.
  const feed = JSON.parse((await internal(`/feed?${new URLSearchParams({ since, repo_id: repo.id })}`)).body);
  assert.deepEqual(feed.items.map((i) => [i.type, i.name, i.version]), [["package", "scanned", "1.0.0"], ["package", "scanned", "1.1.0"]]);

  // Changed paths, as NDJSON.
  const changes = (await internal(`/repos/${repo.id}/changed_paths?${new URLSearchParams({ name: "scanned", left_version: "1.0.0", right_version: "1.1.0" })}`))
    .body.toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const status = Object.fromEntries(changes.map((c) => [c.path, c.status]));
  assert.deepEqual(status, { "package/package.json": "MODIFIED", "package/index.js": "MODIFIED", "package/fresh.js": "ADDED", "package/util.js": "DELETED" });

  // Frames of what the right side has, then of what the left side lost; bytes as in the tarballs.
  const wanted = changes.filter((c) => c.status !== "DELETED").map((c) => c.path);
  const right = frames((await internal(`/repos/${repo.id}/list_blobs`, { method: "POST", body: JSON.stringify({ name: "scanned", version: "1.1.0", paths: wanted }) })).body);
  assert.deepEqual(right.map((f) => f.header.path).sort(), [...wanted].sort());
  for (const f of right) {
    assert.equal(f.header.truncated, false);
    assert.deepEqual(f.data, readFileSync(join(unpacked["1.1.0"].dir, f.header.path)), f.header.path);
  }
  const left = frames((await internal(`/repos/${repo.id}/list_blobs`, { method: "POST", body: JSON.stringify({ name: "scanned", version: "1.0.0", paths: ["package/util.js", "package/gone.js"], bytes_limit: 10 }) })).body);
  assert.deepEqual(left[0].header, { path: "package/util.js", digest: changes.find((c) => c.path === "package/util.js").old_digest, size: readFileSync(join(unpacked["1.0.0"].dir, "package/util.js")).length, bytes: 10, truncated: true });
  assert.deepEqual(left[0].data, readFileSync(join(unpacked["1.0.0"].dir, "package/util.js")).subarray(0, 10));
  assert.equal(left[1].header.error.code, "NotFoundEntry");

  // The version's archive: a tar.gz GNU tar unpacks, holding the tarball as stored.
  const archive = await internal(`/repos/${repo.id}/archive?${new URLSearchParams({ name: "scanned", version: "1.1.0" })}`);
  const adir = join(work, "archive");
  mkdirSync(adir);
  writeFileSync(join(adir, "a.tar.gz"), archive.body);
  run("tar", ["-xzf", "a.tar.gz"], { cwd: adir });
  assert.ok(existsSync(join(adir, "scanned-1.1.0.tgz")));
  assert.deepEqual(readFileSync(join(adir, "scanned-1.1.0.tgz")), unpacked["1.1.0"].tgz);

  // A finding, reported with the service JWT, shows on the version API.
  const report = await internal("/findings", {
    method: "POST",
    expect: 201,
    body: JSON.stringify({ artifact: { repo_id: repo.id, name: "scanned", version: "1.1.0" }, scanner: { name: "e2e-scanner", version: "1" }, findings: [{ identifier: "CVE-2026-4242", severity: "high", path: "package/fresh.js" }] }),
  });
  assert.equal(JSON.parse(report.body).created, 1);
  const versions = await api(`/api/v1/repos/${repo.id}/packages/scanned/versions`, { token });
  const v11 = versions.items.find((v) => v.version === "1.1.0");
  assert.equal(v11.findings.total, 1);
  assert.equal(v11.findings.open_by_severity.high, 1);
  assert.equal(versions.items.find((v) => v.version === "1.0.0").findings.total, 0);

  // The same calls with the project's own token instead of the service JWT are refused.
  const refused = await fetch(`${URL_}/internal/scanner/feed`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(refused.status, 401);
});
