/** /api/v1/projects/{id}/service_accounts: CRUD, ?name=, default page size, roles, validation, audit. */
import { describe, expect, it } from "vitest";
import {
  ADMIN,
  audit,
  captureEvents,
  createProject,
  createServiceAccount,
  expectError,
  jsonOf,
  mintToken,
  projectWithToken,
  req,
  unique,
} from "../helpers";

const sasOf = (projectId: string) => `/api/v1/projects/${projectId}/service_accounts`;

describe("service accounts: happy path", () => {
  it("creates, reads, updates and deletes a service account, auditing each change", async () => {
    const p = await createProject();
    const events = captureEvents();
    const name = unique("ci");
    const created = await jsonOf(await req(sasOf(p.id), { method: "POST", token: ADMIN, json: { name, description: "CI" } }), 201);
    expect(created).toMatchObject({ project_id: p.id, name, description: "CI", role: "reader" });
    expect(await jsonOf(await req(`${sasOf(p.id)}/${created.id}`, { token: ADMIN }), 200)).toEqual(created);

    const updated = await jsonOf(
      await req(`${sasOf(p.id)}/${created.id}`, { method: "PATCH", token: ADMIN, json: { role: "writer", description: "CI bot" } }),
      200,
    );
    expect(updated).toMatchObject({ id: created.id, name, role: "writer", description: "CI bot" });
    const members = await jsonOf(await req(`/api/v1/projects/${p.id}/members`, { token: ADMIN }), 200);
    expect(members.items).toContainEqual(expect.objectContaining({ principal_type: "service_account", principal_id: created.id, role: "writer" }));

    expect((await req(`${sasOf(p.id)}/${created.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    await expectError(await req(`${sasOf(p.id)}/${created.id}`, { token: ADMIN }), 404, "NotFoundServiceAccount");
    const after = await jsonOf(await req(`/api/v1/projects/${p.id}/members`, { token: ADMIN }), 200);
    expect(after.items.map((m: any) => m.principal_id)).not.toContain(created.id);

    const rows = await audit({ resource_type: "service_account", resource_id: created.id });
    expect(rows.map((r) => r.action)).toEqual(["service_account.create", "service_account.update", "service_account.delete"]);
    expect(rows[0]).toMatchObject({ project_id: p.id, before: null, after: { name, role: "reader" } });
    expect(rows[1]).toMatchObject({ before: { role: "reader", description: "CI" }, after: { role: "writer", description: "CI bot" } });
    expect(rows[2]).toMatchObject({ before: { role: "writer" }, after: null });
    expect(events.types()).toEqual(["service_account.created", "service_account.updated", "service_account.deleted"]);
  });

  it("filters by ?name= and pages with a default limit of 50", async () => {
    const p = await createProject();
    const created: string[] = [];
    for (let i = 0; i < 51; i++) {
      const res = await req(sasOf(p.id), { method: "POST", token: ADMIN, json: { name: `sa-${String(i).padStart(2, "0")}` } });
      created.push((await jsonOf(res, 201)).id);
    }
    const first = await jsonOf(await req(sasOf(p.id), { token: ADMIN }), 200);
    expect(first.items).toHaveLength(50);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await jsonOf(await req(`${sasOf(p.id)}?cursor=${first.next_cursor}`, { token: ADMIN }), 200);
    expect(second.items).toHaveLength(1);
    expect(second.next_cursor).toBeNull();
    expect([...first.items, ...second.items].map((s: any) => s.id).sort()).toEqual([...created].sort());
    const all = await jsonOf(await req(`${sasOf(p.id)}?limit=500`, { token: ADMIN }), 200);
    expect(all.items).toHaveLength(51);
    expect(all.next_cursor).toBeNull();

    const byName = await jsonOf(await req(`${sasOf(p.id)}?name=sa-07`, { token: ADMIN }), 200);
    expect(byName.items.map((s: any) => s.id)).toEqual([created[7]]);
    expect((await jsonOf(await req(`${sasOf(p.id)}?name=nobody`, { token: ADMIN }), 200)).items).toEqual([]);
  });

  it("changes what the account's tokens may do as soon as its role changes", async () => {
    const { project, sa, token } = await projectWithToken("reader");
    const create = () => req("/api/v1/repos", { method: "POST", token, json: { project_id: project.id, slug: unique("r"), format: "npm" } });
    await expectError(await create(), 403, "ForbiddenInsufficientPermissions");
    await jsonOf(await req(`${sasOf(project.id)}/${sa.id}`, { method: "PATCH", token: ADMIN, json: { role: "admin" } }), 200);
    await jsonOf(await create(), 201);
  });

  it("lets a project admin manage service accounts in its own project only", async () => {
    const { project, token } = await projectWithToken("admin");
    const other = await createProject();
    const mine = await jsonOf(await req(sasOf(project.id), { method: "POST", token, json: { name: unique("bot"), role: "writer" } }), 201);
    await jsonOf(await req(sasOf(project.id), { token }), 200);
    await jsonOf(await req(`${sasOf(project.id)}/${mine.id}`, { method: "PATCH", token, json: { description: "x" } }), 200);
    expect((await req(`${sasOf(project.id)}/${mine.id}`, { method: "DELETE", token })).status).toBe(204);
    await expectError(await req(sasOf(other.id), { method: "POST", token, json: { name: unique("bot") } }), 403, "ForbiddenInsufficientPermissions");
    await expectError(await req(sasOf(other.id), { token }), 403, "ForbiddenInsufficientPermissions");
  });

  it("keeps readers and writers out of service-account management", async () => {
    for (const role of ["reader", "writer"]) {
      const { project, sa, token } = await projectWithToken(role);
      await expectError(await req(sasOf(project.id), { token }), 403, "ForbiddenInsufficientPermissions");
      await expectError(await req(sasOf(project.id), { method: "POST", token, json: { name: unique("x") } }), 403, "ForbiddenInsufficientPermissions");
      // Not even to promote themselves.
      await expectError(
        await req(`${sasOf(project.id)}/${sa.id}`, { method: "PATCH", token, json: { role: "admin" } }),
        403,
        "ForbiddenInsufficientPermissions",
      );
    }
  });
});

describe("service accounts: errors", () => {
  it("validates names and roles", async () => {
    const p = await createProject();
    const post = (json: unknown) => req(sasOf(p.id), { method: "POST", token: ADMIN, json });
    await expectError(await post({}), 400, "InvalidRequest");
    await expectError(await post({ name: "ok", role: "owner" }), 400, "InvalidRequest");
    await expectError(await post({ name: "x".repeat(65) }), 400, "InvalidRequest");
    for (const name of ["Upper", "with space", "-lead", "a/b"]) await expectError(await post({ name }), 400, "InvalidServiceAccountName");
    const sa = await createServiceAccount(p.id);
    await expectError(await req(`${sasOf(p.id)}/${sa.id}`, { method: "PATCH", token: ADMIN, json: { name: "Bad" } }), 400, "InvalidServiceAccountName");
    await expectError(await req(`${sasOf(p.id)}/${sa.id}`, { method: "PATCH", token: ADMIN, json: { role: "root" } }), 400, "InvalidRequest");
  });

  it("keeps names unique within a project", async () => {
    const p = await createProject();
    const q = await createProject();
    const a = await createServiceAccount(p.id);
    const b = await createServiceAccount(p.id);
    await expectError(await req(sasOf(p.id), { method: "POST", token: ADMIN, json: { name: a.name } }), 409, "ConflictServiceAccountNameInUse");
    await expectError(await req(`${sasOf(p.id)}/${b.id}`, { method: "PATCH", token: ADMIN, json: { name: a.name } }), 409, "ConflictServiceAccountNameInUse");
    await jsonOf(await req(sasOf(q.id), { method: "POST", token: ADMIN, json: { name: a.name } }), 201);
  });

  it("answers 404 for unknown accounts and for accounts of another project", async () => {
    const p = await createProject();
    const q = await createProject();
    const theirs = await createServiceAccount(q.id);
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const init = { method, token: ADMIN, ...(method === "PATCH" ? { json: { description: "x" } } : {}) };
      await expectError(await req(`${sasOf(p.id)}/nope`, init), 404, "NotFoundServiceAccount");
      await expectError(await req(`${sasOf(p.id)}/${theirs.id}`, init), 404, "NotFoundServiceAccount");
    }
    await expectError(await req(sasOf("no-such-project"), { token: ADMIN }), 404, "NotFoundProject");
    await expectError(await req(sasOf("no-such-project"), { method: "POST", token: ADMIN, json: { name: "x" } }), 404, "NotFoundProject");
  });

  it("revokes every token of a deleted account at once", async () => {
    const p = await createProject();
    const sa = await createServiceAccount(p.id, "writer");
    const token = await mintToken(p.id, sa.id);
    await jsonOf(await req(`/api/v1/projects/${p.id}`, { token }), 200);
    expect((await req(`${sasOf(p.id)}/${sa.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    await expectError(await req(`/api/v1/projects/${p.id}`, { token }), 401, "UnauthorizedInvalidToken");
  });
});
