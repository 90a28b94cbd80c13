/**
 * /api/v1/repos/{id}/packages: the artifacts of every language format (npm, PyPI,
 * Maven, Cargo, Go, generic) with their versions and files, and version status
 * (yank/deprecate), and deletes (to the repository's trash). Names in the path are
 * URL-encoded (`%40scope%2Fname`).
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, jsonBody } from "./route";
import { Package, PackageVersion, PackageVersionPage, PackageVersionUpdate, PageQuery, idParam, pageOf, pathParam } from "./schemas";
import { packageOut, packageVersionOut, page } from "./serialize";
import * as artifacts from "../services/artifacts";
import * as lifecycle from "../services/lifecycle";
import * as trust from "../services/trust";
import { packageKeyOf } from "../formats";

const tags = ["Packages"];
export const packageRoutes = new OpenAPIHono<AppEnv>();

const RepoParam = idParam("repository");
const NameParam = RepoParam.extend({ name: pathParam("name", "Package name as published, URL-encoded (`%40scope%2Fname`)") });
const VersionParam = NameParam.extend({ version: pathParam("version", "The version, URL-encoded") });

packageRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/repos/{id}/packages",
    tags,
    summary: "List a repository's packages (`?search=` matches names)",
    request: { params: RepoParam, query: PageQuery.extend({ search: z.string().max(200).optional().describe("Only packages whose name contains this text (compared in the format's normalized form)") }) },
    responses: { 200: json(pageOf(Package, "PackagePage"), "A page of packages, oldest first") },
  }),
  async (c) => {
    const { search, cursor, limit } = c.req.valid("query");
    return c.json(page(await artifacts.listRepoPackages(c.var.scope, packageKeyOf, c.req.valid("param").id, search, cursor, limit), packageOut), 200);
  },
);

packageRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/repos/{id}/packages/{name}/versions",
    tags,
    summary: "List a package's versions with their files (name, size, digest, media type)",
    request: { params: NameParam, query: PageQuery },
    responses: { 200: json(PackageVersionPage, "The package and a page of its versions, oldest first") },
  }),
  async (c) => {
    const { id, name } = c.req.valid("param");
    const { cursor, limit } = c.req.valid("query");
    const result = await artifacts.listPackageVersions(c.var.scope, packageKeyOf, id, name, cursor, limit, (pkg) => trust.findingsSummaries(c.var.scope, id, "package", pkg.name));
    return c.json({ package: packageOut(result.package), ...page(result.page, (v) => ({ ...packageVersionOut(v), findings: result.alongside(v.version.version) })) }, 200);
  },
);

packageRoutes.openapi(
  apiRoute({
    method: "patch",
    path: "/repos/{id}/packages/{name}/versions/{version}",
    tags,
    summary: "Yank/unyank or (un)deprecate a version (write permission; audited)",
    request: { params: VersionParam, ...jsonBody(PackageVersionUpdate) },
    responses: { 200: json(PackageVersion, "The updated version") },
  }),
  async (c) => {
    const { id, name, version } = c.req.valid("param");
    const body = c.req.valid("json");
    const flags = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as { yanked?: string | null; deprecated?: string | null };
    const result = await artifacts.setVersionStatus(c.var.scope, packageKeyOf, id, name, version, flags);
    return c.json(packageVersionOut(result), 200);
  },
);

const Deleted = z
  .object({
    trash_id: z.string().describe("The trash entry it became: restore it with POST /repos/{id}/trash/{trash_id}/restore"),
    expires_at: z.string().describe("When the trash entry is purged unless restored; until then its bytes count toward the project's quota"),
  })
  .openapi("DeletedToTrash");
const deletedOut = (e: { id: string; expiresAt: number }) => ({ trash_id: e.id, expires_at: new Date(e.expiresAt).toISOString() });

packageRoutes.openapi(
  apiRoute({
    method: "delete",
    path: "/repos/{id}/packages/{name}",
    tags,
    summary: "Delete a package, every version (delete permission): it moves to the repository's trash",
    request: { params: NameParam },
    responses: { 200: json(Deleted, "In the trash") },
  }),
  async (c) => {
    const { id, name } = c.req.valid("param");
    return c.json(deletedOut(await lifecycle.deleteRepoPackage(c.var.scope, packageKeyOf, id, name)), 200);
  },
);

packageRoutes.openapi(
  apiRoute({
    method: "delete",
    path: "/repos/{id}/packages/{name}/versions/{version}",
    tags,
    summary: "Delete a version (delete permission): it moves to the repository's trash",
    request: { params: VersionParam },
    responses: { 200: json(Deleted, "In the trash") },
  }),
  async (c) => {
    const { id, name, version } = c.req.valid("param");
    return c.json(deletedOut(await lifecycle.deleteRepoVersion(c.var.scope, packageKeyOf, id, name, version)), 200);
  },
);
