/**
 * `/v2/` (version check and auth challenge), `/v2/token` and `/v2/_catalog`.
 * Invariant: an anonymous `GET /v2/` answers 401 with the challenge even when public
 * pulls are allowed, because clients only send credentials after a 401.
 */
import type { Ctx } from "./http";
import { nextLink } from "./http";
import { unauthorized } from "../../core/errors";
import { issueRegistryToken, catalog } from "../../services/oci";

async function versionCheck(c: Ctx) {
  if (c.var.scope.access.principal.type === "anonymous") throw unauthorized("send credentials (HTTP Basic with a token as password, or a Bearer token from /v2/token)");
  return c.json({}, 200);
}

export const base = { GET: versionCheck, HEAD: versionCheck };


export const token = {
  GET: async (c: Ctx) => c.json(await issueRegistryToken(c.var.scope, c.req.queries("scope") ?? []), 200),
};

export const catalogRoute = {
  GET: async (c: Ctx) => {
    const n = c.req.query("n");
    const page = await catalog(c.var.scope, n, c.req.query("last"));
    if (page.next) c.header("Link", nextLink("/v2/_catalog", n, page.next));
    return c.json({ repositories: page.repositories }, 200);
  },
};
