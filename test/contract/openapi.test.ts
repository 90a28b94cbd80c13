/// <reference types="vite/client" />
// The served OpenAPI document is complete enough for generated clients and for
// `npm run lint:openapi` (Redocly, 0 errors and 0 warnings): every operation has a
// unique camelCase operationId, its security and a 4xx answer; every parameter and
// schema property has a description; the error codes are enumerated.
import { describe, expect, it } from "vitest";
import { ERROR_CODE_LIST } from "../../src/core/error-codes";
import { operationIdOf } from "../../src/api/route";
import { jsonOf, req } from "../helpers";
import pkg from "../../package.json";
import licenceText from "../../LICENSE?raw";

type Schema = Record<string, any>;

/** Every property (and parameter) without a description, as `where.path`. */
function undescribed(doc: Schema): string[] {
  const missing: string[] = [];
  const walk = (s: Schema | undefined, where: string) => {
    if (!s || typeof s !== "object" || s.$ref) return;
    for (const [name, prop] of Object.entries<Schema>(s.properties ?? {})) {
      if (!prop.$ref && !prop.description) missing.push(`${where}.${name}`);
      walk(prop, `${where}.${name}`);
    }
    for (const key of ["items", "additionalProperties"]) if (typeof s[key] === "object") walk(s[key], `${where}[]`);
    for (const key of ["anyOf", "oneOf", "allOf"]) for (const x of s[key] ?? []) walk(x, where);
  };
  for (const [name, s] of Object.entries<Schema>(doc.components?.schemas ?? {})) walk(s, name);
  for (const [path, ops] of Object.entries<Schema>(doc.paths)) {
    for (const [method, op] of Object.entries<Schema>(ops)) {
      for (const p of op.parameters ?? []) if (!p.description) missing.push(`${method} ${path} parameter ${p.name}`);
      for (const c of Object.values<Schema>(op.requestBody?.content ?? {})) walk(c.schema, `${method} ${path} body`);
      for (const [status, r] of Object.entries<Schema>(op.responses)) for (const c of Object.values<Schema>(r.content ?? {})) walk(c.schema, `${method} ${path} ${status}`);
    }
  }
  return missing;
}

describe("OpenAPI document", async () => {
  const doc = await jsonOf(await req("/api/openapi.json"), 200);
  const operations = Object.entries<Schema>(doc.paths).flatMap(([path, ops]) => Object.entries<Schema>(ops).map(([method, op]) => ({ path, method, op })));

  it("declares the licence the repository ships (LICENSE, package.json and info.license agree)", () => {
    expect(pkg.license).toBe("Apache-2.0");
    expect(doc.info.license).toEqual({ name: pkg.license, url: "https://www.apache.org/licenses/LICENSE-2.0" });
    expect(licenceText).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
  });

  it("names every operation with a unique camelCase operationId", () => {
    const ids = operations.map((o) => o.op.operationId);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z0-9]+$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(["listProjects", "createProject", "getProject", "listRepoPackageVersions", "pingWebhook", "listAuditEntries", "exchangeOidcToken"]));
  });

  it("derives operationIds from method and path", () => {
    expect(operationIdOf("get", "/api/v1/projects")).toBe("listProjects");
    expect(operationIdOf("post", "/api/v1/projects")).toBe("createProject");
    expect(operationIdOf("delete", "/api/v1/projects/{id}/members/{type}/{principal}")).toBe("deleteProjectMember");
    expect(operationIdOf("post", "/api/v1/repos/{id}/tags/{tag}/restore")).toBe("restoreRepoTag");
    expect(operationIdOf("get", "/api/admin/webhooks/{id}/deliveries")).toBe("listWebhookDeliveries");
    expect(operationIdOf("get", "/api/public-config")).toBe("getPublicConfig");
  });

  it("states security on every operation (public ones with security: []) and a 4xx answer", () => {
    for (const { path, method, op } of operations) {
      expect(Array.isArray(op.security), `${method} ${path}`).toBe(true);
      expect(Object.keys(op.responses).some((s) => /^4/.test(s)), `${method} ${path}`).toBe(true);
    }
    const publicOps = operations.filter((o) => o.op.security.length === 0).map((o) => `${o.method} ${o.path}`);
    expect(publicOps.sort()).toEqual(["get /api/public-config", "get /api/v1/messages", "get /health/live", "get /health/ready", "post /api/v1/oidc/exchange"]);
  });

  it("describes every parameter and every schema property", () => {
    expect(undescribed(doc)).toEqual([]);
  });

  it("describes upstream and virtual repositories, and keeps the upstream secret write-only", () => {
    for (const schema of ["Repo", "RepoCreate", "RepoUpdate"]) {
      const props = doc.components.schemas[schema].properties;
      for (const field of ["kind", "upstream_url", "virtual_members"]) expect(props[field].description, `${schema}.${field}`).not.toMatch(/not used yet/);
      expect(props.config.$ref ?? props.config.allOf?.[0]?.$ref, `${schema}.config`).toBe("#/components/schemas/RepoConfig");
    }
    expect(doc.components.schemas.Repo.properties.upstream_secret).toBeUndefined();
    expect(doc.components.schemas.RepoCreate.properties.upstream_secret.description).toMatch(/Write-only/);
  });

  it("enumerates the error codes and carries a license", () => {
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toEqual(ERROR_CODE_LIST);
    expect(doc.info.license).toMatchObject({ name: "Apache-2.0" });
  });
});
