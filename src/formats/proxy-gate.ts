/**
 * The second gate of repo-addressed protocols, after the repo gate: routes a request
 * for an upstream or a virtual repo before the format's own (local) routes see it.
 *
 *   local repo                  → the format's routes, as always
 *   upstream repo, GET/HEAD     → the format's `upstream.serve` (cache, upstream), or the
 *                                 format's routes when it returns null (a cached artifact)
 *   upstream repo, any write    → 403 ForbiddenRepoUpstream (after the caller's credentials
 *                                 are checked, so anonymous callers still get 401)
 *   virtual repo                → members in order (virtual-dispatch.ts)
 *
 * Invariant: the repo lookup here checks no access; every path past it still opens the
 * repo (or each member) through `openRepo` with the right it needs.
 */
import { createMiddleware } from "hono/factory";
import type { Hono } from "hono";
import type { AppEnv } from "../http/types";
import { routedRepo } from "../services/projects";
import { RegistryError } from "../core/errors";
import { forgetPlannedReads } from "../services/scope";
import type { Format } from "./format";
import { serveVirtual } from "./virtual-dispatch";

const READS = new Set(["GET", "HEAD"]);

export function proxyGate(f: Format, local: Hono<AppEnv>) {
  return createMiddleware<AppEnv>(async function proxyGate(c, next) {
    const t = c.var.target;
    const found = await routedRepo(c.var.scope, t.project, t.repo, f.repoFormats);
    if (!found || found.repo.kind === "local") return next();
    forgetPlannedReads(c.var.scope);
    if (found.repo.kind === "virtual") return serveVirtual(c, f, local);
    if (!READS.has(c.req.method)) {
      await t.open("read");
      throw new RegistryError("ForbiddenRepoUpstream", `${t.project}/${t.repo} is an upstream (pull-through) repository: it can't be pushed to or changed`);
    }
    if (!f.upstream?.serve) return next();
    const answer = await f.upstream.serve(c, await t.open("read"));
    return answer ?? next();
  });
}
