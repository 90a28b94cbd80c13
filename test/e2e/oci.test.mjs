// skopeo and podman against the registry: push/pull by tag and digest, a multi-arch
// index, a 256 MB layer, a cross-repo mount, a delete, bit-identical round trips.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, symlinkSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOSTPORT, URL_, api, run, scratch, setup, unique } from "./lib.mjs";
import { newLayout, sha256File, writeImage, writeIndex, writeLayer, OCI_INDEX } from "./oci-layout.mjs";

let env, policy, work, ctx, layout, v1, multi;

before(async () => {
  work = scratch("oci");
  policy = join(work, "policy.json");
  writeFileSync(policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  writeFileSync(join(work, "registries.conf"), 'unqualified-search-registries = []\n');
  // Keep skopeo/podman state (blob-info cache, storage) inside the scratch dir.
  env = { ...process.env, HOME: work, CONTAINERS_REGISTRIES_CONF: join(work, "registries.conf"), XDG_RUNTIME_DIR: join(work, "run") };
  ctx = await setup("docker");
  layout = newLayout(join(work, "layout"));
  const small = await writeLayer(layout, "hello.txt", 200_000, false);
  const second = await writeLayer(layout, "data.bin", 3 * 1024 * 1024);
  v1 = writeImage(layout, [small, second], "amd64");
  const arm = writeImage(layout, [small], "arm64");
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [v1, arm] }));
  const { createHash } = await import("node:crypto");
  const hex = createHash("sha256").update(index).digest("hex");
  writeFileSync(join(layout, "blobs", "sha256", hex), index);
  multi = { mediaType: OCI_INDEX, digest: `sha256:${hex}`, size: index.length };
  writeIndex(layout, { v1, multi });
});

const creds = () => `ci:${ctx.token}`;
const ref = (name, tagOrDigest) => `docker://${HOSTPORT}/${ctx.project.slug}/${ctx.repo.slug}/${name}${tagOrDigest.startsWith("sha256:") ? "@" : ":"}${tagOrDigest}`;
const skopeo = (...args) => run("skopeo", ["--policy", policy, ...args], { env });
const push = (src, dst, ...extra) => skopeo("copy", "--dest-tls-verify=false", "--dest-creds", creds(), ...extra, src, dst);
const pull = (src, dst, ...extra) => skopeo("copy", "--src-tls-verify=false", "--src-creds", creds(), ...extra, src, dst);
const inspectRaw = (src) => skopeo("inspect", "--raw", "--tls-verify=false", "--creds", creds(), src);
const blobFile = (dir, digest) => join(dir, "blobs", "sha256", digest.slice(7));

async function sameBlobs(outDir, manifestDigest) {
  const manifest = JSON.parse(readFileSync(blobFile(outDir, manifestDigest), "utf8"));
  for (const d of [manifest.config, ...manifest.layers]) {
    assert.equal(await sha256File(blobFile(outDir, d.digest)), d.digest.slice(7), `blob ${d.digest} pulled back intact`);
    assert.equal(await sha256File(blobFile(layout, d.digest)), d.digest.slice(7));
  }
}

test("skopeo pushes by tag and pulls by tag and by digest, byte for byte", async () => {
  push(`oci:${layout}:v1`, ref("app", "v1"));
  assert.equal(inspectRaw(ref("app", "v1")), readFileSync(blobFile(layout, v1.digest), "utf8"));
  const byTag = join(work, "pull-tag");
  pull(ref("app", "v1"), `oci:${byTag}:v1`);
  await sameBlobs(byTag, v1.digest);
  const byDigest = join(work, "pull-digest");
  pull(ref("app", v1.digest), `oci:${byDigest}:x`);
  await sameBlobs(byDigest, v1.digest);
});

test("skopeo copy --all pushes and pulls a multi-arch index unchanged", async () => {
  push(`oci:${layout}:multi`, ref("multi", "latest"), "--all");
  assert.equal(inspectRaw(ref("multi", "latest")), readFileSync(blobFile(layout, multi.digest), "utf8"));
  const out = join(work, "pull-multi");
  pull(ref("multi", "latest"), `oci:${out}:m`, "--all");
  const index = JSON.parse(readFileSync(blobFile(out, multi.digest), "utf8"));
  assert.equal(index.manifests.length, 2);
  for (const m of index.manifests) await sameBlobs(out, m.digest);
});

test("a 256 MB layer round-trips bit-identically", async () => {
  const big = newLayout(join(work, "big"));
  const layer = await writeLayer(big, "random.bin", 256 * 1024 * 1024);
  assert.ok(layer.layer.size >= 256 * 1024 * 1024);
  const image = writeImage(big, [layer]);
  writeIndex(big, { big: image });
  let t = Date.now();
  push(`oci:${big}:big`, ref("big", "v1"));
  const pushMs = Date.now() - t;
  const out = join(work, "pull-big");
  t = Date.now();
  pull(ref("big", "v1"), `oci:${out}:big`);
  const pullMs = Date.now() - t;
  assert.equal(await sha256File(blobFile(out, layer.layer.digest)), layer.layer.digest.slice(7));
  console.log(`256 MB layer: push ${pushMs} ms, pull ${pullMs} ms`);
});

test("copying between repos mounts the layers instead of re-uploading them", async () => {
  const dest = await api("/api/v1/repos", { method: "POST", json: { project_id: ctx.project.id, slug: unique("mnt"), format: "docker" } });
  const destRef = `docker://${HOSTPORT}/${ctx.project.slug}/${dest.slug}/app:v1`;
  const r = spawnSync("skopeo", ["--policy", policy, "--debug", "copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-creds", creds(), "--dest-creds", creds(), ref("app", "v1"), destRef], { env, encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr.slice(-4000));
  const mounts = r.stderr.split("\n").filter((l) => /blobs\/uploads\/\?.*mount=/.test(l));
  assert.ok(mounts.length > 0, "skopeo asked for a cross-repo mount");
  assert.ok(r.stderr.includes("mount OK"), "the registry accepted the mount");
  const manifest = JSON.parse(readFileSync(blobFile(layout, v1.digest), "utf8"));
  for (const l of manifest.layers) {
    const res = await fetch(`${URL_}/v2/${ctx.project.slug}/${dest.slug}/app/blobs/${l.digest}`, { method: "HEAD", headers: { Authorization: `Basic ${Buffer.from(creds()).toString("base64")}` } });
    assert.equal(res.status, 200);
  }
  assert.equal(skopeo("inspect", "--raw", "--tls-verify=false", "--creds", creds(), destRef), readFileSync(blobFile(layout, v1.digest), "utf8"));
});

test("skopeo delete removes a manifest by digest", async () => {
  push(`oci:${layout}:v1`, ref("gone", "v1"));
  skopeo("delete", "--tls-verify=false", "--creds", creds(), ref("gone", v1.digest));
  assert.throws(() => inspectRaw(ref("gone", "v1")), /manifest unknown|not found|MANIFEST_UNKNOWN/i);
});

test("podman pushes (chunked, no Content-Length) and pulls back the same image", async () => {
  const root = join(work, "podman");
  const podman = (...args) => run("podman", ["--root", join(root, "root"), "--runroot", join(root, "run"), "--storage-driver", "vfs", ...args], { env });
  // podman names the image after the layout path, which must be lowercase.
  const link = join(tmpdir(), `orbitalreg-layout-${Date.now().toString(36)}`);
  symlinkSync(layout, link);
  try {
    podman("pull", "--signature-policy", policy, `oci:${link}:v1`);
  } finally {
    rmSync(link, { force: true });
  }
  const image = podman("images", "-q").trim().split("\n")[0];
  const dest = `${HOSTPORT}/${ctx.project.slug}/${ctx.repo.slug}/podman:v1`;
  podman("push", "--signature-policy", policy, "--tls-verify=false", "--creds", creds(), image, `docker://${dest}`);
  podman("rmi", "-af");
  podman("pull", "--signature-policy", policy, "--tls-verify=false", "--creds", creds(), dest);
  const inspected = JSON.parse(podman("image", "inspect", dest));
  assert.equal(inspected[0].Architecture, "amd64");
  assert.equal(inspected[0].RootFS.Layers.length, 2);
  const tags = await (await fetch(`${URL_}/v2/${ctx.project.slug}/${ctx.repo.slug}/podman/tags/list`, { headers: { Authorization: `Basic ${Buffer.from(creds()).toString("base64")}` } })).json();
  assert.deepEqual(tags.tags, ["v1"]);
});
