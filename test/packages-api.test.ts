import { describe, expect, it } from "vitest";
import { ADMIN, createProject, createRepo, createServiceAccount, jsonOf, mintToken, projectWithToken, req } from "./helpers";
import { esc, publishBody } from "./npm-fixtures";
import { sdistTarGz } from "./pypi-fixtures";

const sha256Hex = async (b: Uint8Array) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", b))].map((x) => x.toString(16).padStart(2, "0")).join("");

async function npmPublish(base: string, token: string, name: string, version: string) {
  const { body, bytes } = await publishBody(name, version);
  await jsonOf(await req(`${base}/${esc(name)}`, { method: "PUT", token, json: body }), 201);
  return bytes;
}

async function pypiUpload(base: string, token: string, version: string) {
  const bytes = await sdistTarGz("Demo.Pkg", version);
  const form = new FormData();
  for (const [k, v] of Object.entries({ ":action": "file_upload", name: "Demo.Pkg", version, filetype: "sdist" })) form.append(k, v);
  form.append("content", new File([bytes], `demo_pkg-${version}.tar.gz`));
  const res = await req(`${base}/`, { method: "POST", body: form, token });
  expect(res.status, await res.text()).toBe(200);
  return bytes;
}

async function setupRepo(format: string, extra: Record<string, unknown> = {}) {
  const { project, token } = await projectWithToken("writer");
  const repo = await createRepo(project.id, format, extra);
  return { project, token, repo, base: `/${format}/${project.slug}/${repo.slug}` };
}

describe("package listing API", () => {
  it("lists packages with search and pagination, and versions with their files", async () => {
    const { token, repo, base } = await setupRepo("npm");
    const tgz = await npmPublish(base, token, "@s/alpha", "1.0.0");
    await npmPublish(base, token, "@s/alpha", "1.1.0");
    await npmPublish(base, token, "beta", "0.1.0");
    await npmPublish(base, token, "gamma-alpha", "2.0.0");

    const all = await jsonOf(await req(`/api/v1/repos/${repo.id}/packages`, { token }), 200);
    expect(all.items.map((p: any) => p.name)).toEqual(["@s/alpha", "beta", "gamma-alpha"]);
    expect(all.items[0]).toMatchObject({ repo_id: repo.id, key: "@s/alpha", description: "the @s/alpha package" });
    expect(all.next_cursor).toBeNull();

    const first = await jsonOf(await req(`/api/v1/repos/${repo.id}/packages?limit=2`, { token }), 200);
    expect(first.items).toHaveLength(2);
    const second = await jsonOf(await req(`/api/v1/repos/${repo.id}/packages?limit=2&cursor=${first.next_cursor}`, { token }), 200);
    expect(second.items.map((p: any) => p.name)).toEqual(["gamma-alpha"]);
    const found = await jsonOf(await req(`/api/v1/repos/${repo.id}/packages?search=alpha`, { token }), 200);
    expect(found.items.map((p: any) => p.name)).toEqual(["@s/alpha", "gamma-alpha"]);
    // Any case; `_` and `%` are text, not wildcards; a search of the longest length allowed is answered, not a 5xx (D1 refuses LIKE patterns past 50 bytes).
    expect((await jsonOf(await req(`/api/v1/repos/${repo.id}/packages?search=ALPHA`, { token }), 200)).items).toHaveLength(2);
    expect((await jsonOf(await req(`/api/v1/repos/${repo.id}/packages?search=%25`, { token }), 200)).items).toEqual([]);
    expect((await jsonOf(await req(`/api/v1/repos/${repo.id}/packages?search=${"a".repeat(200)}`, { token }), 200)).items).toEqual([]);
    expect((await req(`/api/v1/repos/${repo.id}/packages?cursor=garbage`, { token })).status).toBe(400);

    const versions = await jsonOf(await req(`/api/v1/repos/${repo.id}/packages/%40s%2Falpha/versions`, { token }), 200);
    expect(versions.package.name).toBe("@s/alpha");
    expect(versions.items.map((v: any) => v.version)).toEqual(["1.0.0", "1.1.0"]);
    expect(versions.items[0].files).toEqual([
      { id: expect.any(String), name: "alpha-1.0.0.tgz", size: tgz.length, digest: `sha256:${await sha256Hex(tgz)}`, media_type: "application/octet-stream", created_at: expect.any(String) },
    ]);
    const paged = await jsonOf(await req(`/api/v1/repos/${repo.id}/packages/%40s%2Falpha/versions?limit=1`, { token }), 200);
    expect(paged.items.map((v: any) => v.version)).toEqual(["1.0.0"]);
    expect(paged.next_cursor).toEqual(expect.any(String));
    expect((await req(`/api/v1/repos/${repo.id}/packages/nope/versions`, { token })).status).toBe(404);
  });

  it("finds PyPI projects by any spelling and yanks versions (audited, shown by the simple API)", async () => {
    const { project, token, repo, base } = await setupRepo("pypi");
    await pypiUpload(base, token, "1.0.0");
    await pypiUpload(base, token, "1.1.0");
    const versions = await jsonOf(await req(`/api/v1/repos/${repo.id}/packages/Demo_Pkg/versions`, { token }), 200);
    expect(versions.package).toMatchObject({ name: "Demo.Pkg", key: "demo-pkg" });
    expect((await jsonOf(await req(`/api/v1/repos/${repo.id}/packages?search=Demo.Pkg`, { token }), 200)).items).toHaveLength(1);

    const path = `/api/v1/repos/${repo.id}/packages/demo-pkg/versions/1.0.0`;
    const reader = await mintToken(project.id, (await createServiceAccount(project.id, "reader")).id);
    expect((await req(path, { method: "PATCH", token: reader, json: { yanked: "broken" } })).status).toBe(403);
    expect((await req(path, { method: "PATCH", json: { yanked: "broken" } })).status).toBe(401);
    expect((await req(`/api/v1/repos/${repo.id}/packages/demo-pkg/versions/9.9`, { method: "PATCH", token, json: { yanked: "x" } })).status).toBe(404);
    expect((await req(path, { method: "PATCH", token, json: { yanked: 5 } })).status).toBe(400);
    const yanked = await jsonOf(await req(path, { method: "PATCH", token, json: { yanked: "broken build" } }), 200);
    expect(yanked).toMatchObject({ version: "1.0.0", yanked: "broken build", deprecated: null });

    const simple = await jsonOf(await req(`${base}/simple/demo-pkg/`, { token, headers: { Accept: "application/vnd.pypi.simple.v1+json" } }), 200);
    expect(simple.files.map((f: any) => [f.filename, f.yanked])).toEqual([["demo_pkg-1.0.0.tar.gz", "broken build"], ["demo_pkg-1.1.0.tar.gz", false]]);
    expect(await (await req(`${base}/simple/demo-pkg/`, { token })).text()).toContain('data-yanked="broken build"');

    const audit = await jsonOf(await req(`/api/v1/audit?project_id=${project.id}&action=artifact.update`, { token: ADMIN }), 200);
    expect(audit.items[0]).toMatchObject({ resource_type: "version", before: { yanked: null }, after: { yanked: "broken build" } });

    await jsonOf(await req(path, { method: "PATCH", token, json: { yanked: null } }), 200);
    const after = await jsonOf(await req(`${base}/simple/demo-pkg/`, { token, headers: { Accept: "application/vnd.pypi.simple.v1+json" } }), 200);
    expect(after.files[0].yanked).toBe(false);
  });

  it("applies the auth matrix: 401 anonymous on private, 403 other project, public anonymous ok", async () => {
    const priv = await setupRepo("npm");
    await npmPublish(priv.base, priv.token, "secret", "1.0.0");
    for (const path of [`/api/v1/repos/${priv.repo.id}/packages`, `/api/v1/repos/${priv.repo.id}/packages/secret/versions`, `/api/v1/repos/${priv.repo.id}/client-setup`]) {
      const anon = await req(path);
      expect(anon.status, path).toBe(401);
      expect(anon.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect((await jsonOf(anon)).error.code).toBe("UnauthorizedCredentialsRequired");
      const other = await projectWithToken("reader");
      expect((await req(path, { token: other.token })).status, path).toBe(403);
    }
    expect((await req(`/api/v1/repos/no-such-repo/packages`, { token: priv.token })).status).toBe(404);
    expect((await req(`/api/v1/repos/no-such-repo/packages`)).status).toBe(401);

    const pub = await setupRepo("npm", { visibility: "public" });
    await npmPublish(pub.base, pub.token, "open", "1.0.0");
    expect((await jsonOf(await req(`/api/v1/repos/${pub.repo.id}/packages`), 200)).items).toHaveLength(1);
    expect((await jsonOf(await req(`/api/v1/repos/${pub.repo.id}/packages/open/versions`), 200)).items).toHaveLength(1);
    expect((await req(`/api/v1/repos/${pub.repo.id}/packages/open/versions/1.0.0`, { method: "PATCH", json: { yanked: "" } })).status).toBe(401);
  });
});

describe("client set-up API", () => {
  const FORMATS = ["docker", "helm", "npm", "pypi", "maven", "cargo", "go", "generic"];

  it("returns config files and commands for every format, never a real token", async () => {
    const project = await createProject();
    const out: Record<string, any> = {};
    for (const format of FORMATS) {
      const repo = await createRepo(project.id, format);
      const setup = await jsonOf(await req(`/api/v1/repos/${repo.id}/client-setup`, { token: ADMIN }), 200);
      expect(setup).toMatchObject({ repo_id: repo.id, format, anonymous_read: false, token_placeholder: "<TOKEN>" });
      expect(setup.sections.length).toBeGreaterThan(0);
      expect(JSON.stringify(setup)).not.toContain("test-admin-token");
      out[format] = { ...setup, text: JSON.stringify(setup), p: project.slug, r: repo.slug };
    }
    const file = (f: string, name: string) => out[f].sections.find((s: any) => s.filename === name)?.content as string;
    const cmds = (f: string) => out[f].sections.flatMap((s: any) => s.commands) as string[];
    const { p } = out.npm;

    expect(out.docker.registry_url).toBe(`registry.test/${p}/${out.docker.r}`);
    expect(cmds("docker")).toContain(`echo <TOKEN> | docker login registry.test --username token --password-stdin`);
    expect(cmds("docker")).toContain(`docker push registry.test/${p}/${out.docker.r}/my-image:1.0.0`);
    expect(cmds("docker").some((c) => c.includes("--tls-verify=false"))).toBe(true);
    expect(file("docker", "/etc/docker/daemon.json")).toContain('"insecure-registries"');
    expect(cmds("helm")).toContain(`helm push my-chart-1.0.0.tgz oci://registry.test/${p}/${out.helm.r} --plain-http`);

    expect(file("npm", ".npmrc")).toBe(`registry=http://registry.test/npm/${p}/${out.npm.r}/\n//registry.test/npm/${p}/${out.npm.r}/:_authToken=<TOKEN>\n`);
    expect(cmds("npm")).toContain("npm publish");
    expect(file("pypi", "~/.pypirc")).toContain(`repository = http://registry.test/pypi/${p}/${out.pypi.r}/\nusername = __token__\npassword = <TOKEN>`);
    expect(file("pypi", "~/.config/pip/pip.conf")).toBe(`[global]\nindex-url = http://__token__:<TOKEN>@registry.test/pypi/${p}/${out.pypi.r}/simple/\n`);
    expect(file("maven", "~/.m2/settings.xml")).toContain(`<url>http://registry.test/maven/${p}/${out.maven.r}/</url>`);
    expect(file("maven", "pom.xml")).toContain("<distributionManagement>");
    expect(cmds("maven")).toContain("mvn deploy");
    expect(file("cargo", "~/.cargo/config.toml")).toContain(`index = "sparse+http://registry.test/cargo/${p}/${out.cargo.r}/index/"`);
    expect(cmds("cargo")).toContain(`cargo publish --registry orbitalreg-${out.cargo.r}`);
    expect(cmds("go")).toContain(`go env -w GOPROXY=http://token:<TOKEN>@registry.test/go/${p}/${out.go.r}`);
    expect(cmds("go").some((c) => c.includes("@v/v1.0.0.zip"))).toBe(true);
    expect(cmds("generic").some((c) => c.startsWith("curl -f -H \"Authorization: Bearer <TOKEN>\"") && c.includes(`/generic/${p}/${out.generic.r}/`))).toBe(true);
  });

  it("fills in the artifact and version asked for, and drops credentials for public reads", async () => {
    const { repo } = await setupRepo("pypi", { visibility: "public" });
    const setup = await jsonOf(await req(`/api/v1/repos/${repo.id}/client-setup?artifact=requests&version=2.31.0`), 200);
    expect(setup.anonymous_read).toBe(true);
    const pip = setup.sections.find((s: any) => s.id === "pip");
    expect(pip.content).not.toContain("<TOKEN>");
    expect(pip.commands).toContain("pip install requests==2.31.0");
  });

  it("is described in the OpenAPI document", async () => {
    const doc = await jsonOf(await req("/api/openapi.json"), 200);
    for (const path of ["/api/v1/repos/{id}/packages", "/api/v1/repos/{id}/packages/{name}/versions", "/api/v1/repos/{id}/packages/{name}/versions/{version}", "/api/v1/repos/{id}/client-setup"]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.components.schemas.ClientSetup).toBeDefined();
    expect(doc.components.schemas.PackageVersion).toBeDefined();
  });
});
