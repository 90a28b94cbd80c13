// twine 4 and pip against the registry: build an sdist and a wheel locally with
// Debian's setuptools (no network), upload both with twine (again, with
// --skip-existing, and through the ~/.pypirc the client-setup endpoint hands out), then
// pip-install into fresh venvs with only our index (its pip.conf, or --index-url): the
// wheel and the sdist with Debian 12's pip 23.0.1, the wheel again with the machine's
// default pip (which uses the PEP 658 metadata when it is ≥ 23.2).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { URL_, api, scratch, setup, run } from "./lib.mjs";

const SYSTEM_PYTHON = "/usr/bin/python3"; // Debian's, which has python3-setuptools and python3-wheel

function buildProject(dir, version, extra = "") {
  mkdirSync(join(dir, "demo_pkg"), { recursive: true });
  writeFileSync(join(dir, "demo_pkg", "__init__.py"), `VALUE = 42\nVERSION = "${version}"\n${extra}`);
  writeFileSync(
    join(dir, "setup.py"),
    `from setuptools import setup\nsetup(name="Demo.Pkg", version="${version}", packages=["demo_pkg"], python_requires=">=3.8", description="an e2e demo")\n`,
  );
  run(SYSTEM_PYTHON, ["setup.py", "-q", "sdist", "bdist_wheel"], { cwd: dir });
  return readdirSync(join(dir, "dist")).map((f) => join(dir, "dist", f));
}

test("twine upload, pip install from the simple index (Debian 12's pip 23.0.1 and the default one)", async (t) => {
  const { project, repo, token } = await setup("pypi");
  const work = scratch("pypi");
  const base = `${URL_}/pypi/${project.slug}/${repo.slug}`;
  // Only our index: no pip config files, no PIP_* settings (find-links, extra indexes) from the machine.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PIP_")));
  const env = { ...clean, PIP_CONFIG_FILE: "/dev/null", PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_CACHE_DIR: "1", PYTHONDONTWRITEBYTECODE: "1" };
  const twine = (...args) => run("twine", ["upload", "--non-interactive", "--disable-progress-bar", "--repository-url", `${base}/`, "-u", "__token__", "-p", token, ...args], { env });

  const v1 = buildProject(join(work, "v1"), "1.0.0");
  assert.equal(v1.length, 2);
  twine(...v1);
  twine("--skip-existing", ...v1);
  const again = spawnSync("twine", ["upload", "--non-interactive", "--repository-url", base, "-u", "__token__", "-p", token, ...v1], { env, encoding: "utf8" });
  assert.equal(again.status, 0, again.stdout + again.stderr); // same bytes again: accepted, like PyPI
  // Other bytes under an existing file name: refused, and --skip-existing recognises it.
  const v1b = buildProject(join(work, "v1b"), "1.0.0", "# rebuilt\n");
  const clash = spawnSync("twine", ["upload", "--non-interactive", "--disable-progress-bar", "--repository-url", `${base}/`, "-u", "__token__", "-p", token, ...v1b], { env, encoding: "utf8" });
  assert.notEqual(clash.status, 0);
  assert.match(clash.stdout + clash.stderr, /409 Conflict[\s\S]*File already exists/);
  twine("--skip-existing", ...v1b);

  // A wheel twine takes for demo_pkg 1.0.0 (its first METADATA says so) whose own
  // dist-info says 9.9: refused with 400, and twine prints the reason.
  const odd = join(work, "odd", "demo_pkg-1.0.0-py3-none-any.whl");
  mkdirSync(join(work, "odd"));
  run(SYSTEM_PYTHON, ["-c", `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("aaa-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: demo_pkg\\nVersion: 1.0.0\\n\\n")
    z.writestr("demo_pkg-1.0.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: demo_pkg\\nVersion: 9.9\\n\\n")
`, odd]);
  const refused = spawnSync("twine", ["upload", "--non-interactive", "--disable-progress-bar", "--repository-url", `${base}/`, "-u", "__token__", "-p", token, odd], { env, encoding: "utf8" });
  assert.notEqual(refused.status, 0);
  assert.match((refused.stdout + refused.stderr).replace(/\s+/g, " "), /400 Bad Request .* demo_pkg-1\.0\.0-py3-none-any\.whl has a METADATA for version 9\.9, not 1\.0\.0/);

  // pip.conf and ~/.pypirc exactly as the client-setup endpoint hands them out.
  const setupInfo = await api(`/api/v1/repos/${repo.id}/client-setup`);
  const fileOf = (name) => setupInfo.sections.find((s) => s.filename === name).content.replaceAll("<TOKEN>", token);
  const pipConf = join(work, "pip.conf");
  writeFileSync(pipConf, fileOf("~/.config/pip/pip.conf"));
  const index = fileOf("~/.config/pip/pip.conf").match(/^index-url = (.+)$/m)[1];
  const pypirc = join(work, ".pypirc");
  writeFileSync(pypirc, fileOf("~/.pypirc"));
  const repoName = setupInfo.sections.find((s) => s.id === "pypirc").commands[0].split(" ")[3];
  const v2 = buildProject(join(work, "v2"), "1.1.0");
  run("twine", ["upload", "--non-interactive", "--disable-progress-bar", "--config-file", pypirc, "-r", repoName, ...v2], { env });

  const badToken = spawnSync("twine", ["upload", "--non-interactive", "--repository-url", `${base}/`, "-u", "__token__", "-p", "orbsa_wrong", ...v2], { env, encoding: "utf8" });
  assert.notEqual(badToken.status, 0);
  assert.match(badToken.stdout + badToken.stderr, /401|403/);

  // Debian 12's own pip (python3-pip, python3-venv: 23.0.1), the one its users have. The
  // machine's default python3 may carry a newer pip (≥ 23.2), which hides the crash of pip
  // 22.3–23.1 on a JSON page with a `dist-info-metadata` object (PEP 714).
  const debianPip = (dir) => {
    run(SYSTEM_PYTHON, ["-m", "venv", "--system-site-packages", dir], { env });
    const version = run(join(dir, "bin", "pip"), ["--version"], { env });
    assert.match(version, /^pip 23\.0\.1 /, `Debian 12's pip, not ${version}`);
    t.diagnostic(`Debian's pip: ${version.trim()}`);
    return { pip: (args, extraEnv = {}) => run(join(dir, "bin", "pip"), args, { env: { ...env, ...extraEnv } }), python: (code) => run(join(dir, "bin", "python"), ["-c", code], { env, cwd: work }).trim() };
  };

  // The wheel, from a page that lists wheels with core metadata, through pip.conf.
  const deb = debianPip(join(work, "venv-debian"));
  const out = deb.pip(["install", "-v", "demo-pkg"], { PIP_CONFIG_FILE: pipConf });
  assert.match(out, /Successfully installed Demo[.-]Pkg-1\.1\.0/i);
  assert.match(out, /demo_pkg-1\.1\.0-py3-none-any\.whl|Demo\.Pkg-1\.1\.0-py3-none-any\.whl/i);
  assert.equal(deb.python("import demo_pkg; print(demo_pkg.VALUE, demo_pkg.VERSION)"), "42 1.1.0");

  // The sdist too, from the same repo (wheels beside it), built by pip without build
  // isolation (offline) with Debian's setuptools and wheel.
  const debSdist = debianPip(join(work, "venv-debian-sdist"));
  const built = debSdist.pip(["install", "-v", "--index-url", index, "--no-binary", "demo-pkg", "--no-build-isolation", "demo-pkg==1.0.0"]);
  assert.match(built, /Demo[.-]Pkg-1\.0\.0\.tar\.gz/i);
  assert.equal(debSdist.python("import demo_pkg; print(demo_pkg.VERSION)"), "1.0.0");

  // A newer pip (≥ 23.2, when the machine's default python3 has one) reads PEP 714's
  // `core-metadata` and fetches the PEP 658 metadata file instead of the wheel first.
  const venv = join(work, "venv");
  run("python3", ["-m", "venv", venv], { env });
  const newer = run(join(venv, "bin", "pip"), ["--version"], { env }).match(/^pip (\d+)\.(\d+)/);
  const newerOut = run(join(venv, "bin", "pip"), ["install", "-v", "demo-pkg"], { env: { ...env, PIP_CONFIG_FILE: pipConf } });
  assert.match(newerOut, /Successfully installed Demo[.-]Pkg-1\.1\.0/i);
  if (Number(newer[1]) > 23 || (Number(newer[1]) === 23 && Number(newer[2]) >= 2)) {
    assert.match(newerOut, /Obtaining dependency information for demo-pkg from \S+\.whl\.metadata/); // PEP 658
  } else {
    t.diagnostic(`the default python3's pip is ${newer[0]}: PEP 658 use not observable with it`);
  }

  // Without credentials the private index refuses pip.
  const anon = spawnSync(join(work, "venv-debian", "bin", "pip"), ["download", "--no-deps", "-d", join(work, "dl"), "--index-url", `${URL_}/pypi/${project.slug}/${repo.slug}/simple/`, "demo-pkg"], { env, encoding: "utf8" });
  assert.notEqual(anon.status, 0);
  assert.match(anon.stdout + anon.stderr, /401/);
});
