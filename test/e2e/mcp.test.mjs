// MCP server catalog end to end (issue 18): a CI job exchanges its OIDC token and pushes
// its image with skopeo, then publishes the server.json with curl; both API shapes (the
// MCP registry's v0 and ToolHive's) list the server with the image digest pinned, and
// `pulls` (the download log's) grows with two `skopeo copy` pulls; a security block on the
// image shows as the entry's reference `blocked` and skopeo's pull fails; then the docs' own
// commands: search across catalogs, Claude Code's list, a block on a catalog version,
// DELETE. Every v0 answer is validated against the MCP registry's published OpenAPI
// document (vendored in test/fixtures/mcp-registry/).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { parse } from "yaml";
import { Validator } from "@cfworker/json-schema";
import { ADMIN, HOSTPORT, URL_, api, runAsync, scratch, snippet, unique } from "./lib.mjs";
import { startIssuer } from "./oidc-issuer.mjs";
import { newLayout, writeImage, writeIndex, writeLayer } from "./oci-layout.mjs";

const openapi = parse(readFileSync(new URL("../fixtures/mcp-registry/openapi.yaml", import.meta.url), "utf8"));
const check = (component, body) => {
  const v = new Validator({ $id: "https://e2e.test/mcp-openapi", $ref: `#/components/schemas/${component}`, components: openapi.components }, "2020-12", false);
  const r = v.validate(body);
  assert.deepEqual(r.valid ? [] : r.errors.map((e) => `${e.instanceLocation}: ${e.error}`), [], `${component}: ${JSON.stringify(body)}`);
  return body;
};

let idp;
before(async () => {
  idp = await startIssuer({ alg: "ES256" });
});
after(() => idp.close());

test("a server.json published with an OIDC-exchanged token lists its skopeo-pushed image pinned, in both shapes, with pulls", async (t) => {
  const project = await api("/api/v1/projects", { method: "POST", json: { slug: unique("mcp") } });
  const images = await api("/api/v1/repos", { method: "POST", json: { project_id: project.id, slug: "images", format: "docker" } });
  const catalog = await api("/api/v1/repos", { method: "POST", json: { project_id: project.id, slug: "catalog", format: "mcp" } });
  await api("/api/admin/oidc/trust-policies", {
    method: "POST",
    json: { name: unique("mcp"), issuer: idp.url, audiences: [URL_], project_id: project.id, role: "writer", max_lifetime_seconds: 600, claim_conditions: [{ claim: "repository", match: "exact", values: ["acme/weather"] }] },
  });
  const idToken = await idp.sign({ aud: URL_, sub: "repo:acme/weather:ref:refs/heads/main", repository: "acme/weather" });
  const { token } = JSON.parse(await runAsync("curl", ["-sSf", "-X", "POST", `${URL_}/api/v1/oidc/exchange`, "-H", "Content-Type: application/json", "-d", JSON.stringify({ token: idToken })]));
  assert.match(token, /^orbx_/);

  // The image, pushed with skopeo into the same project.
  const work = scratch("mcp");
  const policy = join(work, "policy.json");
  writeFileSync(policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  writeFileSync(join(work, "registries.conf"), "unqualified-search-registries = []\n");
  const env = { ...process.env, HOME: work, CONTAINERS_REGISTRIES_CONF: join(work, "registries.conf"), XDG_RUNTIME_DIR: join(work, "run") };
  const layout = newLayout(join(work, "layout"));
  writeIndex(layout, { v1: writeImage(layout, [await writeLayer(layout, "weather.bin", 50_000)], "amd64") });
  const imageRef = `${HOSTPORT}/${project.slug}/${images.slug}/weather`;
  await runAsync("skopeo", ["--policy", policy, "copy", "--dest-tls-verify=false", "--dest-creds", `ci:${token}`, `oci:${layout}:v1`, `docker://${imageRef}:v1`], { env });
  const digest = JSON.parse(await runAsync("skopeo", ["--policy", policy, "inspect", "--tls-verify=false", "--creds", `ci:${token}`, `docker://${imageRef}:v1`], { env })).Digest;
  assert.match(digest, /^sha256:[a-f0-9]{64}$/);

  // The server.json, published with curl.
  const root = `${URL_}/mcp/${project.slug}/${catalog.slug}/`;
  const serverJson = join(work, "server.json");
  writeFileSync(
    serverJson,
    JSON.stringify({
      $schema: "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
      name: "com.acme/weather",
      description: "Forecasts for agents",
      version: "1.0.0",
      repository: { url: "https://github.com/acme/weather", source: "github" },
      packages: [{ registryType: "oci", identifier: `${imageRef}:v1`, transport: { type: "stdio" }, environmentVariables: [{ name: "WEATHER_KEY", isSecret: true, isRequired: true }] }],
      _meta: { "io.modelcontextprotocol.registry/publisher-provided": { tools: ["forecast"] } },
    }),
  );
  const published = check("ServerResponse", JSON.parse(await runAsync("curl", ["-sSf", "-H", `Authorization: Bearer ${token}`, "-H", "Content-Type: application/json", "--data-binary", `@${serverJson}`, `${root}v0/publish`])));
  assert.equal(published._meta["io.modelcontextprotocol.registry/official"].isLatest, true);
  assert.deepEqual(
    { state: published._meta["dev.orbitalreg/catalog"].references[0].state, digest: published._meta["dev.orbitalreg/catalog"].references[0].digest, pinned: published._meta["dev.orbitalreg/catalog"].references[0].pinned },
    { state: "ok", digest, pinned: true },
  );
  // Published again: versions are immutable.
  const again = await fetch(`${root}v0/publish`, { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: readFileSync(serverJson) });
  assert.equal(again.status, 409);

  const get = async (path) => {
    const res = await fetch(`${root}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    return res.json();
  };
  const pullsNow = async () => {
    const list = check("ServerList", await get("v0/servers?version=latest"));
    assert.deepEqual(list.servers.map((s) => s.server.name), ["com.acme/weather"]);
    const ref = list.servers[0]._meta["dev.orbitalreg/catalog"].references[0];
    assert.equal(ref.digest, digest);
    const th = (await get(`api/v1beta/registry/${catalog.slug}/servers/${encodeURIComponent("com.acme/weather")}`)).server;
    assert.equal(th.image, `${imageRef}:v1@${digest}`);
    assert.deepEqual(th.env_vars, [{ name: "WEATHER_KEY", description: "", required: true, secret: true }]);
    assert.deepEqual(th.tools, ["forecast"]);
    return { v0: ref.pulls, toolhive: th.metadata.pulls };
  };
  check("ServerResponse", await get(`v0/servers/${encodeURIComponent("com.acme/weather")}/versions/latest`));
  check("ServerList", await get(`v0/servers/${encodeURIComponent("com.acme/weather")}/versions`));
  const registry = await get(`api/v1beta/registry/${catalog.slug}`);
  assert.equal(registry.server_count, 1);
  const start = await pullsNow();
  assert.equal(start.v0, start.toolhive);

  for (let i = 0; i < 2; i++) {
    await runAsync("skopeo", ["--policy", policy, "copy", "--src-tls-verify=false", "--src-creds", `ci:${token}`, `docker://${imageRef}:v1`, `oci:${join(work, `pulled-${i}`)}:v1`], { env });
  }
  // Pulls are the download log's, written by the DOWNLOADS queue consumer (batches of up to 5 s): wait for it.
  let now = await pullsNow();
  for (const deadline = Date.now() + 60_000; now.v0 < start.v0 + 2 && Date.now() < deadline; now = await pullsNow()) await new Promise((r) => setTimeout(r, 500));
  assert.ok(now.v0 >= start.v0 + 2, `pulls went from ${start.v0} to ${now.v0}`);
  assert.equal(now.toolhive, now.v0);

  await t.test("a block on the image makes the catalog entry show it", async () => {
    const block = await api("/api/admin/security", { method: "POST", json: { format: "docker", project_id: project.id, package: "weather", versions: ["v1"], reason: "CVE-2026-0042", customer_message: "Compromised build; use v2." } });
    const entry = check("ServerResponse", await get(`v0/servers/${encodeURIComponent("com.acme/weather")}/versions/latest`));
    const ref = entry._meta["dev.orbitalreg/catalog"].references[0];
    assert.equal(ref.state, "blocked");
    assert.equal(ref.digest, digest);
    assert.equal(ref.policy.code, "BlockedSecurity");
    assert.match(ref.policy.message, new RegExp(`Compromised build; use v2\\. See ${URL_}/blocked/${block.id}`));
    assert.equal(entry._meta["dev.orbitalreg/catalog"].verified, false);
    const th = (await get(`api/v1beta/registry/${catalog.slug}/servers/${encodeURIComponent("com.acme/weather")}`)).server;
    assert.deepEqual([th["dev.orbitalreg/catalog"].references[0].state, th["dev.orbitalreg/catalog"].verified], ["blocked", false]);
    // What the entry says is what a pull gets.
    const pull = spawnSync("skopeo", ["--policy", policy, "copy", "--src-tls-verify=false", "--src-creds", `ci:${token}`, `docker://${imageRef}:v1`, `oci:${join(work, "pulled-blocked")}:v1`], { env, encoding: "utf8" });
    assert.notEqual(pull.status, 0);
    assert.match(pull.stderr, /Compromised build; use v2\./);
    await api(`/api/admin/security/${block.id}`, { method: "DELETE" });
    assert.equal(check("ServerResponse", await get(`v0/servers/${encodeURIComponent("com.acme/weather")}/versions/latest`))._meta["dev.orbitalreg/catalog"].references[0].state, "ok");
  });

  await t.test("docs/formats/mcp.md's commands: search across catalogs, Claude Code's list, a block on a catalog version, DELETE", async () => {
    const doc = JSON.parse(readFileSync(serverJson, "utf8"));
    const publish = async (body) => check("ServerResponse", JSON.parse(await runAsync("curl", ["-sSf", "-H", `Authorization: Bearer ${token}`, "-H", "Content-Type: application/json", "-d", JSON.stringify(body), `${root}v0/publish`])));
    await publish({ ...doc, version: "1.1.0" });
    await publish({ name: "com.acme/search", description: "Web search", version: "0.1.0", remotes: [{ type: "streamable-http", url: "https://search.acme.example/mcp" }] });
    const env = { ...process.env, BASE: URL_, HOST: HOSTPORT, P: project.slug, R: catalog.slug, TOKEN: token, ADMIN_TOKEN: ADMIN, PROJECT_ID: project.id };
    const sh = (script) => runAsync("bash", ["-euo", "pipefail", "-c", script], { env });

    const [verified, remote, latest] = await Promise.all(snippet("docs/formats/mcp.md", "mcp-across").trim().split("\n").map(async (line) => JSON.parse(await sh(line))));
    check("ServerList", verified);
    const mine = verified.servers.filter((s) => s._meta["dev.orbitalreg/catalog"].catalog.project === project.slug);
    assert.deepEqual(mine.map((s) => [s.server.name, s.server.version, s._meta["dev.orbitalreg/catalog"].verified]), [["com.acme/weather", "1.1.0", true]]);
    assert.ok(check("ServerList", remote).servers.some((s) => s.server.name === "com.acme/search"));
    assert.equal(check("ServerResponse", latest).server.version, "1.1.0");

    assert.equal((await sh(snippet("docs/formats/mcp.md", "mcp-claude"))).trim(), "claude mcp add --transport http com.acme-search https://search.acme.example/mcp");

    // What ToolHive's API mode checks first (thv config set-registry-api).
    const openapiDoc = parse(await runAsync("curl", ["-sSf", "-H", `Authorization: Bearer ${token}`, `${root}openapi.yaml`]));
    assert.equal(openapiDoc.info.version, "1.0.0");
    assert.match(openapiDoc.info.description, /https:\/\/github\.com\/modelcontextprotocol\/registry/);

    const block = JSON.parse(await sh(snippet("docs/formats/mcp.md", "mcp-block")));
    const blocked = check("ServerResponse", await get(`v0/servers/${encodeURIComponent("com.acme/weather")}/versions/1.1.0`));
    assert.equal(blocked._meta["io.modelcontextprotocol.registry/official"].status, "deprecated");
    assert.equal(blocked._meta["dev.orbitalreg/catalog"].policy.code, "BlockedSecurity");
    assert.match(blocked._meta["dev.orbitalreg/catalog"].policy.message, /Exfiltrates tokens; use 2\.x\./);
    assert.equal((await get(`api/v1beta/registry/${catalog.slug}/servers/${encodeURIComponent("com.acme/weather")}`)).server.status, "Deprecated");
    await api(`/api/admin/security/${block.id}`, { method: "DELETE" });

    check("ServerResponse", JSON.parse(await sh(snippet("docs/formats/mcp.md", "mcp-delete"))));
    const versions = check("ServerList", await get(`v0/servers/${encodeURIComponent("com.acme/weather")}/versions?include_deleted=true`));
    assert.deepEqual(versions.servers.map((s) => s.server.version), ["1.1.0"]);
  });
});
