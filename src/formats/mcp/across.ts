/**
 * The catalog of catalogs: `GET /mcp/-/v0/servers` (and `v0.1`) lists and searches the
 * servers of every MCP catalog the caller may read, in the registry's own list shape, so
 * one URL serves an MCP client the whole vetted set: `search` (name, title, description,
 * tools, tags), `transport`, `verified=true`, `version=latest`, `updated_since`,
 * `include_deleted`, cursor pages (listing.ts). Each server says which catalog holds it
 * under `_meta["dev.orbitalreg/catalog"].catalog`.
 *
 * Invariants:
 * - Reads with the caller's rights: only catalogs `openRepo` would let it read
 *   (anonymous: public ones), each through the same catalog read as its own routes, so
 *   policy (blocks, holds) and reference resolution are exactly what the catalog shows.
 * - `-` is never a project slug, so this path can't shadow a catalog.
 * - At most MAX_CATALOGS catalogs (oldest first) are searched;
 *   `metadata["dev.orbitalreg/catalogs"]` says how many were and whether more exist.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../http/types";
import { notFound } from "../../core/errors";
import { readableReposOf, type OpenedRepo } from "../../services/projects";
import * as catalog from "./catalog";
import { API_VERSIONS, listPage } from "./listing";
import { OURS, v0Server } from "./shapes";

export const MAX_CATALOGS = 50;

export const acrossApp = new Hono<AppEnv>();

acrossApp.get("/-/:api/servers", async (c) => {
  if (!API_VERSIONS.has(c.req.param("api"))) throw notFound("Route", "GET /mcp/-/v0/servers");
  const scope = c.var.scope;
  const { repos, truncated } = await readableReposOf(scope, "mcp", MAX_CATALOGS);
  const catalogs = await Promise.all(repos.map(async (opened) => ({ opened, entries: await catalog.catalog(scope, opened) })));
  const path = (o: OpenedRepo) => `${o.project.slug}/${o.repo.slug}`;
  const listed = catalogs.flatMap(({ opened, entries }) => entries.map((entry) => ({ entry, key: `${entry.name}\t${path(opened)}`, from: opened })));
  const { page, nextCursor } = await listPage(scope, listed, (k) => c.req.query(k));
  const servers = page.map((p) => {
    const s = v0Server(p.entry, p.refs);
    const where = { project: p.from.project.slug, repo: p.from.repo.slug, url: `${scope.baseUrl}/mcp/${path(p.from)}/` };
    return { ...s, _meta: { ...s._meta, [OURS]: { ...s._meta[OURS], catalog: where } } };
  });
  return c.json({ servers, metadata: { count: servers.length, ...(nextCursor ? { nextCursor } : {}), "dev.orbitalreg/catalogs": { searched: repos.length, truncated } } });
});

acrossApp.all("/-/*", () => {
  throw notFound("Route", "across catalogs: GET /mcp/-/v0/servers (or v0.1)");
});
