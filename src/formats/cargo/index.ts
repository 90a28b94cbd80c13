/**
 * Cargo sparse registry at `/cargo/<project>/<repo>/`: `index/config.json`, index files,
 * and the web API (`api/v1/crates/…`: publish, yank/unyank, owners, download, search).
 * Invariants: errors are `{"errors":[{"detail"}]}` with a real status (cargo shows the
 * detail either way); a private repo answers 401 to anonymous config.json requests and
 * says `"auth-required": true` once the token is sent, so cargo sends it everywhere;
 * index files are never served stale (ETag of the current content, `no-cache`).
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../http/types";
import { whyBlocked, withHeaders, type ErrorRenderer } from "../../http/errors";
import { sendFile } from "../../http/download";
import * as cargo from "./registry";
import { cargoVersionMatcher, crateOfIndexPath, normalizeCrateName } from "./crate";
import { invalid, notFound } from "../../core/errors";
import { sha256Hex } from "../../core/ids";
import type { Format } from "../format";
import { cargoClientSetup } from "./client-setup";
import { cargoMirror, serveCargoUpstream, cargoVirtual } from "./upstream";

export const renderCargoError: ErrorRenderer = (err, c) => {
  const res = c.json({ errors: [{ detail: err.message }], ...whyBlocked(err) }, err.status as 400);
  return withHeaders(res, err, err.status === 401 ? { "WWW-Authenticate": "Cargo" } : {});
};

export const cargoApp = new Hono<AppEnv>();

cargoApp.get("/:project/:repo/index/config.json", async (c) => {
  const opened = await c.var.target.open("read");
  const base = c.var.target.url;
  const config: Record<string, unknown> = { dl: `${base}/api/v1/crates`, api: base };
  if (opened.repo.visibility !== "public") config["auth-required"] = true;
  return c.json(config, 200, { "Cache-Control": "no-cache" });
});

cargoApp.get("/:project/:repo/index/*", async (c) => {
  const opened = await c.var.target.open("read");
  const path = c.var.target.rest.slice("index/".length);
  const name = crateOfIndexPath(path);
  const body = name && (await cargo.indexFile(c.get("scope"), opened, name));
  if (!body) throw notFound("Crate", `no index file at ${path}`);
  const etag = `"${(await sha256Hex(body)).slice(0, 32)}"`;
  const headers = { ETag: etag, "Cache-Control": "no-cache", "Content-Type": "text/plain; charset=utf-8" };
  if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
  return c.body(body, 200, headers);
});

cargoApp.put("/:project/:repo/api/v1/crates/new", async (c) => {
  const opened = await c.var.target.open("write");
  if (!c.req.raw.body) throw invalid("CratePublishBody", "the publish request has no body");
  const length = Number(c.req.header("content-length") ?? NaN);
  return c.json(await cargo.publishCrate(c.get("scope"), opened, c.req.raw.body, Number.isFinite(length) ? length : null));
});

cargoApp.delete("/:project/:repo/api/v1/crates/:name/:version/yank", async (c) => {
  const opened = await c.var.target.open("write");
  await cargo.setYanked(c.get("scope"), opened, c.req.param("name"), c.req.param("version"), true);
  return c.json({ ok: true });
});

cargoApp.put("/:project/:repo/api/v1/crates/:name/:version/unyank", async (c) => {
  const opened = await c.var.target.open("write");
  await cargo.setYanked(c.get("scope"), opened, c.req.param("name"), c.req.param("version"), false);
  return c.json({ ok: true });
});

cargoApp.get("/:project/:repo/api/v1/crates/:name/owners", async (c) => {
  const opened = await c.var.target.open("read");
  return c.json(await cargo.owners(c.get("scope"), opened, c.req.param("name")));
});

const ownersManagedElsewhere = async (c: Context<AppEnv>) => {
  await c.var.target.open("write");
  throw invalid("CrateOwners", "owners are not managed by cargo here: grant project roles through the OrbitalReg API instead");
};
cargoApp.put("/:project/:repo/api/v1/crates/:name/owners", ownersManagedElsewhere);
cargoApp.delete("/:project/:repo/api/v1/crates/:name/owners", ownersManagedElsewhere);

cargoApp.get("/:project/:repo/api/v1/crates/:name/:version/download", async (c) => {
  const opened = await c.var.target.open("read");
  const file = await cargo.crateFile(c.get("scope"), opened, c.req.param("name"), c.req.param("version"));
  return sendFile(c, opened.repo, file, { contentType: "application/gzip" });
});

cargoApp.get("/:project/:repo/api/v1/crates", async (c) => {
  const opened = await c.var.target.open("read");
  const perPage = Math.min(100, Math.max(1, Number(c.req.query("per_page") ?? 10) || 10));
  return c.json(await cargo.searchCrates(c.get("scope"), opened, c.req.query("q") ?? "", perPage));
});

export const cargoFormat: Format = {
  id: "cargo",
  repoFormats: ["cargo"],
  prefix: "/cargo",
  routes: cargoApp,
  planRead: (rest, method) => (method === "GET" || method === "HEAD" ? cargo.plannedRead(rest) : null),
  renderError: renderCargoError,
  packageKey: normalizeCrateName,
  versionMatcher: cargoVersionMatcher,
  exampleArtifact: "my_crate",
  clientSetup: cargoClientSetup,
  upstream: { serve: serveCargoUpstream, mirror: cargoMirror, virtual: cargoVirtual },
};
