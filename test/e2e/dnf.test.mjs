// dnf against a private RPM repository: rpmbuild builds two versions of a package and
// rpmsign signs them, curl uploads them, and Debian's dnf (config, repos, cache and an
// install root in a temp dir; gpgcheck and repo_gpgcheck on, the repo key fetched from
// the registry) lists both, downloads the older one bit for bit and installs the newer
// one into the temp root.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { URL_, run, scratch, setup } from "./lib.mjs";

function buildRpm(dir, version, gnupg) {
  const top = join(dir, `rpmbuild-${version}`);
  mkdirSync(join(top, "SPECS"), { recursive: true });
  const spec = join(top, "SPECS", "orb-hello.spec");
  writeFileSync(
    spec,
    `Name: orb-hello
Version: ${version}
Release: 1
Summary: OrbitalReg dnf e2e package
License: MIT
BuildArch: noarch
AutoReqProv: no

%description
Built by rpmbuild in the e2e test.

%install
mkdir -p %{buildroot}/usr/share/orb-hello
echo ${version} > %{buildroot}/usr/share/orb-hello/VERSION

%files
/usr/share/orb-hello/VERSION
`,
  );
  run("rpmbuild", ["-bb", "--quiet", "--define", `_topdir ${top}`, spec]);
  const file = join(top, "RPMS", "noarch", `orb-hello-${version}-1.noarch.rpm`);
  run("rpmsign", ["--addsign", "--define", "_gpg_name OrbitalReg E2E Packager", "--define", `_gpg_path ${gnupg}`, "--define", "__gpg /usr/bin/gpg", file]);
  return file;
}

test("dnf lists both versions of a signed package, downloads the older bit for bit and installs the newer into a temp root", async () => {
  const { project, repo, token } = await setup("rpm");
  const dir = scratch("dnf");
  const gnupg = join(dir, "gnupg");
  mkdirSync(gnupg, { mode: 0o700 });
  run("gpg", ["--homedir", gnupg, "--batch", "--passphrase", "", "--quick-gen-key", "OrbitalReg E2E Packager <e2e@example.com>", "rsa3072", "sign", "never"]);
  const packagerKey = join(dir, "packager.asc");
  writeFileSync(packagerKey, run("gpg", ["--homedir", gnupg, "--armor", "--export", "OrbitalReg E2E Packager"]));

  const repoUrl = `${URL_}/rpm/${project.slug}/${repo.slug}`;
  const rpms = { "1.0": buildRpm(dir, "1.0", gnupg), "1.1": buildRpm(dir, "1.1", gnupg) };
  for (const [version, file] of Object.entries(rpms)) {
    const put = JSON.parse(run("curl", ["-sSf", "-u", `token:${token}`, "-T", file, `${repoUrl}/upload`]));
    assert.equal(put.location, `Packages/o/orb-hello-${version}-1.noarch.rpm`);
  }

  const root = join(dir, "root");
  const reposDir = join(dir, "repos.d");
  for (const d of [root, reposDir, join(dir, "cache"), join(dir, "log"), join(dir, "downloads")]) mkdirSync(d, { recursive: true });
  writeFileSync(
    join(reposDir, "orbitalreg.repo"),
    `[orbitalreg]
name=OrbitalReg e2e
baseurl=${repoUrl}/
enabled=1
gpgcheck=1
repo_gpgcheck=1
gpgkey=${repoUrl}/repodata/repomd.xml.key file://${packagerKey}
username=token
password=${token}
`,
  );
  const conf = join(dir, "dnf.conf");
  writeFileSync(conf, `[main]\nreposdir=${reposDir}\ncachedir=${join(dir, "cache")}\nlogdir=${join(dir, "log")}\ninstall_weak_deps=False\nkeepcache=True\n`);
  const dnf = (...args) =>
    spawnSync("dnf", ["-c", conf, `--installroot=${root}`, `--setopt=reposdir=${reposDir}`, `--setopt=cachedir=${join(dir, "cache")}`, "--releasever=1", "-y", ...args], {
      encoding: "utf8",
      env: { ...process.env, LC_ALL: "C.UTF-8" },
    });

  const list = dnf("list", "--showduplicates", "orb-hello");
  assert.equal(list.status, 0, `${list.stdout}${list.stderr}`);
  assert.match(list.stdout, /orb-hello\.noarch\s+1\.0-1\s+orbitalreg/);
  assert.match(list.stdout, /orb-hello\.noarch\s+1\.1-1\s+orbitalreg/);
  // repo_gpgcheck: dnf fetched the served key (with the repo's credentials) to check repomd.xml.asc.
  assert.match(list.stderr, new RegExp(`From\\s*: ${repoUrl}/repodata/repomd\\.xml\\.key`));

  const downloads = join(dir, "downloads");
  const download = dnf("install", "--downloadonly", `--downloaddir=${downloads}`, "orb-hello-1.0-1");
  assert.equal(download.status, 0, `${download.stdout}${download.stderr}`);
  assert.deepEqual(readdirSync(downloads).filter((f) => f.endsWith(".rpm")), ["orb-hello-1.0-1.noarch.rpm"]);
  assert.deepEqual(readFileSync(join(downloads, "orb-hello-1.0-1.noarch.rpm")), readFileSync(rpms["1.0"]));

  const install = dnf("install", "orb-hello");
  assert.equal(install.status, 0, `${install.stdout}${install.stderr}`);
  assert.equal(run("rpm", ["--root", root, "-q", "orb-hello"]).trim(), "orb-hello-1.1-1.noarch");
  assert.equal(readFileSync(join(root, "usr/share/orb-hello/VERSION"), "utf8"), "1.1\n");
});

test("dnf refuses the repository when repomd.xml's signature is checked against another key", async () => {
  const { project, repo, token } = await setup("rpm", { visibility: "public" });
  const other = await setup("rpm", { visibility: "public" });
  const dir = scratch("dnf-wrong-key");
  const repoUrl = `${URL_}/rpm/${project.slug}/${repo.slug}`;
  const reposDir = join(dir, "repos.d");
  for (const d of [reposDir, join(dir, "cache"), join(dir, "log"), join(dir, "root")]) mkdirSync(d, { recursive: true });
  // Any package makes the repo non-empty; an unsigned one is fine for listing.
  const rpmFile = join(dir, "x.rpm");
  writeFileSync(rpmFile, readFileSync(new URL("../fixtures/os-packages.ts", import.meta.url), "utf8").match(/RPM = "([^"]+)"/)[1], "base64");
  run("curl", ["-sSf", "-u", `token:${token}`, "-T", rpmFile, `${repoUrl}/upload`]);
  run("curl", ["-sSf", `${URL_}/rpm/${other.project.slug}/${other.repo.slug}/repodata/repomd.xml.key`, "-o", join(dir, "other.asc")]);
  writeFileSync(join(reposDir, "o.repo"), `[o]\nname=o\nbaseurl=${repoUrl}/\ngpgcheck=0\nrepo_gpgcheck=1\ngpgkey=file://${join(dir, "other.asc")}\n`);
  const conf = join(dir, "dnf.conf");
  writeFileSync(conf, `[main]\nreposdir=${reposDir}\ncachedir=${join(dir, "cache")}\nlogdir=${join(dir, "log")}\n`);
  const list = spawnSync("dnf", ["-c", conf, `--installroot=${join(dir, "root")}`, "--releasever=1", "-y", "list", "--available"], { encoding: "utf8" });
  assert.notEqual(list.status, 0, `${list.stdout}${list.stderr}`);
  assert.match(`${list.stdout}${list.stderr}`, /repomd\.xml GPG signature verification error/);
  assert.doesNotMatch(list.stdout, /orb-fixture/);
});
