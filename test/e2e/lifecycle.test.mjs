// Retention, trash and garbage collection with skopeo (issue 13): ten tagged images
// sharing a base layer; a policy keeping the 3 most recent plus release-*; the dry-run's
// exact list and reasons; the run; kept images pull bit-identical, deleted ones are
// gone; one is restored and pulled; after purge and GC the R2 objects on disk (wrangler
// dev's --persist-to state) shrink by the dry-run's figure.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { HOSTPORT, WORK, api, run, scratch, setup } from "./lib.mjs";
import { newLayout, sha256File, writeImage, writeIndex, writeLayer } from "./oci-layout.mjs";

let env, policy, work, ctx, layout;
/** tag → manifest descriptor, in push order. */
const images = [];
const TAGS = ["t1", "release-2", "t3", "t4", "release-5", "t6", "t7", "t8", "t9", "t10"];

before(async () => {
  work = scratch("lifecycle");
  policy = join(work, "policy.json");
  writeFileSync(policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  writeFileSync(join(work, "registries.conf"), "unqualified-search-registries = []\n");
  env = { ...process.env, HOME: work, CONTAINERS_REGISTRIES_CONF: join(work, "registries.conf"), XDG_RUNTIME_DIR: join(work, "run") };
  ctx = await setup("docker");
  layout = newLayout(join(work, "layout"));
  const base = await writeLayer(layout, "base.bin", 1024 * 1024);
  const tagged = {};
  for (const tag of TAGS) {
    const own = await writeLayer(layout, `${tag}.bin`, 300 * 1024);
    const image = writeImage(layout, [base, own]);
    images.push({ tag, ...image });
    tagged[tag] = image;
  }
  writeIndex(layout, tagged);
});

const creds = () => `ci:${ctx.token}`;
const ref = (tagOrDigest) => `docker://${HOSTPORT}/${ctx.project.slug}/${ctx.repo.slug}/app${tagOrDigest.startsWith("sha256:") ? "@" : ":"}${tagOrDigest}`;
const skopeo = (...args) => run("skopeo", ["--policy", policy, ...args], { env });
const blobFile = (dir, digest) => join(dir, "blobs", "sha256", digest.slice(7));
const repoApi = (path) => `/api/v1/repos/${ctx.repo.id}${path}`;

async function pullsIntact(tag, digest) {
  const out = join(work, `pull-${tag}-${Date.now()}`);
  skopeo("copy", "--src-tls-verify=false", "--src-creds", creds(), ref(tag), `oci:${out}:x`);
  const manifest = JSON.parse(readFileSync(blobFile(out, digest), "utf8"));
  for (const d of [manifest.config, ...manifest.layers]) assert.equal(await sha256File(blobFile(out, d.digest)), d.digest.slice(7), `${tag}: blob ${d.digest} intact`);
}

function isGone(tag) {
  const r = spawnSync("skopeo", ["--policy", policy, "inspect", "--raw", "--tls-verify=false", "--creds", creds(), ref(tag)], { env, encoding: "utf8" });
  assert.notEqual(r.status, 0, `${tag} still resolves`);
  assert.match(r.stderr, /manifest unknown|not found/i);
}

/** Bytes of the R2 objects wrangler dev keeps on disk (miniflare: <persist>/v3/r2/<bucket>/blobs/). */
function r2Bytes() {
  const r2 = join(WORK, "state", "v3", "r2");
  let total = 0;
  for (const bucket of readdirSync(r2)) {
    const dir = join(r2, bucket, "blobs");
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) total += statSync(join(dir, f)).size;
  }
  return total;
}

/** Runs GC with no grace periods to the end (it continues through the queue after `wait`). */
async function gcToEnd() {
  const graces = { link_grace_seconds: 0, blob_grace_seconds: 0, orphan_grace_seconds: 0 };
  let runRow = await api("/api/admin/gc/runs", { method: "POST", json: { ...graces, wait: true } });
  for (let i = 0; runRow.status === "running" && i < 600; i++) {
    await new Promise((r) => setTimeout(r, 200)); // polling a background run's status, not synchronising on time
    runRow = await api(`/api/admin/gc/runs/${runRow.id}`);
  }
  assert.equal(runRow.status, "succeeded", JSON.stringify(runRow));
  return runRow;
}

test("retention with skopeo: dry-run list = run, kept images intact, restore, purge + GC frees the dry-run's bytes", async () => {
  for (const { tag } of images) skopeo("copy", "--dest-tls-verify=false", "--dest-creds", creds(), `oci:${layout}:${tag}`, ref(tag));

  await api(repoApi("/retention/policies"), { method: "POST", json: { name: "recent-3", action: "keep", condition: { keep_most_recent: 3 } } });
  await api(repoApi("/retention/policies"), { method: "POST", json: { name: "releases", action: "keep", condition: { tag_patterns: ["release-*"] } } });
  await api(repoApi("/retention/policies"), { method: "POST", json: { name: "everything-else", action: "delete", condition: { older_than_days: 0 } } });

  const dry = await api(repoApi("/retention/dry-run"), { method: "POST", json: {} });
  const byDigest = Object.fromEntries(images.map((i) => [i.digest, i.tag]));
  const planned = dry.delete.map((i) => `${byDigest[i.version]}:${i.policy}`).sort();
  assert.deepEqual(planned, ["t1:everything-else", "t3:everything-else", "t4:everything-else", "t6:everything-else", "t7:everything-else"]);
  const kept = Object.fromEntries(dry.keep.map((i) => [byDigest[i.version], i.kept_by]));
  assert.deepEqual(kept, { "release-2": "releases", "release-5": "releases", t8: "recent-3", t9: "recent-3", t10: "recent-3" });
  // The shared base layer stays (kept images use it): only each deleted image's own layer and config go.
  const ownBytes = (tag) => {
    const m = JSON.parse(readFileSync(blobFile(layout, images.find((i) => i.tag === tag).digest), "utf8"));
    return m.config.size + m.layers[1].size;
  };
  assert.equal(dry.freed_bytes, ["t1", "t3", "t4", "t6", "t7"].reduce((n, t) => n + ownBytes(t), 0));

  const runRow = await api(repoApi("/retention/runs"), { method: "POST", json: { wait: true } });
  assert.equal(runRow.status, "succeeded", JSON.stringify(runRow));
  const items = await api(repoApi(`/retention/runs/${runRow.id}/items?decision=delete&limit=100`));
  assert.deepEqual(items.items.map((i) => `${byDigest[i.version]}:${i.policy}:${i.status}`).sort(), planned.map((p) => `${p}:deleted`));

  for (const tag of ["t1", "t3", "t4", "t6", "t7"]) isGone(tag);
  for (const tag of ["release-2", "release-5", "t8", "t9", "t10"]) await pullsIntact(tag, images.find((i) => i.tag === tag).digest);

  // Restore t1 (tag and all), pull it; then skopeo delete sends it back to the trash.
  const trash = await api(repoApi("/trash?limit=100"));
  assert.equal(trash.items.length, 5);
  const t1 = trash.items.find((e) => e.ref === images[0].digest);
  assert.deepEqual([t1.reason, t1.policy, t1.tags], ["retention", "everything-else", ["t1"]]);
  await api(repoApi(`/trash/${t1.id}/restore`), { method: "POST" });
  await pullsIntact("t1", images[0].digest);
  skopeo("delete", "--tls-verify=false", "--creds", creds(), ref(images[0].digest));
  isGone("t1");

  // Garbage from earlier tests must not blur the measurement: collect it first.
  await gcToEnd();
  const before = r2Bytes();
  const quotaBefore = await api(`/api/v1/projects/${ctx.project.id}/quota`);
  for (const e of (await api(repoApi("/trash?limit=100"))).items) await api(repoApi(`/trash/${e.id}`), { method: "DELETE" });
  const quotaAfter = await api(`/api/v1/projects/${ctx.project.id}/quota`);
  assert.ok(quotaBefore.usage.used_bytes - quotaAfter.usage.used_bytes >= dry.freed_bytes, `the purge gives the bytes back to the quota (${quotaBefore.usage.used_bytes} → ${quotaAfter.usage.used_bytes})`);
  const gc = await gcToEnd();
  const freed = before - r2Bytes();
  console.log(`dry-run freed_bytes=${dry.freed_bytes} on-disk R2 shrink=${freed} gc bytes_freed=${gc.bytes_freed}`);
  assert.ok(Math.abs(freed - dry.freed_bytes) <= dry.freed_bytes * 0.05, `R2 shrank by ${freed}, the dry-run said ${dry.freed_bytes}`);

  for (const tag of ["release-2", "release-5", "t8", "t9", "t10"]) await pullsIntact(tag, images.find((i) => i.tag === tag).digest);
});

test("retention with npm: keep the 2 most recent and 1.x, delete the rest; npm view and npm install see it; a restore brings a version back", async () => {
  const { project, repo, token } = await setup("npm");
  const registry = `${process.env.ORBITALREG_URL}/npm/${project.slug}/${repo.slug}/`;
  const dir = scratch("lifecycle-npm");
  writeFileSync(join(dir, "user.npmrc"), "");
  const npmrc = `registry=${registry}\n${registry.replace(/^https?:/, "")}:_authToken=${token}\nfund=false\naudit=false\nupdate-notifier=false\n`;
  const npmEnv = { ...process.env, npm_config_userconfig: join(dir, "user.npmrc"), npm_config_cache: join(dir, "cache"), NO_UPDATE_NOTIFIER: "1" };
  const npm = (cwd, ...args) => run("npm", args, { cwd, env: npmEnv });
  const lib = join(dir, "lib");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(lib);
  writeFileSync(join(lib, ".npmrc"), npmrc);
  writeFileSync(join(lib, "index.js"), "module.exports = 1;\n");
  const versions = ["1.0.0", "2.0.0", "2.1.0", "2.2.0", "3.0.0", "3.1.0"];
  for (const v of versions) {
    writeFileSync(join(lib, "package.json"), JSON.stringify({ name: "lc-pkg", version: v, main: "index.js", license: "MIT" }));
    npm(lib, "publish");
  }
  const policies = `/api/v1/repos/${repo.id}/retention/policies`;
  await api(policies, { method: "POST", json: { name: "recent-2", action: "keep", condition: { keep_most_recent: 2 } } });
  await api(policies, { method: "POST", json: { name: "one-x", action: "keep", condition: { version_patterns: ["1.*"] } } });
  await api(policies, { method: "POST", json: { name: "old", action: "delete", condition: { older_than_days: 0 } } });

  const dry = await api(`/api/v1/repos/${repo.id}/retention/dry-run`, { method: "POST", json: {} });
  assert.deepEqual(dry.delete.map((i) => `${i.version}:${i.policy}`).sort(), ["2.0.0:old", "2.1.0:old", "2.2.0:old"]);
  assert.deepEqual(Object.fromEntries(dry.keep.map((i) => [i.version, i.kept_by])), { "1.0.0": "one-x", "3.0.0": "recent-2", "3.1.0": "recent-2" });
  const runRow = await api(`/api/v1/repos/${repo.id}/retention/runs`, { method: "POST", json: { wait: true } });
  assert.equal(runRow.deleted, 3);

  assert.deepEqual(JSON.parse(npm(lib, "view", "lc-pkg", "versions", "--json")), ["1.0.0", "3.0.0", "3.1.0"]);
  const app = join(dir, "app");
  mkdirSync(app);
  writeFileSync(join(app, ".npmrc"), npmrc);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "lc-app", version: "0.0.0", private: true }));
  npm(app, "install", "lc-pkg@3.0.0");
  const failed = spawnSync("npm", ["install", "lc-pkg@2.1.0"], { cwd: app, env: npmEnv, encoding: "utf8" });
  assert.notEqual(failed.status, 0);
  assert.match(failed.stdout + failed.stderr, /ETARGET|No matching version|404/);

  const entry = (await api(`/api/v1/repos/${repo.id}/trash?limit=100`)).items.find((e) => e.ref === "2.1.0");
  await api(`/api/v1/repos/${repo.id}/trash/${entry.id}/restore`, { method: "POST" });
  assert.deepEqual(JSON.parse(npm(lib, "view", "lc-pkg", "versions", "--json")), ["1.0.0", "2.1.0", "3.0.0", "3.1.0"]);
  npm(app, "install", "lc-pkg@2.1.0");
  assert.equal(JSON.parse(readFileSync(join(app, "node_modules", "lc-pkg", "package.json"), "utf8")).version, "2.1.0");
});
