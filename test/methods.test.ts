/**
 * A method no route takes on a path that exists answers 405 with `Allow`, in the
 * protocol's own error format; a path that does not exist stays 404.
 */
import { describe, expect, it } from "vitest";
import { ADMIN, createProject, createRepo, expectError, jsonOf, req } from "./helpers";

describe("methods not allowed", () => {
  it("answers 405 with Allow on governance paths, 404 where no route exists", async () => {
    for (const method of ["TRACE", "PROPFIND", "PATCH"]) {
      const res = await req("/api/v1/projects", { method, token: ADMIN });
      await expectError(res, 405, "MethodNotAllowed");
      expect(res.headers.get("allow")).toBe("GET, HEAD, POST");
    }
    const byId = await req("/api/v1/repos/some-id", { method: "PUT", token: ADMIN });
    await expectError(byId, 405, "MethodNotAllowed");
    expect(byId.headers.get("allow")).toBe("DELETE, GET, HEAD, PATCH");
    await expectError(await req("/api/v1/no-such-thing", { method: "TRACE", token: ADMIN }), 404, "NotFoundRoute");
  });

  it("answers 405 with Allow in each protocol's own format", async () => {
    const project = await createProject();
    const generic = await createRepo(project.id, "generic");
    const g = await req(`/generic/${project.slug}/${generic.slug}/dir/file.bin`, { method: "POST", token: ADMIN, body: "x" });
    expect(g.status).toBe(405);
    expect(g.headers.get("allow")).toBe("DELETE, GET, HEAD, PUT");
    expect(g.headers.get("content-type")).toMatch(/^text\/plain/);

    const npm = await createRepo(project.id, "npm");
    const n = await req(`/npm/${project.slug}/${npm.slug}/-/package/left-pad/dist-tags/latest`, { method: "POST", token: ADMIN });
    expect(n.status).toBe(405);
    expect(n.headers.get("allow")).toBe("DELETE, PUT");
    expect((await jsonOf(n)).error).toMatch(/not supported/);

    const pypi = await createRepo(project.id, "pypi");
    const p = await req(`/pypi/${project.slug}/${pypi.slug}/simple/`, { method: "DELETE", token: ADMIN });
    expect(p.status).toBe(405);
    expect(p.headers.get("allow")).toBe("GET, HEAD");

    const oci = await req(`/v2/${project.slug}/img/tags/list`, { method: "POST", token: ADMIN });
    expect(oci.status).toBe(405);
    expect((await jsonOf(oci)).errors[0].code).toBe("UNSUPPORTED");
  });
});
