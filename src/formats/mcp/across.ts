/**
 * The catalog of catalogs: `GET /mcp/-/v0/servers` (and `v0.1`) lists and searches the
 * servers of every MCP catalog the caller may read, in the registry's own list shape, so
 * one URL serves an MCP client (VS Code, Copilot, ToolHive's API mode) the whole vetted
 * set: `search` (name, title, description, tools, tags), `transport`, `verified=true`,
 * `version=latest`, `updated_since`, `include_deleted`, cursor pages (listing.ts). Each server says which catalog holds it
 * under `_meta["dev.orbitalreg/catalog"].catalog`. A server's own routes
 * (`servers/{name}`, `…/versions`, `…/versions/{version|latest}`, `…/server.json`) answer
 * from the oldest readable catalog listing that name, or the one `?catalog=` names.
 *
 * Invariants:
 * - Reads with the caller's rights: only catalogs `openRepo` would let it read
 *   (anonymous: public ones), each through the same catalog read as its own routes, so
 *   policy (blocks, holds) and reference resolution are exactly what the catalog shows.
 * - `-` is never a project slug, so this path can't shadow a catalog.
 * - At most MAX_CATALOGS catalogs (oldest first) are searched;
 *   `metadata["dev.orbitalreg/catalogs"]` says how many were and whether more exist.
 * - Cost: which repos the caller reads (its reach, the repos, their projects: a few
 *   queries), then every catalog's document in one D1 batch (test/mcp-across.test.ts
 *   pins it); references are resolved for the page's entries only.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../http/types";
import { notFound } from "../../core/errors";
import { rawPathname } from "../../http/repo-gate";
import type { Scope } from "../../services/scope";
import { readableReposOf, type OpenedRepo } from "../../services/projects";
import * as catalog from "./catalog";
import { API_VERSIONS, flag, listPage } from "./listing";
import { openApiYaml } from "./openapi-doc";
import { catalogCors, serverGet, serverPath } from "./reads";
import { OURS, v0Server } from "./shapes";

export const MAX_CATALOGS = 50;

export const acrossApp = new Hono<AppEnv>();
acrossApp.use("/-/*", catalogCors);

const path = (o: OpenedRepo) => `${o.project.slug}/${o.repo.slug}`;

/** The readable catalogs and their entries (each through its own read: policy applies). */
async function catalogsOf(c: Context<AppEnv>) {
  const scope = c.var.scope;
  const { repos, truncated } = await readableReposOf(scope, "mcp", MAX_CATALOGS);
  const entries = await catalog.catalogs(scope, repos);
  return { truncated, catalogs: repos.map((opened, i) => ({ opened, entries: entries[i]! })) };
}

/** Adds where a server lives to its v0 body, under our `_meta` key. */
const located =
  (scope: Scope, opened: OpenedRepo) =>
  <T>(body: T): T => {
    const s = body as { _meta: Record<string, Record<string, unknown>> };
    const where = { project: opened.project.slug, repo: opened.repo.slug, url: `${scope.baseUrl}/mcp/${path(opened)}/` };
    return { ...s, _meta: { ...s._meta, [OURS]: { ...s._meta[OURS], catalog: where } } } as T;
  };

acrossApp.get("/-/openapi.yaml", (c) => c.body(openApiYaml(`${c.var.scope.baseUrl}/mcp/-`, "OrbitalReg MCP catalogs (every catalog you may read)"), 200, { "Content-Type": "application/yaml" }));

acrossApp.get("/-/:api/servers", async (c) => {
  if (!API_VERSIONS.has(c.req.param("api"))) throw notFound("Route", "GET /mcp/-/v0/servers");
  const scope = c.var.scope;
  const { catalogs, truncated } = await catalogsOf(c);
  const listed = catalogs.flatMap(({ opened, entries }) => entries.map((entry) => ({ entry, key: `${entry.name}\t${path(opened)}`, from: opened })));
  const { page, nextCursor } = await listPage(scope, listed, (k) => c.req.query(k));
  const servers = page.map((p) => located(scope, p.from)(v0Server(p.entry, p.refs)));
  return c.json({ servers, metadata: { count: servers.length, ...(nextCursor ? { nextCursor } : {}), "dev.orbitalreg/catalogs": { searched: catalogs.length, truncated } } });
});

/** One server: from the oldest readable catalog that lists it (a name in several catalogs: `?catalog=<project>/<repo>` picks one). */
acrossApp.get("/-/:api/servers/*", async (c) => {
  if (!API_VERSIONS.has(c.req.param("api"))) throw notFound("Route", "GET /mcp/-/v0/servers/{serverName}");
  const raw = rawPathname(c.req.url).split("/servers/").slice(1).join("/servers/");
  const { name, tail } = serverPath(raw.split("/"));
  const want = c.req.query("catalog");
  const includeDeleted = flag(c.req.query("include_deleted"));
  const { catalogs } = await catalogsOf(c);
  const holder = catalogs.find(({ opened, entries }) => (!want || path(opened) === want) && entries.some((e) => e.name === name && (includeDeleted || e.status !== "deleted")));
  if (!holder) throw notFound("Server", `server ${name} not found in any catalog you may read`);
  return serverGet(c, holder.opened, name, tail, located(c.var.scope, holder.opened));
});

acrossApp.all("/-/*", () => {
  throw notFound("Route", "across catalogs: GET /mcp/-/v0/servers[/{serverName}[/versions[/{version}]]] (or v0.1), /mcp/-/openapi.yaml");
});
