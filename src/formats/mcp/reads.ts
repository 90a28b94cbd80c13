/**
 * One server's reads in the MCP registry's API, shared by a catalog's routes and the
 * catalog of catalogs (across.ts):
 *   {serverName}                              its latest version (the v0 form ToolHive's API client asks for)
 *   {serverName}/versions                     every version, newest first
 *   {serverName}/versions/{version|latest}    one version
 *   {serverName}/versions/{version}/server.json   the document as published (a download: policy applies)
 * Invariants: `{serverName}` is URL-encoded (`com.example%2Fweather`) or not; deleted
 * versions only with `include_deleted`; every answer goes through the catalog's read,
 * so policy (blocks, holds) is the catalog's.
 */
import type { Context } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../../http/types";
import { sendFile } from "../../http/download";
import { invalid, notFound } from "../../core/errors";
import type { OpenedRepo } from "../../services/projects";
import type { Scope } from "../../services/scope";
import * as catalog from "./catalog";
import { flag, resolve } from "./listing";
import { v0Server } from "./shapes";

/**
 * Browser-based clients may read catalogs (VS Code and Copilot fetch a registry from the
 * editor; GitHub's registry requirements name these headers). Only reads pass a
 * preflight, and `*` never lets a browser send cookies, so a session can't be ridden.
 */
export const catalogCors = cors({ origin: "*", allowMethods: ["GET", "OPTIONS"], allowHeaders: ["Authorization", "Content-Type"] });

export const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalid("Request", "invalid percent-encoding in the path");
  }
};

/** `{serverName}` and what follows it, from the raw segments after `servers/`. */
export function serverPath(segs: string[]): { name: string; tail: string[] } {
  const first = decode(segs[0] ?? "");
  if (first.includes("/")) return { name: first, tail: segs.slice(1) };
  if (segs.length < 2) throw notFound("Server", `server ${first} not found`);
  return { name: `${first}/${decode(segs[1]!)}`, tail: segs.slice(2) };
}

export const v0 = async (scope: Scope, e: catalog.Entry) => v0Server(e, await resolve(scope, e));

/** A server's GET routes in one catalog; `decorate` adds to each v0 body (the catalog, across catalogs). */
export async function serverGet(c: Context<AppEnv>, opened: OpenedRepo, name: string, tail: string[], decorate: <T>(body: T) => T = (b) => b) {
  const scope = c.var.scope;
  if (tail[0] === "versions" && tail.length === 3 && tail[2] === catalog.SERVER_FILE) {
    const file = await catalog.serverFile(scope, opened, name, decode(tail[1]!));
    return sendFile(c, opened.repo, file, { contentType: "application/json" });
  }
  const includeDeleted = flag(c.req.query("include_deleted"));
  const one = tail.length === 0 ? "latest" : tail[0] === "versions" && tail.length === 2 ? decode(tail[1]!) : null;
  if (one !== null) {
    const e = await catalog.entry(scope, opened, name, one, includeDeleted);
    if (!e) throw notFound("Server", `server ${name} version ${one} not found`);
    return c.json(decorate(await v0(scope, e)));
  }
  if (tail[0] !== "versions" || tail.length !== 1) throw notFound("Route", `GET servers/${name}/${tail.join("/")} is not a registry route`);
  const all = (await catalog.catalog(scope, opened)).filter((e) => e.name === name && (includeDeleted || e.status !== "deleted"));
  if (all.length === 0) throw notFound("Server", `server ${name} not found`);
  const newest = all.sort((a, b) => b.publishedAt - a.publishedAt);
  const servers = await Promise.all(newest.map(async (e) => decorate(await v0(scope, e))));
  return c.json({ servers, metadata: { count: servers.length } });
}
