/**
 * Users (/api/admin/users and their tokens) and project membership
 * (/api/v1/projects/{id}/members): what a user token reaches follows its role bindings.
 */
import { describe, expect, it } from "vitest";
import {
  ADMIN,
  audit,
  captureEvents,
  createProject,
  createRepo,
  createServiceAccount,
  createUser,
  expectError,
  expireToken,
  jsonOf,
  mintToken,
  mintUserToken,
  projectWithToken,
  req,
  setMember,
  sha256Hex,
  unique,
} from "../helpers";

const membersOf = (projectId: string) => `/api/v1/projects/${projectId}/members`;
const put = (projectId: string, token: string, json: unknown) => req(membersOf(projectId), { method: "PUT", token, json });

describe("users: instance-admin management", () => {
  it("creates, reads, lists and deletes users, auditing each change", async () => {
    const events = captureEvents();
    const username = unique("alice");
    const user = await jsonOf(
      await req("/api/admin/users", { method: "POST", token: ADMIN, json: { username, email: "alice@example.com" } }),
      201,
    );
    expect(user).toMatchObject({ username, email: "alice@example.com", is_admin: false });
    expect(await jsonOf(await req(`/api/admin/users/${user.id}`, { token: ADMIN }), 200)).toEqual(user);

    const other = await createUser();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await jsonOf(await req(`/api/admin/users?limit=1${cursor ? `&cursor=${cursor}` : ""}`, { token: ADMIN }), 200);
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((u: any) => u.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining([user.id, other.id]));

    expect((await req(`/api/admin/users/${user.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    await expectError(await req(`/api/admin/users/${user.id}`, { token: ADMIN }), 404, "NotFoundUser");
    const rows = await audit({ resource_type: "user", resource_id: user.id });
    expect(rows.map((r) => r.action)).toEqual(["user.create", "user.delete"]);
    expect(rows[0]).toMatchObject({ project_id: null, before: null, after: { username, email: "alice@example.com", is_admin: false } });
    expect(rows[1]).toMatchObject({ before: { username }, after: null });
    expect(events.types()).toEqual(["user.created", "user.created", "user.deleted"]);
  });

  it("validates users", async () => {
    const post = (json: unknown) => req("/api/admin/users", { method: "POST", token: ADMIN, json });
    await expectError(await post({}), 400, "InvalidRequest");
    await expectError(await post({ username: "bob", email: "not-an-email" }), 400, "InvalidRequest");
    await expectError(await post({ username: "bob", is_admin: "yes" }), 400, "InvalidRequest");
    for (const username of ["Bob", "bo b", "-bob"]) await expectError(await post({ username }), 400, "InvalidUserName");
    const u = await createUser();
    await expectError(await post({ username: u.username }), 409, "ConflictUserNameInUse");
    await expectError(await req("/api/admin/users/nope", { method: "DELETE", token: ADMIN }), 404, "NotFoundUser");
    await expectError(await req("/api/admin/users/nope/tokens", { method: "POST", token: ADMIN, json: { name: "t" } }), 404, "NotFoundUser");
  });

  it("mints user tokens once, lists them without secrets, and revokes them at once", async () => {
    const user = await createUser({ is_admin: true });
    const res = await req(`/api/admin/users/${user.id}/tokens`, { method: "POST", token: ADMIN, json: { name: "laptop", expires_in: 3600 } });
    expect(res.headers.get("cache-control")).toBe("no-store");
    const minted = await jsonOf(res, 201);
    expect(minted).toMatchObject({ principal_type: "user", principal_id: user.id, project_id: null, scopes: null });
    expect(minted.token).toMatch(/^orbu_/);
    const listRes = await req(`/api/admin/users/${user.id}/tokens`, { token: ADMIN });
    const text = await listRes.clone().text();
    expect((await jsonOf(listRes, 200)).items.map((t: any) => t.id)).toEqual([minted.id]);
    expect(text).not.toContain(minted.token);
    expect(text).not.toContain(await sha256Hex(minted.token));

    // An admin user's token acts as instance admin.
    await jsonOf(await req("/api/admin/users", { token: minted.token }), 200);
    await jsonOf(await req("/api/v1/projects", { method: "POST", token: minted.token, json: { slug: unique("by-user") } }), 201);

    expect((await req(`/api/admin/users/${user.id}/tokens/${minted.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    await expectError(await req("/api/admin/users", { token: minted.token }), 401, "UnauthorizedInvalidToken");
    const rows = await audit({ resource_id: minted.id });
    expect(rows.map((r) => r.action)).toEqual(["token.create", "token.revoke"]);
    expect(rows[1]).toMatchObject({ project_id: null, before: { revoked_at: null }, after: { revoked_at: expect.any(Number) } });
  });

  it("refuses expired user tokens and tokens of deleted users", async () => {
    const user = await createUser({ is_admin: true });
    const a = await mintUserToken(user.id);
    const b = await mintUserToken(user.id);
    await jsonOf(await req("/api/admin/users", { token: a.token }), 200);
    await expireToken(a.id);
    await expectError(await req("/api/admin/users", { token: a.token }), 401, "UnauthorizedInvalidToken");
    await jsonOf(await req("/api/admin/users", { token: b.token }), 200);
    expect((await req(`/api/admin/users/${user.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    await expectError(await req("/api/admin/users", { token: b.token }), 401, "UnauthorizedInvalidToken");
  });

  it("answers 404 when revoking another user's token", async () => {
    const u1 = await createUser();
    const u2 = await createUser();
    const t2 = await mintUserToken(u2.id);
    await expectError(await req(`/api/admin/users/${u1.id}/tokens/${t2.id}`, { method: "DELETE", token: ADMIN }), 404, "NotFoundToken");
  });

  it("keeps user management away from everyone but instance admins", async () => {
    const plain = await mintUserToken((await createUser()).id);
    const { token: projectAdmin } = await projectWithToken("admin");
    const narrowAdmin = await mintUserToken((await createUser({ is_admin: true })).id, { scopes: ["read", "write"] });
    for (const token of [plain.token, projectAdmin, narrowAdmin.token]) {
      await expectError(await req("/api/admin/users", { token }), 403, "ForbiddenInsufficientPermissions");
      await expectError(await req("/api/admin/users", { method: "POST", token, json: { username: unique("x") } }), 403, "ForbiddenInsufficientPermissions");
    }
  });
});

describe("members: user flows", () => {
  it("gives a user exactly what its role bindings grant", async () => {
    const p = await createProject();
    const repo = await createRepo(p.id, "npm");
    const user = await createUser();
    const { token } = await mintUserToken(user.id);
    const createRepoAs = () => req("/api/v1/repos", { method: "POST", token, json: { project_id: p.id, slug: unique("r"), format: "npm" } });

    // No binding: sees nothing.
    expect((await jsonOf(await req("/api/v1/projects", { token }), 200)).items).toEqual([]);
    await expectError(await req(`/api/v1/projects/${p.id}`, { token }), 403, "ForbiddenInsufficientPermissions");
    await expectError(await req(`/api/v1/repos/${repo.id}`, { token }), 403, "ForbiddenInsufficientPermissions");

    // Reader: reads, can't create.
    expect(await setMember(p.id, "user", user.id, "reader")).toMatchObject({ principal_type: "user", principal_id: user.id, role: "reader" });
    expect((await jsonOf(await req("/api/v1/projects", { token }), 200)).items.map((x: any) => x.id)).toEqual([p.id]);
    await jsonOf(await req(`/api/v1/repos/${repo.id}`, { token }), 200);
    expect((await jsonOf(await req(`/api/v1/repos?project_id=${p.id}`, { token }), 200)).items.map((r: any) => r.id)).toEqual([repo.id]);
    await expectError(await createRepoAs(), 403, "ForbiddenInsufficientPermissions");

    // Admin: manages the project.
    await setMember(p.id, "user", user.id, "admin");
    await jsonOf(await createRepoAs(), 201);
    await jsonOf(await req(`/api/v1/projects/${p.id}/service_accounts`, { method: "POST", token, json: { name: unique("bot") } }), 201);
    await jsonOf(await req(membersOf(p.id), { token }), 200);

    // A second project is unaffected by the first's bindings.
    const q = await createProject();
    await expectError(await req(`/api/v1/projects/${q.id}`, { token }), 403, "ForbiddenInsufficientPermissions");

    // Removed: back to nothing.
    expect((await req(`${membersOf(p.id)}/user/${user.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    await expectError(await req(`/api/v1/projects/${p.id}`, { token }), 403, "ForbiddenInsufficientPermissions");

    const rows = await audit({ project_id: p.id, resource_type: "role_binding", resource_id: user.id });
    expect(rows.map((r) => r.action)).toEqual(["member.set", "member.set", "member.remove"]);
    expect(rows[0]).toMatchObject({ before: null, after: { principal_type: "user", principal_id: user.id, role: "reader" } });
    expect(rows[1]).toMatchObject({ before: { role: "reader" }, after: { role: "admin" } });
    expect(rows[2]).toMatchObject({ before: { role: "admin" }, after: null });
  });

  it("narrows a user's role with the token's scopes", async () => {
    const p = await createProject();
    const user = await createUser();
    await setMember(p.id, "user", user.id, "admin");
    const { token } = await mintUserToken(user.id, { scopes: ["read"] });
    await jsonOf(await req(`/api/v1/projects/${p.id}`, { token }), 200);
    await expectError(
      await req("/api/v1/repos", { method: "POST", token, json: { project_id: p.id, slug: unique("r"), format: "npm" } }),
      403,
      "ForbiddenInsufficientPermissions",
    );
  });

  it("lists members and lets project admins manage them in their own project only", async () => {
    const { project, sa, token } = await projectWithToken("admin");
    const user = await createUser();
    const events = captureEvents();
    await jsonOf(await put(project.id, token, { principal_type: "user", principal_id: user.id, role: "writer" }), 200);
    const list = await jsonOf(await req(membersOf(project.id), { token }), 200);
    expect(list.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ principal_type: "service_account", principal_id: sa.id, role: "admin" }),
        expect.objectContaining({ principal_type: "user", principal_id: user.id, role: "writer" }),
      ]),
    );
    expect((await req(`${membersOf(project.id)}/user/${user.id}`, { method: "DELETE", token })).status).toBe(204);
    expect(events.types()).toEqual(["member.set", "member.removed"]);

    const other = await createProject();
    await expectError(await put(other.id, token, { principal_type: "user", principal_id: user.id, role: "admin" }), 403, "ForbiddenInsufficientPermissions");
    await expectError(await req(membersOf(other.id), { token }), 403, "ForbiddenInsufficientPermissions");
    const { project: p2, token: writer } = await projectWithToken("writer");
    await expectError(await req(membersOf(p2.id), { token: writer }), 403, "ForbiddenInsufficientPermissions");
    await expectError(await put(p2.id, writer, { principal_type: "user", principal_id: user.id, role: "admin" }), 403, "ForbiddenInsufficientPermissions");
  });

  it("validates membership changes", async () => {
    const p = await createProject();
    const q = await createProject();
    const theirSa = await createServiceAccount(q.id);
    const user = await createUser();
    await expectError(await put(p.id, ADMIN, { principal_type: "group", principal_id: user.id, role: "reader" }), 400, "InvalidRequest");
    await expectError(await put(p.id, ADMIN, { principal_type: "user", principal_id: user.id, role: "owner" }), 400, "InvalidRequest");
    await expectError(await put(p.id, ADMIN, { principal_type: "user", principal_id: "nobody", role: "reader" }), 400, "InvalidMemberPrincipal");
    await expectError(await put(p.id, ADMIN, { principal_type: "service_account", principal_id: theirSa.id, role: "reader" }), 400, "InvalidMemberPrincipal");
    await expectError(await put("no-such-project", ADMIN, { principal_type: "user", principal_id: user.id, role: "reader" }), 404, "NotFoundProject");
    await expectError(await req(`${membersOf(p.id)}/user/${user.id}`, { method: "DELETE", token: ADMIN }), 404, "NotFoundMember");
    await expectError(await req(`${membersOf(p.id)}/group/${user.id}`, { method: "DELETE", token: ADMIN }), 400, "InvalidRequest");
  });

  it("drops a deleted user's memberships", async () => {
    const p = await createProject();
    const user = await createUser();
    await setMember(p.id, "user", user.id, "writer");
    expect((await req(`/api/admin/users/${user.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    const list = await jsonOf(await req(membersOf(p.id), { token: ADMIN }), 200);
    expect(list.items.map((m: any) => m.principal_id)).not.toContain(user.id);
  });

  it("keeps a service account's role and its membership the same thing", async () => {
    const p = await createProject();
    const sa = await createServiceAccount(p.id, "reader");
    const token = await mintToken(p.id, sa.id);
    await setMember(p.id, "service_account", sa.id, "admin");
    expect((await jsonOf(await req(`/api/v1/projects/${p.id}/service_accounts/${sa.id}`, { token: ADMIN }), 200)).role).toBe("admin");
    await jsonOf(await req("/api/v1/repos", { method: "POST", token, json: { project_id: p.id, slug: unique("r"), format: "npm" } }), 201);
    // An account always holds its role in its own project: change it or delete the account.
    await expectError(
      await req(`${membersOf(p.id)}/service_account/${sa.id}`, { method: "DELETE", token: ADMIN }),
      409,
      "ConflictMemberServiceAccount",
    );
  });
});
