/**
 * The calling user (reference 004 §2.24 user, §2.2 app-specific tokens):
 *   GET  /user                       who am I (+ the session's CSRF token for browser clients)
 *   GET|POST /user/apptoken          my tokens; minting returns the plaintext once
 *   GET|DELETE /user/apptoken/{id}   one of my tokens; revoke it
 *   GET|POST /user/starred, DELETE /user/starred/{repo_id}
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { d, pathParam } from "./fields";
import { apiRoute, json, jsonBody } from "./route";
import { PageQuery, Repo, Token, TokenCreate, TokenCreated, iso, pageOf } from "./schemas";
import { page, repoOut, tokenOut } from "./serialize";
import * as identity from "../services/identity";

const tags = ["User"];
const param = pathParam;

const Login = z
  .object({
    provider_id: d(z.string(), "Login provider"),
    subject: d(z.string(), "The account's subject at that provider"),
    email: d(z.string().nullable(), "Email the provider reported"),
    last_login_at: d(z.string(), "Last sign-in through this provider"),
  })
  .openapi("UserLogin");
const Me = z
  .object({
    id: d(z.string(), "User id"),
    username: d(z.string(), "User name"),
    email: d(z.string().nullable(), "Email address"),
    is_admin: d(z.boolean(), "Instance administrator"),
    logins: d(z.array(Login), "External accounts linked to this user"),
    project_ids: d(z.array(z.string()).nullable(), "Projects where the user holds a role (null: all, for instance admins)"),
    can_create_projects: d(z.boolean(), "Whether the user may create projects"),
    session: d(
      z.object({ id: d(z.string(), "Session id"), csrf_token: d(z.string(), "Send as X-CSRF-Token on every change made with this session's cookie") }).nullable(),
      "The browser session this request came with, or null for a token",
    ),
  })
  .openapi("CurrentUser");
const Starred = z
  .object({ repo: Repo, starred_at: d(z.string(), "When the star was added") })
  .openapi("StarredRepo");
const StarCreate = z.object({ repo_id: d(z.string(), "The repository to star") }).openapi("StarCreate");

export const userRoutes = new OpenAPIHono<AppEnv>();

userRoutes.openapi(
  apiRoute({ method: "get", path: "/user", operationId: "getLoggedInUser", tags, summary: "Who am I", responses: { 200: json(Me, "The calling user") } }),
  async (c) => {
    const { user, logins, projectIds, canCreateProjects } = await identity.whoAmI(c.var.scope);
    const session = c.var.scope.session;
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        id: user.id,
        username: user.username,
        email: user.email,
        is_admin: user.isAdmin,
        logins: logins.map((l) => ({ provider_id: l.providerId, subject: l.subject, email: l.email, last_login_at: iso(l.lastLoginAt)! })),
        project_ids: projectIds,
        can_create_projects: canCreateProjects,
        session: session ? { id: session.id, csrf_token: session.csrfToken } : null,
      },
      200,
    );
  },
);
userRoutes.openapi(
  apiRoute({ method: "get", path: "/user/apptoken", operationId: "listAppTokens", tags, summary: "List my tokens", request: { query: PageQuery }, responses: { 200: json(pageOf(Token, "AppTokenPage"), "A page of my tokens") } }),
  async (c) => {
    const q = c.req.valid("query");
    return c.json(page(await identity.listMyTokens(c.var.scope, q.cursor, q.limit), tokenOut), 200);
  },
);
userRoutes.openapi(
  apiRoute({ method: "post", path: "/user/apptoken", operationId: "createAppToken", tags, summary: "Mint a token for myself (plaintext returned once)", request: jsonBody(TokenCreate), responses: { 201: json(TokenCreated, "Minted") } }),
  async (c) => {
    const { token, row } = await identity.mintMyToken(c.var.scope, c.req.valid("json"));
    c.header("Cache-Control", "no-store");
    return c.json({ ...tokenOut(row), token }, 201);
  },
);
userRoutes.openapi(
  apiRoute({ method: "get", path: "/user/apptoken/{token}", operationId: "getAppToken", tags, summary: "Get one of my tokens", request: { params: z.object({ token: param("token", "Token id") }) }, responses: { 200: json(Token, "The token (never its secret)") } }),
  async (c) => c.json(tokenOut(await identity.getMyToken(c.var.scope, c.req.valid("param").token)), 200),
);
userRoutes.openapi(
  apiRoute({ method: "delete", path: "/user/apptoken/{token}", operationId: "revokeAppToken", tags, summary: "Revoke one of my tokens", request: { params: z.object({ token: param("token", "Token id") }) }, responses: { 204: { description: "Revoked" } } }),
  async (c) => {
    await identity.revokeMyToken(c.var.scope, c.req.valid("param").token);
    return c.body(null, 204);
  },
);
userRoutes.openapi(
  apiRoute({ method: "get", path: "/user/starred", operationId: "listStarredRepos", tags, summary: "List my starred repositories", responses: { 200: json(z.object({ items: d(z.array(Starred), "The list") }).openapi("StarredRepoList"), "Starred repositories I can still read") } }),
  async (c) => c.json({ items: (await identity.listStarred(c.var.scope)).map((s) => ({ repo: repoOut(s.repo), starred_at: iso(s.starredAt)! })) }, 200),
);
userRoutes.openapi(
  apiRoute({ method: "post", path: "/user/starred", operationId: "createStar", tags, summary: "Star a repository", request: jsonBody(StarCreate), responses: { 201: json(Repo, "The starred repository") } }),
  async (c) => c.json(repoOut(await identity.star(c.var.scope, c.req.valid("json").repo_id)), 201),
);
userRoutes.openapi(
  apiRoute({ method: "delete", path: "/user/starred/{repo_id}", operationId: "deleteStar", tags, summary: "Remove a star", request: { params: z.object({ repo_id: param("repo_id", "Repository id") }) }, responses: { 204: { description: "Removed" } } }),
  async (c) => {
    await identity.unstar(c.var.scope, c.req.valid("param").repo_id);
    return c.body(null, 204);
  },
);
