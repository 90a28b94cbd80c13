/** /api/v1/repos: CRUD, list filters and pagination, anonymous reads, roles, validation, audit. */
import { describe, expect, it } from "vitest";
import {
  ADMIN,
  audit,
  captureEvents,
  createProject,
  createRepo,
  expectError,
  jsonOf,
  projectWithToken,
  req,
  unique,
} from "../helpers";

const post = (token: string | null, json: unknown) => req("/api/v1/repos", { method: "POST", token, json });

describe("repos: happy path", () => {
  it("creates, reads, updates and deletes a repo, auditing each change", async () => {
    const events = captureEvents();
    const { project, token } = await projectWithToken("admin");
    const slug = unique("r");
    const created = await jsonOf(
      await post(token, {
        project_id: project.id,
        slug,
        format: "docker",
        description: "images",
        labels: { team: "core" },
        allowed_patterns: ["app/*"],
        blocked_patterns: ["app/bad"],
        immutable_tags: ["v*"],
      }),
      201,
    );
    expect(created).toMatchObject({
      project_id: project.id,
      slug,
      format: "docker",
      kind: "local",
      visibility: "private",
      state: "normal",
      description: "images",
      labels: { team: "core" },
      allowed_patterns: ["app/*"],
      blocked_patterns: ["app/bad"],
      immutable_tags: ["v*"],
      upstream_url: null,
      virtual_members: [],
    });
    expect(await jsonOf(await req(`/api/v1/repos/${created.id}`, { token }), 200)).toEqual(created);

    const renamed = unique("r2");
    const patched = await jsonOf(
      await req(`/api/v1/repos/${created.id}`, {
        method: "PATCH",
        token,
        json: { slug: renamed, visibility: "public", state: "read_only", labels: {}, format: "npm" },
      }),
      200,
    );
    // Renamed in place; the format never changes.
    expect(patched).toMatchObject({ id: created.id, slug: renamed, visibility: "public", state: "read_only", labels: {}, format: "docker", description: "images" });

    expect((await req(`/api/v1/repos/${created.id}`, { method: "DELETE", token })).status).toBe(204);
    await expectError(await req(`/api/v1/repos/${created.id}`, { token }), 404, "NotFoundRepo");

    const rows = await audit({ resource_type: "repo", resource_id: created.id });
    expect(rows.map((r) => r.action)).toEqual(["repo.create", "repo.update", "repo.delete"]);
    expect(rows[0]).toMatchObject({ project_id: project.id, before: null, after: { slug, format: "docker", project_id: project.id } });
    expect(rows[1].before).toMatchObject({ slug, visibility: "private", state: "normal", labels: { team: "core" } });
    expect(rows[1].after).toMatchObject({ slug: renamed, visibility: "public", state: "read_only", labels: {} });
    expect(rows[2]).toMatchObject({ before: { slug: renamed }, after: null });
    expect(rows.every((r) => r.actor.type === "service_account")).toBe(true);
    expect(events.types().filter((t) => t.startsWith("repo."))).toEqual(["repo.created", "repo.updated", "repo.deleted"]);
  });

  it("creates upstream and virtual repos", async () => {
    const p = await createProject();
    const member = await createRepo(p.id, "npm");
    const upstream = await createRepo(p.id, "npm", { kind: "upstream", upstream_url: "https://registry.npmjs.org/" });
    expect(upstream).toMatchObject({ kind: "upstream", upstream_url: "https://registry.npmjs.org/" });
    const virtual = await createRepo(p.id, "npm", { kind: "virtual", virtual_members: [member.id, upstream.id] });
    expect(virtual.virtual_members).toEqual([member.id, upstream.id]);
  });

  it("filters the list by project_id, slug and format, and pages through it", async () => {
    const p = await createProject();
    const q = await createProject();
    const npm1 = await createRepo(p.id, "npm");
    const npm2 = await createRepo(p.id, "npm");
    const pypi = await createRepo(p.id, "pypi");
    const elsewhere = await createRepo(q.id, "npm", { slug: npm1.slug });
    const list = async (qs: string) => (await jsonOf(await req(`/api/v1/repos?${qs}`, { token: ADMIN }), 200)).items.map((r: any) => r.id);

    expect(await list(`project_id=${p.id}`)).toEqual([npm1.id, npm2.id, pypi.id]);
    expect(await list(`project_id=${p.id}&format=npm`)).toEqual([npm1.id, npm2.id]);
    expect(await list(`project_id=${p.id}&format=pypi`)).toEqual([pypi.id]);
    expect(await list(`project_id=${p.id}&format=docker`)).toEqual([]);
    expect(await list(`slug=${npm1.slug}`)).toEqual([npm1.id, elsewhere.id]);
    expect(await list(`project_id=${q.id}&slug=${npm1.slug}`)).toEqual([elsewhere.id]);

    const first = await jsonOf(await req(`/api/v1/repos?project_id=${p.id}&limit=2`, { token: ADMIN }), 200);
    expect(first.items.map((r: any) => r.id)).toEqual([npm1.id, npm2.id]);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await jsonOf(await req(`/api/v1/repos?project_id=${p.id}&limit=2&cursor=${first.next_cursor}`, { token: ADMIN }), 200);
    expect(second).toEqual({ items: [expect.objectContaining({ id: pypi.id })], next_cursor: null });
    // A page that ends exactly at the last row still says so with null.
    const exact = await jsonOf(await req(`/api/v1/repos?project_id=${p.id}&limit=3`, { token: ADMIN }), 200);
    expect(exact.items).toHaveLength(3);
    expect(exact.next_cursor).toBeNull();

    await expectError(await req(`/api/v1/repos?format=rubygems`, { token: ADMIN }), 400, "InvalidRequest");
  });

  it("shows a credential its own project's repos and other projects' public ones only", async () => {
    const { project, token } = await projectWithToken("reader");
    const own = await createRepo(project.id, "generic");
    const other = await createProject();
    const hidden = await createRepo(other.id, "generic");
    const open = await createRepo(other.id, "generic", { visibility: "public" });
    const ids = async (t: string | null, qs: string) =>
      (await jsonOf(await req(`/api/v1/repos?${qs}`, { token: t }), 200)).items.map((r: any) => r.id);
    expect(await ids(token, `project_id=${project.id}`)).toEqual([own.id]);
    expect(await ids(token, `project_id=${other.id}`)).toEqual([open.id]);
    expect(await ids(null, `project_id=${other.id}`)).toEqual([open.id]);
    expect(await ids(null, `project_id=${project.id}`)).toEqual([]);
    expect(await ids(token, `slug=${hidden.slug}`)).toEqual([]);
  });
});

describe("repos: access", () => {
  it("serves public repos to anonymous callers and answers 401 for private or unknown ones", async () => {
    const p = await createProject();
    const open = await createRepo(p.id, "generic", { visibility: "public" });
    const closed = await createRepo(p.id, "generic");
    expect((await jsonOf(await req(`/api/v1/repos/${open.id}`), 200)).id).toBe(open.id);
    await expectError(await req(`/api/v1/repos/${closed.id}`), 401, "UnauthorizedCredentialsRequired");
    await expectError(await req(`/api/v1/repos/no-such-repo`), 401, "UnauthorizedCredentialsRequired");
    // Reading a public repo is not managing it.
    await expectError(await req(`/api/v1/repos/${open.id}`, { method: "PATCH", json: { description: "x" } }), 401, "UnauthorizedCredentialsRequired");
    await expectError(await req(`/api/v1/repos/${open.id}`, { method: "DELETE" }), 401, "UnauthorizedCredentialsRequired");
    // A broken credential is never downgraded to anonymous, even for a public repo.
    await expectError(await req(`/api/v1/repos/${open.id}`, { token: "orbsa_not-a-real-token" }), 401, "UnauthorizedInvalidToken");
  });

  it("lets only project admins create, update and delete repos", async () => {
    for (const role of ["reader", "writer"]) {
      const { project, token } = await projectWithToken(role);
      const repo = await createRepo(project.id, "npm");
      await jsonOf(await req(`/api/v1/repos/${repo.id}`, { token }), 200);
      await expectError(await post(token, { project_id: project.id, slug: unique("r"), format: "npm" }), 403, "ForbiddenInsufficientPermissions");
      await expectError(await req(`/api/v1/repos/${repo.id}`, { method: "PATCH", token, json: { description: "x" } }), 403, "ForbiddenInsufficientPermissions");
      await expectError(await req(`/api/v1/repos/${repo.id}`, { method: "DELETE", token }), 403, "ForbiddenInsufficientPermissions");
    }
  });

  it("confines a project admin to its own project", async () => {
    const { token } = await projectWithToken("admin");
    const other = await createProject();
    const theirs = await createRepo(other.id, "npm");
    const theirsPublic = await createRepo(other.id, "npm", { visibility: "public" });
    await expectError(await post(token, { project_id: other.id, slug: unique("r"), format: "npm" }), 403, "ForbiddenInsufficientPermissions");
    await expectError(await req(`/api/v1/repos/${theirs.id}`, { token }), 403, "ForbiddenInsufficientPermissions");
    await expectError(await req(`/api/v1/repos/${theirs.id}`, { method: "PATCH", token, json: { description: "x" } }), 403, "ForbiddenInsufficientPermissions");
    await expectError(await req(`/api/v1/repos/${theirsPublic.id}`, { method: "DELETE", token }), 403, "ForbiddenInsufficientPermissions");
    await jsonOf(await req(`/api/v1/repos/${theirsPublic.id}`, { token }), 200);
  });

  it("lets token scopes narrow an admin's role", async () => {
    const { project, token } = await projectWithToken("admin", { scopes: ["read"] });
    const repo = await createRepo(project.id, "npm");
    await jsonOf(await req(`/api/v1/repos/${repo.id}`, { token }), 200);
    await expectError(await post(token, { project_id: project.id, slug: unique("r"), format: "npm" }), 403, "ForbiddenInsufficientPermissions");
    await expectError(await req(`/api/v1/repos/${repo.id}`, { method: "DELETE", token }), 403, "ForbiddenInsufficientPermissions");
    const writeOnly = await projectWithToken("admin", { scopes: ["write", "delete"] });
    const hidden = await createRepo(writeOnly.project.id, "npm");
    await expectError(await req(`/api/v1/repos/${hidden.id}`, { token: writeOnly.token }), 403, "ForbiddenInsufficientPermissions");
  });
});

describe("repos: errors", () => {
  it("validates the body", async () => {
    const p = await createProject();
    const bad = async (json: unknown, status: number, code: string) => expectError(await post(ADMIN, json), status, code);
    const err = await bad({ project_id: p.id, slug: "x" }, 400, "InvalidRequest");
    expect(err.detail).toEqual([expect.objectContaining({ path: "format" })]);
    await bad({ project_id: p.id, slug: "x", format: "rubygems" }, 400, "InvalidRequest");
    await bad({ project_id: p.id, slug: "x", format: "npm", visibility: "secret" }, 400, "InvalidRequest");
    await bad({ project_id: p.id, slug: "x", format: "npm", upstream_url: "not a url" }, 400, "InvalidRequest");
    await bad({ project_id: p.id, slug: "x", format: "npm", labels: { k: 1 } }, 400, "InvalidRequest");
    await bad({ project_id: p.id, slug: "Bad Slug", format: "npm" }, 400, "InvalidRepoSlug");
    await bad({ project_id: p.id, slug: "x", format: "npm", kind: "upstream" }, 400, "InvalidRepoUpstreamUrlRequired");
    await bad({ project_id: p.id, slug: "x", format: "npm", kind: "upstream", upstream_url: "ftp://mirror.example/" }, 400, "InvalidRepoUpstreamUrl");
    await bad({ project_id: "no-such-project", slug: "x", format: "npm" }, 400, "InvalidRepoProject");
    const repo = await createRepo(p.id, "npm");
    // A repo's kind is fixed at creation, as its format: an upstream or virtual repo holds what its kind put there.
    await expectError(await req(`/api/v1/repos/${repo.id}`, { method: "PATCH", token: ADMIN, json: { kind: "upstream", upstream_url: "https://registry.npmjs.org" } }), 400, "InvalidRepoConfig");
    await expectError(await req(`/api/v1/repos/${repo.id}`, { method: "PATCH", token: ADMIN, json: { slug: "-x" } }), 400, "InvalidRepoSlug");
    expect(await jsonOf(await req(`/api/v1/repos/${repo.id}`, { token: ADMIN }), 200)).toEqual(repo);
  });

  it("answers an anonymous create with 401 whether or not the project exists", async () => {
    const p = await createProject();
    await expectError(await post(null, { project_id: p.id, slug: "x", format: "npm" }), 401, "UnauthorizedCredentialsRequired");
    await expectError(await post(null, { project_id: "no-such-project", slug: "x", format: "npm" }), 401, "UnauthorizedCredentialsRequired");
  });

  it("keeps slugs unique within a project", async () => {
    const p = await createProject();
    const q = await createProject();
    const a = await createRepo(p.id, "npm");
    const b = await createRepo(p.id, "npm");
    await expectError(await post(ADMIN, { project_id: p.id, slug: a.slug, format: "pypi" }), 409, "ConflictRepoSlugInUse");
    await expectError(await req(`/api/v1/repos/${b.id}`, { method: "PATCH", token: ADMIN, json: { slug: a.slug } }), 409, "ConflictRepoSlugInUse");
    await createRepo(q.id, "npm", { slug: a.slug });
  });

  it("answers 404 for unknown repos to identified callers", async () => {
    await expectError(await req(`/api/v1/repos/nope`, { token: ADMIN }), 404, "NotFoundRepo");
    await expectError(await req(`/api/v1/repos/nope`, { method: "PATCH", token: ADMIN, json: {} }), 404, "NotFoundRepo");
    await expectError(await req(`/api/v1/repos/nope`, { method: "DELETE", token: ADMIN }), 404, "NotFoundRepo");
  });
});
