// Real `go get` through GOPROXY: upload a module zip (built here) with curl, then fetch
// and build it from a fresh module. The repo is public: the go command never sends
// credentials over plain http.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { URL_, run, scratch, setup } from "./lib.mjs";

const MODULE = "example.com/Orb/greet"; // upper case: exercises `!o` escaping

// `extra` is a file name put beside greet.go; `dirs` adds directory entries, as `zip -r`
// writes them (the go command accepts them, and so must the registry).
function buildZip(dir, module, version, { dirs = false, extra = null } = {}) {
  const zip = join(dir, `${version}${extra ? "-extra" : ""}.zip`);
  const script = `
import sys, zipfile
module, version, out, dirs, extra = sys.argv[1:6]
p = f"{module}@{version}/"
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    if dirs == "1":
        z.writestr(p, "")
        z.writestr(p + "internal/", "")
    z.writestr(p + "go.mod", f"module {module}\\n\\ngo 1.19\\n")
    z.writestr(p + "greet.go", 'package greet\\n\\nfunc Hello() string { return "hello from ' + version + '" }\\n')
    if dirs == "1":
        z.writestr(p + "internal/doc.go", "package internal\\n")
    if extra:
        z.writestr(p + extra, "package greet\\n")
`;
  run("python3", ["-c", script, module, version, zip, dirs ? "1" : "0", extra ?? ""]);
  return zip;
}

test("go get fetches a module uploaded to the registry through GOPROXY", async () => {
  const { project, repo, token } = await setup("go", { visibility: "public" });
  const work = scratch("go");
  const proxy = `${URL_}/go/${project.slug}/${repo.slug}`;
  const escaped = MODULE.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
  // A file name the module zip rules forbid (a Windows device name) is refused, named.
  const refused = run("curl", ["-s", "-w", "\\n%{http_code}", "-u", `ci:${token}`, "-T", buildZip(work, MODULE, "v1.0.0", { extra: "con.go" }), `${proxy}/${escaped}/@v/v1.0.0.zip`]);
  assert.match(refused, /"example.com\/Orb\/greet@v1.0.0\/con.go": "con" disallowed as path element component on Windows\n+400$/);
  for (const version of ["v1.0.0", "v1.1.0"]) {
    const zip = buildZip(work, MODULE, version, { dirs: version === "v1.1.0" });
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
