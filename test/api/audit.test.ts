/** /api/v1/audit: who may read it, filters, pagination, and what an entry records. */
import { describe, expect, it } from "vitest";
import {
  ADMIN,
  createProject,
  createRepo,
  createServiceAccount,
  expectError,
  jsonOf,
  mintToken,
  projectWithToken,
  req,
} from "../helpers";

const auditPage = async (qs: Record<string, string>, token: string | null = ADMIN) =>
  jsonOf(await req(`/api/v1/audit?${new URLSearchParams(qs)}`, { token }), 200);

/** A project with a few audited changes, oldest first. */
async function busyProject() {
  const p = await createProject();
  const repo = await createRepo(p.id, "npm");
  await jsonOf(await req(`/api/v1/repos/${repo.id}`, { method: "PATCH", token: ADMIN, json: { description: "x" } }), 200);
  const sa = await createServiceAccount(p.id, "admin");
  const token = await mintToken(p.id, sa.id);
  return { p, repo, sa, token };
}

describe("audit: filters and pagination", () => {
  it("filters by project, action, resource and actor, oldest first", async () => {
    const { p, repo, sa } = await busyProject();
    const all = await auditPage({ project_id: p.id });
    expect(all.items.map((e: any) => e.action)).toEqual(["project.create", "repo.create", "repo.update", "service_account.create", "token.create"]);
    expect(all.items.every((e: any) => e.project_id === p.id)).toBe(true);
    expect(all.next_cursor).toBeNull();

    expect((await auditPage({ project_id: p.id, action: "repo.update" })).items).toEqual([
      expect.objectContaining({ resource_type: "repo", resource_id: repo.id, before: expect.objectContaining({ description: "" }), after: expect.objectContaining({ description: "x" }) }),
    ]);
    expect((await auditPage({ project_id: p.id, resource_type: "repo" })).items.map((e: any) => e.action)).toEqual(["repo.create", "repo.update"]);
    expect((await auditPage({ resource_id: sa.id })).items.map((e: any) => e.action)).toEqual(["service_account.create"]);
    expect((await auditPage({ project_id: p.id, actor_id: "admin", action: "token.create" })).items).toHaveLength(1);
    expect((await auditPage({ project_id: p.id, action: "project.delete" })).items).toEqual([]);
  });

  it("filters by time with since and until (inclusive)", async () => {
    const { p } = await busyProject();
    const items = (await auditPage({ project_id: p.id })).items;
    const first = items[0].created_at;
    const last = items[items.length - 1].created_at;
    expect((await auditPage({ project_id: p.id, since: first, until: last })).items).toHaveLength(items.length);
    const sinceLast = (await auditPage({ project_id: p.id, since: last })).items;
    expect(sinceLast.map((e: any) => e.id)).toEqual(items.filter((e: any) => e.created_at === last).map((e: any) => e.id));
    const untilFirst = (await auditPage({ project_id: p.id, until: first })).items;
    expect(untilFirst.map((e: any) => e.id)).toEqual(items.filter((e: any) => e.created_at === first).map((e: any) => e.id));
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await auditPage({ project_id: p.id, since: future })).items).toEqual([]);
    await expectError(await req(`/api/v1/audit?project_id=${p.id}&since=yesterday`, { token: ADMIN }), 400, "InvalidRequest");
    await expectError(await req(`/api/v1/audit?project_id=${p.id}&until=2026-13-01`, { token: ADMIN }), 400, "InvalidRequest");
  });

  it("pages with cursor and limit", async () => {
    const { p } = await busyProject();
    const all = (await auditPage({ project_id: p.id })).items.map((e: any) => e.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = await auditPage({ project_id: p.id, limit: "2", ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((e: any) => e.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 2));
    await expectError(await req(`/api/v1/audit?project_id=${p.id}&limit=501`, { token: ADMIN }), 400, "InvalidRequest");
    await expectError(await req(`/api/v1/audit?project_id=${p.id}&cursor=garbage`, { token: ADMIN }), 400, "InvalidCursor");
  });

  it("records the actor, the request id and the client address", async () => {
    const { project, sa, token } = await projectWithToken("admin");
    const res = await req("/api/v1/repos", {
      method: "POST",
      token,
      headers: { "CF-Connecting-IP": "203.0.113.7" },
      json: { project_id: project.id, slug: "audited", format: "generic" },
    });
    const repo = await jsonOf(res, 201);
    const [entry] = (await auditPage({ resource_id: repo.id })).items;
    expect(entry).toMatchObject({
      action: "repo.create",
      resource_type: "repo",
      project_id: project.id,
      actor: { type: "service_account", id: sa.id, name: sa.name },
      request_id: res.headers.get("x-request-id"),
      ip: "203.0.113.7",
      before: null,
    });
    expect(Date.parse(entry.created_at)).not.toBeNaN();
  });
});

describe("audit: access", () => {
  it("lets a project admin read its own project's log only", async () => {
    const { p, token } = await busyProject();
    const own = await auditPage({ project_id: p.id }, token);
    expect(own.items.length).toBeGreaterThan(0);
    expect(own.items.every((e: any) => e.project_id === p.id)).toBe(true);
    const other = await createProject();
    await expectError(await req(`/api/v1/audit?project_id=${other.id}`, { token }), 403, "ForbiddenInsufficientPermissions");
  });

  it("requires project_id from anyone but the instance admin", async () => {
    const { token } = await busyProject();
    await expectError(await req("/api/v1/audit", { token }), 400, "InvalidAuditProjectRequired");
    await expectError(await req("/api/v1/audit"), 401, "UnauthorizedCredentialsRequired");
    const everything = await auditPage({ limit: "5" });
    expect(everything.items).toHaveLength(5);
  });

  it("keeps readers and writers out of the log", async () => {
    for (const role of ["reader", "writer"]) {
      const { project, token } = await projectWithToken(role);
      await expectError(await req(`/api/v1/audit?project_id=${project.id}`, { token }), 403, "ForbiddenInsufficientPermissions");
    }
  });
});
