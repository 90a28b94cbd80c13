/**
 * Teams, repo permissions and default permissions: who gets in where, through which
 * grant, and that every change is audited, emits its event and counts at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN,
  audit,
  captureEvents,
  createProject,
  createRepo,
  createServiceAccount,
  createUser,
  expectError,
  jsonOf,
  mintToken,
  mintUserToken,
  req,
  setMember,
  unique,
} from "../helpers";
import { installOutbound, uninstallOutbound } from "../support/outbound";
import { TestOpenIdProvider } from "../support/openid-provider";
import { addProvider, signIn } from "../support/browser";
import { jwksCache } from "../../src/auth/jwks";

const v1 = (p: string) => `/api/v1${p}`;
const put = (project: { slug: string }, repo: { slug: string }, token: string, path = `f-${crypto.randomUUID()}.txt`) =>
  req(`/generic/${project.slug}/${repo.slug}/${path}`, { method: "PUT", token, body: "data" });
const read = (repo: { id: string }, token: string) => req(v1(`/repos/${repo.id}/packages`), { token });

async function userWithToken(extra: Record<string, unknown> = {}) {
  const user = await createUser();
  const token = (await mintUserToken(user.id, extra)).token as string;
  return { user, token };
}

async function team(projectId: string, body: Record<string, unknown>) {
  return jsonOf(await req(v1(`/projects/${projectId}/teams`), { method: "POST", token: ADMIN, json: { name: unique("t"), ...body } }), 201);
}
const addMember = async (projectId: string, teamId: string, user: string) =>
  jsonOf(await req(v1(`/projects/${projectId}/teams/${teamId}/members/${user}`), { method: "PUT", token: ADMIN }), 200);
const grant = async (repoId: string, type: string, delegate: string, role: string, token = ADMIN) =>
  req(v1(`/repos/${repoId}/permissions/${type}/${delegate}`), { method: "PUT", token, json: { role } });

describe("teams", () => {
  it("give every member the team's project role, at once, until they leave", async () => {
    const project = await createProject();
    const repo = await createRepo(project.id, "generic");
    const { user, token } = await userWithToken();
    expect((await put(project, repo, token)).status).toBe(403);
    const events = captureEvents();
    const t = await team(project.id, { role: "writer", description: "writers" });
    const member = await addMember(project.id, t.name, user.username);
    expect(member).toMatchObject({ user_id: user.id, username: user.username, source: "manual" });
    expect((await put(project, repo, token)).status).toBe(201);
    // The project is visible now, through the team.
    expect((await jsonOf(await req(v1("/projects"), { token }), 200)).items.map((p: { id: string }) => p.id)).toContain(project.id);
    expect((await req(v1(`/projects/${project.id}/teams/${t.id}/members/${user.id}`), { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect((await put(project, repo, token)).status).toBe(403);
    expect(events.types().filter((t) => !t.startsWith("artifact."))).toEqual(["team.created", "team.member_added", "team.member_removed"]);
    expect((await audit({ resource_id: t.id })).map((e) => e.action)).toEqual(["team.create", "team.member_add", "team.member_remove"]);
  });

  it("are managed by project admins only, with unique names, and deleted with their grants", async () => {
    const project = await createProject();
    const repo = await createRepo(project.id, "generic");
    const sa = await createServiceAccount(project.id, "writer");
    const writer = await mintToken(project.id, sa.id);
    await expectError(await req(v1(`/projects/${project.id}/teams`), { method: "POST", token: writer, json: { name: "x" } }), 403, "ForbiddenInsufficientPermissions");
    // Readers of the project may list teams.
    expect((await req(v1(`/projects/${project.id}/teams`), { token: writer })).status).toBe(200);
    const t = await team(project.id, { name: "ops" });
    await expectError(await req(v1(`/projects/${project.id}/teams`), { method: "POST", token: ADMIN, json: { name: "ops" } }), 409, "ConflictTeamNameInUse");
    await expectError(await req(v1(`/projects/${project.id}/teams`), { method: "POST", token: ADMIN, json: { name: "Bad Name" } }), 400, "InvalidTeamName");
    expect((await grant(repo.id, "team", "ops", "write")).status).toBe(200);
    const { user, token } = await userWithToken();
    await addMember(project.id, "ops", user.id);
    expect((await put(project, repo, token)).status).toBe(201);
    expect((await jsonOf(await req(v1(`/projects/${project.id}/teams/ops/permissions`), { token: ADMIN }), 200)).items).toEqual([
      expect.objectContaining({ repo_id: repo.id, delegate_type: "team", delegate_id: t.id, role: "write" }),
    ]);
    expect((await req(v1(`/projects/${project.id}/teams/ops`), { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect((await put(project, repo, token)).status).toBe(403);
    expect((await jsonOf(await req(v1(`/repos/${repo.id}/permissions`), { token: ADMIN }), 200)).items).toEqual([]);
  });
});

describe("repo permissions", () => {
  it("grant a user one repo and nothing else of the project", async () => {
    const project = await createProject();
    const [a, b] = [await createRepo(project.id, "generic"), await createRepo(project.id, "generic")];
    const { user, token } = await userWithToken();
    const events = captureEvents();
    const set = await jsonOf(await grant(a.id, "user", user.username, "write"), 200);
    expect(set).toMatchObject({ repo_id: a.id, delegate_type: "user", delegate_id: user.id, role: "write" });
    expect((await put(project, a, token)).status).toBe(201);
    expect((await put(project, b, token)).status).toBe(403);
    await expectError(await req(v1(`/projects/${project.id}`), { token }), 403, "ForbiddenInsufficientPermissions");
    // Listings show the granted repo alone.
    const repos = (await jsonOf(await req(v1("/repos"), { token }), 200)).items.map((r: { id: string }) => r.id);
    expect(repos).toContain(a.id);
    expect(repos).not.toContain(b.id);
    // Write is not admin: the grant holder can't hand out grants.
    await expectError(await grant(a.id, "user", user.id, "admin", token), 403, "ForbiddenInsufficientPermissions");
    expect(events.types().filter((t) => !t.startsWith("artifact."))).toEqual(["repo_permission.set"]);
    const entry = (await audit({ action: "repo_permission.set", resource_id: a.id }))[0];
    expect(entry.after).toMatchObject({ delegate_type: "user", delegate_id: user.id, role: "write" });
    expect((await req(v1(`/repos/${a.id}/permissions/user/${user.id}`), { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect((await put(project, a, token)).status).toBe(403);
    expect((await audit({ action: "repo_permission.remove", resource_id: a.id })).length).toBe(1);
  });

  it("let a repo admin manage the repo and its permissions, still narrowed by token scopes", async () => {
    const project = await createProject();
    const repo = await createRepo(project.id, "generic");
    const { user, token } = await userWithToken();
    const narrow = (await mintUserToken(user.id, { scopes: ["read"] })).token;
    expect((await grant(repo.id, "user", user.id, "admin")).status).toBe(200);
    const other = await createUser();
    expect((await grant(repo.id, "user", other.id, "read", token)).status).toBe(200);
    expect((await req(v1(`/repos/${repo.id}`), { method: "PATCH", token, json: { description: "mine" } })).status).toBe(200);
    expect((await read(repo, narrow)).status).toBe(200);
    expect((await put(project, repo, narrow)).status).toBe(403);
  });

  it("add to project roles (the highest wins) for users, teams and service accounts", async () => {
    const project = await createProject();
    const [a, b] = [await createRepo(project.id, "generic"), await createRepo(project.id, "generic")];
    const reader = await createServiceAccount(project.id, "reader");
    const saToken = await mintToken(project.id, reader.id);
    expect((await grant(a.id, "service_account", reader.name, "write")).status).toBe(200);
    expect((await put(project, a, saToken)).status).toBe(201);
    expect((await put(project, b, saToken)).status).toBe(403);
    expect((await read(b, saToken)).status).toBe(200);
    // A lower repo grant never lowers a higher project role.
    const { user, token } = await userWithToken();
    await setMember(project.id, "user", user.id, "writer");
    expect((await grant(b.id, "user", user.id, "read")).status).toBe(200);
    expect((await put(project, b, token)).status).toBe(201);
    // A team without a project role reaches only what it is granted.
    const t = await team(project.id, { role: null });
    const m = await userWithToken();
    await addMember(project.id, t.id, m.user.id);
    await expectError(await read(a, m.token), 403, "ForbiddenInsufficientPermissions");
    expect((await grant(a.id, "team", t.id, "read")).status).toBe(200);
    expect((await read(a, m.token)).status).toBe(200);
    expect((await put(project, a, m.token)).status).toBe(403);
  });

  it("refuse delegates that don't exist or belong to another project", async () => {
    const project = await createProject();
    const other = await createProject();
    const repo = await createRepo(project.id, "generic");
    const foreignTeam = await team(other.id, {});
    const foreignSa = await createServiceAccount(other.id, "reader");
    await expectError(await grant(repo.id, "team", foreignTeam.id, "read"), 400, "InvalidPermissionDelegate");
    await expectError(await grant(repo.id, "service_account", foreignSa.id, "read"), 400, "InvalidPermissionDelegate");
    await expectError(await grant(repo.id, "user", "nobody-here", "read"), 400, "InvalidPermissionDelegate");
    await expectError(await grant(repo.id, "user", "x", "owner"), 400, "InvalidRequest");
    await expectError(await req(v1(`/repos/${repo.id}/permissions/user/nobody`), { token: ADMIN }), 404, "NotFoundRepoPermission");
  });

  it("explain a user's effective role through the transitive view", async () => {
    const project = await createProject();
    const repo = await createRepo(project.id, "generic", { visibility: "public" });
    const { user, token } = await userWithToken();
    await setMember(project.id, "user", user.id, "reader");
    const t = await team(project.id, { role: "writer" });
    await addMember(project.id, t.id, user.id);
    expect((await grant(repo.id, "team", t.id, "admin")).status).toBe(200);
    const view = await jsonOf(await req(v1(`/repos/${repo.id}/permissions/user/${user.username}/transitive`), { token: ADMIN }), 200);
    expect(view).toMatchObject({ user_id: user.id, role: "admin", actions: ["read", "write", "delete", "admin", "scan"] });
    expect(view.sources).toEqual(
      expect.arrayContaining([
        { source: "project", role: "read", team: null },
        { source: "team", role: "write", team: { id: t.id, name: t.name } },
        { source: "repo_team", role: "admin", team: { id: t.id, name: t.name } },
        { source: "public", role: "read", team: null },
      ]),
    );
    // A user may ask about themself; someone else needs admin on the repo.
    expect((await req(v1(`/repos/${repo.id}/permissions/user/${user.id}/transitive`), { token })).status).toBe(200);
    const stranger = await userWithToken();
    await expectError(await req(v1(`/repos/${repo.id}/permissions/user/${user.id}/transitive`), { token: stranger.token }), 403, "ForbiddenInsufficientPermissions");
    const mine = await jsonOf(await req(v1(`/repos/${repo.id}/permissions/user/${stranger.user.id}/transitive`), { token: stranger.token }), 200);
    expect(mine).toMatchObject({ role: "read", actions: ["read"], sources: [{ source: "public", role: "read", team: null }] });
  });

  it("go away with the user or service account they name", async () => {
    const project = await createProject();
    const repo = await createRepo(project.id, "generic");
    const user = await createUser();
    const sa = await createServiceAccount(project.id, "reader");
    expect((await grant(repo.id, "user", user.id, "write")).status).toBe(200);
    expect((await grant(repo.id, "service_account", sa.id, "write")).status).toBe(200);
    expect((await req(`/api/admin/users/${user.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect((await req(v1(`/projects/${project.id}/service_accounts/${sa.id}`), { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect((await jsonOf(await req(v1(`/repos/${repo.id}/permissions`), { token: ADMIN }), 200)).items).toEqual([]);
  });
});

describe("default permissions (prototypes)", () => {
  it("become permissions of repos created afterwards, for everyone or one creator", async () => {
    const project = await createProject();
    const t = await team(project.id, {});
    const creator = await userWithToken();
    await setMember(project.id, "user", creator.user.id, "admin");
    const events = captureEvents();
    const all = await jsonOf(await req(v1(`/projects/${project.id}/prototypes`), { method: "POST", token: ADMIN, json: { delegate_type: "team", delegate: t.name, role: "write" } }), 201);
    const onlyCreator = await jsonOf(
      await req(v1(`/projects/${project.id}/prototypes`), { method: "POST", token: ADMIN, json: { delegate_type: "user", delegate: creator.user.id, role: "admin", activating_user: creator.user.username } }),
      201,
    );
    expect(onlyCreator).toMatchObject({ activating_user_id: creator.user.id, delegate_type: "user", role: "admin" });
    const byAdmin = await createRepo(project.id, "generic");
    const byCreator = await jsonOf(await req(v1("/repos"), { method: "POST", token: creator.token, json: { project_id: project.id, slug: unique("r"), format: "generic" } }), 201);
    const permsOf = async (id: string) => (await jsonOf(await req(v1(`/repos/${id}/permissions`), { token: ADMIN }), 200)).items.map((p: any) => `${p.delegate_type}:${p.role}`).sort();
    expect(await permsOf(byAdmin.id)).toEqual(["team:write"]);
    expect(await permsOf(byCreator.id)).toEqual(["team:write", "user:admin"]);
    expect((await audit({ action: "repo.create", resource_id: byCreator.id }))[0].after.permissions).toHaveLength(2);
    // Changing a prototype touches no existing repo.
    expect((await jsonOf(await req(v1(`/projects/${project.id}/prototypes/${all.id}`), { method: "PUT", token: ADMIN, json: { role: "read" } }), 200)).role).toBe("read");
    expect(await permsOf(byAdmin.id)).toEqual(["team:write"]);
    expect((await req(v1(`/projects/${project.id}/prototypes/${all.id}`), { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect((await jsonOf(await req(v1(`/projects/${project.id}/prototypes`), { token: ADMIN }), 200)).items.map((p: any) => p.id)).toEqual([onlyCreator.id]);
    expect(events.types()).toEqual(expect.arrayContaining(["prototype.created", "prototype.created", "prototype.updated", "prototype.deleted"]));
  });
});

describe("groups claim → teams", () => {
  let idp: TestOpenIdProvider;
  beforeAll(async () => {
    installOutbound();
    idp = await TestOpenIdProvider.create("groups");
  });
  afterAll(() => {
    uninstallOutbound();
    jwksCache.clear();
  });

  it("adds a signing-in user to mapped teams, removes them when the group goes, and leaves manual memberships", async () => {
    const project = await createProject();
    const repo = await createRepo(project.id, "generic");
    const devs = await team(project.id, { role: "writer" });
    const ops = await team(project.id, { role: "reader" });
    const provider = await addProvider(idp, { groups_claim: "groups", group_mappings: [{ group: "devs", team_id: devs.id }, { group: "ops", team_id: ops.id }] });
    idp.nextClaims = { groups: ["devs", "unrelated"] };
    const b = await signIn(idp, provider.name, "grouped");
    const membersOf = async (t: { id: string }) => (await jsonOf(await req(v1(`/projects/${project.id}/teams/${t.id}/members`), { token: ADMIN }), 200)).items;
    expect(await membersOf(devs)).toEqual([expect.objectContaining({ user_id: b.me.id, source: "oidc" })]);
    expect(await membersOf(ops)).toEqual([]);
    // The session's user can write the repo through the team.
    const res = await b.api(`/api/v1/repos/${repo.id}/packages`);
    expect(res.status).toBe(200);
    await addMember(project.id, ops.id, b.me.id); // manual
    idp.nextClaims = { groups: [] };
    await signIn(idp, provider.name, "grouped");
    idp.nextClaims = {};
    expect(await membersOf(devs)).toEqual([]);
    expect(await membersOf(ops)).toEqual([expect.objectContaining({ user_id: b.me.id, source: "manual" })]);
    const logins = (await audit({ action: "session.login" })).filter((e) => e.actor.id === b.me.id);
    expect(logins.at(-1).after).toMatchObject({ teams_added: [], teams_removed: [devs.id] });
  });
});
