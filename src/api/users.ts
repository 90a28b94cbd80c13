/**
 * Instance-admin user management (/api/admin/users, with user tokens) and project
 * membership (/api/v1/projects/{id}/members).
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, jsonBody } from "./route";
import { idParam, pathParam, Member, MemberSet, PageQuery, Token, TokenCreate, TokenCreated, User, UserCreate, iso, pageOf } from "./schemas";
import { page, tokenOut, userOut } from "./serialize";
import * as users from "../services/identity";
import { PRINCIPAL_TYPES } from "../core/vocabulary";

const UserParam = idParam("user");
const ProjectParam = idParam("project");

export const adminUserRoutes = new OpenAPIHono<AppEnv>();
const tags = ["Users"];

adminUserRoutes.openapi(
  apiRoute({ method: "get", path: "/users", tags, summary: "List users", request: { query: PageQuery }, responses: { 200: json(pageOf(User, "UserPage"), "A page of users") } }),
  async (c) => {
    const q = c.req.valid("query");
    return c.json(page(await users.listUsers(c.var.scope, q.cursor, q.limit), userOut), 200);
  },
);
adminUserRoutes.openapi(
  apiRoute({ method: "post", path: "/users", tags, summary: "Create a user", request: jsonBody(UserCreate), responses: { 201: json(User, "Created") } }),
  async (c) => c.json(userOut(await users.createUser(c.var.scope, c.req.valid("json"))), 201),
);
adminUserRoutes.openapi(
  apiRoute({ method: "get", path: "/users/{id}", tags, summary: "Get a user", request: { params: UserParam }, responses: { 200: json(User, "The user") } }),
  async (c) => c.json(userOut(await users.getUser(c.var.scope, c.req.valid("param").id)), 200),
);
adminUserRoutes.openapi(
  apiRoute({ method: "delete", path: "/users/{id}", tags, summary: "Delete a user and their tokens", request: { params: UserParam }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    await users.deleteUser(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);
adminUserRoutes.openapi(
  apiRoute({ method: "post", path: "/users/{id}/tokens", tags, summary: "Mint a user token (plaintext returned once)", request: { params: UserParam, ...jsonBody(TokenCreate) }, responses: { 201: json(TokenCreated, "Minted") } }),
  async (c) => {
    const { token, row } = await users.mintUserToken(c.var.scope, c.req.valid("param").id, c.req.valid("json"));
    c.header("Cache-Control", "no-store");
    return c.json({ ...tokenOut(row), token }, 201);
  },
);
adminUserRoutes.openapi(
  apiRoute({ method: "get", path: "/users/{id}/tokens", tags, summary: "List a user's tokens", request: { params: UserParam, query: PageQuery }, responses: { 200: json(pageOf(Token, "UserTokenPage"), "A page of tokens") } }),
  async (c) => {
    const q = c.req.valid("query");
    return c.json(page(await users.listUserTokens(c.var.scope, c.req.valid("param").id, q.cursor, q.limit), tokenOut), 200);
  },
);
adminUserRoutes.openapi(
  apiRoute({ method: "delete", path: "/users/{id}/tokens/{token}", tags, summary: "Revoke a user token", request: { params: UserParam.extend({ token: pathParam("token", "The token's id") }) }, responses: { 204: { description: "Revoked" } } }),
  async (c) => {
    const { id, token } = c.req.valid("param");
    await users.revokeUserToken(c.var.scope, id, token);
    return c.body(null, 204);
  },
);

export const memberRoutes = new OpenAPIHono<AppEnv>();
const memberTags = ["Members"];
const memberOut = (m: { principalType: (typeof PRINCIPAL_TYPES)[number]; principalId: string; role: "reader" | "writer" | "admin"; createdAt: number }) => ({
  principal_type: m.principalType,
  principal_id: m.principalId,
  role: m.role,
  created_at: iso(m.createdAt)!,
});

memberRoutes.openapi(
  apiRoute({ method: "get", path: "/projects/{id}/members", tags: memberTags, summary: "List role bindings", request: { params: ProjectParam }, responses: { 200: json(z.object({ items: z.array(Member).describe("Every role binding of the project") }), "Members") } }),
  async (c) => c.json({ items: (await users.listMembers(c.var.scope, c.req.valid("param").id)).map(memberOut) }, 200),
);
memberRoutes.openapi(
  apiRoute({ method: "put", path: "/projects/{id}/members", tags: memberTags, summary: "Grant or change a role", request: { params: ProjectParam, ...jsonBody(MemberSet) }, responses: { 200: json(Member, "The binding") } }),
  async (c) => c.json(memberOut(await users.setMember(c.var.scope, c.req.valid("param").id, c.req.valid("json"))), 200),
);
memberRoutes.openapi(
  apiRoute({ method: "delete", path: "/projects/{id}/members/{type}/{principal}", tags: memberTags, summary: "Remove a role binding", request: { params: ProjectParam.extend({ type: z.enum(PRINCIPAL_TYPES).openapi({ param: { name: "type", in: "path" }, description: "`user` (service accounts keep their role: change or delete the account)" }), principal: pathParam("principal", "The user's id") }) }, responses: { 204: { description: "Removed" } } }),
  async (c) => {
    const { id, type, principal } = c.req.valid("param");
    await users.removeMember(c.var.scope, id, type, principal);
    return c.body(null, 204);
  },
);
