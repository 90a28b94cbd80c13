/**
 * A project's proxy cache (reference 004 §2.11: Quay's `…/proxycache` and
 * `…/validateproxycache`, on projects): project admins. The password is write-only.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, jsonBody } from "./route";
import { At, idParam, iso } from "./schemas";
import * as proxy from "../services/proxy";

const tags = ["Proxy cache"];
const ProjectParam = idParam("project");

const ProxyCacheFields = {
  upstream_registry: z.string().url().describe("The container registry the project caches, e.g. `https://registry-1.docker.io` (no path)"),
  upstream_registry_username: z.string().min(1).max(256).nullable().optional().describe("User name for the registry (Basic, or for its token realm); null: anonymous"),
  expiration_s: z.number().int().min(60).max(30 * 86400).optional().describe("Seconds a tag is cached before the registry is asked again (default 86400): the metadata TTL of the repositories it creates"),
  insecure: z.boolean().optional().describe("Allow a plain-http registry (default false)"),
};
const ProxyCacheIn = z
  .object({ ...ProxyCacheFields, upstream_registry_password: z.string().min(1).max(4096).nullable().optional().describe("Write-only: the password or token for the registry. Never returned") })
  .openapi("ProxyCacheCreate");
const ProxyCache = z
  .object({
    project_id: z.string().describe("The project"),
    upstream_registry: z.string().describe("The registry the project caches"),
    upstream_registry_username: z.string().nullable().describe("User name for the registry, or null"),
    upstream_registry_password_set: z.boolean().describe("Whether a password is stored (it is never returned)"),
    expiration_s: z.number().int().describe("Metadata TTL, seconds"),
    insecure: z.boolean().describe("Whether plain http is allowed"),
    created_at: At("When it was configured"),
  })
  .openapi("ProxyCache");

const input = (b: z.infer<typeof ProxyCacheIn>): proxy.ProxyCacheInput => ({
  upstreamRegistry: b.upstream_registry,
  username: b.upstream_registry_username ?? null,
  password: b.upstream_registry_password ?? null,
  expirationSeconds: b.expiration_s,
  insecure: b.insecure,
});
const out = (r: proxy.ProxyCacheRow) => ({
  project_id: r.projectId,
  upstream_registry: r.upstreamRegistry,
  upstream_registry_username: r.username,
  upstream_registry_password_set: r.secret !== null,
  expiration_s: r.expirationSeconds,
  insecure: r.insecure,
  created_at: iso(r.createdAt)!,
});

export const proxyCacheRoutes = new OpenAPIHono<AppEnv>();

proxyCacheRoutes.openapi(
  apiRoute({ method: "get", path: "/projects/{id}/proxycache", operationId: "getProxyCacheConfig", tags, summary: "The project's proxy-cache configuration (project admin)", request: { params: ProjectParam }, responses: { 200: json(ProxyCache, "The configuration") } }),
  async (c) => c.json(out(await proxy.getProxyCache(c.var.scope, c.req.valid("param").id)), 200),
);

proxyCacheRoutes.openapi(
  apiRoute({
    method: "post",
    path: "/projects/{id}/proxycache",
    operationId: "createProxyCacheConfig",
    tags,
    summary: "Make the project a proxy cache of a container registry (project admin): pulling <project>/<ns>/<image> creates the upstream repository <ns> on first use",
    request: { params: ProjectParam, ...jsonBody(ProxyCacheIn) },
    responses: { 201: json(ProxyCache, "Created") },
  }),
  async (c) => c.json(out(await proxy.createProxyCache(c.var.scope, c.req.valid("param").id, input(c.req.valid("json")))), 201),
);

proxyCacheRoutes.openapi(
  apiRoute({ method: "delete", path: "/projects/{id}/proxycache", operationId: "deleteProxyCacheConfig", tags, summary: "Stop creating repositories on pull (the ones created stay) (project admin)", request: { params: ProjectParam }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    await proxy.deleteProxyCache(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

proxyCacheRoutes.openapi(
  apiRoute({
    method: "post",
    path: "/projects/{id}/validateproxycache",
    operationId: "validateProxyCacheConfig",
    tags,
    summary: "Check a proxy-cache configuration against the registry before saving it (project admin)",
    request: { params: ProjectParam, ...jsonBody(ProxyCacheIn) },
    responses: { 201: { description: "The registry answered and accepted the credentials" } },
  }),
  async (c) => {
    await proxy.validateProxyCache(c.var.scope, c.req.valid("param").id, input(c.req.valid("json")));
    return c.body(null, 201);
  },
);
