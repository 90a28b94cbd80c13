/**
 * The catalog of catalogs (`GET /mcp/-/v0/servers`): search by name, description, tools
 * and tags across every MCP catalog the caller may read (never another project's
 * private one; anonymous callers public ones only), the transport and verified filters,
 * cursor pages over catalogs, each server naming its catalog. Every answer is checked
 * against the MCP registry's vendored OpenAPI document.
 */
import { describe, expect, it } from "vitest";
import { SELF } from "cloudflare:test";
import { parse } from "yaml";
import { createRepo, jsonOf, req } from "./helpers";
import { pushImage } from "./oci-helpers";
import { openApiErrors } from "./support/mcp-openapi";
import { measure } from "./support/calls";
import { BASE, catalogRepo, enc, ours, published, server } from "./support/mcp";

const PP = "io.modelcontextprotocol.registry/publisher-provided";
const mark = crypto.randomUUID().slice(0, 8);
const n = (s: string) => `io.t${mark}/${s}`;

async function across(query: string, token: string | null) {
  const res = await SELF.fetch(`${BASE}/mcp/-/v0.1/servers${query}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const body = await jsonOf(res, 200);
  expect(openApiErrors("ServerList", body), JSON.stringify(body)).toEqual([]);
  return body;
}
const names = (list: any) => list.servers.map((s: any) => `${s.server.name}@${ours(s).catalog.repo}`).sort();

describe("mcp: search across catalogs", () => {
  it("finds servers by name, description, tools and tags in every catalog the caller reads, with transport and verified filters", async () => {
    const a = await catalogRepo();
    const a2slug = (await createRepo(a.project.id, "mcp")).slug;
    const a2 = (doc: unknown) => SELF.fetch(`${BASE}/mcp/${a.project.slug}/${a2slug}/v0/publish`, { method: "POST", headers: { Authorization: `Bearer ${a.token}`, "Content-Type": "application/json" }, body: JSON.stringify(doc) });
    const other = await catalogRepo(); // another project, private
    const pub = await catalogRepo();
    await jsonOf(await req(`/api/v1/repos/${pub.repo.id}`, { method: "PATCH", token: "test-admin-token", json: { visibility: "public" } }), 200);

    const images = await createRepo(a.project.id, "docker");
    const image = `${a.project.slug}/${images.slug}/forecaster`;
    await pushImage(image, a.token, "v1");
    await published(a, server(n("weather"), "1.0.0", { packages: [{ registryType: "oci", identifier: `registry.test/${image}:v1`, transport: { type: "stdio" } }], _meta: { [PP]: { tools: ["get_forecast"], tags: ["meteo"] } } }));
    await published(a, server(n("weather"), "1.1.0", { packages: [{ registryType: "oci", identifier: `registry.test/${image}:v1`, transport: { type: "stdio" } }], _meta: { [PP]: { tools: ["get_forecast"], tags: ["meteo"] } } }));
    expect((await a2({ ...server(n("websearch"), "0.1.0", { description: "Searches the web for weather and news", packages: undefined }), remotes: [{ type: "streamable-http", url: "https://search.example/mcp" }] })).status).toBe(200);
    await published(other, server(n("weather-secret"), "1.0.0"));
    await published(pub, server(n("public-weather"), "2.0.0", { _meta: { [PP]: { tags: ["meteo"] } } }));

    // By name (and description): both of project A's catalogs and the public one; never the other project's.
    const weather = await across(`?search=weather&version=latest`, a.token);
    const mine = weather.servers.filter((s: any) => s.server.name.includes(mark));
    expect(mine.map((s: any) => s.server.name).sort()).toEqual([n("public-weather"), n("weather"), n("websearch")]);
    const w = mine.find((s: any) => s.server.name === n("weather"));
    expect(w.server.version).toBe("1.1.0");
    expect(ours(w).catalog).toEqual({ project: a.project.slug, repo: a.repo.slug, url: `${BASE}/mcp/${a.project.slug}/${a.repo.slug}/` });
    expect(weather.metadata["dev.orbitalreg/catalogs"]).toMatchObject({ truncated: false });

    // By tool, by tag (publisher-provided), case-insensitively.
    expect(names(await across(`?search=GET_FORECAST&version=latest`, a.token))).toEqual([`${n("weather")}@${a.repo.slug}`]);
    const tagged = (await across(`?search=meteo&version=latest`, a.token)).servers.map((s: any) => s.server.name).filter((x: string) => x.includes(mark));
    expect(tagged.sort()).toEqual([n("public-weather"), n("weather")]);
    // Every version unless version=latest.
    expect((await across(`?search=${mark}`, a.token)).servers.filter((s: any) => s.server.name === n("weather")).map((s: any) => s.server.version)).toEqual(["1.0.0", "1.1.0"]);

    // Transport and verified.
    expect(names(await across(`?search=${mark}&transport=streamable-http`, a.token))).toEqual([`${n("websearch")}@${a2slug}`]);
    const verified = await across(`?search=${mark}&verified=true&version=latest`, a.token);
    expect(names(verified)).toEqual([`${n("weather")}@${a.repo.slug}`]);
    expect(ours(verified.servers[0]).verified).toBe(true);

    // The other project's token sees its own catalog and the public one; anonymous callers the public one only.
    expect(names(await across(`?search=${mark}`, other.token))).toEqual([`${n("public-weather")}@${pub.repo.slug}`, `${n("weather-secret")}@${other.repo.slug}`]);
    expect(names(await across(`?search=${mark}`, null))).toEqual([`${n("public-weather")}@${pub.repo.slug}`]);
  });

  it("pages across catalogs with nextCursor, each server version once; a bad cursor is 400; other paths under /mcp/-/ are 404", async () => {
    const mark = crypto.randomUUID().slice(0, 8); // not the public catalog of the test above
    const n = (s: string) => `io.p${mark}/${s}`;
    const a = await catalogRepo();
    const b = await catalogRepo();
    for (const v of ["1.0.0", "1.1.0"]) await published(a, server(n("paged"), v));
    await published(a, server(n("alpha"), "1.0.0"));
    await published(b, server(n("paged"), "3.0.0"));
    for (const token of [a.token, b.token]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await across(`?search=${mark}&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, token);
        expect(page.servers.length).toBeLessThanOrEqual(1);
        seen.push(...page.servers.map((s: any) => `${s.server.name}@${s.server.version}`));
        cursor = page.metadata.nextCursor;
      } while (cursor);
      expect(seen).toEqual(token === a.token ? [`${n("alpha")}@1.0.0`, `${n("paged")}@1.0.0`, `${n("paged")}@1.1.0`] : [`${n("paged")}@3.0.0`]);
    }
    expect((await SELF.fetch(`${BASE}/mcp/-/v0/servers?cursor=nope`, { headers: { Authorization: `Bearer ${a.token}` } })).status).toBe(400);
    const other = await SELF.fetch(`${BASE}/mcp/-/v0/servers/x/versions`, { headers: { Authorization: `Bearer ${a.token}` } });
    expect(other.status).toBe(404);
    expect(other.headers.get("content-type")).toContain("application/problem+json");
    expect((await SELF.fetch(`${BASE}/mcp/-/v9/servers`)).status).toBe(404);
  });

  it("the global search (/api/v1/search) finds catalog servers by name and description too", async () => {
    const a = await catalogRepo();
    await published(a, server(n("findme"), "1.0.0", { description: `Tide tables ${mark}` }));
    const hits = await jsonOf(await req(`/api/v1/search?q=${mark}&kind=package`, { token: a.token }), 200);
    expect(hits.items.map((h: any) => [h.name, h.format])).toContainEqual([n("findme"), "mcp"]);
  });
});

describe("mcp: what registry clients need (ToolHive's API mode, VS Code and Copilot)", () => {
  it("serves openapi.yaml as ToolHive checks it, a server's latest at servers/{name}, and CORS for reads only", async () => {
    const a = await catalogRepo();
    await published(a, server(n("client"), "1.0.0"));
    await published(a, server(n("client"), "1.2.0"));
    for (const url of [`${a.root}openapi.yaml`, `${BASE}/mcp/-/openapi.yaml`]) {
      const res = await SELF.fetch(url, { headers: { Authorization: `Bearer ${a.token}` } });
      expect(res.status).toBe(200);
      // ToolHive's ValidateEndpoint: info.version 1.0.0 and a description naming the registry's repository.
      const doc = parse(await res.text());
      expect(doc.info.version).toBe("1.0.0");
      expect(doc.info.description).toContain("https://github.com/modelcontextprotocol/registry");
      expect(Object.keys(doc.paths)).toContain("/v0.1/servers/{serverName}/versions/{version}");
    }
    // ToolHive's API client asks for v0/servers/{name} (URL-encoded): the latest version.
    const latest = await a.v0(`v0/servers/${enc(n("client"))}`, "ServerResponse");
    expect(latest.server.version).toBe("1.2.0");

    const pre = await SELF.fetch(`${a.root}v0.1/servers`, { method: "OPTIONS", headers: { Origin: "vscode-file://vscode-app", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET,OPTIONS");
    expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    expect(pre.headers.get("access-control-allow-credentials")).toBeNull();
    const got = await SELF.fetch(`${a.root}v0.1/servers`, { headers: { Origin: "vscode-file://vscode-app", Authorization: `Bearer ${a.token}` } });
    expect(got.status).toBe(200);
    expect(got.headers.get("access-control-allow-origin")).toBe("*");
    const acrossPre = await SELF.fetch(`${BASE}/mcp/-/v0.1/servers`, { method: "OPTIONS", headers: { Origin: "https://github.com", "Access-Control-Request-Method": "GET" } });
    expect(acrossPre.headers.get("access-control-allow-origin")).toBe("*");

    // A public catalog's set-up: ToolHive's API mode and VS Code's gallery URL are the catalog's root.
    await jsonOf(await req(`/api/v1/repos/${a.repo.id}`, { method: "PATCH", token: "test-admin-token", json: { visibility: "public" } }), 200);
    const setup = await jsonOf(await req(`/api/v1/repos/${a.repo.id}/client-setup`, { token: a.token }), 200);
    const root = a.root.replace(/\/$/, "");
    expect(setup.sections[0].commands[0]).toBe(`thv config set-registry-api ${root} --allow-private-ip`);
    expect(JSON.parse(setup.sections[1].content)["chat.mcp.gallery.serviceUrl"]).toBe(root);
    // What those clients then read, without credentials.
    expect((await SELF.fetch(`${root}/openapi.yaml`)).status).toBe(200);
    expect((await jsonOf(await SELF.fetch(`${root}/v0/servers/${enc(n("client"))}`), 200)).server.version).toBe("1.2.0");
  });

  it("answers a server's routes across catalogs from the catalog holding it (?catalog= picks among several)", async () => {
    const a = await catalogRepo();
    const b = await catalogRepo();
    await published(a, server(n("shared"), "1.0.0"));
    await published(a, server(n("shared"), "1.1.0"));
    await published(a, server(n("only-a"), "0.1.0"));
    const get = (path: string, token: string) => SELF.fetch(`${BASE}/mcp/-/v0.1/servers/${path}`, { headers: { Authorization: `Bearer ${token}` } });
    const latest = await jsonOf(await get(`${enc(n("shared"))}/versions/latest`, a.token), 200);
    expect(openApiErrors("ServerResponse", latest)).toEqual([]);
    expect(latest.server.version).toBe("1.1.0");
    expect(ours(latest).catalog.repo).toBe(a.repo.slug);
    const versions = await jsonOf(await get(`${enc(n("shared"))}/versions`, a.token), 200);
    expect(openApiErrors("ServerList", versions)).toEqual([]);
    expect(versions.servers.map((s: any) => s.server.version)).toEqual(["1.1.0", "1.0.0"]);
    expect((await jsonOf(await get(`${n("shared")}/versions/1.0.0`, a.token), 200)).server.version).toBe("1.0.0");
    expect((await get(`${enc(n("shared"))}/versions/1.0.0/server.json`, a.token)).status).toBe(200);
    // Another project's token can't reach project A's server through the catalog of catalogs.
    const hidden = await get(`${enc(n("only-a"))}/versions/latest`, b.token);
    expect(hidden.status).toBe(404);
    expect(hidden.headers.get("content-type")).toContain("application/problem+json");
    expect((await get(`${enc(n("shared"))}/versions/latest?catalog=${a.project.slug}/nope`, a.token)).status).toBe(404);
    expect((await jsonOf(await get(`${enc(n("shared"))}?catalog=${a.project.slug}/${a.repo.slug}`, a.token), 200)).server.version).toBe("1.1.0");
  });
});

describe("mcp: what a search across catalogs costs", () => {
  it("a few queries to find the caller's catalogs, then every catalog in one D1 batch, however many", async () => {
    const a = await catalogRepo();
    const slugs = [a.repo.slug];
    for (let i = 0; i < 2; i++) slugs.push((await createRepo(a.project.id, "mcp")).slug);
    for (const slug of slugs) {
      const res = await SELF.fetch(`${BASE}/mcp/${a.project.slug}/${slug}/v0/publish`, { method: "POST", headers: { Authorization: `Bearer ${a.token}`, "Content-Type": "application/json" }, body: JSON.stringify(server(n(`cost-${slug}`), "1.0.0", { packages: undefined })) });
      expect(res.status).toBe(200);
    }
    const path = `/mcp/-/v0.1/servers?search=cost-`;
    const headers = { Authorization: `Bearer ${a.token}` };
    await measure(path, { headers }); // warm: the token and grants are cached, as for any client's second request
    const m = await measure(path, { headers });
    expect(m.res.status).toBe(200);
    const body = JSON.parse(new TextDecoder().decode(m.body));
    expect(body.servers.filter((s: any) => s.server.name.includes(mark))).toHaveLength(3);
    // Public catalogs of other tests are searched too: count what was searched.
    const searched = body.metadata["dev.orbitalreg/catalogs"].searched;
    expect(searched).toBeGreaterThanOrEqual(slugs.length);
    console.log(`mcp search across ${searched} catalogs: ${m.calls.d1} D1 round trips`);
    expect(m.calls.d1).toBeLessThanOrEqual(3);
  });
});
