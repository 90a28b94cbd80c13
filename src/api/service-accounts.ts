/**
 * /api/v1/projects/{id}/service_accounts (CRUD, `?name=`) and
 * /api/v1/projects/{p}/service_accounts/{sa}/tokens (mint once, list, revoke).
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, jsonBody } from "./route";
import { PageQuery, idParam, pathParam, ServiceAccount, ServiceAccountCreate, ServiceAccountUpdate, Token, TokenCreate, TokenCreated, pageOf } from "./schemas";
import { page, serviceAccountOut, tokenOut } from "./serialize";
import * as sas from "../services/identity";

const tags = ["Service accounts"];
export const serviceAccountRoutes = new OpenAPIHono<AppEnv>();

const ProjectParam = idParam("project");
const SaParam = ProjectParam.extend({ sa: pathParam("sa", "The service account's id") });
const TokenParam = SaParam.extend({ token: pathParam("token", "The token's id") });

serviceAccountRoutes.openapi(
  apiRoute({ method: "get", path: "/projects/{id}/service_accounts", tags, summary: "List service accounts", request: { params: ProjectParam, query: PageQuery.extend({ name: z.string().optional().describe("Only the service account with this name") }) }, responses: { 200: json(pageOf(ServiceAccount, "ServiceAccountPage"), "A page of service accounts") } }),
  async (c) => {
    const q = c.req.valid("query");
    return c.json(page(await sas.listServiceAccounts(c.var.scope, c.req.valid("param").id, q.name, q.cursor, q.limit), serviceAccountOut), 200);
  },
);

serviceAccountRoutes.openapi(
  apiRoute({ method: "post", path: "/projects/{id}/service_accounts", tags, summary: "Create a service account", request: { params: ProjectParam, ...jsonBody(ServiceAccountCreate) }, responses: { 201: json(ServiceAccount, "Created") } }),
  async (c) => c.json(serviceAccountOut(await sas.createServiceAccount(c.var.scope, c.req.valid("param").id, c.req.valid("json"))), 201),
);

serviceAccountRoutes.openapi(
  apiRoute({ method: "get", path: "/projects/{id}/service_accounts/{sa}", tags, summary: "Get a service account", request: { params: SaParam }, responses: { 200: json(ServiceAccount, "The service account") } }),
  async (c) => {
    const { id, sa } = c.req.valid("param");
    return c.json(serviceAccountOut(await sas.getServiceAccount(c.var.scope, id, sa)), 200);
  },
);

serviceAccountRoutes.openapi(
  apiRoute({ method: "patch", path: "/projects/{id}/service_accounts/{sa}", tags, summary: "Update a service account", request: { params: SaParam, ...jsonBody(ServiceAccountUpdate) }, responses: { 200: json(ServiceAccount, "Updated") } }),
  async (c) => {
    const { id, sa } = c.req.valid("param");
    return c.json(serviceAccountOut(await sas.updateServiceAccount(c.var.scope, id, sa, c.req.valid("json"))), 200);
  },
);

serviceAccountRoutes.openapi(
  apiRoute({ method: "delete", path: "/projects/{id}/service_accounts/{sa}", tags, summary: "Delete a service account and its tokens", request: { params: SaParam }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    const { id, sa } = c.req.valid("param");
    await sas.deleteServiceAccount(c.var.scope, id, sa);
    return c.body(null, 204);
  },
);

serviceAccountRoutes.openapi(
  apiRoute({ method: "post", path: "/projects/{id}/service_accounts/{sa}/tokens", tags, summary: "Mint a token (the plaintext is returned once)", request: { params: SaParam, ...jsonBody(TokenCreate) }, responses: { 201: json(TokenCreated, "Minted") } }),
  async (c) => {
    const { id, sa } = c.req.valid("param");
    const { token, row } = await sas.mintServiceAccountToken(c.var.scope, id, sa, c.req.valid("json"));
    c.header("Cache-Control", "no-store");
    return c.json({ ...tokenOut(row), token }, 201);
  },
);

serviceAccountRoutes.openapi(
  apiRoute({ method: "get", path: "/projects/{id}/service_accounts/{sa}/tokens", tags, summary: "List tokens (no secrets)", request: { params: SaParam, query: PageQuery }, responses: { 200: json(pageOf(Token, "TokenPage"), "A page of tokens") } }),
  async (c) => {
    const { id, sa } = c.req.valid("param");
    const q = c.req.valid("query");
    return c.json(page(await sas.listServiceAccountTokens(c.var.scope, id, sa, q.cursor, q.limit), tokenOut), 200);
  },
);

serviceAccountRoutes.openapi(
  apiRoute({ method: "delete", path: "/projects/{id}/service_accounts/{sa}/tokens/{token}", tags, summary: "Revoke a token", request: { params: TokenParam }, responses: { 204: { description: "Revoked" } } }),
  async (c) => {
    const { id, sa, token } = c.req.valid("param");
    await sas.revokeServiceAccountToken(c.var.scope, id, sa, token);
    return c.body(null, 204);
  },
);
