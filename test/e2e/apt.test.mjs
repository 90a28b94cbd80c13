// apt against a private Debian repository: dpkg-deb builds two versions of a package,
// curl uploads them, and Debian's own apt-get (its sources list, state, cache, auth.conf
// and keyring in a temp dir) updates with no warning, sees both versions and downloads
// the older one bit for bit; gpgv verifies InRelease with the served key; a repository
// pinned to another key fails to update.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { URL_, run, scratch, setup } from "./lib.mjs";

const arch = run("dpkg", ["--print-architecture"]).trim();

function buildDeb(dir, version) {
  const root = join(dir, `pkg-${version}`);
  mkdirSync(join(root, "DEBIAN"), { recursive: true });
  mkdirSync(join(root, "usr/share/orb-hello"), { recursive: true });
  writeFileSync(join(root, "usr/share/orb-hello/VERSION"), `${version}\n`);
  writeFileSync(
    join(root, "DEBIAN/control"),
    `Package: orb-hello\nVersion: ${version}\nArchitecture: ${arch}\nMaintainer: e2e <e2e@example.com>\nDescription: OrbitalReg apt e2e package\n Built by dpkg-deb in the e2e test.\n`,
  );
  const out = join(dir, `orb-hello_${version}_${arch}.deb`);
  run("dpkg-deb", ["--root-owner-group", "--build", root, out]);
  return out;
}

/** apt with everything it reads or writes under `dir` (no system-wide change). */
function aptEnv(dir, sourcesLine, authLine) {
  for (const d of ["state/lists/partial", "cache/archives/partial", "etc/apt.conf.d", "etc/preferences.d", "etc/trusted.gpg.d", "etc/sources.list.d", "etc/auth.conf.d", "dl"]) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, "status"), "");
  writeFileSync(join(dir, "etc/sources.list"), `${sourcesLine}\n`);
  writeFileSync(join(dir, "etc/auth.conf"), authLine, { mode: 0o600 });
  const opts = {
    "Dir::Etc::SourceList": join(dir, "etc/sources.list"),
    "Dir::Etc::SourceParts": join(dir, "etc/sources.list.d"),
    "Dir::Etc::Parts": join(dir, "etc/apt.conf.d"),
    "Dir::Etc::Preferences": join(dir, "etc/preferences"),
    "Dir::Etc::PreferencesParts": join(dir, "etc/preferences.d"),
    "Dir::Etc::Trusted": join(dir, "etc/trusted.gpg"),
    "Dir::Etc::TrustedParts": join(dir, "etc/trusted.gpg.d"),
    "Dir::Etc::netrc": join(dir, "etc/auth.conf"),
    "Dir::Etc::netrcparts": join(dir, "etc/auth.conf.d"),
    "Dir::State": join(dir, "state"),
    "Dir::State::status": join(dir, "status"),
    "Dir::Cache": join(dir, "cache"),
    "APT::Architecture": arch,
    "APT::Architectures": arch,
    // The temp dir is root's (0700): apt's download sandbox user could not write into it.
    "APT::Sandbox::User": "root",
    "Debug::NoLocking": "1",
  };
  const args = Object.entries(opts).flatMap(([k, v]) => ["-o", `${k}=${v}`]);
  return (cmd, extra, cwd) => spawnSync(cmd, [...args, ...extra], { encoding: "utf8", cwd, env: { ...process.env, LC_ALL: "C" } });
}

test("apt-get updates from a private repo with no warning, sees both versions and downloads one bit for bit", async () => {
  const { project, repo, token } = await setup("deb");
  const dir = scratch("apt");
  const repoUrl = `${URL_}/deb/${project.slug}/${repo.slug}`;
  const debs = { "1.0-1": buildDeb(dir, "1.0-1"), "1.1-1": buildDeb(dir, "1.1-1") };
  for (const [version, file] of Object.entries(debs)) {
    const put = JSON.parse(run("curl", ["-sSf", "-u", `token:${token}`, "-T", file, `${repoUrl}/upload?distribution=bookworm&component=main`]));
    assert.equal(put.version, version);
  }
  const key = join(dir, "repo-key.asc");
  run("curl", ["-sSf", "-u", `token:${token}`, "-o", key, `${repoUrl}/key.asc`]);

  // gpgv, the verifier apt itself calls, accepts InRelease with the served key (dearmored).
  const keyring = join(dir, "repo-key.gpg");
  run("curl", ["-sSf", "-u", `token:${token}`, "-o", keyring, `${repoUrl}/key.gpg`]);
  const inRelease = join(dir, "InRelease");
  run("curl", ["-sSf", "-u", `token:${token}`, "-o", inRelease, `${repoUrl}/dists/bookworm/InRelease`]);
  const gpgv = spawnSync("gpgv", ["--keyring", keyring, inRelease], { encoding: "utf8" });
  assert.equal(gpgv.status, 0, gpgv.stderr);
  assert.match(gpgv.stderr, /Good signature/);

  const host = new URL(URL_).host;
  const apt = aptEnv(join(dir, "apt"), `deb [signed-by=${key}] ${repoUrl} bookworm main`, `machine http://${host}/deb/${project.slug}/${repo.slug}\nlogin token\npassword ${token}\n`);
  const update = apt("apt-get", ["update"]);
  const output = `${update.stdout}${update.stderr}`;
  assert.equal(update.status, 0, output);
  assert.doesNotMatch(output, /^(W|E|N):/m, `apt-get update must print no warning, error or notice:\n${output}`);
  assert.match(output, /InRelease/);

  const policy = apt("apt-cache", ["policy", "orb-hello"]);
  assert.equal(policy.status, 0, policy.stderr);
  assert.match(policy.stdout, /Candidate: 1\.1-1/);
  assert.match(policy.stdout, /^\s+1\.1-1 500$/m);
  assert.match(policy.stdout, /^\s+1\.0-1 500$/m);

  const dl = join(dir, "apt", "dl");
  const download = apt("apt-get", ["download", "orb-hello=1.0-1"], dl);
  assert.equal(download.status, 0, `${download.stdout}${download.stderr}`);
  assert.doesNotMatch(`${download.stdout}${download.stderr}`, /^(W|E):/m);
  assert.deepEqual(readFileSync(join(dl, `orb-hello_1.0-1_${arch}.deb`)), readFileSync(debs["1.0-1"]));
});

test("apt-get update fails when the repository is pinned to another key", async () => {
  const { project, repo, token } = await setup("deb", { visibility: "public" });
  const other = await setup("deb", { visibility: "public" });
  const dir = scratch("apt-wrong-key");
  const repoUrl = `${URL_}/deb/${project.slug}/${repo.slug}`;
  const otherUrl = `${URL_}/deb/${other.project.slug}/${other.repo.slug}`;
  const file = buildDeb(dir, "2.0-1");
  run("curl", ["-sSf", "-u", `token:${token}`, "-T", file, `${repoUrl}/upload`]);
  run("curl", ["-sSf", "-u", `token:${other.token}`, "-T", file, `${otherUrl}/upload`]);
  const wrongKey = join(dir, "other-key.asc");
  run("curl", ["-sSf", "-o", wrongKey, `${otherUrl}/key.asc`]);
  const apt = aptEnv(join(dir, "apt"), `deb [signed-by=${wrongKey}] ${repoUrl} bookworm main`, "");
  const update = apt("apt-get", ["update"]);
  const output = `${update.stdout}${update.stderr}`;
  assert.notEqual(update.status, 0, output);
  assert.match(output, /NO_PUBKEY|not signed|signatures couldn't be verified/);
  assert.equal(apt("apt-cache", ["policy", "orb-hello"]).stdout.includes("2.0-1"), false);
});
