/**
 * A principal whose reach is larger than one D1 statement binds (100 parameters): a user in
 * 120 projects lists projects and repositories, searches, and reads the OCI catalog. The
 * reach goes to SQL as one JSON parameter (db/paging inIdList), never one per id.
 */
import { describe, expect, it } from "vitest";
import { createProject, createRepo, createUser, jsonOf, mintUserToken, req, setMember, unique } from "../helpers";
import { oci } from "../oci-helpers";

describe("a reach past 100 projects", () => {
  it("lists, searches and reads the catalog for a user in 120 projects", async () => {
    const user = await createUser();
    const mark = unique("reach").replace(/-/g, "");
    const repos: string[] = [];
    for (let i = 0; i < 120; i++) {
      const project = await createProject(`${mark}-${i}`);
      await setMember(project.id, "user", user.id, "reader");
      repos.push((await createRepo(project.id, "docker", { slug: `${mark}-images-${i}` })).id);
    }
    const { token } = await mintUserToken(user.id);

    let seen = 0;
    for (let cursor: string | null = null, page = 0; page < 10; page++) {
      const body: { items: unknown[]; next_cursor: string | null } = await jsonOf(await req(`/api/v1/projects?limit=100${cursor ? `&cursor=${cursor}` : ""}`, { token }), 200);
      seen += body.items.length;
      cursor = body.next_cursor;
      if (!cursor) break;
    }
    expect(seen).toBe(120);
    const listed = await jsonOf(await req("/api/v1/repos?limit=100", { token }), 200);
    expect(listed.items).toHaveLength(100);
    const found = await jsonOf(await req(`/api/v1/search?q=${mark}-images-119&kind=repo`, { token }), 200);
    expect(found.items[0]).toMatchObject({ kind: "repo", name: `${mark}-images-119`, repo_id: repos[119] });
    expect((await oci("/v2/_catalog", { auth: token })).status).toBe(200);
  });
});
