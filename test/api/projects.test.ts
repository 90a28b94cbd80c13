/** /api/v1/projects: CRUD, rename in place, listing and pagination, validation, audit. */
import { describe, expect, it } from "vitest";
import {
  ADMIN,
  audit,
  captureEvents,
  createProject,
  createRepo,
  createServiceAccount,
  expectError,
  jsonOf,
  mintToken,
  projectWithToken,
  req,
  unique,
} from "../helpers";

describe("projects: happy path", () => {
  it("creates, reads, updates and deletes a project, auditing each change", async () => {
    const events = captureEvents();
    const slug = unique("p");
    const created = await jsonOf(
      await req("/api/v1/projects", { method: "POST", token: ADMIN, json: { slug, name: "Demo", description: "d" } }),
      201,
    );
    expect(created).toMatchObject({ slug, name: "Demo", description: "d" });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(created.created_at)).not.toBeNaN();

    expect(await jsonOf(await req(`/api/v1/projects/${created.id}`, { token: ADMIN }), 200)).toEqual(created);

    const patched = await jsonOf(
      await req(`/api/v1/projects/${created.id}`, { method: "PATCH", token: ADMIN, json: { description: "new" } }),
      200,
    );
    expect(patched).toMatchObject({ id: created.id, slug, name: "Demo", description: "new" });

    const del = await req(`/api/v1/projects/${created.id}`, { method: "DELETE", token: ADMIN });
    expect(del.status).toBe(204);
    await expectError(await req(`/api/v1/projects/${created.id}`, { token: ADMIN }), 404, "NotFoundProject");

    const rows = await audit({ resource_type: "project", resource_id: created.id });
    expect(rows.map((r) => r.action)).toEqual(["project.create", "project.update", "project.delete"]);
    const [create, update, remove] = rows;
    expect(create.before).toBeNull();
    expect(create.after).toMatchObject({ id: created.id, slug, name: "Demo" });
    expect(update.before).toMatchObject({ description: "d" });
    expect(update.after).toMatchObject({ description: "new" });
    expect(remove.before).toMatchObject({ id: created.id, description: "new" });
    expect(remove.after).toBeNull();
    for (const r of rows) expect(r.actor).toEqual({ type: "instance_admin", id: "admin", name: "admin" });
    expect(events.types()).toEqual(["project.created", "project.updated", "project.deleted"]);
  });

  it("defaults the name to the slug", async () => {
    const p = await createProject();
    expect(p.name).toBe(p.slug);
    expect(p.description).toBe("");
  });

  it("renames in place: PATCHing the slug keeps the id, repos and tokens", async () => {
    const { project, token } = await projectWithToken("admin");
    const repo = await createRepo(project.id, "generic");
    const newSlug = unique("renamed");
    const res = await req(`/api/v1/projects/${project.id}`, { method: "PATCH", token, json: { slug: newSlug } });
    const renamed = await jsonOf(res, 200);
    expect(renamed.id).toBe(project.id);
    expect(renamed.slug).toBe(newSlug);
    expect(Date.parse(renamed.updated_at)).toBeGreaterThanOrEqual(Date.parse(project.updated_at));
    expect((await jsonOf(await req(`/api/v1/repos/${repo.id}`, { token }), 200)).project_id).toBe(project.id);
    // The old slug is free again, and the audit row shows both.
    await createProject(project.slug);
    const [row] = await audit({ resource_id: project.id, action: "project.update" });
    expect(row.before.slug).toBe(project.slug);
    expect(row.after.slug).toBe(newSlug);
    expect(row.actor.type).toBe("service_account");
    expect(row.request_id).toBe(res.headers.get("x-request-id"));
  });

  it("lists the projects a credential can see, with keyset pagination", async () => {
    const mine = await projectWithToken("reader");
    const other = await createProject();
    const seen = await jsonOf(await req("/api/v1/projects", { token: mine.token }), 200);
    expect(seen).toEqual({ items: [expect.objectContaining({ id: mine.project.id })], next_cursor: null });

    // The instance admin sees everything; walk the pages with limit=1.
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs: string = cursor ? `limit=1&cursor=${cursor}` : "limit=1";
      const page: any = await jsonOf(await req(`/api/v1/projects?${qs}`, { token: ADMIN }), 200);
      expect(page.items.length).toBeLessThanOrEqual(1);
      ids.push(...page.items.map((p: { id: string }) => p.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 1000);
    expect(ids).toEqual(expect.arrayContaining([mine.project.id, other.id]));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("lets a project admin update its project but not another one", async () => {
    const { project, token } = await projectWithToken("admin");
    const other = await createProject();
    await jsonOf(await req(`/api/v1/projects/${project.id}`, { method: "PATCH", token, json: { name: "Mine" } }), 200);
    await expectError(
      await req(`/api/v1/projects/${other.id}`, { method: "PATCH", token, json: { name: "Theirs" } }),
      403,
      "ForbiddenInsufficientPermissions",
    );
  });

  it("reserves creation and deletion for the instance admin", async () => {
    const { project, token } = await projectWithToken("admin");
    await expectError(await req("/api/v1/projects", { method: "POST", token, json: { slug: unique("x") } }), 403, "ForbiddenInsufficientPermissions");
    await expectError(await req(`/api/v1/projects/${project.id}`, { method: "DELETE", token }), 403, "ForbiddenInsufficientPermissions");
  });

  it("lets writers and readers read but not update their project", async () => {
    for (const role of ["reader", "writer"]) {
      const { project, token } = await projectWithToken(role);
      await jsonOf(await req(`/api/v1/projects/${project.id}`, { token }), 200);
      await expectError(
        await req(`/api/v1/projects/${project.id}`, { method: "PATCH", token, json: { name: "no" } }),
        403,
        "ForbiddenInsufficientPermissions",
      );
    }
  });
});

describe("projects: errors", () => {
  it("validates the body", async () => {
    const err = await expectError(await req("/api/v1/projects", { method: "POST", token: ADMIN, json: {} }), 400, "InvalidRequest");
    expect(err.detail).toEqual([expect.objectContaining({ path: "slug" })]);
    await expectError(await req("/api/v1/projects", { method: "POST", token: ADMIN, json: { slug: 42 } }), 400, "InvalidRequest");
    await expectError(await req("/api/v1/projects", { method: "POST", token: ADMIN, json: { slug: "x".repeat(65) } }), 400, "InvalidRequest");
    for (const slug of ["Upper", "-lead", "trail-", "has space", "a/b", "api", "v2"]) {
      await expectError(await req("/api/v1/projects", { method: "POST", token: ADMIN, json: { slug } }), 400, "InvalidProjectSlug");
    }
  });

  it("answers malformed JSON and a wrong content type with 4xx, not 500", async () => {
    const headers = { Authorization: `Bearer ${ADMIN}` };
    await expectError(
      await req("/api/v1/projects", { method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: "{nope" }),
      400,
      "InvalidRequest",
    );
    await expectError(
      await req("/api/v1/projects", { method: "POST", headers: { ...headers, "Content-Type": "text/plain" }, body: '{"slug":"x"}' }),
      415,
      "UnsupportedMediaType",
    );
  });

  it("refuses a slug already in use, on create and on rename", async () => {
    const a = await createProject();
    const b = await createProject();
    await expectError(await req("/api/v1/projects", { method: "POST", token: ADMIN, json: { slug: a.slug } }), 409, "ConflictProjectSlugInUse");
    await expectError(
      await req(`/api/v1/projects/${b.id}`, { method: "PATCH", token: ADMIN, json: { slug: a.slug } }),
      409,
      "ConflictProjectSlugInUse",
    );
    await expectError(await req(`/api/v1/projects/${b.id}`, { method: "PATCH", token: ADMIN, json: { slug: "Nope!" } }), 400, "InvalidProjectSlug");
    expect((await jsonOf(await req(`/api/v1/projects/${b.id}`, { token: ADMIN }), 200)).slug).toBe(b.slug);
  });

  it("answers 404 for unknown projects to identified callers and 401 to anonymous ones", async () => {
    await expectError(await req("/api/v1/projects/does-not-exist", { token: ADMIN }), 404, "NotFoundProject");
    await expectError(await req("/api/v1/projects/does-not-exist", { method: "PATCH", token: ADMIN, json: {} }), 404, "NotFoundProject");
    await expectError(await req("/api/v1/projects/does-not-exist", { method: "DELETE", token: ADMIN }), 404, "NotFoundProject");
    await expectError(await req("/api/v1/projects/does-not-exist"), 401, "UnauthorizedCredentialsRequired");
  });

  it("refuses to delete a project that still has repositories", async () => {
    const p = await createProject();
    const repo = await createRepo(p.id, "npm");
    await expectError(await req(`/api/v1/projects/${p.id}`, { method: "DELETE", token: ADMIN }), 409, "ConflictProjectNotEmpty");
    expect((await req(`/api/v1/repos/${repo.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect((await req(`/api/v1/projects/${p.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
  });

  it("takes the project's service accounts and their tokens with it on delete", async () => {
    const p = await createProject();
    const sa = await createServiceAccount(p.id, "admin");
    const token = await mintToken(p.id, sa.id);
    await jsonOf(await req(`/api/v1/projects/${p.id}`, { token }), 200);
    expect((await req(`/api/v1/projects/${p.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    await expectError(await req("/api/v1/projects", { token }), 401, "UnauthorizedInvalidToken");
  });

  it("rejects limits outside 1..500 and cursors it did not issue", async () => {
    await expectError(await req("/api/v1/projects?limit=501", { token: ADMIN }), 400, "InvalidRequest");
    await expectError(await req("/api/v1/projects?limit=0", { token: ADMIN }), 400, "InvalidRequest");
    await expectError(await req("/api/v1/projects?limit=ten", { token: ADMIN }), 400, "InvalidRequest");
    await jsonOf(await req("/api/v1/projects?limit=500", { token: ADMIN }), 200);
    await expectError(await req("/api/v1/projects?cursor=not-ours", { token: ADMIN }), 400, "InvalidCursor");
  });
});
