#!/usr/bin/env node
// Per-request cost of the hot read paths under `wrangler dev` (one client, `hey -c 1`):
// liveness, public config, and manifest HEAD/GET anonymous, with a token and as admin.
// Compare the manifest rows with health/live, which is wrangler's own floor.
//   node bench/probe.mjs        (needs `hey`)
import { bufferBlob, request, startProcess, waitFor, freePort, hey, expectStatus } from "./lib.mjs";
import { registryTarget } from "./targets.mjs";
import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const work = mkdtempSync(join(tmpdir(), "orbitalreg-probe-"));
const port = await freePort();
const admin = "probe-admin";
const env = { ...process.env, PATH: `${root}/node_modules/.bin:${process.env.PATH}`, X_LOCAL_OBSERVABILITY: "false" };
const p = startProcess(`${root}/node_modules/.bin/node`, [`${root}/scripts/dev.mjs`, "--port", String(port), "--inspector-port", String(await freePort()), "--persist-to", join(work, "state"), "--log-level", "warn", "--var", `ORBITALREG_ADMIN_TOKEN:${admin}`], { cwd: root, env });
const base = `http://127.0.0.1:${port}`;
await waitFor(`${base}/health/live`);
const api = async (path, json) => JSON.parse((await expectStatus(await request(`${base}${path}`, { method: "POST", headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" }, body: JSON.stringify(json) }), 201, path)).body);
const project = await api("/api/v1/projects", { slug: "probe" });
await api("/api/v1/repos", { project_id: project.id, slug: "img", format: "docker", visibility: "public" });
const sa = await api(`/api/v1/projects/${project.id}/service_accounts`, { name: "b", role: "writer" });
const { token } = await api(`/api/v1/projects/${project.id}/service_accounts/${sa.id}/tokens`, { name: "b" });
const auth = `Basic ${Buffer.from(`x:${token}`).toString("base64")}`;
const t = registryTarget("o", base, "probe/img/app", auth);
const layer = bufferBlob(randomBytes(1000));
await t.pushMonolithic(layer);
const cfg = bufferBlob(Buffer.from("{}"));
await t.pushMonolithic(cfg);
await t.putManifest("v1", Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: cfg.digest, size: cfg.size }, layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: layer.digest, size: layer.size }] })));
const A = { Accept: "application/vnd.oci.image.manifest.v1+json" };
const cases = [
  ["health/live", `${base}/health/live`, {}],
  ["public-config", `${base}/api/public-config`, {}],
  ["HEAD manifest anon (public)", `${base}/v2/probe/img/app/manifests/v1`, A, "HEAD"],
  ["HEAD manifest basic", `${base}/v2/probe/img/app/manifests/v1`, { ...A, Authorization: auth }, "HEAD"],
  ["GET manifest basic", `${base}/v2/probe/img/app/manifests/v1`, { ...A, Authorization: auth }, "GET"],
  ["HEAD manifest admin", `${base}/v2/probe/img/app/manifests/v1`, { ...A, Authorization: `Bearer ${admin}` }, "HEAD"],
];
for (const [label, url, headers, method = "GET"] of cases) {
  const r = hey(url, { n: 600, c: 1, method, headers });
  console.log(label.padEnd(32), r.rps.toFixed(0), "req/s", r.p50.toFixed(1), "ms p50");
}
await p.stop();
rmSync(work, { recursive: true, force: true });
