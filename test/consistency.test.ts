/**
 * D1 read replication (http/consistency.ts): every request runs in one D1 session —
 * reads on any replica, writes on the primary, a bookmark honoured — and answers with
 * the session's bookmark. Locally (miniflare) there is one database, so what can be
 * checked is the session each request asks for and the bookmark round trip.
 */
import { env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN, createProject, req } from "./helpers";

const sessions = () => {
  const spy = vi.spyOn(env.DB, "withSession");
  return { starts: () => spy.mock.calls.map(([start]) => start) };
};
afterEach(() => vi.restoreAllMocks());

describe("D1 sessions", () => {
  it("reads from any replica, writes at the primary, and answers with a bookmark", async () => {
    const s = sessions();
    const read = await req("/api/public-config");
    expect(read.status).toBe(200);
    const write = await req("/api/v1/projects", { method: "POST", token: ADMIN, json: { slug: `c${Date.now().toString(36)}` } });
    expect(write.status).toBe(201);
    expect(s.starts()).toEqual(["first-unconstrained", "first-primary"]);
    expect(write.headers.get("x-orbitalreg-bookmark")).toMatch(/^[0-9a-f-]{16,}$/);
  });

  it("honours a bookmark from the header, so a client reads its own write; ignores a malformed one", async () => {
    const project = await createProject();
    const write = await req(`/api/v1/projects/${project.id}`, { method: "PATCH", token: ADMIN, json: { description: "after" } });
    expect(write.status).toBe(200);
    const bookmark = write.headers.get("x-orbitalreg-bookmark")!;
    const s = sessions();
    const read = await req(`/api/v1/projects/${project.id}`, { token: ADMIN, headers: { "X-Orbitalreg-Bookmark": bookmark } });
    expect((await read.json<{ description: string }>()).description).toBe("after");
    expect(s.starts()).toEqual([bookmark]);
    const odd = await req("/api/public-config", { headers: { "X-Orbitalreg-Bookmark": "not a bookmark!" } });
    expect(odd.status).toBe(200);
    expect(s.starts()).toEqual([bookmark, "first-unconstrained"]);
  });

  it("gives a browser the bookmark of its write as a cookie and reads with it on the next page", async () => {
    const write = await SELF.fetch("http://localhost/api/v1/projects", {
      method: "POST",
      headers: { Authorization: `Bearer ${ADMIN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ slug: `k${Date.now().toString(36)}` }),
    });
    expect(write.status).toBe(201);
    const cookie = write.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^orbitalreg_bookmark=[0-9a-f-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=300$/);
    const s = sessions();
    await SELF.fetch("http://localhost/api/public-config", { headers: { Cookie: cookie.split(";")[0]! } });
    expect(s.starts()).toEqual([cookie.split(";")[0]!.split("=")[1]]);
  });
});
