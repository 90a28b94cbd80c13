/**
 * Test helpers: requests into the Worker under test and quick fixtures made through
 * the public API (so fixtures exercise the same code paths as users).
 */
import { SELF, env } from "cloudflare:test";
import { clearAllCaches } from "../src/core/ttl-cache";
import { expect, onTestFinished, vi } from "vitest";

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

/**
 * Asserts a governance-API error: status, stable code, the envelope with the response's
 * request id, and the 401/403 split (a challenge on 401, none on 403).
 */
export async function expectError(res: Response, status: number, code: string) {
  const body = await jsonOf(res, status);
  expect(body, JSON.stringify(body)).toMatchObject({ error: { code, message: expect.any(String) } });
  expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
  if (status === 401) expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="OrbitalReg"/);
  else expect(res.headers.get("www-authenticate")).toBeNull();
  return body.error as { code: string; message: string; request_id: string; detail?: unknown };
}

let counter = 0;
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export const basic = (password: string, user = "ci") => `Basic ${btoa(`${user}:${password}`)}`;

export async function sha256Hex(text: string) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

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

/** Mints a service-account token as the instance admin; returns the whole response body. */
export async function mintTokenFull(projectId: string, saId: string, extra: Record<string, unknown> = {}) {
  return jsonOf(
    await req(`/api/v1/projects/${projectId}/service_accounts/${saId}/tokens`, { method: "POST", token: ADMIN, json: { name: "t", ...extra } }),
    201,
  );
}

export async function mintToken(projectId: string, saId: string, extra: Record<string, unknown> = {}) {
  return (await mintTokenFull(projectId, saId, extra)).token as string;
}

/** A project with one service account of `role` and a token for it. */
export async function projectWithToken(role = "writer", tokenExtra: Record<string, unknown> = {}) {
  const project = await createProject();
  const sa = await createServiceAccount(project.id, role);
  const token = await mintToken(project.id, sa.id, tokenExtra);
  return { project, sa, token };
}

export async function createUser(extra: Record<string, unknown> = {}) {
  return jsonOf(await req("/api/admin/users", { method: "POST", token: ADMIN, json: { username: unique("user"), ...extra } }), 201);
}

export async function mintUserToken(userId: string, extra: Record<string, unknown> = {}) {
  return jsonOf(await req(`/api/admin/users/${userId}/tokens`, { method: "POST", token: ADMIN, json: { name: "t", ...extra } }), 201);
}

export async function setMember(projectId: string, principalType: "user" | "service_account", principalId: string, role: string) {
  return jsonOf(
    await req(`/api/v1/projects/${projectId}/members`, {
      method: "PUT",
      token: ADMIN,
      json: { principal_type: principalType, principal_id: principalId, role },
    }),
    200,
  );
}

/** Audit entries matching `filter`, read through the API as the instance admin. */
export async function audit(filter: Record<string, string>) {
  const body = await jsonOf(await req(`/api/v1/audit?${new URLSearchParams({ limit: "500", ...filter })}`, { token: ADMIN }), 200);
  return body.items as any[];
}

/** Moves a token's expiry into the past directly in D1 (the API refuses past expiries). */
export async function expireToken(tokenId: string) {
  await env.DB.prepare("UPDATE tokens SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, tokenId).run();
  clearAllCaches(); // a write behind the services' back: drop what the isolate cached
}

/** Records the domain events the Worker sends to the EVENTS queue from now until the test ends. */
export function captureEvents() {
  const spy = vi.spyOn(env.EVENTS, "send");
  spy.mockClear();
  onTestFinished(() => spy.mockRestore());
  return {
    types: () => spy.mock.calls.map(([e]) => (e as { type: string }).type),
    events: () => spy.mock.calls.map(([e]) => e as { type: string; project_id: string | null; data: Record<string, any> }),
  };
}
