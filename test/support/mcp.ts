/** The MCP catalog tests' helpers: a catalog repo with a writer token, server.json documents, the v0 checks. */
import { expect } from "vitest";
import { SELF } from "cloudflare:test";
import { createRepo, jsonOf, projectWithToken } from "../helpers";
import { openApiErrors } from "./mcp-openapi";

export const BASE = "http://registry.test";
export const enc = encodeURIComponent;

export async function catalogRepo() {
  const { project, sa, token } = await projectWithToken("writer");
  const repo = await createRepo(project.id, "mcp");
  const root = `${BASE}/mcp/${project.slug}/${repo.slug}/`;
  const call = (path: string, init: RequestInit & { json?: unknown } = {}, auth: string | null = token) => {
    const headers = new Headers(init.headers);
    if (auth) headers.set("Authorization", `Bearer ${auth}`);
    if (init.json !== undefined) headers.set("Content-Type", "application/json");
    return SELF.fetch(new URL(path, root), { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  };
  const publish = (doc: unknown, auth?: string | null) => call("v0/publish", { method: "POST", json: doc }, auth === undefined ? token : auth);
  /** A v0 GET, its body checked against the OpenAPI component it must match. */
  const v0 = async (path: string, component: "ServerList" | "ServerResponse", status = 200, auth: string | null = token) => {
    const res = await call(path, {}, auth);
    const body = await jsonOf(res, status);
    expect(openApiErrors(component, body), JSON.stringify(body)).toEqual([]);
    return body;
  };
  return { project, repo, sa, token, root, call, publish, v0 };
}

export const server = (name: string, version: string, extra: Record<string, unknown> = {}) => ({
  $schema: "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
  name,
  description: `The ${name} server`,
  version,
  repository: { url: "https://github.com/example/mcp", source: "github" },
  packages: [{ registryType: "npm", identifier: "@example/mcp", version, transport: { type: "stdio" } }],
  ...extra,
});

export async function published(r: Awaited<ReturnType<typeof catalogRepo>>, doc: unknown) {
  const body = await jsonOf(await r.publish(doc), 200);
  expect(openApiErrors("ServerResponse", body)).toEqual([]);
  return body;
}

export const official = (s: any) => s._meta["io.modelcontextprotocol.registry/official"];
export const ours = (s: any) => s._meta["dev.orbitalreg/catalog"];

