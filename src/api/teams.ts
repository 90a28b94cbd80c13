/**
 * Teams, repo permissions and default permissions (reference 004 §2.12, §2.13, §2.22):
 *   /api/v1/projects/{id}/teams[/{team}[/members[/{user}]|/permissions]]
 *   /api/v1/projects/{id}/prototypes[/{prototype}]
 *   /api/v1/repos/{id}/permissions[/{delegate_type}/{delegate}]
 *   /api/v1/repos/{id}/permissions/user/{user}/transitive
 * Teams, users and service accounts may be named by id or by name. Repo permission
 * roles are `read`, `write`, `admin` (the project roles reader, writer, admin).
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { d, at, pathParam } from "./fields";
import { apiRoute, json, jsonBody } from "./route";
import { PageQuery, iso, pageOf } from "./schemas";
import { page } from "./serialize";
import * as identity from "../services/identity";
import { DELEGATE_TYPES, REPO_PERMISSIONS, ROLES } from "../core/vocabulary";

const param = pathParam;
const ProjectParam = z.object({ id: param("id", "Project id") });
const TeamParams = ProjectParam.extend({ team: param("team", "Team id or name") });

const Team = z
  .object({
    id: d(z.string(), "Team id"),
    project_id: d(z.string(), "The project the team belongs to"),
    name: d(z.string(), "Name, unique in the project"),
    description: d(z.string(), "Free text"),
    role: d(z.enum(ROLES).nullable(), "Project role every member holds; null: only what repo permissions grant the team"),
    created_at: at("Creation time"),
    updated_at: at("Last change"),
  })
  .openapi("Team");
const TeamCreate = z
  .object({
    name: d(z.string().min(1).max(64), "Name, unique in the project"),
    description: d(z.string().max(2000), "Free text").optional(),
    role: d(z.enum(ROLES).nullable(), "Project role of every member (default null)").optional(),
  })
  .openapi("TeamCreate");
const TeamUpdate = TeamCreate.partial().openapi("TeamUpdate");
const teamOut = (t: identity.TeamRow) => ({ id: t.id, project_id: t.projectId, name: t.name, description: t.description, role: t.role, created_at: iso(t.createdAt)!, updated_at: iso(t.updatedAt)! });

const TeamMember = z
  .object({
    user_id: d(z.string(), "Member's user id"),
    username: d(z.string(), "Member's user name"),
    source: d(z.enum(["manual", "oidc"]), "manual: added by an admin; oidc: from a sign-in's groups claim"),
    created_at: at("When the user joined"),
  })
  .openapi("TeamMember");

const Permission = z
  .object({
    repo_id: d(z.string(), "Repository"),
    delegate_type: d(z.enum(DELEGATE_TYPES), "Who is granted: user, team or service_account"),
    delegate_id: d(z.string(), "Id of the user, team or service account"),
    role: d(z.enum(REPO_PERMISSIONS), "read, write or admin on this repository"),
    created_at: at("When first granted"),
    updated_at: at("Last change"),
  })
  .openapi("RepoPermission");
const PermissionSet = z.object({ role: d(z.enum(REPO_PERMISSIONS), "read, write or admin") }).openapi("RepoPermissionSet");
const permissionOut = (p: identity.RepoPermissionRow) => ({
  repo_id: p.repoId,
  delegate_type: p.delegateType,
  delegate_id: p.delegateId,
  role: identity.toPermission(p.role),
  created_at: iso(p.createdAt)!,
  updated_at: iso(p.updatedAt)!,
});
const DelegateParams = z.object({
  id: param("id", "Repository id"),
  delegate_type: z.enum(DELEGATE_TYPES).openapi({ param: { name: "delegate_type", in: "path" }, description: "user, team or service_account" }),
  delegate: param("delegate", "Id or name of the user, team or service account"),
});

const Transitive = z
  .object({
    repo_id: d(z.string(), "Repository"),
    user_id: d(z.string(), "User asked about"),
    username: d(z.string(), "User name"),
    role: d(z.enum(REPO_PERMISSIONS).nullable(), "Effective role on the repository (the highest of all sources), or null"),
    actions: d(z.array(z.string()), "What that role allows: read, write, delete, admin (a token's scopes may narrow it further)"),
    sources: d(
      z.array(
        z.object({
          source: d(z.enum(["instance_admin", "project", "team", "repo_user", "repo_team", "repo_service_account", "public"]), "Where the role comes from"),
          role: d(z.enum(REPO_PERMISSIONS), "What that source grants"),
          team: d(z.object({ id: d(z.string(), "Team id"), name: d(z.string(), "Team name") }).nullable(), "The team, for team-based sources"),
        }),
      ),
      "Every grant that applies",
    ),
  })
  .openapi("TransitivePermission");

const Prototype = z
  .object({
    id: d(z.string(), "Default permission id"),
    project_id: d(z.string(), "Project"),
    activating_user_id: d(z.string().nullable(), "Applies only to repos this user creates; null: every new repo"),
    delegate_type: d(z.enum(DELEGATE_TYPES), "Who is granted"),
    delegate_id: d(z.string(), "Id of the user, team or service account"),
    role: d(z.enum(REPO_PERMISSIONS), "Role each new repo grants"),
    created_at: at("Creation time"),
    updated_at: at("Last change"),
  })
  .openapi("Prototype");
const PrototypeCreate = z
  .object({
    delegate_type: d(z.enum(DELEGATE_TYPES), "user, team or service_account"),
    delegate: d(z.string().min(1), "Id or name of the delegate"),
    role: d(z.enum(REPO_PERMISSIONS), "read, write or admin"),
    activating_user: d(z.string().min(1).nullable(), "Only repos created by this user (id or name) get it").optional(),
  })
  .openapi("PrototypeCreate");
const PrototypeUpdate = z.object({ role: d(z.enum(REPO_PERMISSIONS), "read, write or admin") }).openapi("PrototypeUpdate");
const prototypeOut = (p: identity.PrototypeRow) => ({
  id: p.id,
  project_id: p.projectId,
  activating_user_id: p.activatingUserId,
  delegate_type: p.delegateType,
  delegate_id: p.delegateId,
  role: identity.toPermission(p.role),
  created_at: iso(p.createdAt)!,
  updated_at: iso(p.updatedAt)!,
});

export const teamRoutes = new OpenAPIHono<AppEnv>();
const tags = ["Teams"];

teamRoutes.openapi(
  apiRoute({ method: "get", path: "/projects/{id}/teams", operationId: "listTeams", tags, summary: "List a project's teams", request: { params: ProjectParam, query: PageQuery }, responses: { 200: json(pageOf(Team, "TeamPage"), "A page of teams") } }),
  async (c) => {
    const q = c.req.valid("query");
    return c.json(page(await identity.listTeams(c.var.scope, c.req.valid("param").id, q.cursor, q.limit), teamOut), 200);
  },
);
teamRoutes.openapi(
  apiRoute({ method: "post", path: "/projects/{id}/teams", operationId: "createTeam", tags, summary: "Create a team", request: { params: ProjectParam, ...jsonBody(TeamCreate) }, responses: { 201: json(Team, "Created") } }),
  async (c) => c.json(teamOut(await identity.createTeam(c.var.scope, c.req.valid("param").id, c.req.valid("json"))), 201),
);
teamRoutes.openapi(
  apiRoute({ method: "get", path: "/projects/{id}/teams/{team}", operationId: "getTeam", tags, summary: "Get a team", request: { params: TeamParams }, responses: { 200: json(Team, "The team") } }),
  async (c) => {
    const p = c.req.valid("param");
    return c.json(teamOut(await identity.getTeam(c.var.scope, p.id, p.team)), 200);
  },
);
teamRoutes.openapi(
  apiRoute({ method: "patch", path: "/projects/{id}/teams/{team}", operationId: "updateTeam", tags, summary: "Rename a team or change its project role", request: { params: TeamParams, ...jsonBody(TeamUpdate) }, responses: { 200: json(Team, "The team") } }),
  async (c) => {
    const p = c.req.valid("param");
    return c.json(teamOut(await identity.updateTeam(c.var.scope, p.id, p.team, c.req.valid("json"))), 200);
  },
);
teamRoutes.openapi(
  apiRoute({ method: "delete", path: "/projects/{id}/teams/{team}", operationId: "deleteTeam", tags, summary: "Delete a team with its memberships and permissions", request: { params: TeamParams }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    const p = c.req.valid("param");
    await identity.deleteTeam(c.var.scope, p.id, p.team);
    return c.body(null, 204);
  },
);
teamRoutes.openapi(
  apiRoute({ method: "get", path: "/projects/{id}/teams/{team}/members", operationId: "getTeamMembers", tags, summary: "List a team's members", request: { params: TeamParams }, responses: { 200: json(z.object({ items: d(z.array(TeamMember), "The list") }).openapi("TeamMemberList"), "Members") } }),
  async (c) => {
    const p = c.req.valid("param");
    const { members } = await identity.listTeamMembers(c.var.scope, p.id, p.team);
    return c.json({ items: members.map((m) => ({ user_id: m.member.userId, username: m.username, source: m.member.source, created_at: iso(m.member.createdAt)! })) }, 200);
  },
);
const MemberParams = TeamParams.extend({ user: param("user", "User id or name") });
teamRoutes.openapi(
  apiRoute({ method: "put", path: "/projects/{id}/teams/{team}/members/{user}", operationId: "addTeamMember", tags, summary: "Add a user to a team", request: { params: MemberParams }, responses: { 200: json(TeamMember, "The membership") } }),
  async (c) => {
    const p = c.req.valid("param");
    const { user, member } = await identity.addTeamMember(c.var.scope, p.id, p.team, p.user);
    return c.json({ user_id: user.id, username: user.username, source: member.source, created_at: iso(member.createdAt)! }, 200);
  },
);
teamRoutes.openapi(
  apiRoute({ method: "delete", path: "/projects/{id}/teams/{team}/members/{user}", operationId: "removeTeamMember", tags, summary: "Remove a user from a team", request: { params: MemberParams }, responses: { 204: { description: "Removed" } } }),
  async (c) => {
    const p = c.req.valid("param");
    await identity.removeTeamMember(c.var.scope, p.id, p.team, p.user);
    return c.body(null, 204);
  },
);
teamRoutes.openapi(
  apiRoute({ method: "get", path: "/projects/{id}/teams/{team}/permissions", operationId: "getTeamPermissions", tags, summary: "List the repo permissions a team holds", request: { params: TeamParams }, responses: { 200: json(z.object({ items: d(z.array(Permission), "The list") }).openapi("TeamPermissionList"), "Permissions") } }),
  async (c) => {
    const p = c.req.valid("param");
    const { permissions } = await identity.listTeamPermissions(c.var.scope, p.id, p.team);
    return c.json({ items: permissions.map((x) => permissionOut(x.permission)) }, 200);
  },
);

const protoTags = ["Default permissions"];
teamRoutes.openapi(
  apiRoute({ method: "get", path: "/projects/{id}/prototypes", operationId: "getProjectPrototypes", tags: protoTags, summary: "List default permissions for new repos", request: { params: ProjectParam }, responses: { 200: json(z.object({ items: d(z.array(Prototype), "The list") }).openapi("PrototypeList"), "Default permissions") } }),
  async (c) => c.json({ items: (await identity.listPrototypes(c.var.scope, c.req.valid("param").id)).map(prototypeOut) }, 200),
);
teamRoutes.openapi(
  apiRoute({ method: "post", path: "/projects/{id}/prototypes", operationId: "createProjectPrototype", tags: protoTags, summary: "Add a default permission", request: { params: ProjectParam, ...jsonBody(PrototypeCreate) }, responses: { 201: json(Prototype, "Created") } }),
  async (c) => c.json(prototypeOut(await identity.createPrototype(c.var.scope, c.req.valid("param").id, c.req.valid("json"))), 201),
);
const ProtoParams = ProjectParam.extend({ prototype: param("prototype", "Default permission id") });
teamRoutes.openapi(
  apiRoute({ method: "put", path: "/projects/{id}/prototypes/{prototype}", operationId: "updateProjectPrototype", tags: protoTags, summary: "Change a default permission's role", request: { params: ProtoParams, ...jsonBody(PrototypeUpdate) }, responses: { 200: json(Prototype, "Updated") } }),
  async (c) => {
    const p = c.req.valid("param");
    return c.json(prototypeOut(await identity.updatePrototype(c.var.scope, p.id, p.prototype, c.req.valid("json").role)), 200);
  },
);
teamRoutes.openapi(
  apiRoute({ method: "delete", path: "/projects/{id}/prototypes/{prototype}", operationId: "deleteProjectPrototype", tags: protoTags, summary: "Remove a default permission", request: { params: ProtoParams }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    const p = c.req.valid("param");
    await identity.deletePrototype(c.var.scope, p.id, p.prototype);
    return c.body(null, 204);
  },
);

const permTags = ["Repo permissions"];
teamRoutes.openapi(
  apiRoute({ method: "get", path: "/repos/{id}/permissions", operationId: "listRepoPermissions", tags: permTags, summary: "List a repository's permissions (users, teams, service accounts)", request: { params: z.object({ id: param("id", "Repository id") }) }, responses: { 200: json(z.object({ items: d(z.array(Permission), "The list") }).openapi("RepoPermissionList"), "Permissions") } }),
  async (c) => c.json({ items: (await identity.listRepoPermissions(c.var.scope, c.req.valid("param").id)).permissions.map(permissionOut) }, 200),
);
teamRoutes.openapi(
  apiRoute({ method: "get", path: "/repos/{id}/permissions/{delegate_type}/{delegate}", operationId: "getRepoPermission", tags: permTags, summary: "Get one delegate's permission on a repository", request: { params: DelegateParams }, responses: { 200: json(Permission, "The permission") } }),
  async (c) => {
    const p = c.req.valid("param");
    return c.json(permissionOut(await identity.getRepoPermission(c.var.scope, p.id, p.delegate_type, p.delegate)), 200);
  },
);
teamRoutes.openapi(
  apiRoute({ method: "put", path: "/repos/{id}/permissions/{delegate_type}/{delegate}", operationId: "changeRepoPermission", tags: permTags, summary: "Grant or change a delegate's permission on a repository", request: { params: DelegateParams, ...jsonBody(PermissionSet) }, responses: { 200: json(Permission, "The permission") } }),
  async (c) => {
    const p = c.req.valid("param");
    const { row } = await identity.setRepoPermission(c.var.scope, p.id, p.delegate_type, p.delegate, c.req.valid("json").role);
    return c.json(permissionOut(row), 200);
  },
);
teamRoutes.openapi(
  apiRoute({ method: "delete", path: "/repos/{id}/permissions/{delegate_type}/{delegate}", operationId: "deleteRepoPermission", tags: permTags, summary: "Remove a delegate's permission on a repository", request: { params: DelegateParams }, responses: { 204: { description: "Removed" } } }),
  async (c) => {
    const p = c.req.valid("param");
    await identity.removeRepoPermission(c.var.scope, p.id, p.delegate_type, p.delegate);
    return c.body(null, 204);
  },
);
teamRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/repos/{id}/permissions/user/{user}/transitive",
    operationId: "getUserTransitivePermission",
    tags: permTags,
    summary: "Explain a user's effective role on a repository",
    request: { params: z.object({ id: param("id", "Repository id"), user: param("user", "User id or name") }) },
    responses: { 200: json(Transitive, "Effective role and its sources") },
  }),
  async (c) => {
    const p = c.req.valid("param");
    const t = await identity.transitivePermissions(c.var.scope, p.id, p.user);
    return c.json({ repo_id: t.repo.id, user_id: t.user.id, username: t.user.username, role: t.role, actions: t.actions, sources: t.sources }, 200);
  },
);
