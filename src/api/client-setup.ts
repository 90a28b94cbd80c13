/**
 * /api/v1/repos/{id}/client-setup: the files and commands that configure each format's
 * own clients for a repo (each format's client-setup.ts, through formats/index.ts), with the token left as a placeholder.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json } from "./route";
import { ClientSetup, idParam } from "./schemas";
import { getRepoWithProject } from "../services/projects";
import { TOKEN } from "../core/client-setup";
import { clientSetupFor } from "../formats";

export const clientSetupRoutes = new OpenAPIHono<AppEnv>();

clientSetupRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/repos/{id}/client-setup",
    tags: ["Repositories"],
    summary: "Client set-up: config files and commands for the repo's format",
    request: {
      params: idParam("repository"),
      query: z.object({
        artifact: z.string().max(200).optional().openapi({ description: "Package or image name to use in the example commands" }),
        version: z.string().max(100).optional().openapi({ description: "Version or tag to use in the example commands" }),
      }),
    },
    responses: { 200: json(ClientSetup, "Set-up sections") },
  }),
  async (c) => {
    const scope = c.var.scope;
    const { repo, project } = await getRepoWithProject(scope, c.req.valid("param").id);
    const { artifact, version } = c.req.valid("query");
    const setup = clientSetupFor({ format: repo.format, baseUrl: scope.baseUrl, project: project.slug, repo: repo.slug, visibility: repo.visibility, artifact, version });
    return c.json({ repo_id: repo.id, token_placeholder: TOKEN, ...setup, format: repo.format }, 200);
  },
);
