// twine 4 and pip 23 against the registry: build an sdist and a wheel locally with
// Debian's setuptools (no network), upload both with twine (again, with
// --skip-existing, and through the ~/.pypirc the client-setup endpoint hands out), then
// pip-install into fresh venvs with only our index (its pip.conf, or --index-url):
// the wheel (using PEP 658 metadata) and the sdist.
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

test("twine upload, pip install from the simple index", async () => {
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

  const venv = join(work, "venv");
  run("python3", ["-m", "venv", venv], { env });
  const pip = (...args) => run(join(venv, "bin", "pip"), args, { env });
  const py = (code) => run(join(venv, "bin", "python"), ["-c", code], { env }).trim();

  const out = run(join(venv, "bin", "pip"), ["install", "-v", "demo-pkg"], { env: { ...env, PIP_CONFIG_FILE: pipConf } });
  assert.match(out, /Obtaining dependency information for demo-pkg from \S+\.whl\.metadata/); // PEP 658
  assert.match(out, /Successfully installed Demo\.Pkg-1\.1\.0|Successfully installed demo-pkg-1\.1\.0|Successfully installed Demo-Pkg-1\.1\.0/i);
  assert.match(out, /\.whl/);
  assert.equal(py("import demo_pkg; print(demo_pkg.VALUE, demo_pkg.VERSION)"), "42 1.1.0");

  // The sdist too, built by pip without build isolation (offline) in a venv that sees
  // Debian's setuptools and wheel.
  const venv2 = join(work, "venv-sdist");
  run(SYSTEM_PYTHON, ["-m", "venv", "--system-site-packages", venv2], { env });
  run(join(venv2, "bin", "pip"), ["install", "--index-url", index, "--no-binary", "demo-pkg", "--no-build-isolation", "demo-pkg==1.0.0"], { env });
  assert.equal(run(join(venv2, "bin", "python"), ["-c", "import demo_pkg; print(demo_pkg.VERSION)"], { env, cwd: work }).trim(), "1.0.0");

  // Without credentials the private index refuses pip.
  const anon = spawnSync(join(venv, "bin", "pip"), ["download", "--no-deps", "-d", join(work, "dl"), "--index-url", `${URL_}/pypi/${project.slug}/${repo.slug}/simple/`, "demo-pkg"], { env, encoding: "utf8" });
  assert.notEqual(anon.status, 0);
  assert.match(anon.stdout + anon.stderr, /401/);
});
