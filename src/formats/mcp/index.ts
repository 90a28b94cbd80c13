/**
 * MCP server catalogs at `/mcp/<project>/<repo>/…` (repo format `mcp`): each repo is one
 * catalog, served in the MCP registry's API (under `v0/` and `v0.1/`, the same routes)
 * and in ToolHive's registry API, both read from the same entries (catalog.ts).
 *   POST  v0/publish                                     server.json → ServerResponse (write)
 *   GET   v0/servers[?cursor&limit&search&updated_since&version&include_deleted&transport&verified]
 *   GET   v0/servers/{serverName}                         its latest version (reads.ts)
 *   GET   v0/servers/{serverName}/versions                every version, newest first
 *   GET   v0/servers/{serverName}/versions/{version|latest}
 *   GET   v0/servers/{serverName}/versions/{version}/server.json   the document as published (Range, ETag)
 *   PATCH v0/servers/{serverName}[/versions/{version}]/status   {status, statusMessage} (write)
 *   DELETE v0/servers/{serverName}/versions/{version}     to the repo's trash (delete)
 *   GET   api/v1beta/registry[/{name}[/servers[/{serverName}]]]  ToolHive's shape ({name} = repo)
 *   GET   registry.json                                    ToolHive's registry file (thv config set-registry)
 *   GET   openapi.yaml                                     what `thv config set-registry-api` checks
 * and, naming no repo, `GET /mcp/-/v0/servers`: every catalog the caller reads (across.ts).
 * Invariants: `{serverName}` is URL-encoded (`com.example%2Fweather`); the unencoded
 * form (`com.example/weather`) is accepted too. Credentials are checked before a body is
 * read. Errors are the registry's: huma's problem JSON (`title`, `status`, `detail`,
 * `errors[{location, message, value}]`) with the `error` string its OpenAPI names.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../http/types";
import { withHeaders, type ErrorRenderer } from "../../http/errors";
import { readCapped } from "../../http/body";
import { invalid, notFound } from "../../core/errors";
import type { OpenedRepo } from "../../services/projects";
import type { Scope } from "../../services/scope";
import type { Format } from "../format";
import { plannedStoredFile, type PlannedRead } from "../../services/artifacts";
import { mcpClientSetup } from "./client-setup";
import { acrossApp } from "./across";
import { openApiYaml } from "./openapi-doc";
import * as catalog from "./catalog";
import { API_VERSIONS, listPage, localHosts, resolve } from "./listing";
import { catalogCors, decode, serverGet, serverPath, v0 } from "./reads";
import { toolhiveServer, v0Server } from "./shapes";

const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 413: "Payload Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Entity", 451: "Unavailable For Legal Reasons", 500: "Internal Server Error", 503: "Service Unavailable" };

export const renderProblem: ErrorRenderer = (err, c) => {
  const errors = Array.isArray(err.detail) ? err.detail : undefined;
  const body = { title: STATUS_TEXT[err.status] ?? "Error", status: err.status, detail: err.message, error: err.message, code: err.code, ...(errors ? { errors } : {}) };
  const res = c.body(JSON.stringify(body), err.status as 400, { "Content-Type": "application/problem+json" });
  return withHeaders(res, err, err.status === 401 ? { "WWW-Authenticate": 'Bearer realm="OrbitalReg"' } : {});
};

const REGISTRY_SCHEMA_VERSION = "1.0.0";

function segments(c: Context<AppEnv>): string[] {
  return c.var.target.rest.split("/");
}
async function v0Get(c: Context<AppEnv>, segs: string[]) {
  const opened = await c.var.target.open("read");
  const scope = c.var.scope;
  if (segs[0] !== "servers") throw notFound("Route", `GET ${segs.join("/")} is not a registry route`);
  if (segs.length === 1) {
    const listed = (await catalog.catalog(scope, opened)).map((entry) => ({ entry, key: entry.name, from: null }));
    const { page, nextCursor } = await listPage(scope, listed, (k) => c.req.query(k));
    return c.json({ servers: page.map((p) => v0Server(p.entry, p.refs)), metadata: { count: page.length, ...(nextCursor ? { nextCursor } : {}) } });
  }
  const { name, tail } = serverPath(segs.slice(1));
  return serverGet(c, opened, name, tail);
}

/** ToolHive's `registry/{name}` body: the registry file plus its name and counts. */
async function toolhiveRegistry(scope: Scope, opened: OpenedRepo) {
  const latest = (await catalog.catalog(scope, opened)).filter((e) => e.isLatest);
  const servers: Record<string, ReturnType<typeof toolhiveServer>> = {};
  for (const e of latest) servers[e.name] = toolhiveServer(e, await resolve(scope, e));
  const lastUpdated = new Date(Math.max(0, ...latest.map((e) => e.updatedAt))).toISOString();
  return { lastUpdated, servers, file: { version: REGISTRY_SCHEMA_VERSION, last_updated: lastUpdated, servers } };
}

async function toolhiveGet(c: Context<AppEnv>, segs: string[]) {
  const opened = await c.var.target.open("read");
  const scope = c.var.scope;
  const repoName = opened.repo.slug;
  if (segs.length === 0) {
    const r = await toolhiveRegistry(scope, opened);
    return c.json({ registries: [{ name: repoName, version: REGISTRY_SCHEMA_VERSION, last_updated: r.lastUpdated, server_count: Object.keys(r.servers).length }] });
  }
  if (decode(segs[0]!) !== repoName) throw notFound("Server", `registry ${decode(segs[0]!)} not found (this catalog is ${repoName})`);
  const r = await toolhiveRegistry(scope, opened);
  if (segs.length === 1) return c.json({ name: repoName, version: REGISTRY_SCHEMA_VERSION, last_updated: r.lastUpdated, server_count: Object.keys(r.servers).length, registry: r.file });
  if (segs[1] !== "servers") throw notFound("Route", "ToolHive routes: registry/{name}[/servers[/{serverName}]]");
  if (segs.length === 2) return c.json({ servers: Object.values(r.servers) });
  const { name, tail } = serverPath(segs.slice(2));
  const server = r.servers[name];
  if (!server || tail.length) throw notFound("Server", `server ${name} not found`);
  return c.json({ server });
}

export const mcpApp = new Hono<AppEnv>();
mcpApp.use("/:project/:repo/*", catalogCors);

mcpApp.get("/:project/:repo/*", async (c) => {
  const segs = segments(c);
  if (API_VERSIONS.has(segs[0]!)) return v0Get(c, segs.slice(1));
  if (segs[0] === "api" && segs[1] === "v1beta" && segs[2] === "registry") return toolhiveGet(c, segs.slice(3).filter((s, i, a) => s !== "" || i < a.length - 1));
  if (segs.length === 1 && segs[0] === "openapi.yaml") {
    const opened = await c.var.target.open("read");
    return c.body(openApiYaml(c.var.target.url, `OrbitalReg MCP catalog ${opened.project.slug}/${opened.repo.slug}`), 200, { "Content-Type": "application/yaml" });
  }
  if (segs.length === 1 && segs[0] === "registry.json") {
    const opened = await c.var.target.open("read");
    return c.json((await toolhiveRegistry(c.var.scope, opened)).file);
  }
  throw notFound("Route", `${segs.join("/")} is not a catalog route (v0/…, api/v1beta/registry…, registry.json, openapi.yaml)`);
});

mcpApp.post("/:project/:repo/*", async (c) => {
  const segs = segments(c);
  if (!API_VERSIONS.has(segs[0]!) || segs[1] !== "publish" || segs.length !== 2) throw notFound("Route", "POST v0/publish");
  const opened = await c.var.target.open("write");
  const bytes = await readCapped(c.req.raw, catalog.MAX_SERVER_JSON);
  const e = await catalog.publish(c.var.scope, opened, bytes, localHosts(c.var.scope));
  return c.json(await v0(c.var.scope, e));
});

mcpApp.patch("/:project/:repo/*", async (c) => {
  const segs = segments(c);
  if (!API_VERSIONS.has(segs[0]!) || segs[1] !== "servers") throw notFound("Route", "PATCH v0/servers/{serverName}[/versions/{version}]/status");
  const { name, tail } = serverPath(segs.slice(2));
  const version = tail.length === 3 && tail[0] === "versions" && tail[2] === "status" ? decode(tail[1]!) : tail.length === 1 && tail[0] === "status" ? null : undefined;
  if (version === undefined) throw notFound("Route", "PATCH v0/servers/{serverName}[/versions/{version}]/status");
  const opened = await c.var.target.open("write");
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(await readCapped(c.req.raw, 16 * 1024)));
  } catch (e) {
    if (e instanceof SyntaxError) throw invalid("Json", "the request body is not valid JSON");
    throw e;
  }
  const changed = await catalog.changeStatus(c.var.scope, opened, name, version, catalog.parseStatusChange(body));
  const servers = await Promise.all(changed.map((e) => v0(c.var.scope, e)));
  return version === null ? c.json({ servers, metadata: { count: servers.length } }) : c.json(servers[0]);
});

mcpApp.delete("/:project/:repo/*", async (c) => {
  const segs = segments(c);
  if (!API_VERSIONS.has(segs[0]!) || segs[1] !== "servers") throw notFound("Route", "DELETE v0/servers/{serverName}/versions/{version}");
  const { name, tail } = serverPath(segs.slice(2));
  if (tail.length !== 2 || tail[0] !== "versions") throw notFound("Route", "DELETE v0/servers/{serverName}/versions/{version}");
  const opened = await c.var.target.open("delete");
  const removed = await catalog.remove(c.var.scope, opened, name, decode(tail[1]!));
  return c.json(await v0(c.var.scope, removed));
});

/**
 * The one read a GET will make, for the gate's batch: a server.json download reads its
 * stored file (with the version's policy columns); every other catalog read reads the
 * catalog document with the repo's restricted versions. Cross-catalog routes (`/mcp/-/`)
 * name no repo and plan nothing.
 */
function planRead(rest: string, method: string): PlannedRead | null {
  if (method !== "GET" && method !== "HEAD") return null;
  const segs = rest.split("/");
  if (segs.length === 1 && segs[0] === "openapi.yaml") return null;
  if (API_VERSIONS.has(segs[0]!) && segs[1] === "servers" && segs.length > 2) {
    const { name, tail } = serverPath(segs.slice(2));
    if (tail[0] === "versions" && tail.length === 3 && tail[2] === catalog.SERVER_FILE) return plannedStoredFile({ packageName: name, version: decode(tail[1]!), name: catalog.SERVER_FILE });
  }
  return catalog.plannedCatalog;
}

export const mcpFormat: Format = {
  id: "mcp",
  repoFormats: ["mcp"],
  prefix: "/mcp",
  routes: mcpApp,
  unscopedRoutes: acrossApp,
  planRead,
  // server.json has no licence field: a licence policy's unknown-licence rule would refuse every catalog version.
  declaresLicenses: false,
  renderError: renderProblem,
  exampleArtifact: "com.example/weather",
  clientSetup: mcpClientSetup,
};
