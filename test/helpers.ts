/**
 * Test helpers: requests into the Worker under test and quick fixtures made through
 * the public API (so fixtures exercise the same code paths as users).
 */
import { SELF } from "cloudflare:test";
import { expect } from "vitest";

export const ADMIN = "test-admin-token";
export const BASE = "http://registry.test";

export function req(path: string, init: RequestInit & { token?: string | null; json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(init.json);
  }
  return SELF.fetch(`${BASE}${path}`, { ...init, headers, body });
}

export async function jsonOf<T = any>(res: Response, status?: number): Promise<T> {
  const text = await res.text();
  if (status !== undefined) expect(res.status, text).toBe(status);
  return (text ? JSON.parse(text) : null) as T;
}

let counter = 0;
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export async function createProject(slug = unique("proj")) {
  return jsonOf(await req("/api/v1/projects", { method: "POST", token: ADMIN, json: { slug } }), 201);
}

export async function createRepo(projectId: string, format: string, extra: Record<string, unknown> = {}) {
  return jsonOf(
    await req("/api/v1/repos", { method: "POST", token: ADMIN, json: { project_id: projectId, slug: unique("repo"), format, ...extra } }),
    201,
  );
}

export async function createServiceAccount(projectId: string, role = "writer") {
  return jsonOf(
    await req(`/api/v1/projects/${projectId}/service_accounts`, { method: "POST", token: ADMIN, json: { name: unique("sa"), role } }),
    201,
  );
}

export async function mintToken(projectId: string, saId: string, extra: Record<string, unknown> = {}) {
  const body = await jsonOf(
    await req(`/api/v1/projects/${projectId}/service_accounts/${saId}/tokens`, { method: "POST", token: ADMIN, json: { name: "t", ...extra } }),
    201,
  );
  return body.token as string;
}

/** A project with one service account of `role` and a token for it. */
export async function projectWithToken(role = "writer", tokenExtra: Record<string, unknown> = {}) {
  const project = await createProject();
  const sa = await createServiceAccount(project.id, role);
  const token = await mintToken(project.id, sa.id, tokenExtra);
  return { project, sa, token };
}
