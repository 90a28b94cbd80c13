// Runs the walk-throughs exactly as published, so the documented commands can't rot:
// the README's five-minute walk-through (podman build and push, skopeo inspect, npm
// publish with a service-account token, then the OIDC exchange of a GitHub Actions job,
// answered by a local issuer) and docs/api.md's governance API walk-through with curl.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADMIN, URL_, api, run, runAsync, scratch, snippet } from "./lib.mjs";
import { startIssuer } from "./oidc-issuer.mjs";

let idp;
before(async () => (idp = await startIssuer()));
after(() => idp.close());

/**
 * The environment of a reader's shell, kept inside a scratch directory: podman's image
 * store (vfs, so no privileges beyond the user's), npm's config and cache, mktemp.
 */
function sandbox(name) {
  const work = scratch(name);
  const storage = join(work, "storage.conf");
  writeFileSync(storage, `[storage]\ndriver = "vfs"\nrunroot = "${work}/run"\ngraphroot = "${work}/root"\n`);
  writeFileSync(join(work, "user.npmrc"), "");
  return {
    ...process.env,
    HOME: work,
    TMPDIR: work,
    XDG_RUNTIME_DIR: join(work, "xdg"),
    CONTAINERS_STORAGE_CONF: storage,
    npm_config_userconfig: join(work, "user.npmrc"),
    npm_config_cache: join(work, "npm-cache"),
    NO_UPDATE_NOTIFIER: "1",
  };
}

test("the README's five-minute walk-through and its CI token exchange work as written", async () => {
  const script = `${snippet("README.md", "walkthrough")}\n${snippet("README.md", "walkthrough-ci")}\necho "project=$P $PROJECT_ID"\n`;
  const env = { ...sandbox("walkthrough"), BASE: URL_, ADMIN, ISSUER: idp.url, ...idp.githubEnv };
  // asynchronous: the registry fetches the issuer's keys from this process meanwhile
  const out = await runAsync("bash", ["-euo", "pipefail", "-c", script], { env });
  const [, project, projectId] = out.match(/^project=(\S+) (\S+)$/m) ?? [];
  assert.ok(projectId, out);

  // 3. the image is in the registry, under the digest skopeo printed
  const digest = out.match(/^(sha256:[0-9a-f]{64})$/m)?.[1];
  assert.ok(digest, `skopeo printed the digest\n${out}`);
  const head = await fetch(`${URL_}/v2/${project}/images/hello/manifests/1.0`, {
    method: "HEAD",
    headers: { Authorization: `Bearer ${ADMIN}`, Accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" },
  });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("docker-content-digest"), digest);

  // 4. npm published, and `npm view` read it back
  assert.match(out, /^\+ hello-orbitalreg@1\.0\.0$/m);
  assert.match(out, /^1\.0\.0$/m);
  const repos = await api(`/api/v1/repos?project_id=${projectId}`);
  assert.deepEqual(repos.items.map((r) => [r.slug, r.format]).sort(), [["images", "docker"], ["npm", "npm"]]);
  const npmRepo = repos.items.find((r) => r.slug === "npm");
  const packages = await api(`/api/v1/repos/${npmRepo.id}/packages`);
  assert.deepEqual(packages.items.map((p) => p.name), ["hello-orbitalreg"]);

  // CI: the exchanged token listed the image's tags
  assert.match(out, new RegExp(`^\\{"name":"${project}/images/hello","tags":\\["1\\.0"\\]\\}$`, "m"));
  const audit = await api(`/api/v1/audit?project_id=${projectId}&action=oidc.exchange`);
  assert.deepEqual(audit.items.map((a) => [a.after.outcome, a.after.claims.repository]), [["accepted", "acme/app"]]);
});

test("docs/api.md's governance walk-through with curl works as written", () => {
  const out = run("bash", ["-euo", "pipefail", "-c", snippet("docs/api.md", "api-walkthrough")], { env: { ...process.env, BASE: URL_, ADMIN } });
  assert.match(out, /"slug":"files"/);
  assert.match(out, /^403$/m);
  assert.match(out, /"action":"token.create"/);
});
