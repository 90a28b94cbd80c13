// npm 11 against the registry: publish (scoped and unscoped), install into a fresh
// project, dist-tag add/ls/rm, deprecate, view, search, whoami, ping, unpublish.
// Each project gets its own .npmrc (registry + `//host/npm/p/r/:_authToken`), and npm
// runs with an empty user config and its own cache so nothing leaks in from the machine.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { URL_, api, scratch, setup, run } from "./lib.mjs";

test("npm publish, install, dist-tag, deprecate, unpublish", async () => {
  const { project, repo, token } = await setup("npm");
  const registry = `${URL_}/npm/${project.slug}/${repo.slug}/`;
  const work = scratch("npm");
  const userconfig = join(work, "user.npmrc");
  writeFileSync(userconfig, "");
  // The .npmrc exactly as the client-setup endpoint hands it out, with the token pasted in.
  const setupInfo = await api(`/api/v1/repos/${repo.id}/client-setup`);
  const fromApi = setupInfo.sections.find((s) => s.filename === ".npmrc").content.replace("<TOKEN>", token);
  assert.ok(fromApi.startsWith(`registry=${registry}\n`), fromApi);
  const npmrc = `${fromApi}fund=false\naudit=false\nupdate-notifier=false\n`;
  const env = { ...process.env, npm_config_userconfig: userconfig, npm_config_cache: join(work, "cache"), NO_UPDATE_NOTIFIER: "1" };
  const npm = (cwd, ...args) => run("npm", args, { cwd, env });
  const npmFails = (cwd, ...args) => {
    const r = spawnSync("npm", args, { cwd, env, encoding: "utf8" });
    assert.notEqual(r.status, 0, `npm ${args.join(" ")} should fail`);
    return r.stdout + r.stderr;
  };

  // A scoped library and an unscoped one that depends on it.
  const lib = join(work, "lib");
  mkdirSync(lib);
  writeFileSync(join(lib, ".npmrc"), npmrc);
  writeFileSync(join(lib, "index.js"), "module.exports = (who) => `hello ${who}`;\n");
  const writePkg = (version) =>
    writeFileSync(join(lib, "package.json"), JSON.stringify({ name: "@e2e/hello", version, description: "says hello", keywords: ["greeting"], main: "index.js", license: "MIT" }, null, 2));
  writePkg("1.0.0");
  npm(lib, "publish");
  writePkg("1.1.0");
  npm(lib, "publish");
  assert.match(npmFails(lib, "publish"), /cannot publish over|403/i);

  const app = join(work, "app-lib");
  mkdirSync(app);
  writeFileSync(join(app, ".npmrc"), npmrc);
  writeFileSync(join(app, "index.js"), "module.exports = () => require('@e2e/hello')('world');\n");
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "e2e-app", version: "0.1.0", main: "index.js", dependencies: { "@e2e/hello": "^1.0.0" } }));
  npm(app, "publish");

  assert.equal(npm(lib, "whoami").trim(), "ci");
  npm(lib, "ping");
  const view = JSON.parse(npm(lib, "view", "@e2e/hello", "--json"));
  assert.deepEqual(view.versions, ["1.0.0", "1.1.0"]);
  assert.equal(view["dist-tags"].latest, "1.1.0");
  assert.ok(view.dist.tarball.startsWith(registry), view.dist.tarball);
  assert.match(npm(lib, "search", "hello", "--json"), /"@e2e\/hello"/);
  // npm search by a description word and by the keywords: qualifier, as npm sends them.
  const searched = (...text) => JSON.parse(npm(lib, "search", ...text, "--json")).map((p) => p.name);
  assert.deepEqual(searched("says"), ["@e2e/hello"]);
  assert.deepEqual(searched("keywords:greeting"), ["@e2e/hello"]);
  assert.deepEqual(searched("keywords:nothing-such"), []);

  // Install into a fresh project, pulling the dependency chain from the registry.
  const consumer = join(work, "consumer");
  mkdirSync(consumer);
  writeFileSync(join(consumer, ".npmrc"), npmrc);
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
  npm(consumer, "install", "e2e-app", "--registry", registry);
  assert.equal(run("node", ["-p", "require('e2e-app')()"], { cwd: consumer }).trim(), "hello world");
  const lock = JSON.parse(readFileSync(join(consumer, "package-lock.json"), "utf8"));
  assert.equal(lock.packages["node_modules/@e2e/hello"].version, "1.1.0");
  assert.match(lock.packages["node_modules/@e2e/hello"].integrity, /^sha512-/);

  // dist-tags
  npm(lib, "dist-tag", "add", "@e2e/hello@1.0.0", "stable");
  assert.match(npm(lib, "dist-tag", "ls", "@e2e/hello"), /stable: 1\.0\.0/);
  npm(lib, "dist-tag", "rm", "@e2e/hello", "stable");
  assert.doesNotMatch(npm(lib, "dist-tag", "ls", "@e2e/hello"), /stable/);

  // deprecate
  npm(lib, "deprecate", "@e2e/hello@1.0.0", "too old");
  assert.equal(JSON.parse(npm(lib, "view", "@e2e/hello@1.0.0", "deprecated", "--json")), "too old");

  // unpublish one version, then the whole package
  npm(lib, "unpublish", "@e2e/hello@1.1.0");
  const after = JSON.parse(npm(lib, "view", "@e2e/hello", "--json"));
  assert.deepEqual([after.versions].flat(), ["1.0.0"]);
  assert.equal(after["dist-tags"].latest, "1.0.0");
  npm(lib, "unpublish", "@e2e/hello", "--force");
  assert.match(npmFails(lib, "view", "@e2e/hello"), /E404|404/);

  // Without the token the private repo refuses installs.
  const anon = join(work, "anon");
  mkdirSync(anon);
  writeFileSync(join(anon, "package.json"), JSON.stringify({ name: "anon", version: "1.0.0", private: true }));
  assert.match(npmFails(anon, "install", "e2e-app", "--registry", registry), /E401|401/);
  assert.ok(!existsSync(join(anon, "node_modules", "e2e-app")));
});
