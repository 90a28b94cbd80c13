/**
 * MCP server catalogs (repo format `mcp`): server.json validation with field paths,
 * immutability, the registry's latest rule, cursor pagination, status changes, the v0
 * and ToolHive shapes over the same servers, and linkage to images and packages stored
 * here (pinned digests, pulls from the download log, deleted, blocked, quarantined and
 * unverified references). Every v0 answer is
 * checked against the MCP registry's vendored OpenAPI document.
 */
import { describe, expect, it } from "vitest";
import { SELF } from "cloudflare:test";
import { ADMIN, audit, captureEvents, createRepo, createServiceAccount, jsonOf, mintToken, req } from "./helpers";
import { oci, pushImage, putManifest } from "./oci-helpers";
import { openApiErrors, responseSchemaErrors } from "./support/mcp-openapi";
import { BASE, catalogRepo, enc, official, ours, published, server } from "./support/mcp";
import { esc, publishBody } from "./npm-fixtures";
import { downloadLog } from "./support/download-log";

describe("mcp: the vendored OpenAPI check", () => {
  it("refuses what the registry's document refuses (so the checks below can fail)", () => {
    expect(openApiErrors("ServerResponse", { server: { name: "a/b", description: "d", version: "1" } })).toEqual([]);
    expect(openApiErrors("ServerResponse", { server: { name: "no-slash", description: "d", version: "1" } })).not.toEqual([]);
    expect(openApiErrors("ServerResponse", { server: { name: "a/b", description: "d", version: "1" }, _meta: { "io.modelcontextprotocol.registry/official": { statusMessage: "x" } } })).not.toEqual([]);
    expect(openApiErrors("ServerList", { servers: [], metadata: { nextCursor: 3 } })).not.toEqual([]);
  });
});

describe("mcp: publishing", () => {
  it("refuses an invalid server.json with a 400 naming each field, and keeps nothing", async () => {
    const r = await catalogRepo();
    const bad = {
      name: "no-slash",
      description: "x".repeat(101),
      version: "^1.0.0",
      packages: [{ registryType: "npm", identifier: "a", version: "latest", transport: { type: "stdio" }, packageArguments: [{ type: "positional" }] }],
    };
    const res = await r.publish(bad);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = await res.json<any>();
    expect(body).toMatchObject({ status: 400, title: "Bad Request", code: "InvalidServerJson" });
    expect(body.errors.map((e: any) => e.location).sort()).toEqual(
      ["body.description", "body.name", "body.packages[0].packageArguments[0].valueHint", "body.packages[0].version", "body.version"].sort(),
    );
    expect(body.errors.find((e: any) => e.location === "body.name").value).toBe("no-slash");
    expect(await r.publish("{not json" as never).then((x) => x.status)).toBe(400);
    const list = await r.v0("v0/servers", "ServerList");
    expect(list.servers).toEqual([]);
    const pkgs = await jsonOf(await req(`/api/v1/repos/${r.repo.id}/packages`, { token: r.token }), 200);
    expect(pkgs.items).toEqual([]);
  });

  it("checks credentials before the body: anonymous is 401, a reader 403, whatever the body", async () => {
    const r = await catalogRepo();
    const anon = await r.publish({ name: "bad" }, null);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toContain("Bearer");
    expect(responseSchemaErrors("/v0.1/publish", "post", "401", await anon.json())).toEqual([]);
    const reader = await createServiceAccount(r.project.id, "reader");
    const readerToken = await mintToken(r.project.id, reader.id);
    const denied = await r.publish({ name: "bad" }, readerToken);
    expect(denied.status).toBe(403);
    expect(responseSchemaErrors("/v0.1/publish", "post", "403", await denied.json())).toEqual([]);
  });

  it("publishes a version once: the same version again is 409, with or without changes", async () => {
    const r = await catalogRepo();
    const events = captureEvents();
    const first = await published(r, server("com.example/weather", "1.0.0"));
    expect(first.server).toMatchObject({ name: "com.example/weather", version: "1.0.0" });
    expect(official(first)).toMatchObject({ status: "active", isLatest: true });
    expect(events.types()).toContain("artifact.uploaded");
    const again = await r.publish(server("com.example/weather", "1.0.0"));
    expect(again.status).toBe(409);
    const changed = await r.publish({ ...server("com.example/weather", "1.0.0"), description: "other" });
    expect(changed.status).toBe(409);
    const stored = await r.v0(`v0/servers/${enc("com.example/weather")}/versions/1.0.0`, "ServerResponse");
    expect(stored.server.description).toBe("The com.example/weather server");
    // The unencoded name is the same server; v0.1 is the same API.
    expect((await r.v0("v0.1/servers/com.example/weather/versions/1.0.0", "ServerResponse")).server.version).toBe("1.0.0");
    const pkgs = await jsonOf(await req(`/api/v1/repos/${r.repo.id}/packages`, { token: r.token }), 200);
    expect(pkgs.items.map((p: any) => p.name)).toEqual(["com.example/weather"]);
  });

  it("derives latest with the registry's rule: a backport is not latest; deleting the latest promotes the previous", async () => {
    const r = await catalogRepo();
    const name = "com.example/latest";
    for (const v of ["1.0.0", "2.0.0", "1.5.0"]) await published(r, server(name, v));
    const latest = await r.v0(`v0/servers/${enc(name)}/versions/latest`, "ServerResponse");
    expect(latest.server.version).toBe("2.0.0");
    const versions = await r.v0(`v0/servers/${enc(name)}/versions`, "ServerList");
    expect(versions.servers.map((s: any) => [s.server.version, official(s).isLatest])).toEqual([
      ["1.5.0", false],
      ["2.0.0", true],
      ["1.0.0", false],
    ]);
    const onlyLatest = await r.v0("v0/servers?version=latest", "ServerList");
    expect(onlyLatest.servers.map((s: any) => s.server.version)).toEqual(["2.0.0"]);
    await jsonOf(await r.call(`v0/servers/${enc(name)}/versions/2.0.0/status`, { method: "PATCH", json: { status: "deleted", statusMessage: "broken" } }), 200);
    expect((await r.v0(`v0/servers/${enc(name)}/versions/latest`, "ServerResponse")).server.version).toBe("1.5.0");
    const missing = await r.call(`v0/servers/${enc("com.example/none")}/versions/latest`);
    expect(missing.status).toBe(404);
    expect(responseSchemaErrors("/v0.1/servers/{serverName}/versions/{version}", "get", "404", await missing.json())).toEqual([]);
  });
});

describe("mcp: reading", () => {
  it("pages with nextCursor until every server version was seen once", async () => {
    const r = await catalogRepo();
    const names = ["io.a/one", "io.b/two", "io.c/three", "io.d/four", "io.e/five"];
    for (const n of names) await published(r, server(n, "1.0.0"));
    await published(r, server("io.a/one", "1.1.0"));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await r.v0(`v0/servers?limit=2${cursor ? `&cursor=${enc(cursor)}` : ""}`, "ServerList");
      expect(page.servers.length).toBeLessThanOrEqual(2);
      expect(page.metadata.count).toBe(page.servers.length);
      seen.push(...page.servers.map((s: any) => `${s.server.name}@${s.server.version}`));
      cursor = page.metadata.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...names.map((n) => `${n}@1.0.0`), "io.a/one@1.1.0"].sort());
    const bad = await r.call("v0/servers?cursor=nope");
    expect(bad.status).toBe(400);
    const search = await r.v0("v0/servers?search=THREE", "ServerList");
    expect(search.servers.map((s: any) => s.server.name)).toEqual(["io.c/three"]);
  });

  it("changes status (audited, evented): deprecated stays listed, deleted is hidden unless asked for or syncing", async () => {
    const r = await catalogRepo();
    const name = "com.example/status";
    const before = Date.now() - 1;
    await published(r, server(name, "1.0.0"));
    await published(r, server(name, "1.1.0"));
    const events = captureEvents();
    const dep = await jsonOf(await r.call(`v0/servers/${enc(name)}/versions/1.0.0/status`, { method: "PATCH", json: { status: "deprecated", statusMessage: "use 1.1" } }), 200);
    expect(openApiErrors("ServerResponse", dep)).toEqual([]);
    expect(official(dep).status).toBe("deprecated");
    expect(ours(dep).statusMessage).toBe("use 1.1");
    expect(events.types()).toContain("artifact.updated");
    expect((await audit({ project_id: r.project.id, action: "artifact.update" })).length).toBe(1);
    const bad = await r.call(`v0/servers/${enc(name)}/versions/1.0.0/status`, { method: "PATCH", json: { status: "active", statusMessage: "no" } });
    expect(bad.status).toBe(400);
    expect((await bad.json<any>()).errors[0].location).toBe("body.statusMessage");
    expect((await r.call(`v0/servers/${enc(name)}/versions/1.0.0/status`, { method: "PATCH", json: { status: "gone" } })).status).toBe(400);
    const all = await jsonOf(await r.call(`v0/servers/${enc(name)}/status`, { method: "PATCH", json: { status: "deleted" } }), 200);
    expect(all.servers.map((s: any) => official(s).status)).toEqual(["deleted", "deleted"]);
    expect((await r.v0("v0/servers", "ServerList")).servers).toEqual([]);
    expect((await r.v0("v0/servers?include_deleted=true", "ServerList")).servers).toHaveLength(2);
    expect((await r.v0(`v0/servers?updated_since=${new Date(before).toISOString()}`, "ServerList")).servers).toHaveLength(2);
    expect((await r.call(`v0/servers/${enc(name)}/versions/1.0.0`)).status).toBe(404);
    expect((await r.v0(`v0/servers/${enc(name)}/versions/1.0.0?include_deleted=true`, "ServerResponse")).server.version).toBe("1.0.0");
    const reader = await createServiceAccount(r.project.id, "reader");
    const denied = await r.call(`v0/servers/${enc(name)}/status`, { method: "PATCH", json: { status: "active" } }, await mintToken(r.project.id, reader.id));
    expect(denied.status).toBe(403);
  });

  it("serves the same servers in ToolHive's shape: registry, registry/{name}, servers, servers/{name}, registry.json", async () => {
    const r = await catalogRepo();
    const pp = { tools: ["get_forecast"], tags: ["weather"], permissions: { network: { outbound: { allow_host: ["api.weather.example"] } } } };
    await published(r, server("com.example/weather", "1.0.0", { _meta: { "io.modelcontextprotocol.registry/publisher-provided": pp } }));
    await published(r, server("com.example/weather", "1.1.0", { _meta: { "io.modelcontextprotocol.registry/publisher-provided": pp } }));
    await published(r, server("com.example/remote", "0.1.0", { packages: undefined, remotes: [{ type: "streamable-http", url: "https://mcp.example.com/mcp" }] }));
    const latest = (await r.v0("v0/servers?version=latest", "ServerList")).servers.map((s: any) => s.server.name).sort();
    const registries = await jsonOf(await r.call("api/v1beta/registry"), 200);
    expect(registries.registries).toEqual([expect.objectContaining({ name: r.repo.slug, server_count: 2 })]);
    const one = await jsonOf(await r.call(`api/v1beta/registry/${r.repo.slug}`), 200);
    expect(one).toMatchObject({ name: r.repo.slug, server_count: 2, registry: { version: "1.0.0" } });
    expect(Object.keys(one.registry.servers).sort()).toEqual(latest);
    const list = await jsonOf(await r.call(`api/v1beta/registry/${r.repo.slug}/servers`), 200);
    expect(list.servers.map((s: any) => s.name).sort()).toEqual(latest);
    const weather = (await jsonOf(await r.call(`api/v1beta/registry/${r.repo.slug}/servers/${enc("com.example/weather")}`), 200)).server;
    expect(weather).toMatchObject({ name: "com.example/weather", transport: "stdio", tools: ["get_forecast"], tags: ["weather"], permissions: pp.permissions, repository_url: "https://github.com/example/mcp", metadata: { pulls: 0 } });
    expect(weather["dev.orbitalreg/catalog"].version).toBe("1.1.0");
    const file = await jsonOf(await r.call("registry.json"), 200);
    expect(file.servers).toEqual(one.registry.servers);
    expect((await r.call("api/v1beta/registry/other")).status).toBe(404);
    const setup = await jsonOf(await req(`/api/v1/repos/${r.repo.id}/client-setup`, { token: r.token }), 200);
    expect(setup.sections.map((x: any) => x.id)).toEqual(["toolhive", "vscode", "browse", "publish", "status"]);
    expect(setup.sections[0].commands[0]).toBe(`thv config set-registry ${r.root.replace("://", "://ci:<TOKEN>@")}registry.json --allow-private-ip`);
    // What that command makes thv send: the token as a Basic password.
    const basic = await SELF.fetch(`${r.root}registry.json`, { headers: { Authorization: `Basic ${btoa(`ci:${r.token}`)}` } });
    expect((await jsonOf(basic, 200)).servers).toEqual(file.servers);
    const remoteOnly = await r.v0("v0/servers?transport=streamable-http", "ServerList");
    expect(remoteOnly.servers.map((s: any) => s.server.name)).toEqual(["com.example/remote"]);
  });
});

describe("mcp: linkage", () => {
  it("pins a stored image's digest at publish, counts its pulls, and flags a moved tag, a deleted image and references elsewhere", async () => {
    const r = await catalogRepo();
    const images = await createRepo(r.project.id, "docker");
    const name = `${r.project.slug}/${images.slug}/weather`;
    const pushed = await pushImage(name, r.token, "v1");
    const doc = server("com.example/linked", "1.0.0", {
      packages: [
        { registryType: "oci", identifier: `registry.test/${name}:v1`, transport: { type: "stdio" } },
        { registryType: "oci", identifier: "ghcr.io/example/weather:v1", transport: { type: "stdio" } },
        { registryType: "npm", registryBaseUrl: `${BASE}/npm/${r.project.slug}/nothing-here`, identifier: "@example/weather", version: "1.0.0", transport: { type: "stdio" } },
      ],
      _meta: { "io.modelcontextprotocol.registry/publisher-provided": { provenance: { signer_identity: "claimed" } } },
    });
    const pub = await published(r, doc);
    const refs = ours(pub).references;
    expect(refs[0]).toMatchObject({ local: true, state: "ok", pinned: true, digest: pushed.manifest.digest, pulls: 0 });
    expect(refs[1]).toMatchObject({ local: false, state: "unverified" });
    expect(refs[2]).toMatchObject({ local: true, state: "missing" });
    expect(ours(pub).verified).toBe(false);
    expect(ours(pub).provenance).toEqual({ source: "publisher-claimed", claimed: { signer_identity: "claimed" } });

    // Pulls are the download log's: manifest GETs answered 200 (not HEADs), counted once its consumer wrote them.
    const log = downloadLog();
    for (let i = 0; i < 2; i++) expect((await oci(`/v2/${name}/manifests/v1`, { auth: r.token })).status).toBe(200);
    expect((await oci(`/v2/${name}/manifests/v1`, { method: "HEAD", auth: r.token })).status).toBe(200);
    await log.consume();
    log.restore();
    expect(ours(await r.v0(`v0/servers/${enc("com.example/linked")}/versions/1.0.0`, "ServerResponse")).references[0].pulls).toBe(2);
    const th = (await jsonOf(await r.call(`api/v1beta/registry/${r.repo.slug}/servers/${enc("com.example/linked")}`), 200)).server;
    expect(th.image).toBe(`registry.test/${name}:v1@${pushed.manifest.digest}`);
    expect(th.metadata.pulls).toBe(2);
    expect(th.provenance).toEqual({ signer_identity: "claimed" });

    // The tag moves: the catalog keeps vouching for the pinned digest and says where the tag went.
    const moved = await pushImage(name, r.token, "v1", 2);
    let s = ours(await r.v0(`v0/servers/${enc("com.example/linked")}/versions/1.0.0`, "ServerResponse")).references[0];
    expect(s).toMatchObject({ state: "ok", digest: pushed.manifest.digest, tagNow: moved.manifest.digest });
    expect((await oci(`/v2/${name}/manifests/${pushed.manifest.digest}`, { method: "DELETE", auth: r.token })).status).toBe(202);
    s = ours(await r.v0(`v0/servers/${enc("com.example/linked")}/versions/1.0.0`, "ServerResponse")).references[0];
    expect(s).toMatchObject({ state: "deleted", digest: pushed.manifest.digest });
  });

  it("marks a server verified when every reference is here, and filters on it", async () => {
    const r = await catalogRepo();
    const images = await createRepo(r.project.id, "docker");
    const name = `${r.project.slug}/${images.slug}/tool`;
    await pushImage(name, r.token, "1.0.0");
    await published(r, server("com.example/here", "1.0.0", { packages: [{ registryType: "oci", identifier: `registry.test/${name}:1.0.0`, transport: { type: "stdio" } }] }));
    await published(r, server("com.example/elsewhere", "1.0.0"));
    const v = await r.v0("v0/servers?verified=true", "ServerList");
    expect(v.servers.map((x: any) => x.server.name)).toEqual(["com.example/here"]);
    expect(ours(v.servers[0]).verified).toBe(true);
    // An image published before it exists is missing, unpinned, and resolved once it arrives.
    await published(r, server("com.example/early", "1.0.0", { packages: [{ registryType: "oci", identifier: `registry.test/${name}:2.0.0`, transport: { type: "stdio" } }] }));
    const early = () => r.v0(`v0/servers/${enc("com.example/early")}/versions/1.0.0`, "ServerResponse").then((x) => ours(x).references[0]);
    expect(await early()).toMatchObject({ state: "missing", pinned: false });
    const late = await pushImage(name, r.token, "2.0.0", 3);
    expect(await early()).toMatchObject({ state: "ok", pinned: false, digest: late.manifest.digest });
  });

  it("shows a security block and a quarantine hold on a referenced image in both shapes, without counting a block hit, until lifted", async () => {
    const r = await catalogRepo();
    const images = await createRepo(r.project.id, "docker");
    const image = `guarded-${crypto.randomUUID().slice(0, 8)}`;
    const name = `${r.project.slug}/${images.slug}/${image}`;
    const pushed = await pushImage(name, r.token, "v1");
    await published(r, server("com.example/guarded", "1.0.0", { packages: [{ registryType: "oci", identifier: `registry.test/${name}:v1`, transport: { type: "stdio" } }] }));
    const path = `v0/servers/${enc("com.example/guarded")}/versions/1.0.0`;
    const v0Ref = async () => ours(await r.v0(path, "ServerResponse")).references[0];
    const thOurs = async () => (await jsonOf(await r.call(`api/v1beta/registry/${r.repo.slug}/servers/${enc("com.example/guarded")}`), 200)).server["dev.orbitalreg/catalog"];
    expect(await v0Ref()).toMatchObject({ state: "ok" });

    const b = await jsonOf(await req("/api/admin/security", { method: "POST", token: ADMIN, json: { format: "docker", project_id: r.project.id, package: image, versions: ["v1"], reason: "CVE-2026-0001", customer_message: "Compromised build; use v2." } }), 201);
    const ref = await v0Ref();
    expect(ref).toMatchObject({ state: "blocked", digest: pushed.manifest.digest, pinned: true, policy: { code: "BlockedSecurity" } });
    expect(ref.policy.message).toContain("Compromised build; use v2.");
    expect(ref.policy.message).toContain(`/blocked/${b.id}`);
    const th = await thOurs();
    expect(th.verified).toBe(false);
    expect(th.references[0]).toMatchObject({ state: "blocked", policy: { code: "BlockedSecurity" } });
    expect((await r.v0("v0/servers?verified=true", "ServerList")).servers).toEqual([]);
    // Reading the catalog is not a refused download: only the pull below counts as a hit.
    expect((await oci(`/v2/${name}/manifests/v1`, { auth: r.token })).status).toBe(451);
    expect((await jsonOf(await req(`/api/admin/security/${b.id}`, { token: ADMIN }), 200)).hits.count).toBe(1);

    await jsonOf(await req(`/api/admin/security/${b.id}`, { method: "DELETE", token: ADMIN }), 200);
    expect(await v0Ref()).toMatchObject({ state: "ok" });
    expect((await v0Ref()).policy).toBeUndefined();

    // A hold: a new image pushed under a cool-down is quarantined for the catalog's readers too.
    await jsonOf(await req("/api/admin/quarantine/policies", { method: "POST", token: ADMIN, json: { project_id: r.project.id, repo_id: images.id, cooldown_hours: 24 } }), 201);
    await pushImage(name, r.token, "v2", 2);
    await published(r, server("com.example/guarded", "2.0.0", { packages: [{ registryType: "oci", identifier: `registry.test/${name}:v2`, transport: { type: "stdio" } }] }));
    const held = ours(await r.v0(`v0/servers/${enc("com.example/guarded")}/versions/2.0.0`, "ServerResponse")).references[0];
    expect(held).toMatchObject({ state: "quarantined", pinned: true, policy: { code: "BlockedQuarantine" } });
    expect(held.policy.message).toContain("held in quarantine");
  });

  it("resolves an npm package stored here: ok for a stored version, missing for one that isn't", async () => {
    const r = await catalogRepo();
    const npmRepo = await createRepo(r.project.id, "npm");
    const { body } = await publishBody("@acme/weather", "1.2.0");
    expect((await req(`/npm/${r.project.slug}/${npmRepo.slug}/${esc("@acme/weather")}`, { method: "PUT", token: r.token, json: body })).status).toBe(201);
    const ref = (version: string) => ({ registryType: "npm", registryBaseUrl: `${BASE}/npm/${r.project.slug}/${npmRepo.slug}`, identifier: "@acme/weather", version, transport: { type: "stdio" } });
    const pub = await published(r, server("com.acme/npm-weather", "1.0.0", { packages: [ref("1.2.0"), ref("9.9.9")] }));
    expect(ours(pub).references.map((x: any) => [x.local, x.state, x.repo])).toEqual([
      [true, "ok", `${r.project.slug}/${npmRepo.slug}`],
      [true, "missing", `${r.project.slug}/${npmRepo.slug}`],
    ]);
  });
});
