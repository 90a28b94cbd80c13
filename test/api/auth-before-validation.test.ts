/**
 * Credentials are checked before a request is validated or its body read: an anonymous
 * request with a bad body (or bad query) answers 401, never the 400 that would tell an
 * unauthenticated caller how to shape its input. Every route of the OpenAPI document is
 * tried, so a route added later is covered; then the protocol routes that take a body.
 */
import { describe, expect, it } from "vitest";
import { ADMIN, createProject, createRepo, jsonOf, req } from "../helpers";

/** Routes anyone may call (their own checks decide), and so may answer 400 to a bad request. */
const PUBLIC = new Set(["get /api/public-config", "get /health/live", "get /health/ready", "post /api/v1/oidc/exchange", "get /api/v1/messages"]);

type Operation = {
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, unknown> };
  parameters?: { name: string; in: string; schema?: { type?: string | string[]; enum?: unknown[] } }[];
};

/** A value the parameter's schema refuses, if the schema has such values we can name. */
function badValue(schema: { type?: string | string[]; enum?: unknown[] } = {}): string | null {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (schema.enum) return "not-one-of-them";
  if (type === "integer" || type === "number") return "not-a-number";
  if (type === "boolean") return "maybe";
  return null;
}

describe("credentials before validation", () => {
  it("every route of the OpenAPI document answers an anonymous invalid request with 401", async () => {
    const doc = await jsonOf(await req("/api/openapi.json"), 200);
    const tried: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const key = `${method} ${path}`;
        const isPublic = !op.security || op.security.length === 0 || op.security.some((s) => Object.keys(s).length === 0);
        expect(isPublic, `${key}: the OpenAPI document and the list of public routes agree`).toBe(PUBLIC.has(key));
        if (isPublic) continue;
        const url = path.replace(/\{[^}]+\}/g, "x");
        const query = new URLSearchParams();
        for (const p of op.parameters ?? []) {
          const bad = p.in === "query" ? badValue(p.schema) : null;
          if (bad !== null) query.set(p.name, bad);
        }
        const target = query.size ? `${url}?${query}` : url;
        const attempts: RequestInit[] = [];
        if (op.requestBody) {
          for (const type of Object.keys(op.requestBody.content)) {
            attempts.push({ body: type.includes("json") ? '{"unterminated' : "%%%=&&", headers: { "Content-Type": type } });
            if (type.includes("json")) attempts.push({ body: JSON.stringify({ no_such_field: [1, 2, 3] }), headers: { "Content-Type": type } });
          }
        } else {
          attempts.push({});
        }
        for (const init of attempts) {
          const res = await req(target, { method: method.toUpperCase(), ...init });
          const text = await res.text();
          expect(res.status, `${key} ${init.body ?? target}: ${text}`).toBe(401);
          expect(JSON.parse(text).error.code, key).toMatch(/^Unauthorized/);
          tried.push(key);
        }
      }
    }
    expect(tried.length).toBeGreaterThan(50); // the document really was enumerated
  });

  it("still validates for callers with credentials, and for anonymous reads that are valid", async () => {
    const bad = await req("/api/v1/repos", { method: "POST", token: ADMIN, body: '{"unterminated', headers: { "Content-Type": "application/json" } });
    expect(bad.status).toBe(400);
    const project = await createProject();
    const repo = await createRepo(project.id, "generic", { visibility: "public" });
    expect((await req(`/api/v1/repos/${repo.id}`)).status).toBe(200); // anonymous read of a public repo
    expect((await req(`/api/v1/repos/${repo.id}/packages?limit=not-a-number`)).status).toBe(401);
    expect((await req(`/api/v1/repos/${repo.id}/packages?limit=not-a-number`, { token: ADMIN })).status).toBe(400);
  });

  it("protocol routes refuse an anonymous upload with a bad body (or path) with 401", async () => {
    const project = await createProject();
    const repos: Record<string, { slug: string }> = {};
    for (const format of ["docker", "npm", "pypi", "maven", "cargo", "go", "generic"]) repos[format] = await createRepo(project.id, format, { visibility: "public" });
    const at = (format: string) => `${project.slug}/${repos[format]!.slug}`;
    const cases: [string, string, RequestInit][] = [
      ["PUT", `/v2/${at("docker")}/app/manifests/v1`, { body: "{not json", headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" } }],
      ["POST", `/v2/${at("docker")}/app/blobs/uploads/?digest=sha256:nothex`, { body: "x" }],
      ["PUT", `/npm/${at("npm")}/pkg`, { body: "{not json", headers: { "Content-Type": "application/json" } }],
      ["PUT", `/npm/${at("npm")}/-/package/pkg/dist-tags/latest`, { body: "{not json", headers: { "Content-Type": "application/json" } }],
      ["POST", `/pypi/${at("pypi")}/`, { body: "not multipart", headers: { "Content-Type": "text/plain" } }],
      ["PUT", `/cargo/${at("cargo")}/api/v1/crates/new`, { body: "\u0001" }],
      ["PUT", `/maven/${at("maven")}/com/example/../lib/1.0/lib-1.0.jar`, { body: "x" }],
      ["PUT", `/maven/${at("maven")}/com/example/lib/maven-metadata.xml`, { body: "<not xml" }],
      ["PUT", `/go/${at("go")}/example.com/m/@v/not-a-version.zip`, { body: "x" }],
      ["PUT", `/go/${at("go")}/example.com/%zz/@v/v1.0.0.zip`, { body: "x" }],
      ["PUT", `/generic/${at("generic")}/a/%2e%2e/b.bin`, { body: "x" }],
      ["PUT", `/generic/${at("generic")}/a%2Fb`, { body: "x" }],
    ];
    for (const [method, path, init] of cases) {
      const res = await req(path, { method, ...init });
      expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBe(401);
    }
  });
});
