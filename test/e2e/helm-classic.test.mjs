// A classic Helm chart repository with no helm binary on the machine (Debian has none):
// charts packaged with GNU tar as `helm package` lays them out, one signed with gpg as
// `helm package --sign` does, uploaded with curl through ChartMuseum's API; index.yaml is
// checked against Helm's repository index format with a YAML parser, and every chart is
// fetched by the URL the index lists, resolved as Helm resolves it, bit for bit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parse } from "yaml";
import semver from "semver";
import { URL_, run, scratch, setup } from "./lib.mjs";

function packageChart(dir, name, version) {
  const src = join(dir, `src-${version}`, name);
  mkdirSync(join(src, "templates"), { recursive: true });
  const chartYaml = `apiVersion: v2\nname: ${name}\ndescription: OrbitalReg e2e chart\ntype: application\nversion: ${version}\nappVersion: "${version}"\n`;
  writeFileSync(join(src, "Chart.yaml"), chartYaml);
  writeFileSync(join(src, "values.yaml"), "replicaCount: 1\n");
  writeFileSync(join(src, "templates", "configmap.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n");
  const file = join(dir, `${name}-${version}.tgz`);
  run("tar", ["-czf", file, "-C", join(dir, `src-${version}`), name]);
  return { file, chartYaml };
}

/** Helm's repo index rules (helm/pkg/repo IndexFile and ChartVersion validation). */
function assertHelmIndex(index) {
  assert.equal(index.apiVersion, "v1");
  assert.ok(!Number.isNaN(Date.parse(index.generated)), "generated is a timestamp");
  assert.equal(typeof index.entries, "object");
  for (const [name, versions] of Object.entries(index.entries)) {
    assert.ok(Array.isArray(versions) && versions.length > 0);
    for (const v of versions) {
      assert.equal(v.name, name);
      assert.ok(["v1", "v2"].includes(v.apiVersion));
      assert.ok(semver.valid(v.version), `${v.version} is SemVer 2`);
      assert.match(v.digest, /^[a-f0-9]{64}$/);
      assert.ok(!Number.isNaN(Date.parse(v.created)), "created is a timestamp");
      assert.ok(Array.isArray(v.urls) && v.urls.length > 0);
    }
    const sorted = [...versions].sort((a, b) => semver.rcompare(a.version, b.version));
    assert.deepEqual(versions.map((v) => v.version), sorted.map((v) => v.version), "newest first, as helm sorts them");
  }
}

test("index.yaml follows Helm's repository format and its URLs fetch the uploaded charts bit for bit", async () => {
  const { project, repo, token } = await setup("helm-classic");
  const dir = scratch("helm");
  const repoUrl = `${URL_}/helm/${project.slug}/${repo.slug}`;
  const auth = ["-u", `token:${token}`];

  const plain = packageChart(dir, "orb-web", "1.0.0");
  const saved = JSON.parse(run("curl", ["-sSf", ...auth, "--data-binary", `@${plain.file}`, `${repoUrl}/api/charts`]));
  assert.equal(saved.saved, true);

  // helm package --sign: the Chart.yaml, "...", and the archive's digest, clear-signed.
  const signed = packageChart(dir, "orb-web", "1.1.0");
  const gnupg = join(dir, "gnupg");
  mkdirSync(gnupg, { mode: 0o700 });
  run("gpg", ["--homedir", gnupg, "--batch", "--passphrase", "", "--quick-gen-key", "Chart Signer <charts@example.com>", "ed25519", "sign", "never"]);
  const digest = createHash("sha256").update(readFileSync(signed.file)).digest("hex");
  writeFileSync(join(dir, "prov-body"), `${signed.chartYaml}\n...\nfiles:\n  orb-web-1.1.0.tgz: sha256:${digest}\n`);
  run("gpg", ["--homedir", gnupg, "--batch", "--yes", "--clearsign", "-o", `${signed.file}.prov`, join(dir, "prov-body")]);
  run("curl", ["-sSf", ...auth, "-F", `chart=@${signed.file}`, "-F", `prov=@${signed.file}.prov`, `${repoUrl}/api/charts`]);

  const status = (file) => spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", ...auth, "--data-binary", `@${file}`, `${repoUrl}/api/charts`], { encoding: "utf8" }).stdout;
  assert.equal(status(plain.file), "200", "the same chart bytes again are a no-op");
  writeFileSync(join(dir, "src-1.0.0", "orb-web", "values.yaml"), "replicaCount: 2\n");
  run("tar", ["-czf", join(dir, "changed.tgz"), "-C", join(dir, "src-1.0.0"), "orb-web"]);
  assert.equal(status(join(dir, "changed.tgz")), "409", "another archive for a stored version is refused");

  const index = parse(run("curl", ["-sSf", ...auth, `${repoUrl}/index.yaml`]));
  assertHelmIndex(index);
  assert.deepEqual(Object.keys(index.entries), ["orb-web"]);
  assert.deepEqual(index.entries["orb-web"].map((v) => v.version), ["1.1.0", "1.0.0"]);
  for (const v of index.entries["orb-web"]) {
    const url = new URL(v.urls[0], `${repoUrl}/`).href; // helm resolves relative URLs against the repo URL
    const out = join(dir, `got-${v.version}.tgz`);
    run("curl", ["-sSf", ...auth, "-o", out, url]);
    const local = v.version === "1.0.0" ? plain.file : signed.file;
    assert.deepEqual(readFileSync(out), readFileSync(local));
    assert.equal(createHash("sha256").update(readFileSync(out)).digest("hex"), v.digest);
  }
  const prov = join(dir, "got.prov");
  run("curl", ["-sSf", ...auth, "-o", prov, `${repoUrl}/charts/orb-web-1.1.0.tgz.prov`]);
  assert.equal(spawnSync("gpg", ["--homedir", gnupg, "--verify", prov], { encoding: "utf8" }).status, 0);

  const anon = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", `${repoUrl}/index.yaml`], { encoding: "utf8" });
  assert.equal(anon.stdout, "401");
});
