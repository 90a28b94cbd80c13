/**
 * A user's own tokens and stars (/api/v1/user/…): minted tokens never exceed the
 * minting credential's scopes, only one's own tokens are visible and revocable, stars
 * need read access and disappear from the list when access goes.
 */
import { describe, expect, it } from "vitest";
import { ADMIN, audit, createProject, createRepo, createUser, expectError, jsonOf, mintUserToken, req, setMember } from "../helpers";

const v1 = (p: string) => `/api/v1${p}`;

describe("my tokens", () => {
  it("mints, lists and revokes my own tokens, within my credential's scopes", async () => {
    const user = await createUser();
    const full = (await mintUserToken(user.id)).token;
    const readOnly = (await mintUserToken(user.id, { scopes: ["read"] })).token;
    const minted = await jsonOf(await req(v1("/user/apptoken"), { method: "POST", token: full, json: { name: "laptop", scopes: ["read", "write"], expires_in: 3600 } }), 201);
    expect(minted).toMatchObject({ name: "laptop", principal_type: "user", principal_id: user.id, scopes: ["read", "write"], token: expect.stringMatching(/^orbu_/) });
    expect((await jsonOf(await req(v1("/user"), { token: minted.token }), 200)).id).toBe(user.id);
    await expectError(await req(v1("/user/apptoken"), { method: "POST", token: readOnly, json: { name: "wider", scopes: ["read", "write"] } }), 403, "ForbiddenTokenScopes");
    // Without scopes, a token minted by a narrowed credential inherits its narrowing.
    expect((await jsonOf(await req(v1("/user/apptoken"), { method: "POST", token: readOnly, json: { name: "same" } }), 201)).scopes).toEqual(["read"]);
    const list = await jsonOf(await req(v1("/user/apptoken"), { token: full }), 200);
    expect(list.items.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(["laptop", "same"]));
    expect(JSON.stringify(list)).not.toMatch(/token_hash|orbu_[A-Za-z0-9_-]{20}/);
    // Someone else's token is not mine: 404, and it keeps working.
    const other = await createUser();
    const theirs = await mintUserToken(other.id);
    await expectError(await req(v1(`/user/apptoken/${theirs.id}`), { method: "DELETE", token: full }), 404, "NotFoundToken");
    expect((await req(v1("/user"), { token: theirs.token })).status).toBe(200);
    expect((await req(v1(`/user/apptoken/${minted.id}`), { method: "DELETE", token: full })).status).toBe(204);
    await expectError(await req(v1("/user"), { token: minted.token }), 401, "UnauthorizedInvalidToken");
    expect((await audit({ resource_id: minted.id })).map((e) => e.action)).toEqual(["token.create", "token.revoke"]);
  });
});

describe("stars", () => {
  it("need read access and show only repos still readable", async () => {
    const user = await createUser();
    const token = (await mintUserToken(user.id)).token;
    const project = await createProject();
    const repo = await createRepo(project.id, "npm");
    await expectError(await req(v1("/user/starred"), { method: "POST", token, json: { repo_id: repo.id } }), 403, "ForbiddenInsufficientPermissions");
    await setMember(project.id, "user", user.id, "reader");
    expect((await req(v1("/user/starred"), { method: "POST", token, json: { repo_id: repo.id } })).status).toBe(201);
    expect((await jsonOf(await req(v1("/user/starred"), { token }), 200)).items.map((s: any) => s.repo.id)).toEqual([repo.id]);
    expect((await req(v1(`/projects/${project.id}/members/user/${user.id}`), { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect((await jsonOf(await req(v1("/user/starred"), { token }), 200)).items).toEqual([]);
    expect((await req(v1(`/user/starred/${repo.id}`), { method: "DELETE", token })).status).toBe(204);
  });
});
