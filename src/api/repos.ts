/** /api/v1/repos: list (`?project_id=&slug=&format=`) and CRUD. */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, jsonBody } from "./route";
import { idParam, PageQuery, Repo, RepoCreate, RepoUpdate, pageOf } from "./schemas";
import { page, repoOut, repoPatchIn } from "./serialize";
import * as repos from "../services/projects";
import { REPO_FORMATS } from "../formats";

const tags = ["Repositories"];
export const repoRoutes = new OpenAPIHono<AppEnv>();

const RepoParam = idParam("repository");
const RepoListQuery = PageQuery.extend({
  project_id: z.string().optional().describe("Only this project's repositories"),
  slug: z.string().optional().describe("Only repositories with this slug"),
  format: z.enum(REPO_FORMATS).optional().describe("Only repositories of this format"),
});

repoRoutes.openapi(
  apiRoute({ method: "get", path: "/repos", tags, summary: "List repositories you can see", request: { query: RepoListQuery }, responses: { 200: json(pageOf(Repo, "RepoPage"), "A page of repositories") } }),
  async (c) => {
    const { cursor, limit, project_id, slug, format } = c.req.valid("query");
    const result = await repos.listRepos(c.var.scope, { projectId: project_id, slug, format }, cursor, limit);
    return c.json(page(result, repoOut), 200);
  },
);

repoRoutes.openapi(
  apiRoute({ method: "post", path: "/repos", tags, summary: "Create a repository (project admin)", request: jsonBody(RepoCreate), responses: { 201: json(Repo, "Created") } }),
  async (c) => {
    const input = repoPatchIn(c.req.valid("json")) as unknown as repos.RepoInput;
    return c.json(repoOut(await repos.createRepo(c.var.scope, input)), 201);
  },
);

repoRoutes.openapi(
  apiRoute({ method: "get", path: "/repos/{id}", tags, summary: "Get a repository", request: { params: RepoParam }, responses: { 200: json(Repo, "The repository") } }),
  async (c) => c.json(repoOut(await repos.getRepo(c.var.scope, c.req.valid("param").id)), 200),
);

repoRoutes.openapi(
  apiRoute({ method: "patch", path: "/repos/{id}", tags, summary: "Update a repository (project admin)", request: { params: RepoParam, ...jsonBody(RepoUpdate) }, responses: { 200: json(Repo, "Updated") } }),
  async (c) => {
    const patch = repoPatchIn(c.req.valid("json")) as repos.RepoPatch;
    return c.json(repoOut(await repos.updateRepo(c.var.scope, c.req.valid("param").id, patch)), 200);
  },
);

repoRoutes.openapi(
  apiRoute({ method: "delete", path: "/repos/{id}", tags, summary: "Delete a repository and its artifacts (project admin)", request: { params: RepoParam }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    await repos.deleteRepo(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);
