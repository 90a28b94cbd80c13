/**
 * /api/v1/repos: list (`?project_id=&slug=&format=`) and CRUD. `cleanup_policy`
 * (reference 002) on create and update becomes the repository's cleanup retention
 * policies (services/lifecycle/policies.ts); deleting a repository gives its bytes back
 * to the project's quota (services/lifecycle/repos.ts).
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, jsonBody } from "./route";
import { idParam, PageQuery, Repo, RepoCreate, RepoUpdate, pageOf, type CleanupPolicy } from "./schemas";
import { page, repoOut, repoPatchIn } from "./serialize";
import * as repos from "../services/projects";
import * as lifecycle from "../services/lifecycle";
import { REPO_FORMATS, formatOfRepo } from "../formats";
import { conflict } from "../core/errors";
import type { Scope } from "../services/scope";

const tags = ["Repositories"];
export const repoRoutes = new OpenAPIHono<AppEnv>();

const RepoParam = idParam("repository");
const RepoListQuery = PageQuery.extend({
  project_id: z.string().optional().describe("Only this project's repositories"),
  slug: z.string().optional().describe("Only repositories with this slug"),
  format: z.enum(REPO_FORMATS).optional().describe("Only repositories of this format"),
});

type WireCleanup = z.infer<typeof CleanupPolicy>;
const cleanupIn = (list: WireCleanup[]): lifecycle.CleanupPolicy[] => list.map((c) => ({ name: c.name, expireDays: c.expire_days, packagePrefix: c.package_prefix, versionPrefix: c.version_prefix }));
const cleanupOut = (list: lifecycle.CleanupPolicy[]): WireCleanup[] => list.map((c) => ({ name: c.name, expire_days: c.expireDays, package_prefix: c.packagePrefix, version_prefix: c.versionPrefix }));

/** Repos as the API answers them: with their cleanup policies. */
async function withCleanup(scope: Scope, rows: repos.RepoRow[]) {
  const cleanup = await lifecycle.cleanupPoliciesOfRepos(scope, rows.map((r) => r.id));
  return rows.map((r) => ({ ...repoOut(r), cleanup_policy: cleanupOut(cleanup.get(r.id) ?? []) }));
}
const one = async (scope: Scope, row: repos.RepoRow) => (await withCleanup(scope, [row]))[0]!;

/** Names in a cleanup list are checked before anything is written (a duplicate is a 409 either way). */
function assertDistinct(list: WireCleanup[] | undefined) {
  const seen = new Set<string>();
  for (const c of list ?? []) {
    if (seen.has(c.name)) throw conflict("RetentionPolicyNameInUse", `two cleanup policies are named '${c.name}'`);
    seen.add(c.name);
  }
}

repoRoutes.openapi(
  apiRoute({ method: "get", path: "/repos", tags, summary: "List repositories you can see", request: { query: RepoListQuery }, responses: { 200: json(pageOf(Repo, "RepoPage"), "A page of repositories") } }),
  async (c) => {
    const { cursor, limit, project_id, slug, format } = c.req.valid("query");
    const result = await repos.listRepos(c.var.scope, { projectId: project_id, slug, format }, cursor, limit);
    return c.json({ items: await withCleanup(c.var.scope, result.items), next_cursor: result.nextCursor }, 200);
  },
);

repoRoutes.openapi(
  apiRoute({ method: "post", path: "/repos", tags, summary: "Create a repository (project admin)", request: jsonBody(RepoCreate), responses: { 201: json(Repo, "Created") } }),
  async (c) => {
    const { cleanup_policy, ...body } = c.req.valid("json");
    assertDistinct(cleanup_policy);
    const input = repoPatchIn(body) as unknown as repos.RepoInput;
    const row = await repos.createRepo(c.var.scope, input, { proxyable: !!formatOfRepo(input.format).upstream });
    if (cleanup_policy?.length) await lifecycle.setCleanupPolicies(c.var.scope, { repo: row, project: await repos.getProject(c.var.scope, row.projectId) }, cleanupIn(cleanup_policy));
    return c.json(await one(c.var.scope, row), 201);
  },
);

repoRoutes.openapi(
  apiRoute({ method: "get", path: "/repos/{id}", tags, summary: "Get a repository", request: { params: RepoParam }, responses: { 200: json(Repo, "The repository") } }),
  async (c) => c.json(await one(c.var.scope, await repos.getRepo(c.var.scope, c.req.valid("param").id)), 200),
);

repoRoutes.openapi(
  apiRoute({ method: "patch", path: "/repos/{id}", tags, summary: "Update a repository (project admin)", request: { params: RepoParam, ...jsonBody(RepoUpdate) }, responses: { 200: json(Repo, "Updated") } }),
  async (c) => {
    const { cleanup_policy, ...body } = c.req.valid("json");
    assertDistinct(cleanup_policy);
    const id = c.req.valid("param").id;
    const row = Object.keys(body).length ? await repos.updateRepo(c.var.scope, id, repoPatchIn(body) as repos.RepoPatch) : await repos.getRepo(c.var.scope, id);
    if (cleanup_policy) await lifecycle.setCleanupPolicies(c.var.scope, await repos.getRepoWithProject(c.var.scope, id), cleanupIn(cleanup_policy));
    return c.json(await one(c.var.scope, row), 200);
  },
);

repoRoutes.openapi(
  apiRoute({
    method: "delete",
    path: "/repos/{id}",
    tags,
    summary: "Delete a repository with its artifacts and trash (project admin); its bytes leave the project's quota at once",
    request: { params: RepoParam },
    responses: { 204: { description: "Deleted" } },
  }),
  async (c) => {
    await lifecycle.deleteRepoAndRelease(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);
