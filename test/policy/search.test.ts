/**
 * Global search: trigram matches (substrings, typos) over projects, repositories,
 * packages and their descriptions, versions, images and tags; only what the caller may
 * read; kept in step with writes by the migration's triggers.
 */
import { describe, expect, it } from "vitest";
import { ADMIN, createProject, createRepo, createServiceAccount, expectError, jsonOf, mintToken, req, unique } from "../helpers";
import { pushImage } from "../oci-helpers";
import { basicAuth, call, cargoPublish, npmPublish, ok, pypiUpload, repoOf, type Where } from "./publish";
import { buildChart } from "../support/archives";
import { catalogRepo, published, server } from "../support/mcp";
import searchIndexSql from "../../scripts/search-index.sql?raw";

// The one migration that creates search_docs, whatever its number after a rebase.
const migrations = import.meta.glob<string>("../../migrations/*.sql", { query: "?raw", import: "default", eager: true });
const creating = Object.entries(migrations).filter(([, sql]) => sql.includes("CREATE TABLE `search_docs`"));

const find = async (q: string, token: string | null, extra = "") => jsonOf(await req(`/api/v1/search?q=${encodeURIComponent(q)}${extra}`, { token }), 200);
const names = (r: { items: { name: string }[] }) => r.items.map((i) => i.name);

describe("search", () => {
  it("is built by the migration's hand-written part (scripts/search-index.sql), kept whole", () => {
    expect(creating.map(([path]) => path)).toHaveLength(1);
    expect(creating[0]![1]).toContain(searchIndexSql.trim());
  });

  it("finds packages by substring, typo and description, and only what the caller may read", async () => {
    const tag = unique("zq").replace(/-/g, "");
    const pub = await repoOf("npm", { visibility: "public" });
    const priv: Where = { ...pub, repo: await createRepo(pub.project.id, "npm") };
    await ok((await npmPublish(pub, `${tag}-left-pad`, "1.0.0", { description: "Pads strings on the left" })).res);
    await ok((await npmPublish(priv, `${tag}-left-pad-private`, "1.0.0")).res);
    const other = await createProject();
    const stranger = await mintToken(other.id, (await createServiceAccount(other.id, "admin")).id);

    expect(names(await find(`${tag}-left-pad`, null))).toEqual([`${tag}-left-pad`, `${tag}-left-pad@1.0.0`]);
    expect(names(await find(`${tag}-left-pad`, stranger))).toEqual([`${tag}-left-pad`, `${tag}-left-pad@1.0.0`]);
    const mine = names(await find(`${tag}-left-pad`, pub.token));
    expect(mine).toEqual(expect.arrayContaining([`${tag}-left-pad`, `${tag}-left-pad-private`, `${tag}-left-pad-private@1.0.0`]));
    expect(names(await find(`${tag}-left-pda`, null))[0]).toBe(`${tag}-left-pad`); // a typo
    const byDescription = await find(`${tag} strings on the left`, null, "&kind=package");
    expect(byDescription.items[0]).toMatchObject({ kind: "package", name: `${tag}-left-pad`, description: expect.stringContaining("Pads strings"), repo_id: pub.repo.id, project_slug: pub.project.slug, format: "npm" });
    const versions = await find(`${tag}-left-pad`, pub.token, "&kind=version&kind=repo");
    expect(versions.items.every((i: { kind: string }) => i.kind === "version")).toBe(true);
    const firstPage = await find(`${tag}-left-pad`, pub.token, "&limit=1");
    expect(firstPage.items).toHaveLength(1);
    const second = await find(`${tag}-left-pad`, pub.token, `&limit=1&cursor=${firstPage.next_cursor}`);
    expect(second.items[0].name).not.toBe(firstPage.items[0].name);
  });

  it("finds projects, repositories, images and tags, and forgets what is deleted", async () => {
    const tag = unique("zq").replace(/-/g, "");
    const project = await jsonOf(await req("/api/v1/projects", { method: "POST", token: ADMIN, json: { slug: `${tag}-platform`, description: "The platform team's artifacts" } }), 201);
    const repo = await createRepo(project.id, "docker", { slug: `${tag}-images`, description: "container images" });
    const sa = await createServiceAccount(project.id, "writer");
    const token = await mintToken(project.id, sa.id);
    await pushImage(`${project.slug}/${repo.slug}/${tag}-gateway`, token, "v1.2", 51);
    const hits = await find(`${tag}-gateway`, token, "&kind=image&kind=tag");
    expect(hits.items.map((i: { kind: string; name: string }) => `${i.kind} ${i.name}`)).toEqual([`image ${tag}-gateway`, `tag ${tag}-gateway:v1.2`]);
    expect((await find(`${tag} platform team`, ADMIN)).items[0]).toMatchObject({ kind: "project", name: `${tag}-platform` });
    expect(names(await find(`${tag}-gateway`, null, "&kind=image&kind=tag"))).toEqual([]); // a private repository
    expect(names(await find(`${tag}-images`, ADMIN, "&kind=repo"))).toEqual([`${tag}-images`]);
    expect((await req(`/api/v1/repos/${repo.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect(names(await find(`${tag}-gateway`, ADMIN, "&kind=image&kind=tag"))).toEqual([]);
    expect(names(await find(`${tag}-images`, ADMIN, "&kind=repo"))).toEqual([]);
  });

  it("finds packages by their keywords: npm's, PyPI's and Helm's, Cargo's keywords and categories, an MCP server's tools and tags", async () => {
    // Keywords that share no trigram with anything else here, so each finds exactly its package.
    const word = () => Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => "abcdefghijklmnopqrstuvwxyz"[b % 26]).join("");
    const [npmWord, pypiWord, crateWord, categoryWord, chartWord, toolWord, tagWord, laterWord] = [word(), word(), word(), word(), word(), word(), word(), word()];
    const tag = unique("kw").replace(/-/g, "");
    const npm = await repoOf("npm");
    await ok((await npmPublish(npm, `${tag}-pad`, "1.0.0", { keywords: [npmWord, "padding"] })).res);
    const pypi = await repoOf("pypi");
    await ok((await pypiUpload(pypi, `${tag}-colours`, "1.0.0", { keywords: `${pypiWord}, ansi` })).res);
    const cargo = await repoOf("cargo");
    await ok((await cargoPublish(cargo, `${tag}-serde`, "1.0.0", { keywords: [crateWord], categories: [categoryWord] })).res);
    const helm = await repoOf("helm-classic");
    const chartYaml = `apiVersion: v2\nname: ${tag}-web\nversion: 1.0.0\ndescription: a chart\nkeywords:\n  - ${chartWord}\n`;
    const chart = await buildChart({ name: `${tag}-web`, version: "1.0.0", chartYaml });
    await ok(await call(`/helm/${helm.project.slug}/${helm.repo.slug}/api/charts`, basicAuth(helm.token), { method: "POST", body: chart }));
    const mcp = await catalogRepo();
    const toolhive = (meta: Record<string, string[]>) => ({ _meta: { "io.modelcontextprotocol.registry/publisher-provided": meta } });
    await published(mcp, server(`io.example/${tag}-weather`, "1.0.0", toolhive({ tools: [`get_${toolWord}`], tags: [tagWord] })));

    const packagesFound = async (q: string) => names(await find(q, ADMIN, "&kind=package"));
    expect(await packagesFound(npmWord)).toEqual([`${tag}-pad`]);
    expect(await packagesFound(pypiWord)).toEqual([`${tag}-colours`]);
    expect(await packagesFound(crateWord)).toEqual([`${tag}-serde`]);
    expect(await packagesFound(categoryWord)).toEqual([`${tag}-serde`]);
    expect(await packagesFound(chartWord)).toEqual([`${tag}-web`]);
    expect(await packagesFound(`get_${toolWord}`)).toEqual([`io.example/${tag}-weather`]);
    expect(await packagesFound(tagWord)).toEqual([`io.example/${tag}-weather`]);
    expect((await find(tagWord, ADMIN, "&kind=package")).items[0]).toMatchObject({ format: "mcp", description: expect.stringContaining(`get_${toolWord}`) });

    // A later version's keywords replace the package's: the old ones no longer find it.
    await published(mcp, server(`io.example/${tag}-weather`, "1.1.0", toolhive({ tools: [laterWord] })));
    expect(await packagesFound(laterWord)).toEqual([`io.example/${tag}-weather`]);
    expect(await packagesFound(tagWord)).toEqual([]);
  });

  it("refuses a query shorter than two characters", async () => {
    await expectError(await req("/api/v1/search?q=a", { token: ADMIN }), 400, "InvalidRequest");
    await expectError(await req(`/api/v1/search?q=${encodeURIComponent(" a ")}`, { token: ADMIN }), 400, "InvalidSearchQuery");
    // Anonymous and invalid: credentials come first (api/route.ts), as on every API route.
    await expectError(await req("/api/v1/search?q=a"), 401, "UnauthorizedCredentialsRequired");
  });
});
