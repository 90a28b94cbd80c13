// Uploads cut short on the wire, against `npm run dev`: for each format a raw socket
// sends `Content-Length: N`, fewer bytes, then closes its side. The registry must not
// crash, must answer (and log) the break once as a 400 (never a 5xx), store nothing,
// give the project's quota back (used and reserved bytes as before), and take the same
// upload sent whole afterwards. An OCI upload session resumes where the break left it.
// Also: an npm publish over the 128 MiB cap gets npm's 413, declared or chunked.
//
// What the client sees of a broken body under wrangler dev: wrangler's own proxy
// (ProxyWorker) forwards a request to the Worker only as a stream, and when the client's
// body breaks its fetch to the Worker fails before the Worker's answer can come back, so
// it answers 500 "Network connection lost." itself, whatever the Worker answered (even a
// 401 given before the body was read). That page is wrangler's, not ours: the test
// accepts exactly it and checks the Worker's own answer in the log.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { request } from "node:http";
import { randomBytes, createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { URL_, HOSTPORT, api, run, scratch, setup } from "./lib.mjs";

const LOG = process.env.ORBITALREG_SERVER_LOG;
const logText = () => readFileSync(LOG, "utf8").replace(/\x1b\[[0-9;]*m/g, "");
const { hostname, port } = new URL(URL_);

/** Sends the head and the first `at` bytes of `body` (declaring all of it), then closes our side; resolves what came back. */
function cutShort(method, path, headers, body, at) {
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let got = Buffer.alloc(0);
    const done = () => resolve(got.toString("latin1"));
    socket.on("data", (d) => (got = Buffer.concat([got, d])));
    socket.on("close", done);
    socket.on("error", done);
    socket.setTimeout(120_000, () => socket.destroy());
    const head = Object.entries({ Host: `${hostname}:${port}`, ...headers, "Content-Length": String(body.length) }).map(([k, v]) => `${k}: ${v}`);
    socket.write(`${method} ${path} HTTP/1.1\r\n${head.join("\r\n")}\r\n\r\n`);
    socket.write(body.subarray(0, at), () => socket.end());
  });
}

/** Waits (polling the server log, bounded) until the registry logged `needle`; returns the log from `from`. */
async function logged(needle, from) {
  for (let i = 0; i < 1200; i++) {
    const text = logText().slice(from);
    if (text.includes(needle)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`the registry never logged ${needle}\n${logText().slice(from)}`);
}

const basic = (token) => `Basic ${Buffer.from(`ci:${token}`).toString("base64")}`;

async function quotaOf(projectId) {
  const q = await api(`/api/v1/projects/${projectId}/quota`);
  return { used: q.usage.used_bytes, reserved: q.usage.reserved_bytes, reservations: q.usage.reservations.count };
}

async function send(method, path, headers, body) {
  const res = await fetch(`${URL_}${path}`, { method, headers, body });
  return { status: res.status, text: await res.text() };
}

/**
 * One broken upload: checks what came back and what was logged, that nothing is stored
 * and the quota is as before, then sends the upload whole.
 */
async function breakAndRetry({ format, method, path, headers, body, at, probe, probeHeaders, finish }) {
  const { project, repo, token } = await setup(format);
  await api(`/api/admin/projects/${project.id}/quota`, { method: "PUT", json: { limit_bytes: 1_000_000_000 } });
  const ctx = { project, repo, token, auth: basic(token), base: `/${format === "docker" ? "v2" : format}/${project.slug}/${repo.slug}` };
  const c = await (typeof path === "function" ? path(ctx) : path);
  const reqHeaders = { Authorization: ctx.auth, ...headers };
  const before = await quotaOf(project.id);
  const from = logText().length;

  const answer = await cutShort(method, c, reqHeaders, body, at);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
  if (status >= 500) {
    // Only wrangler's proxy page is acceptable (see the header comment).
    assert.equal(status, 500, answer);
    assert.match(answer, /\r\n\r\nError: Network connection lost\./, answer);
  } else if (status) {
    assert.equal(status, 400, answer);
  }
  const log = await logged(`request body broke off: ${method} ${c.split("?")[0]} → 400`, from);
  assert.equal(log.split("request body broke off:").length - 1, 1, `logged once\n${log}`);
  assert.doesNotMatch(log, /unhandled error|InternalError|Uncaught/, log);
  assert.doesNotMatch(log, new RegExp(`\\[wrangler:info\\] \\w+ ${ctx.base}\\S* 5\\d\\d`), log);

  assert.equal((await fetch(`${URL_}/health/live`)).status, 200, "the server still runs");
  const probed = typeof probe === "function" ? probe(ctx) : probe;
  if (probed) assert.equal((await send("GET", probed, { Authorization: ctx.auth, ...probeHeaders })).status, 404, "nothing stored");
  assert.deepEqual(await quotaOf(project.id), before, "quota as before");
  const again = await send(method, c, reqHeaders, body);
  assert.ok(again.status < 300, `${again.status} ${again.text}`);
  if (finish) await finish(ctx, c);
  if (probed) assert.equal((await send("GET", probed, { Authorization: ctx.auth, ...probeHeaders })).status, 200);
  return ctx;
}

const MiB = 1024 * 1024;

test("a generic PUT cut short", async () => {
  await breakAndRetry({ format: "generic", method: "PUT", path: (x) => `${x.base}/tools/cut.bin`, body: randomBytes(3 * MiB), at: MiB, probe: (x) => `${x.base}/tools/cut.bin` });
});

test("a Maven PUT cut short", async () => {
  const p = "com/example/cut/1.0/cut-1.0.jar";
  await breakAndRetry({ format: "maven", method: "PUT", path: (x) => `${x.base}/${p}`, body: randomBytes(2 * MiB), at: MiB / 2, probe: (x) => `${x.base}/${p}` });
});

test("an npm publish cut short", async () => {
  const tarball = randomBytes(MiB);
  const name = "cut-short";
  const doc = {
    _id: name,
    name,
    "dist-tags": { latest: "1.0.0" },
    versions: { "1.0.0": { name, version: "1.0.0", dist: { shasum: createHash("sha1").update(tarball).digest("hex") } } },
    _attachments: { [`${name}-1.0.0.tgz`]: { content_type: "application/octet-stream", data: tarball.toString("base64"), length: tarball.length } },
  };
  const body = Buffer.from(JSON.stringify(doc));
  await breakAndRetry({
    format: "npm",
    method: "PUT",
    path: (x) => `${x.base}/${name}`,
    headers: { "Content-Type": "application/json" },
    body,
    at: Math.floor(body.length / 2),
    probe: (x) => `${x.base}/${name}`,
  });
});

/** A real sdist (the registry reads its PKG-INFO), padded with 1 MiB gzip cannot shrink. */
function sdist(name, version) {
  const dir = scratch("sdist");
  const top = join(dir, `${name}-${version}`);
  mkdirSync(top);
  writeFileSync(join(top, "PKG-INFO"), `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`);
  writeFileSync(join(top, "pad.bin"), randomBytes(MiB));
  run("tar", ["-czf", join(dir, "out.tar.gz"), "-C", dir, `${name}-${version}`]);
  return readFileSync(join(dir, "out.tar.gz"));
}

test("a twine upload cut short (in the file, and after it)", async () => {
  const file = sdist("cut-short", "1.0.0");
  const boundary = "----cut" + randomBytes(8).toString("hex");
  const fields = { ":action": "file_upload", protocol_version: "1", name: "cut-short", version: "1.0.0", filetype: "sdist", sha256_digest: createHash("sha256").update(file).digest("hex") };
  const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  const body = Buffer.concat([
    Buffer.from(parts.join("") + `--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="cut_short-1.0.0.tar.gz"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const headers = { "Content-Type": `multipart/form-data; boundary=${boundary}` };
  for (const at of [Math.floor(body.length / 2), body.length - 4]) {
    await breakAndRetry({ format: "pypi", method: "POST", path: (x) => `${x.base}/`, headers, body, at, probe: (x) => `${x.base}/simple/cut-short/` });
  }
});

test("a cargo publish cut short", async () => {
  const json = Buffer.from(JSON.stringify({ name: "cut_short", vers: "1.0.0", deps: [], features: {}, description: "cut", license: "MIT" }));
  const crate = randomBytes(MiB);
  const len = (n) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const body = Buffer.concat([len(json.length), json, len(crate.length), crate]);
  await breakAndRetry({ format: "cargo", method: "PUT", path: (x) => `${x.base}/api/v1/crates/new`, body, at: MiB / 2, probe: (x) => `${x.base}/index/cu/t_/cut_short` });
});

test("OCI: a whole-blob PATCH and a chunk cut short; the session resumes where the break left it", async () => {
  const blob = randomBytes(6 * MiB);
  const digest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;
  const start = async (x) => {
    const res = await fetch(`${URL_}/v2/${x.project.slug}/${x.repo.slug}/app/blobs/uploads/`, { method: "POST", headers: { Authorization: x.auth } });
    assert.equal(res.status, 202);
    return res.headers.get("location");
  };
  // Whole blob in one PATCH (skopeo's way): the session stays at 0, the blob sent again finishes.
  await breakAndRetry({
    format: "docker",
    method: "PATCH",
    path: start,
    headers: { "Content-Type": "application/octet-stream" },
    body: blob,
    at: 2 * MiB,
    probe: (ctx) => `/v2/${ctx.project.slug}/${ctx.repo.slug}/app/blobs/${digest}`,
    finish: async (ctx, location) => assert.equal((await send("PUT", `${location}?digest=${digest}`, { Authorization: ctx.auth })).status, 201),
  });

  // A chunk with Content-Range: the bytes before the break stay, the client resumes there.
  const chunked = await setup("docker");
  const auth = basic(chunked.token);
  const loc = await start({ ...chunked, auth });
  const first = await send("PATCH", loc, { Authorization: auth, "Content-Range": `0-${MiB - 1}`, "Content-Length": String(MiB) }, blob.subarray(0, MiB));
  assert.equal(first.status, 202);
  const from = logText().length;
  await cutShort("PATCH", loc, { Authorization: auth, "Content-Range": `${MiB}-${blob.length - 1}` }, blob.subarray(MiB), 2 * MiB);
  await logged(`request body broke off: PATCH ${loc} → 400`, from);
  const status = await fetch(`${URL_}${loc}`, { headers: { Authorization: auth } });
  const kept = Number(status.headers.get("range").split("-")[1]) + 1;
  assert.ok(kept >= MiB && kept <= 3 * MiB, `kept ${kept}`);
  assert.equal((await send("PATCH", loc, { Authorization: auth, "Content-Range": `${kept}-${blob.length - 1}`, "Content-Length": String(blob.length - kept) }, blob.subarray(kept))).status, 202);
  assert.equal((await send("PUT", `${loc}?digest=${digest}`, { Authorization: auth })).status, 201);
});

test("an npm publish over the 128 MiB cap is answered 413 in npm's format, declared or chunked", async () => {
  const { project, repo, token } = await setup("npm");
  const size = 130 * MiB;
  for (const declared of [true, false]) {
    const answer = await new Promise((resolve, reject) => {
      const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...(declared ? { "Content-Length": size } : {}) };
      const req = request(`${URL_}/npm/${project.slug}/${repo.slug}/too-big`, { method: "PUT", headers }, (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode, text }));
      });
      req.on("error", reject);
      const piece = Buffer.alloc(MiB, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < size) {
          sent += piece.length;
          if (!req.write(piece)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
    assert.equal(answer.status, 413, `${declared ? "declared" : "chunked"}: ${answer.text}`);
    assert.equal(JSON.parse(answer.text).code, "PayloadTooLargeBody");
  }
});

test("npm publish of a package over the cap: npm prints the registry's 413", async () => {
  const { project, repo, token } = await setup("npm");
  const work = scratch("npm-big");
  const path = `/npm/${project.slug}/${repo.slug}/`;
  writeFileSync(join(work, ".npmrc"), `registry=${URL_}${path}\n//${HOSTPORT}${path}:_authToken=${token}\n`);
  writeFileSync(join(work, "package.json"), JSON.stringify({ name: "big-one", version: "1.0.0" }));
  writeFileSync(join(work, "blob.bin"), randomBytes(100 * MiB)); // base64 in the packument: ~133 MiB
  writeFileSync(join(work, "user.npmrc"), "");
  const r = spawnSync("npm", ["publish"], {
    cwd: work,
    encoding: "utf8",
    env: { ...process.env, npm_config_userconfig: join(work, "user.npmrc"), npm_config_cache: join(work, "cache"), NO_UPDATE_NOTIFIER: "1" },
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /E413/, r.stderr);
  assert.match(r.stderr, /the request body is larger than the 134217728 bytes allowed here/, r.stderr);
});
