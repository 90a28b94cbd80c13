/** /api/v1/projects: list and CRUD (rename in place by PATCHing the slug). */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, jsonBody } from "./route";
import { idParam, PageQuery, Project, ProjectCreate, ProjectUpdate, pageOf } from "./schemas";
import { page, projectOut } from "./serialize";
import * as projects from "../services/projects";

const tags = ["Projects"];
const ProjectParam = idParam("project");
export const projectRoutes = new OpenAPIHono<AppEnv>();

projectRoutes.openapi(
  apiRoute({ method: "get", path: "/projects", tags, summary: "List projects you can see", request: { query: PageQuery }, responses: { 200: json(pageOf(Project, "ProjectPage"), "A page of projects") } }),
  async (c) => {
    const q = c.req.valid("query");
    return c.json(page(await projects.listProjects(c.var.scope, q.cursor, q.limit), projectOut), 200);
  },
);

projectRoutes.openapi(
  apiRoute({ method: "post", path: "/projects", tags, summary: "Create a project (instance admin)", request: jsonBody(ProjectCreate), responses: { 201: json(Project, "Created") } }),
  async (c) => c.json(projectOut(await projects.createProject(c.var.scope, c.req.valid("json"))), 201),
);

projectRoutes.openapi(
  apiRoute({ method: "get", path: "/projects/{id}", tags, summary: "Get a project", request: { params: ProjectParam }, responses: { 200: json(Project, "The project") } }),
  async (c) => c.json(projectOut(await projects.getProject(c.var.scope, c.req.valid("param").id)), 200),
);

projectRoutes.openapi(
  apiRoute({ method: "patch", path: "/projects/{id}", tags, summary: "Update or rename a project", request: { params: ProjectParam, ...jsonBody(ProjectUpdate) }, responses: { 200: json(Project, "Updated") } }),
  async (c) => c.json(projectOut(await projects.updateProject(c.var.scope, c.req.valid("param").id, c.req.valid("json"))), 200),
);

projectRoutes.openapi(
  apiRoute({ method: "delete", path: "/projects/{id}", tags, summary: "Delete an empty project (instance admin)", request: { params: ProjectParam }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    await projects.deleteProject(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

