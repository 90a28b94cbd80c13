// Real `go get` through GOPROXY: upload a module zip (built here) with curl, then fetch
// and build it from a fresh module. The repo is public: the go command never sends
// credentials over plain http.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { URL_, run, scratch, setup } from "./lib.mjs";

const MODULE = "example.com/Orb/greet"; // upper case: exercises `!o` escaping

function buildZip(dir, module, version) {
  const zip = join(dir, `${version}.zip`);
  const script = `
import sys, zipfile
module, version, out = sys.argv[1:4]
p = f"{module}@{version}/"
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(p + "go.mod", f"module {module}\\n\\ngo 1.19\\n")
    z.writestr(p + "greet.go", 'package greet\\n\\nfunc Hello() string { return "hello from ' + version + '" }\\n')
`;
  run("python3", ["-c", script, module, version, zip]);
  return zip;
}

test("go get fetches a module uploaded to the registry through GOPROXY", async () => {
  const { project, repo, token } = await setup("go", { visibility: "public" });
  const work = scratch("go");
  const proxy = `${URL_}/go/${project.slug}/${repo.slug}`;
  const escaped = MODULE.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
  for (const version of ["v1.0.0", "v1.1.0"]) {
    const zip = buildZip(work, MODULE, version);
    const out = run("curl", ["-sf", "-u", `ci:${token}`, "-T", zip, `${proxy}/${escaped}/@v/${version}.zip`]);
    assert.match(out, /"file":"zip"/);
  }
  assert.equal(run("curl", ["-sf", `${proxy}/${escaped}/@v/list`]).trim().split("\n").sort().join(","), "v1.0.0,v1.1.0");
  assert.match(run("curl", ["-sf", `${proxy}/${escaped}/@latest`]), /"Version":"v1.1.0"/);

  const app = join(work, "app");
  mkdirSync(app);
  writeFileSync(join(app, "go.mod"), "module example.com/app\n\ngo 1.19\n");
  writeFileSync(join(app, "main.go"), `package main\n\nimport (\n\t"fmt"\n\t"${MODULE}"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n`);
  const env = {
    ...process.env,
    GOPROXY: proxy,
    GOFLAGS: "-mod=mod",
    GONOSUMDB: "example.com",
    GOPATH: join(work, "gopath"),
    GOMODCACHE: join(work, "gopath", "mod"),
    GOCACHE: join(work, "gocache"),
    GOTOOLCHAIN: "local",
  };
  run("go", ["get", `${MODULE}@v1.0.0`], { cwd: app, env });
  assert.match(readFileSync(join(app, "go.mod"), "utf8"), /example.com\/Orb\/greet v1.0.0/);
  assert.equal(run("go", ["run", "."], { cwd: app, env }).trim(), "hello from v1.0.0");
  run("go", ["get", `${MODULE}@latest`], { cwd: app, env });
  assert.equal(run("go", ["run", "."], { cwd: app, env }).trim(), "hello from v1.1.0");
});
