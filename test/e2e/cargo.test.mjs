// Real cargo against a private sparse registry: publish a crate, build a second crate
// that depends on it from this registry only, yank, search, and refuse a bad token.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { URL_, run, scratch, setup, unique } from "./lib.mjs";

// rustup installs cargo under ~/.cargo/bin, which a non-login shell may not have on PATH.
const rustupCargo = join(homedir(), ".cargo", "bin", "cargo");
const onPath = spawnSync("cargo", ["--version"]).status === 0;
const CARGO = process.env.CARGO_BIN ?? (onPath || !existsSync(rustupCargo) ? "cargo" : rustupCargo);

function crate(dir, name, version, { deps = "", lib = "" } = {}) {
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(
    join(dir, "Cargo.toml"),
    `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\ndescription = "e2e crate ${name}"\nlicense = "MIT"\n\n[dependencies]\n${deps}\n`,
  );
  writeFileSync(join(dir, "src", "lib.rs"), lib);
}

test("cargo publishes, resolves, builds, yanks and searches against the sparse index", async () => {
  const { project, repo, token } = await setup("cargo");
  const work = scratch("cargo");
  const home = join(work, "cargo-home");
  mkdirSync(home);
  const index = `sparse+${URL_}/cargo/${project.slug}/${repo.slug}/index/`;
  writeFileSync(join(home, "config.toml"), `[registry]\nglobal-credential-providers = ["cargo:token"]\n\n[registries.orb]\nindex = "${index}"\n\n[net]\nretry = 0\n`);
  const env = { ...process.env, CARGO_HOME: home, CARGO_REGISTRIES_ORB_TOKEN: token, CARGO_TERM_COLOR: "never" };
  const cargo = (cwd, ...args) => run(CARGO, args, { cwd, env });

  const name = unique("orb-greet").replace(/-/g, "_");
  const lib = join(work, "lib");
  crate(lib, name, "0.1.0", { lib: 'pub fn greet() -> &\'static str { "hello from orb" }\n' });
  cargo(lib, "publish", "--registry", "orb", "--allow-dirty", "--no-verify");

  const app = join(work, "app");
  crate(app, "orb_app", "0.1.0", {
    deps: `${name} = { version = "0.1", registry = "orb" }`,
    lib: `pub fn run() -> &'static str { ${name}::greet() }\n#[test]\nfn works() { assert_eq!(run(), "hello from orb"); }\n`,
  });
  cargo(app, "build");
  const tested = spawnSync(CARGO, ["test", "--quiet"], { cwd: app, env, encoding: "utf8" });
  assert.equal(tested.status, 0, tested.stderr);

  // Publishing the same version again is refused with cargo's error detail.
  const again = spawnSync(CARGO, ["publish", "--registry", "orb", "--allow-dirty", "--no-verify"], { cwd: lib, env, encoding: "utf8" });
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /already exists/);

  const found = cargo(app, "search", "--registry", "orb", name.slice(0, 9));
  assert.match(found, new RegExp(`${name} = "0.1.0"`));

  cargo(lib, "yank", "--registry", "orb", "--version", "0.1.0");
  const idx = await fetch(`${URL_}/cargo/${project.slug}/${repo.slug}/index/${name.slice(0, 2)}/${name.slice(2, 4)}/${name}`, { headers: { Authorization: token } });
  assert.match(await idx.text(), /"yanked":true/);
  cargo(lib, "yank", "--undo", "--registry", "orb", "--version", "0.1.0");

  const denied = spawnSync(CARGO, ["publish", "--registry", "orb", "--allow-dirty", "--no-verify"], {
    cwd: lib,
    env: { ...env, CARGO_REGISTRIES_ORB_TOKEN: "orbsa_wrong" },
    encoding: "utf8",
  });
  assert.notEqual(denied.status, 0);
  assert.match(denied.stderr, /401|invalid/i);
});
