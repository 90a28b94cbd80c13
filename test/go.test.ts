import { describe, expect, it } from "vitest";
import { ADMIN, createRepo, createServiceAccount, jsonOf, mintToken, projectWithToken, req } from "./helpers";
import { buildZip, zip } from "./zip-builder";

const MOD = "example.com/Team/lib";
const ESC = "example.com/!team/lib";

async function goRepo(visibility = "private") {
  const { project, token } = await projectWithToken("writer");
  const repo = await createRepo(project.id, "go", { visibility });
  const base = `/go/${project.slug}/${repo.slug}`;
  return { project, repo, token, base };
}

const moduleZip = (version: string, files: Record<string, string> = {}, module = MOD) =>
  buildZip({ [`${module}@${version}/go.mod`]: `module ${module}\n\ngo 1.19\n`, [`${module}@${version}/lib.go`]: "package lib\n", ...files }, { deflate: true });

describe("GOPROXY", () => {
  it("uploads zips and serves list, info, mod, zip and latest with case-escaped paths", async () => {
    const { base, token } = await goRepo();
    const z1 = await moduleZip("v1.0.0");
    expect(await jsonOf(await req(`${base}/${ESC}/@v/v1.0.0.zip`, { method: "PUT", token, body: z1 }), 201)).toEqual({ module: MOD, version: "v1.0.0", file: "zip" });
    await jsonOf(await req(`${base}/${ESC}/@v/v1.2.0-rc.1.zip`, { method: "PUT", token, body: await moduleZip("v1.2.0-rc.1") }), 201);
    await jsonOf(await req(`${base}/${ESC}/@v/v1.1.0.zip`, { method: "PUT", token, body: await moduleZip("v1.1.0") }), 201);
    // the same bytes again: idempotent
    expect((await req(`${base}/${ESC}/@v/v1.0.0.zip`, { method: "PUT", token, body: z1 })).status).toBe(200);

    const list = await req(`${base}/${ESC}/@v/list`, { token });
    expect((await list.text()).trim().split("\n").sort()).toEqual(["v1.0.0", "v1.1.0", "v1.2.0-rc.1"]);
    const info = await jsonOf(await req(`${base}/${ESC}/@v/v1.0.0.info`, { token }), 200);
    expect(info.Version).toBe("v1.0.0");
    expect(new Date(info.Time).toISOString()).toBe(info.Time);
    expect((await jsonOf(await req(`${base}/${ESC}/@latest`, { token }), 200)).Version).toBe("v1.1.0");
    expect(await (await req(`${base}/${ESC}/@v/v1.0.0.mod`, { token })).text()).toBe(`module ${MOD}\n\ngo 1.19\n`);
    const zip = await req(`${base}/${ESC}/@v/v1.0.0.zip`, { token });
    expect(zip.headers.get("content-type")).toBe("application/zip");
    expect(new Uint8Array(await zip.arrayBuffer())).toEqual(z1);
    // the go command percent-encodes '!'
    expect((await req(`${base}/example.com/%21team/lib/@v/v1.0.0.info`, { token })).status).toBe(200);
  });

  it("answers 404 for unknown modules, versions, parent-path probes and non-proxy paths", async () => {
    const { base, token } = await goRepo();
    await req(`${base}/${ESC}/@v/v1.0.0.zip`, { method: "PUT", token, body: await moduleZip("v1.0.0") });
    for (const p of [`${ESC}/@v/v9.9.9.info`, `${ESC}/@v/v9.9.9.zip`, "example.com/!team/@v/v1.0.0.info", "example.com/@v/list", `${ESC}/x/@latest`, "example.com/Team/lib/@v/list", "random"]) {
      expect((await req(`${base}/${p}`, { token })).status, p).toBe(404);
    }
  });

  it("accepts a .mod before the zip, requires them to match, and hides a version with no zip", async () => {
    const { base, token } = await goRepo();
    const mod = `module ${MOD}\n\ngo 1.19\n`;
    expect((await req(`${base}/${ESC}/@v/v1.0.0.mod`, { method: "PUT", token, body: mod })).status).toBe(201);
    expect((await req(`${base}/${ESC}/@v/v1.0.0.info`, { token })).status).toBe(404);
    expect((await req(`${base}/${ESC}/@v/list`, { token })).status).toBe(404);
    const otherMod = await moduleZip("v1.0.0", { [`${MOD}@v1.0.0/go.mod`]: `module ${MOD}\n\ngo 1.20\n` });
    expect((await req(`${base}/${ESC}/@v/v1.0.0.zip`, { method: "PUT", token, body: otherMod })).status).toBe(409);
    expect((await req(`${base}/${ESC}/@v/v1.0.0.zip`, { method: "PUT", token, body: await moduleZip("v1.0.0") })).status).toBe(201);
    expect((await req(`${base}/${ESC}/@v/v1.0.0.mod`, { method: "PUT", token, body: mod })).status).toBe(200);
    expect((await req(`${base}/${ESC}/@v/v1.0.0.mod`, { method: "PUT", token, body: mod + "\n" })).status).toBe(409);
    // a release never changes
    expect((await req(`${base}/${ESC}/@v/v1.0.0.zip`, { method: "PUT", token, body: await moduleZip("v1.0.0", { [`${MOD}@v1.0.0/new.go`]: "package lib" }) })).status).toBe(409);
  });

  it("synthesizes the .mod of a zip without go.mod", async () => {
    const { base, token } = await goRepo();
    const z = await buildZip({ [`${MOD}@v1.0.0/lib.go`]: "package lib\n" });
    expect((await req(`${base}/${ESC}/@v/v1.0.0.zip`, { method: "PUT", token, body: z })).status).toBe(201);
    expect(await (await req(`${base}/${ESC}/@v/v1.0.0.mod`, { token })).text()).toBe(`module ${MOD}\n`);
  });

  it("refuses invalid zips, versions and module paths", async () => {
    const { base, token } = await goRepo();
    const put = (path: string, body: BodyInit) => req(`${base}/${path}`, { method: "PUT", token, body });
    const msg = async (res: Response, status: number) => (expect(res.status).toBe(status), res.text());
    expect(await msg(await put(`${ESC}/@v/v1.0.0.zip`, "not a zip at all, clearly"), 400)).toMatch(/not a valid zip/);
    expect(await msg(await put(`${ESC}/@v/v1.0.0.zip`, await moduleZip("v1.0.1")), 400)).toMatch(/does not have prefix/);
    expect(await msg(await put(`${ESC}/@v/v1.0.0.zip`, await moduleZip("v1.0.0", { [`${MOD}@v1.0.0/../evil`]: "x" })), 400)).toMatch(/not clean/);
    expect(await msg(await put(`${ESC}/@v/v1.0.0.zip`, await moduleZip("v1.0.0", { [`${MOD}@v1.0.0/go.mod`]: "module example.com/other\n" })), 400)).toMatch(/declares module example.com\/other/);
    expect(await msg(await put(`${ESC}/@v/1.0.0.zip`, await moduleZip("1.0.0")), 400)).toMatch(/canonical/);
    expect(await msg(await put(`${ESC}/@v/v2.0.0.zip`, await moduleZip("v2.0.0")), 400)).toMatch(/\/v2 suffix/);
    expect(await msg(await put(`${ESC}/@v/v1.0.0.mod`, "module example.com/wrong\n"), 400)).toMatch(/declares/);
    expect((await put(`${ESC}/@v/list`, "x")).status).toBe(400);
    expect((await put(`${ESC}/@v/v1.0.0.mod`, `module ${MOD}\n${"// pad\n".repeat(2_500_000)}`)).status).toBe(413);
    expect((await req(`${base}/${ESC}/@v/v1.0.0.info`, { token })).status).toBe(404);
  });

  it("applies the module zip rules in full, naming the offending path, and keeps nothing of a refused zip", async () => {
    const { project, base, token } = await goRepo();
    const quota = async () => (await jsonOf(await req(`/api/v1/projects/${project.id}/quota`, { token: ADMIN }), 200)).usage;
    const before = await quota();
    const put = (body: Uint8Array) => req(`${base}/${ESC}/@v/v1.0.0.zip`, { method: "PUT", token, body });
    const p = `${MOD}@v1.0.0/`;
    const cases: [string, Uint8Array, string][] = [
      ["a NUL byte", await moduleZip("v1.0.0", { [`${p}a\u0000b.go`]: "package lib\n" }), `"${p}a\\u0000b.go": invalid char "\\u0000"`],
      ["a Windows device name", await moduleZip("v1.0.0", { [`${p}aux.go`]: "package lib\n" }), `"${p}aux.go": "aux" disallowed as path element component on Windows`],
      ["a case-fold collision", await moduleZip("v1.0.0", { [`${p}Lib.go`]: "package lib\n" }), `case-insensitive file name collision: "lib.go" and "Lib.go"`],
      ["a file that is a directory", await moduleZip("v1.0.0", { [`${p}x`]: "", [`${p}x/y.go`]: "package y\n" }), `entry "x" is both a file and a directory`],
      ["a vendored package", await moduleZip("v1.0.0", { [`${p}vendor/example.org/dep/dep.go`]: "package dep\n" }), `"${p}vendor/example.org/dep/dep.go": file is in a vendored package`],
      ["a nested go.mod", await moduleZip("v1.0.0", { [`${p}sub/go.mod`]: "module example.com/Team/lib/sub\n" }), "go.mod file not in module root directory"],
    ];
    for (const [what, body, why] of cases) {
      const res = await put(body);
      expect(res.status, what).toBe(400);
      expect(await res.text(), what).toContain(why);
    }
    expect((await req(`${base}/${ESC}/@v/list`, { token })).status).toBe(404);
    expect(await quota()).toEqual(before);
    // Directory entries (as `zip -r` writes them) are fine, as they are for the go command.
    const withDirs = await zip([
      { name: p, data: "" },
      { name: `${p}go.mod`, data: `module ${MOD}\n` },
      { name: `${p}sub/`, data: "" },
      { name: `${p}sub/sub.go`, data: "package sub\n" },
    ]);
    expect((await put(withDirs)).status).toBe(201);
  });

  it("gates access: anonymous 401 with Basic on private repos, public reads, no anonymous or reader pushes", async () => {
    const priv = await goRepo();
    const anon = await req(`${priv.base}/${ESC}/@v/list`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toMatch(/^Basic/);
    const other = await projectWithToken("admin");
    expect((await req(`${priv.base}/${ESC}/@v/v1.0.0.zip`, { method: "PUT", token: other.token, body: await moduleZip("v1.0.0") })).status).toBe(403);

    const pub = await goRepo("public");
    await req(`${pub.base}/${ESC}/@v/v1.0.0.zip`, { method: "PUT", token: pub.token, body: await moduleZip("v1.0.0") });
    expect((await req(`${pub.base}/${ESC}/@v/list`)).status).toBe(200);
    expect((await req(`${pub.base}/${ESC}/@v/v1.1.0.zip`, { method: "PUT", body: await moduleZip("v1.1.0") })).status).toBe(401);
    const reader = await createServiceAccount(pub.project.id, "reader");
    const readerToken = await mintToken(pub.project.id, reader.id);
    expect((await req(`${pub.base}/${ESC}/@v/v1.1.0.zip`, { method: "PUT", token: readerToken, body: await moduleZip("v1.1.0") })).status).toBe(403);
  });
});
