// Gated promotion end to end: skopeo pushes an image to staging, the test signs it (a
// cosign-style simple-signing payload under a fresh ECDSA P-256 key, attached as an OCI
// 1.1 referrer), a scanner reports a critical finding, promotion to production is
// refused naming the findings gate, the finding is accepted, promotion succeeds, skopeo
// pulls the same digest from production with its signature alongside, and the
// `artifact.promoted` webhook arrives with a valid HMAC. Production's sigstore policy trusts
// the key: its `signature` gate fails while the image is unsigned (the referrer above is
// not a sigstore bundle) and passes once cosign's `sha256-<hex>.sig` tag carries the signature.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign, verify } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HOSTPORT, URL_, api, run, scratch, setup, unique, until } from "./lib.mjs";
import { newLayout, sha256File, writeImage, writeIndex, writeLayer, OCI_MANIFEST } from "./oci-layout.mjs";

let work, policy, env, ctx, prod, layout, image, server, base;
const received = [];

before(async () => {
  work = scratch("promotion");
  policy = join(work, "policy.json");
  writeFileSync(policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  writeFileSync(join(work, "registries.conf"), "unqualified-search-registries = []\n");
  env = { ...process.env, HOME: work, CONTAINERS_REGISTRIES_CONF: join(work, "registries.conf"), XDG_RUNTIME_DIR: join(work, "run") };
  ctx = await setup("docker");
  prod = await api("/api/v1/repos", { method: "POST", json: { project_id: ctx.project.id, slug: unique("prod"), format: "docker" } });
  layout = newLayout(join(work, "layout"));
  image = writeImage(layout, [await writeLayer(layout, "app.txt", 100_000, false)]);
  writeIndex(layout, { v1: image });
  server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c)).on("end", () => {
      received.push({ path: req.url, headers: req.headers, raw: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => server.close());

const creds = () => `ci:${ctx.token}`;
const ref = (repo, tagOrDigest) => `docker://${HOSTPORT}/${ctx.project.slug}/${repo.slug}/app${tagOrDigest.startsWith("sha256:") ? "@" : ":"}${tagOrDigest}`;
const skopeo = (...args) => run("skopeo", ["--policy", policy, ...args], { env });
const basic = () => ({ Authorization: `Basic ${Buffer.from(creds()).toString("base64")}` });
const digestOf = (bytes) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

async function v2(path, init = {}) {
  const res = await fetch(`${URL_}/v2/${ctx.project.slug}/${path}`, { ...init, headers: { ...basic(), ...(init.headers ?? {}) } });
  assert.ok(res.ok, `${init.method ?? "GET"} ${path} → ${res.status}: ${await res.clone().text()}`);
  return res;
}

async function pushBlob(repo, bytes) {
  const digest = digestOf(bytes);
  await v2(`${repo.slug}/app/blobs/uploads/?digest=${digest}`, { method: "POST", body: bytes, headers: { "Content-Type": "application/octet-stream" } });
  return { digest, size: bytes.length };
}

test("staging → scan → gated promotion → production pull, signature and webhook", { timeout: 300_000 }, async () => {
  const secret = randomBytes(32).toString("hex");
  const hookPath = `/hook/${unique("p")}`;
  await api("/api/admin/webhooks", { method: "POST", json: { name: unique("promoted"), url: `${base}${hookPath}`, secret, events: ["artifact.promoted"], project_id: ctx.project.id } });

  skopeo("copy", "--dest-tls-verify=false", "--dest-creds", creds(), `oci:${layout}:v1`, ref(ctx.repo, "v1"));

  // A signature made here: a cosign simple-signing payload naming the image's digest.
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { "docker-reference": `${HOSTPORT}/${ctx.project.slug}/${ctx.repo.slug}/app` }, image: { "docker-manifest-digest": image.digest }, type: "cosign container image signature" }, optional: null }));
  const signature = sign("sha256", payload, privateKey).toString("base64");
  const layer = await pushBlob(ctx.repo, payload);
  const empty = await pushBlob(ctx.repo, Buffer.from("{}"));
  const referrer = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: "application/vnd.dev.cosign.simplesigning.v1+json",
      config: { mediaType: "application/vnd.oci.empty.v1+json", ...empty },
      layers: [{ mediaType: "application/vnd.dev.cosign.simplesigning.v1+json", ...layer, annotations: { "dev.cosignproject.cosign/signature": signature } }],
      subject: { mediaType: image.mediaType, digest: image.digest, size: image.size },
    }),
  );
  await v2(`${ctx.repo.slug}/app/manifests/${digestOf(referrer)}`, { method: "PUT", body: referrer, headers: { "Content-Type": OCI_MANIFEST } });

  await api(`/api/v1/repos/${prod.id}/promotion_gates`, { method: "PUT", json: { max_severity: "high", required_labels: [], min_age_seconds: null } });
  // Production trusts that key: a sigstore policy (keyed, no Rekor) is its `signature` gate.
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" });
  await api("/api/admin/sigstore/policies", { method: "POST", json: { name: unique("signed"), mode: "audit", repo_id: prod.id, keys: [{ name: "release", pem: publicKeyPem }], rekor: "optional" } });
  const artifact = { repo_id: ctx.repo.id, name: "app", digest: image.digest };
  const reported = await api("/api/v1/detection/findings", { method: "POST", token: ctx.token, json: { artifact, scanner: { name: "trivy", version: "0.58.1" }, findings: [{ identifier: "CVE-2026-4242", severity: "critical", summary: "remote code execution" }] } });
  assert.equal(reported.created, 1);

  const refused = await fetch(`${URL_}/api/v1/repos/${prod.id}/promote`, { method: "POST", headers: { Authorization: `Bearer ${ctx.token}`, "Content-Type": "application/json" }, body: JSON.stringify({ artifact, tag: "1.0" }) });
  assert.equal(refused.status, 403);
  const why = (await refused.json()).error;
  assert.equal(why.code, "ForbiddenPromotionGates");
  assert.deepEqual(why.detail.gates.map((g) => [g.gate, g.passed]), [["findings", false], ["signature", false]]);
  assert.match(why.detail.gates[0].reason, /1 critical/);
  assert.match(why.detail.gates[1].reason, /unsigned/);

  // cosign's tag scheme: `sha256-<hex>.sig`, the same payload and signature as a layer.
  const sigTag = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...empty },
      layers: [{ mediaType: "application/vnd.dev.cosign.simplesigning.v1+json", ...layer, annotations: { "dev.cosignproject.cosign/signature": signature } }],
    }),
  );
  await v2(`${ctx.repo.slug}/app/manifests/sha256-${image.digest.slice(7)}.sig`, { method: "PUT", body: sigTag, headers: { "Content-Type": OCI_MANIFEST } });
  const verified = await api(`/api/v1/repos/${ctx.repo.id}/images/app/manifests/${image.digest}/verification`, { token: ctx.token });
  assert.deepEqual(verified.policies, []); // the policy selects production only

  await api(`/api/v1/detection/findings/${reported.findings[0].id}`, { method: "PATCH", token: ctx.token, json: { status: "accepted", justification: "not reachable in this image" } });
  const promoted = await api(`/api/v1/repos/${prod.id}/promote`, { method: "POST", token: ctx.token, json: { artifact, tag: "1.0" } });
  assert.equal(promoted.digest, image.digest);
  assert.equal(promoted.referrers, 1);
  assert.deepEqual(promoted.gates.map((g) => [g.gate, g.passed]), [["findings", true], ["signature", true]]);
  assert.match(promoted.gates[1].reason, /1 valid signer/);

  // Production serves the same digest, byte for byte, to skopeo.
  const out = join(work, "pulled");
  skopeo("copy", "--src-tls-verify=false", "--src-creds", creds(), ref(prod, image.digest), `oci:${out}:x`);
  const manifest = JSON.parse(readFileSync(join(out, "blobs", "sha256", image.digest.slice(7)), "utf8"));
  assert.equal(await sha256File(join(out, "blobs", "sha256", image.digest.slice(7))), image.digest.slice(7));
  for (const d of [manifest.config, ...manifest.layers]) assert.equal(await sha256File(join(out, "blobs", "sha256", d.digest.slice(7))), d.digest.slice(7));
  assert.equal(JSON.parse(skopeo("inspect", "--tls-verify=false", "--creds", creds(), ref(prod, "1.0"))).Digest, image.digest);

  // The signature came along and still verifies against the key.
  const refs = await (await v2(`${prod.slug}/app/referrers/${image.digest}`)).json();
  assert.deepEqual(refs.manifests.map((m) => m.digest), [digestOf(referrer)]);
  const sigManifest = await (await v2(`${prod.slug}/app/manifests/${digestOf(referrer)}`, { headers: { Accept: OCI_MANIFEST } })).json();
  const signed = Buffer.from(await (await v2(`${prod.slug}/app/blobs/${sigManifest.layers[0].digest}`)).arrayBuffer());
  assert.equal(verify("sha256", signed, publicKey, Buffer.from(sigManifest.layers[0].annotations["dev.cosignproject.cosign/signature"], "base64")), true);
  assert.equal(JSON.parse(signed).critical.image["docker-manifest-digest"], image.digest);

  const got = await until("the artifact.promoted delivery", () => received.find((r) => r.path === hookPath), 60_000);
  assert.equal(got.headers["x-orbitalreg-event"], "artifact.promoted");
  const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(got.headers["x-orbitalreg-signature"]);
  assert.equal(createHmac("sha256", secret).update(`${t}.${got.raw}`).digest("hex"), v1);
  const event = JSON.parse(got.raw);
  assert.equal(event.data.digest, image.digest);
  assert.equal(event.data.to.repo_id, prod.id);
  assert.deepEqual(event.data.gates.map((g) => [g.gate, g.passed]), [["findings", true], ["signature", true]]);
});
