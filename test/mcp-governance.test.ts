/**
 * MCP catalogs governed like every other format: a catalog version can be blocked (a
 * security block with `format: "mcp"`) and held in quarantine, and both API shapes show
 * it; DELETE of a version moves it to the trash (audited, `artifact.deleted`); publishes
 * are in the audit log, the package listing and webhooks; retention removes versions.
 * Every v0 answer is checked against the MCP registry's vendored OpenAPI document.
 */
import { describe, expect, it } from "vitest";
import { ADMIN, audit, captureEvents, createServiceAccount, jsonOf, mintToken, req } from "./helpers";
import { openApiErrors, responseSchemaErrors } from "./support/mcp-openapi";
import { catalogRepo, enc, official, ours, published, server } from "./support/mcp";

const block = (projectId: string, pkg: string, versions: string[]) =>
  req("/api/admin/security", { method: "POST", token: ADMIN, json: { format: "mcp", project_id: projectId, package: pkg, versions, reason: "CVE-2026-0042", customer_message: "Exfiltrates tokens; use 2.x." } });

describe("mcp: policy on catalog versions", () => {
  it("blocks a server version: both shapes show it deprecated with the refusal, never verified; server.json answers 451; lifting restores it", async () => {
    const r = await catalogRepo();
    const name = "com.example/blockme";
    await published(r, server(name, "1.0.0"));
    await published(r, server(name, "1.1.0"));
    const b = await jsonOf(await block(r.project.id, name, ["1.1.0"]), 201);
    expect(b.affected).toMatchObject({ versions: 1 });
    expect((await audit({ action: "block.create" })).some((a) => a.resource_id === b.id && a.after.format === "mcp")).toBe(true);

    const v = await r.v0(`v0/servers/${enc(name)}/versions/1.1.0`, "ServerResponse");
    expect(official(v)).toMatchObject({ status: "deprecated", isLatest: true });
    expect(ours(v)).toMatchObject({ verified: false, policy: { state: "blocked", code: "BlockedSecurity" } });
    expect(ours(v).policy.message).toContain("Exfiltrates tokens; use 2.x.");
    expect(ours(v).policy.message).toContain(`/blocked/${b.id}`);
    expect(ours(v).statusMessage).toBe(ours(v).policy.message);
    // Still listed (a block is not a deletion), the other version untouched.
    const list = await r.v0("v0/servers", "ServerList");
    expect(list.servers.map((s: any) => [s.server.version, official(s).status])).toEqual([
      ["1.0.0", "active"],
      ["1.1.0", "deprecated"],
    ]);
    const th = (await jsonOf(await r.call(`api/v1beta/registry/${r.repo.slug}/servers/${enc(name)}`), 200)).server;
    expect(th.status).toBe("Deprecated");
    expect(th["dev.orbitalreg/catalog"]).toMatchObject({ version: "1.1.0", verified: false, policy: { state: "blocked", code: "BlockedSecurity" } });
    const file = await r.call(`v0/servers/${enc(name)}/versions/1.1.0/server.json`);
    expect(file.status).toBe(451);
    expect((await file.json<any>()).code).toBe("BlockedSecurity");

    await jsonOf(await req(`/api/admin/security/${b.id}`, { method: "DELETE", token: ADMIN }), 200);
    const after = await r.v0(`v0/servers/${enc(name)}/versions/1.1.0`, "ServerResponse");
    expect(official(after).status).toBe("active");
    expect(ours(after).policy).toBeUndefined();
    expect((await r.call(`v0/servers/${enc(name)}/versions/1.1.0/server.json`)).status).toBe(200);
  });

  it("a block made before the publish covers it, and a deprecated version keeps its own message", async () => {
    const r = await catalogRepo();
    const name = "com.example/preblocked";
    await jsonOf(await block(r.project.id, "com.example/preblocked", []), 201);
    const pub = await published(r, server(name, "1.0.0"));
    expect(ours(pub).policy).toMatchObject({ state: "blocked" });
    await jsonOf(await r.call(`v0/servers/${enc(name)}/versions/1.0.0/status`, { method: "PATCH", json: { status: "deprecated", statusMessage: "use 2" } }), 200);
    const v = await r.v0(`v0/servers/${enc(name)}/versions/1.0.0`, "ServerResponse");
    expect(official(v).status).toBe("deprecated");
    expect(ours(v).statusMessage).toBe("use 2");
    expect(ours(v).policy.code).toBe("BlockedSecurity");
  });

  it("hides a version held in quarantine from ordinary readers (latest falls back), shows it quarantined to its publisher", async () => {
    const r = await catalogRepo();
    const name = "com.example/held";
    await published(r, server(name, "1.0.0"));
    await jsonOf(await req("/api/admin/quarantine/policies", { method: "POST", token: ADMIN, json: { project_id: r.project.id, repo_id: r.repo.id, cooldown_hours: 24 } }), 201);
    const pub = await published(r, server(name, "2.0.0"));
    expect(ours(pub).policy).toMatchObject({ state: "quarantined", code: "BlockedQuarantine" });

    const reader = await mintToken(r.project.id, (await createServiceAccount(r.project.id, "reader")).id);
    const latest = await r.v0(`v0/servers/${enc(name)}/versions/latest`, "ServerResponse", 200, reader);
    expect(latest.server.version).toBe("1.0.0");
    expect(official(latest).isLatest).toBe(true);
    const versions = await r.v0(`v0/servers/${enc(name)}/versions`, "ServerList", 200, reader);
    expect(versions.servers.map((s: any) => s.server.version)).toEqual(["1.0.0"]);
    expect((await r.call(`v0/servers/${enc(name)}/versions/2.0.0`, {}, reader)).status).toBe(404);
    const th = await jsonOf(await r.call("registry.json", {}, reader), 200);
    expect(th.servers[name]["dev.orbitalreg/catalog"].version).toBe("1.0.0");

    // Another writer can't see it either, so can't change its status (404, as on GET).
    const writer = await mintToken(r.project.id, (await createServiceAccount(r.project.id, "writer")).id);
    expect((await r.call(`v0/servers/${enc(name)}/versions/2.0.0/status`, { method: "PATCH", json: { status: "deprecated" } }, writer)).status).toBe(404);
    // The publisher sees its held version, marked.
    const mine = await r.v0(`v0/servers/${enc(name)}/versions/latest`, "ServerResponse");
    expect(mine.server.version).toBe("2.0.0");
    expect(ours(mine)).toMatchObject({ verified: false, policy: { state: "quarantined" } });
  });
  it("a licence policy leaves catalogs alone: server.json declares no licence, so an unknown-licence rule does not refuse it", async () => {
    const r = await catalogRepo();
    const name = "com.example/unlicensed";
    await published(r, server(name, "1.0.0"));
    // Made after a publish (re-evaluates what is stored) and before one (judges the publish).
    const lp = await jsonOf(await req("/api/admin/license-policies", { method: "POST", token: ADMIN, json: { name: `lp-${crypto.randomUUID().slice(0, 8)}`, project_id: r.project.id, allow: ["MIT"], action: "block", unknown_action: "block" } }), 201);
    const pub = await published(r, server(name, "1.1.0"));
    expect(ours(pub).policy).toBeUndefined();
    const stored = await r.v0(`v0/servers/${enc(name)}/versions/1.0.0`, "ServerResponse");
    expect(ours(stored).policy).toBeUndefined();
    for (const v of ["1.0.0", "1.1.0"]) expect((await r.call(`v0/servers/${enc(name)}/versions/${v}/server.json`)).status).toBe(200);
    expect((await req(`/api/admin/license-policies/${lp.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
  });
});

describe("mcp: DELETE a version", () => {
  it("moves the version to the trash (audited, artifact.deleted), answers the deleted entry; reader 403, unknown 404", async () => {
    const r = await catalogRepo();
    const name = "com.example/removable";
    await published(r, server(name, "1.0.0"));
    await published(r, server(name, "2.0.0"));
    const reader = await mintToken(r.project.id, (await createServiceAccount(r.project.id, "reader")).id);
    const denied = await r.call(`v0.1/servers/${enc(name)}/versions/2.0.0`, { method: "DELETE" }, reader);
    expect(denied.status).toBe(403);
    expect(responseSchemaErrors("/v0.1/servers/{serverName}/versions/{version}", "delete", "403", await denied.json())).toEqual([]);
    const anon = await r.call(`v0.1/servers/${enc(name)}/versions/2.0.0`, { method: "DELETE" }, null);
    expect(anon.status).toBe(401);
    expect(responseSchemaErrors("/v0.1/servers/{serverName}/versions/{version}", "delete", "401", await anon.json())).toEqual([]);

    const events = captureEvents();
    const res = await r.call(`v0.1/servers/${enc(name)}/versions/2.0.0`, { method: "DELETE" });
    const gone = await jsonOf(res, 200);
    expect(openApiErrors("ServerResponse", gone)).toEqual([]);
    expect(gone.server.version).toBe("2.0.0");
    expect(official(gone)).toMatchObject({ status: "deleted", isLatest: false });
    expect(events.events().filter((e) => e.type === "artifact.deleted").map((e) => [e.data.format, e.data.package, e.data.version])).toEqual([["mcp", name, "2.0.0"]]);
    expect((await audit({ project_id: r.project.id, action: "artifact.delete" })).map((a) => [a.before.name, a.before.ref])).toEqual([[name, "2.0.0"]]);

    expect((await r.v0(`v0/servers/${enc(name)}/versions/latest`, "ServerResponse")).server.version).toBe("1.0.0");
    expect((await r.v0("v0/servers?include_deleted=true", "ServerList")).servers.map((s: any) => s.server.version)).toEqual(["1.0.0"]);
    const trash = await jsonOf(await req(`/api/v1/repos/${r.repo.id}/trash`, { token: ADMIN }), 200);
    expect(trash.items.map((e: any) => [e.name, e.ref])).toEqual([[name, "2.0.0"]]);

    const missing = await r.call(`v0.1/servers/${enc(name)}/versions/2.0.0`, { method: "DELETE" });
    expect(missing.status).toBe(404);
    expect(responseSchemaErrors("/v0.1/servers/{serverName}/versions/{version}", "delete", "404", await missing.json())).toEqual([]);
  });
});

describe("mcp: governance like every format", () => {
  it("a publish is in the package listing and the events; retention deletes versions the catalog then drops", async () => {
    const r = await catalogRepo();
    const events = captureEvents();
    for (const v of ["1.0.0", "1.1.0", "1.2.0"]) await published(r, server("com.example/retired", v));
    await published(r, server("com.example/kept", "1.0.0"));
    const uploaded = events.events().filter((e) => e.type === "artifact.uploaded");
    expect(uploaded.map((e) => [e.data.format, e.data.package, e.data.version])).toContainEqual(["mcp", "com.example/kept", "1.0.0"]);
    const pkgs = await jsonOf(await req(`/api/v1/repos/${r.repo.id}/packages`, { token: r.token }), 200);
    expect(pkgs.items.map((p: any) => p.name).sort()).toEqual(["com.example/kept", "com.example/retired"]);
    const versions = await jsonOf(await req(`/api/v1/repos/${r.repo.id}/packages/${enc("com.example/retired")}/versions`, { token: r.token }), 200);
    expect(versions.items.map((v: any) => v.version).sort()).toEqual(["1.0.0", "1.1.0", "1.2.0"]);

    await jsonOf(await req(`/api/v1/repos/${r.repo.id}/retention/policies`, { method: "POST", token: ADMIN, json: { name: "keep-newest", action: "keep", condition: { keep_most_recent: 1 } } }), 201);
    await jsonOf(await req(`/api/v1/repos/${r.repo.id}/retention/policies`, { method: "POST", token: ADMIN, json: { name: "drop-retired", action: "delete", condition: { package_patterns: ["com.example/retired"] } } }), 201);
    const run = await jsonOf(await req(`/api/v1/repos/${r.repo.id}/retention/runs`, { method: "POST", token: ADMIN, json: { wait: true } }), 200);
    expect(run).toMatchObject({ status: "succeeded", deleted: 2 });
    const left = await r.v0("v0/servers?include_deleted=true", "ServerList");
    expect(left.servers.map((s: any) => `${s.server.name}@${s.server.version}`)).toEqual(["com.example/kept@1.0.0", "com.example/retired@1.2.0"]);
    expect((await audit({ project_id: r.project.id, action: "retention.delete" })).map((a) => a.before.ref).sort()).toEqual(["1.0.0", "1.1.0"]);
  });
});
