/**
 * Service-account tokens: minted once, stored only as SHA-256, listed without secrets,
 * revoked and expired at once, last use recorded, scopes narrowing the account's role.
 */
import { clearAllCaches } from "../../src/core/ttl-cache";
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import {
  ADMIN,
  BASE,
  audit,
  captureEvents,
  createProject,
  createServiceAccount,
  expectError,
  expireToken,
  jsonOf,
  mintTokenFull,
  projectWithToken,
  req,
  sha256Hex,
  unique,
} from "../helpers";

const tokensOf = (projectId: string, saId: string) => `/api/v1/projects/${projectId}/service_accounts/${saId}/tokens`;

/** One request through the Worker's own fetch, waiting for its background work (waitUntil). */
async function fetchAndSettle(path: string, token: string) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, { headers: { Authorization: `Bearer ${token}` } }), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const lastUsedOf = async (tokenId: string) =>
  (await env.DB.prepare("SELECT last_used_at FROM tokens WHERE id = ?").bind(tokenId).first<{ last_used_at: number | null }>())!.last_used_at;

describe("tokens: minting and storage", () => {
  it("returns the plaintext once, uncacheable, and stores only its SHA-256", async () => {
    const p = await createProject();
    const sa = await createServiceAccount(p.id, "writer");
    const res = await req(tokensOf(p.id, sa.id), { method: "POST", token: ADMIN, json: { name: "laptop", scopes: ["read", "write"] } });
    expect(res.headers.get("cache-control")).toBe("no-store");
    const minted = await jsonOf(res, 201);
    expect(minted).toMatchObject({
      name: "laptop",
      principal_type: "service_account",
      principal_id: sa.id,
      project_id: p.id,
      scopes: ["read", "write"],
      expires_at: null,
      last_used_at: null,
      revoked_at: null,
    });
    expect(minted.token).toMatch(/^orbsa_[A-Za-z0-9_-]{43}$/);
    expect(minted.token.startsWith(minted.prefix)).toBe(true);
    expect(minted.prefix.length).toBeLessThan(16);

    const hash = await sha256Hex(minted.token);
    const row = await env.DB.prepare("SELECT * FROM tokens WHERE id = ?").bind(minted.id).first<Record<string, unknown>>();
    expect(row!.token_hash).toBe(hash);
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(minted.token);
    expect(stored).not.toContain(minted.token.slice(minted.prefix.length));
    // Nor does the audit log keep the secret or its hash.
    const auditRows = await env.DB.prepare("SELECT * FROM audit_log WHERE resource_id = ?").bind(minted.id).all();
    expect(auditRows.results).toHaveLength(1);
    expect(JSON.stringify(auditRows.results)).not.toContain(minted.token);
    expect(JSON.stringify(auditRows.results)).not.toContain(hash);
    const [entry] = await audit({ resource_type: "token", resource_id: minted.id });
    expect(entry).toMatchObject({ action: "token.create", project_id: p.id, before: null, after: { id: minted.id, name: "laptop", scopes: ["read", "write"] } });
    expect(entry.after).not.toHaveProperty("token_hash");
  });

  it("lists tokens without their secret or hash", async () => {
    const p = await createProject();
    const sa = await createServiceAccount(p.id);
    const a = await mintTokenFull(p.id, sa.id, { name: "a" });
    const b = await mintTokenFull(p.id, sa.id, { name: "b", expires_in: 3600 });
    const res = await req(tokensOf(p.id, sa.id), { token: ADMIN });
    const text = await res.clone().text();
    const list = await jsonOf(res, 200);
    expect(list.items.map((t: any) => t.id)).toEqual([a.id, b.id]);
    for (const item of list.items) {
      expect(Object.keys(item).sort()).toEqual(
        ["created_at", "expires_at", "id", "last_used_at", "name", "prefix", "principal_id", "principal_type", "project_id", "revoked_at", "scopes"].sort(),
      );
    }
    for (const t of [a, b]) {
      expect(text).not.toContain(t.token);
      expect(text).not.toContain(await sha256Hex(t.token));
    }
    const paged = await jsonOf(await req(`${tokensOf(p.id, sa.id)}?limit=1`, { token: ADMIN }), 200);
    expect(paged.items.map((t: any) => t.id)).toEqual([a.id]);
    const rest = await jsonOf(await req(`${tokensOf(p.id, sa.id)}?limit=1&cursor=${paged.next_cursor}`, { token: ADMIN }), 200);
    expect(rest).toEqual({ items: [expect.objectContaining({ id: b.id })], next_cursor: null });
  });

  it("sets expiry from expires_in or expires_at", async () => {
    const p = await createProject();
    const sa = await createServiceAccount(p.id);
    const before = Date.now();
    const relative = await mintTokenFull(p.id, sa.id, { expires_in: 3600 });
    const at = Date.parse(relative.expires_at);
    expect(at).toBeGreaterThanOrEqual(before + 3600_000);
    expect(at).toBeLessThanOrEqual(Date.now() + 3600_000);
    const when = new Date(Date.now() + 86_400_000).toISOString();
    expect((await mintTokenFull(p.id, sa.id, { expires_at: when })).expires_at).toBe(when);
  });

  it("validates the mint request", async () => {
    const p = await createProject();
    const sa = await createServiceAccount(p.id);
    const mint = (json: unknown) => req(tokensOf(p.id, sa.id), { method: "POST", token: ADMIN, json });
    await expectError(await mint({}), 400, "InvalidRequest");
    await expectError(await mint({ name: "t", scopes: [] }), 400, "InvalidRequest");
    await expectError(await mint({ name: "t", scopes: ["root"] }), 400, "InvalidRequest");
    await expectError(await mint({ name: "t", expires_in: 10 }), 400, "InvalidRequest");
    await expectError(await mint({ name: "t", expires_in: 1.5e9 }), 400, "InvalidRequest");
    await expectError(await mint({ name: "t", expires_at: "2001-01-01T00:00:00Z" }), 400, "InvalidTokenExpiry");
    await expectError(await mint({ name: "t", expires_at: "tomorrow" }), 400, "InvalidTokenExpiry");
    await expectError(await req(tokensOf(p.id, "nope"), { method: "POST", token: ADMIN, json: { name: "t" } }), 404, "NotFoundServiceAccount");
  });
});

describe("tokens: lifecycle", () => {
  it("stops working the moment it is revoked, and the revocation is audited", async () => {
    const p = await createProject();
    const sa = await createServiceAccount(p.id, "writer");
    const events = captureEvents();
    const minted = await mintTokenFull(p.id, sa.id);
    const other = await mintTokenFull(p.id, sa.id);
    await jsonOf(await req(`/api/v1/projects/${p.id}`, { token: minted.token }), 200);
    expect((await req(`${tokensOf(p.id, sa.id)}/${minted.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    // Revoking again is a no-op: same answer, nothing more recorded.
    expect((await req(`${tokensOf(p.id, sa.id)}/${minted.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    await expectError(await req(`/api/v1/projects/${p.id}`, { token: minted.token }), 401, "UnauthorizedInvalidToken");
    // Its sibling is untouched.
    await jsonOf(await req(`/api/v1/projects/${p.id}`, { token: other.token }), 200);

    const list = await jsonOf(await req(tokensOf(p.id, sa.id), { token: ADMIN }), 200);
    const revoked = list.items.find((t: any) => t.id === minted.id);
    expect(Date.parse(revoked.revoked_at)).not.toBeNaN();
    const [entry] = await audit({ resource_id: minted.id, action: "token.revoke" });
    expect(entry.before).toMatchObject({ id: minted.id, revoked_at: null });
    expect(entry.after).toMatchObject({ id: minted.id, revoked_at: expect.any(Number) });
    expect(entry.before).not.toHaveProperty("token_hash");
    expect(await audit({ resource_id: minted.id })).toHaveLength(2);

    expect(events.types()).toEqual(["token.created", "token.created", "token.revoked"]);
    const sent = JSON.stringify(events.events());
    for (const t of [minted, other]) {
      expect(sent).not.toContain(t.token);
      expect(sent).not.toContain(await sha256Hex(t.token));
    }
  });

  it("answers 404 when revoking a token that isn't this account's", async () => {
    const p = await createProject();
    const sa1 = await createServiceAccount(p.id);
    const sa2 = await createServiceAccount(p.id);
    const t2 = await mintTokenFull(p.id, sa2.id);
    await expectError(await req(`${tokensOf(p.id, sa1.id)}/${t2.id}`, { method: "DELETE", token: ADMIN }), 404, "NotFoundToken");
    await expectError(await req(`${tokensOf(p.id, sa1.id)}/nope`, { method: "DELETE", token: ADMIN }), 404, "NotFoundToken");
    await jsonOf(await req(`/api/v1/projects/${p.id}`, { token: t2.token }), 200);
  });

  it("refuses an expired token", async () => {
    const p = await createProject();
    const sa = await createServiceAccount(p.id, "admin");
    const minted = await mintTokenFull(p.id, sa.id, { expires_in: 60 });
    await jsonOf(await req(`/api/v1/projects/${p.id}`, { token: minted.token }), 200);
    await expireToken(minted.id);
    await expectError(await req(`/api/v1/projects/${p.id}`, { token: minted.token }), 401, "UnauthorizedInvalidToken");
  });

  it("records when a token was last used, at most once a minute", async () => {
    const p = await createProject();
    const sa = await createServiceAccount(p.id, "reader");
    const minted = await mintTokenFull(p.id, sa.id);
    const start = Date.now();
    expect((await fetchAndSettle(`/api/v1/projects/${p.id}`, minted.token)).status).toBe(200);
    const first = await lastUsedOf(minted.id);
    expect(first).toBeGreaterThanOrEqual(start);
    const listed = (await jsonOf(await req(tokensOf(p.id, sa.id), { token: ADMIN }), 200)).items[0];
    expect(Date.parse(listed.last_used_at)).toBeGreaterThanOrEqual(start);

    // Used again within the minute: no write.
    const recent = Date.now() - 30_000;
    await env.DB.prepare("UPDATE tokens SET last_used_at = ? WHERE id = ?").bind(recent, minted.id).run();
    clearAllCaches();
    await fetchAndSettle(`/api/v1/projects/${p.id}`, minted.token);
    expect(await lastUsedOf(minted.id)).toBe(recent);
    // Used after more than a minute: recorded again.
    await env.DB.prepare("UPDATE tokens SET last_used_at = ? WHERE id = ?").bind(Date.now() - 120_000, minted.id).run();
    clearAllCaches();
    const again = Date.now();
    await fetchAndSettle(`/api/v1/projects/${p.id}`, minted.token);
    expect(await lastUsedOf(minted.id)).toBeGreaterThanOrEqual(again);
  });
});

describe("tokens: scopes and who may mint", () => {
  it("narrows the account's role to the token's scopes", async () => {
    const p = await createProject();
    const sa = await createServiceAccount(p.id, "admin");
    const readOnly = (await mintTokenFull(p.id, sa.id, { scopes: ["read"] })).token;
    const full = (await mintTokenFull(p.id, sa.id)).token;
    const newSa = (token: string) => req(`/api/v1/projects/${p.id}/service_accounts`, { method: "POST", token, json: { name: unique("x") } });
    await jsonOf(await req(`/api/v1/projects/${p.id}`, { token: readOnly }), 200);
    await expectError(await newSa(readOnly), 403, "ForbiddenInsufficientPermissions");
    await expectError(await req(tokensOf(p.id, sa.id), { method: "POST", token: readOnly, json: { name: "t" } }), 403, "ForbiddenInsufficientPermissions");
    await jsonOf(await newSa(full), 201);

    // A scope beyond the role grants nothing: a writer with the admin scope is still a writer.
    const writer = await createServiceAccount(p.id, "writer");
    const writerAdmin = (await mintTokenFull(p.id, writer.id, { scopes: ["read", "admin"] })).token;
    await expectError(await newSa(writerAdmin), 403, "ForbiddenInsufficientPermissions");
    await expectError(
      await req("/api/v1/repos", { method: "POST", token: writerAdmin, json: { project_id: p.id, slug: unique("r"), format: "npm" } }),
      403,
      "ForbiddenInsufficientPermissions",
    );
  });

  it("lets a project admin mint and revoke tokens in its own project only", async () => {
    const { project, token } = await projectWithToken("admin");
    const bot = await createServiceAccount(project.id, "writer");
    const minted = await jsonOf(await req(tokensOf(project.id, bot.id), { method: "POST", token, json: { name: "bot" } }), 201);
    await jsonOf(await req(tokensOf(project.id, bot.id), { token }), 200);
    expect((await req(`${tokensOf(project.id, bot.id)}/${minted.id}`, { method: "DELETE", token })).status).toBe(204);

    const other = await createProject();
    const theirs = await createServiceAccount(other.id, "admin");
    await expectError(await req(tokensOf(other.id, theirs.id), { method: "POST", token, json: { name: "steal" } }), 403, "ForbiddenInsufficientPermissions");
    await expectError(await req(tokensOf(other.id, theirs.id), { token }), 403, "ForbiddenInsufficientPermissions");
  });

  it("keeps writers from minting tokens, even for themselves", async () => {
    const { project, sa, token } = await projectWithToken("writer");
    await expectError(await req(tokensOf(project.id, sa.id), { method: "POST", token, json: { name: "more" } }), 403, "ForbiddenInsufficientPermissions");
    await expectError(await req(tokensOf(project.id, sa.id), { token }), 403, "ForbiddenInsufficientPermissions");
  });
});
