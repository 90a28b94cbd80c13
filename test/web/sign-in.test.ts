/**
 * Browser sign-in with OIDC (authorization code + PKCE, state, nonce) against a provider
 * served through the outbound seam, and the sessions it creates: cookies, CSRF, logout,
 * revocation, idle and absolute expiry, and the audit trail of all of it.
 */
import { SELF, env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, audit, createProject, expectError, jsonOf, req, unique } from "../helpers";
import { installOutbound, uninstallOutbound } from "../support/outbound";
import { TestOpenIdProvider } from "../support/openid-provider";
import { HTTPS, LOGIN_COOKIE, SESSION_COOKIE, addProvider, browser, callback, cookiesOf, signIn, startLogin } from "../support/browser";
import { clearAllCaches } from "../../src/core/ttl-cache";
import { jwksCache } from "../../src/auth/jwks";

let idp: TestOpenIdProvider;
let provider: { id: string; name: string };

beforeAll(async () => {
  installOutbound();
  idp = await TestOpenIdProvider.create();
  provider = await addProvider(idp);
});
afterAll(() => {
  uninstallOutbound();
  jwksCache.clear();
});

const failures = async (providerId: string | null) => (await audit({ action: "session.login_failed" })).filter((e) => e.resource_id === providerId);

describe("sign-in", () => {
  it("runs the authorization-code flow with PKCE, state and nonce, and opens a session", async () => {
    const { location, cookies } = await startLogin(provider.name, HTTPS, "/ui/tokens");
    const url = new URL(location);
    expect(`${url.origin}${url.pathname}`).toBe(`${idp.url}/authorize`);
    expect(url.searchParams.get("redirect_uri")).toBe(`${HTTPS}/auth/callback`);
    expect(url.searchParams.get("scope")).toBe("openid email profile");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookies[LOGIN_COOKIE]!.attrs).toMatch(/HttpOnly/);
    expect(cookies[LOGIN_COOKIE]!.attrs).toMatch(/Secure/);
    expect(cookies[LOGIN_COOKIE]!.attrs).toMatch(/SameSite=Lax/);
    expect(cookies[LOGIN_COOKIE]!.value).toBe(url.searchParams.get("state"));

    const subject = unique("ann");
    const res = await callback(idp.authorize(location, subject), `${LOGIN_COOKIE}=${cookies[LOGIN_COOKIE]!.value}`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/ui/tokens");
    const set = cookiesOf(res);
    expect(set[LOGIN_COOKIE]!.attrs).toMatch(/Max-Age=0/);
    const session = set[SESSION_COOKIE]!;
    expect(session.attrs).toMatch(/Path=\//);
    expect(session.attrs).toMatch(/HttpOnly/);
    expect(session.attrs).toMatch(/Secure/);
    expect(session.attrs).toMatch(/SameSite=Lax/);
    expect(session.attrs).not.toMatch(/Domain/);
    // The token endpoint got the verifier whose S256 the authorization request carried.
    const sent = idp.tokenRequests.at(-1)!;
    expect(sent.get("code_verifier")).toBeTruthy();
    expect(sent.get("redirect_uri")).toBe(`${HTTPS}/auth/callback`);

    const me = await jsonOf(await browser(`${SESSION_COOKIE}=${session.value}`).api("/api/v1/user"), 200);
    expect(me).toMatchObject({ username: subject, email: `${subject}@example.com`, is_admin: false, session: { csrf_token: expect.any(String) } });
    expect(me.logins).toEqual([expect.objectContaining({ provider_id: provider.id, subject })]);
    // Only the hash of the cookie's secret is stored.
    const row = await env.DB.prepare("SELECT token_hash FROM sessions WHERE id = ?").bind(me.session.id).first<{ token_hash: string }>();
    expect(row!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.token_hash).not.toContain(session.value);
    const login = (await audit({ action: "session.login" })).find((e) => e.resource_id === me.session.id);
    expect(login).toMatchObject({ actor: { type: "user", id: me.id, name: subject }, after: { provider: provider.name, subject, created_user: true } });
  });

  it("signs the same account in as the same user, and links a verified email to an invited user", async () => {
    const a = await signIn(idp, provider.name, "same-person");
    const b = await signIn(idp, provider.name, "same-person");
    expect(b.me.id).toBe(a.me.id);
    expect(b.me.session.id).not.toBe(a.me.session.id);
    const invited = await jsonOf(await req("/api/admin/users", { method: "POST", token: ADMIN, json: { username: unique("inv"), email: "Invited.Person@Example.com" } }), 201);
    idp.nextClaims = { email: "invited.person@example.com", email_verified: true };
    const c = await signIn(idp, provider.name, unique("ext"));
    idp.nextClaims = {};
    expect(c.me.id).toBe(invited.id);
  });

  it("refuses a callback whose state does not match the browser's login cookie", async () => {
    const { location } = await startLogin(provider.name);
    const other = await startLogin(provider.name);
    const before = (await failures(null)).length;
    const res = await callback(idp.authorize(location), other.loginCookie);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(cookiesOf(res)[SESSION_COOKIE]).toBeUndefined();
    const audited = await failures(null);
    expect(audited.length).toBe(before + 1);
    expect(audited.at(-1).after.reason).toBe("state_mismatch");
    // No cookie at all: refused too.
    expect((await callback(idp.authorize(location), null)).status).toBe(401);
  });

  it("uses a state once: a replayed callback is refused", async () => {
    const { location, loginCookie } = await startLogin(provider.name);
    const back = idp.authorize(location);
    expect((await callback(back, loginCookie)).status).toBe(303);
    const again = await callback(back, loginCookie);
    expect(again.status).toBe(401);
    expect((await audit({ action: "session.login_failed" })).at(-1).after.reason).toBe("state_unknown");
  });

  it("refuses an expired login attempt", async () => {
    const { location, loginCookie } = await startLogin(provider.name);
    await env.DB.prepare("UPDATE login_attempts SET expires_at = ?").bind(Date.now() - 1).run();
    const res = await callback(idp.authorize(location), loginCookie);
    expect(res.status).toBe(401);
    expect((await failures(provider.id)).at(-1).after.reason).toBe("state_expired");
  });

  it("refuses a tampered code (the provider rejects it)", async () => {
    const { location, loginCookie } = await startLogin(provider.name);
    const back = new URL(idp.authorize(location));
    back.searchParams.set("code", `${back.searchParams.get("code")}x`);
    const res = await callback(back.toString(), loginCookie);
    expect(res.status).toBe(401);
    expect((await failures(provider.id)).at(-1).after.reason).toBe("code_rejected");
  });

  it("refuses when the PKCE verifier does not match the challenge", async () => {
    const { location, loginCookie } = await startLogin(provider.name);
    // Swap the stored verifier: the provider computes a different S256 and refuses the code.
    await env.DB.prepare("UPDATE login_attempts SET code_verifier = 'not-the-verifier-that-was-challenged-0000000000'").run();
    const res = await callback(idp.authorize(location), loginCookie);
    expect(res.status).toBe(401);
    expect((await failures(provider.id)).at(-1).after.reason).toBe("code_rejected");
  });

  it("refuses an ID token with another nonce, another audience, a foreign signature or past its expiry", async () => {
    const cases: [TestOpenIdProvider["tamper"], string][] = [
      [{ nonce: "someone-elses-nonce" }, "nonce_mismatch"],
      [{ aud: "another-client" }, "audience"],
      [{ aud: [idp.clientId, "another-client"] }, "audience"],
      [{ signWithRogueKey: true }, "signature"],
      [{ expiresIn: -3600 }, "expired"],
    ];
    for (const [tamper, reason] of cases) {
      const { location, loginCookie } = await startLogin(provider.name);
      const back = idp.authorize(location);
      idp.tamper = tamper;
      const res = await callback(back, loginCookie);
      expect(res.status, reason).toBe(401);
      expect(cookiesOf(res)[SESSION_COOKIE], reason).toBeUndefined();
      expect((await failures(provider.id)).at(-1).after.reason, JSON.stringify(tamper)).toBe(reason);
    }
  });

  it("passes on the provider's own error and an unknown provider without a session", async () => {
    const { location, loginCookie } = await startLogin(provider.name);
    const state = new URL(location).searchParams.get("state")!;
    const res = await callback(`${HTTPS}/auth/callback?error=access_denied&state=${state}`, loginCookie);
    expect(res.status).toBe(401);
    expect((await audit({ action: "session.login_failed" })).at(-1).after.reason).toBe("provider_error");
    const unknown = await SELF.fetch(`${HTTPS}/auth/login?provider=nope`, { redirect: "manual" });
    expect(unknown.status).toBe(404);
  });

  it("enforces allowed email domains (verified emails only) and invite-only provisioning", async () => {
    const strict = await addProvider(idp, { allowed_email_domains: ["corp.example"], provisioning: "invite" });
    for (const [claims, reason] of [
      [{ email: "x@elsewhere.example", email_verified: true }, "email_domain"],
      [{ email: "x@corp.example", email_verified: false }, "email_unverified"],
      [{ email: `${unique("n")}@corp.example`, email_verified: true }, "not_invited"],
    ] as const) {
      idp.nextClaims = claims;
      const { location, loginCookie } = await startLogin(strict.name);
      const res = await callback(idp.authorize(location), loginCookie);
      expect(res.status, reason).toBe(401);
      expect((await failures(strict.id)).at(-1).after.reason).toBe(reason);
    }
    const email = `${unique("ok")}@corp.example`;
    const invited = await jsonOf(await req("/api/admin/users", { method: "POST", token: ADMIN, json: { username: unique("corp"), email } }), 201);
    idp.nextClaims = { email, email_verified: true };
    const b = await signIn(idp, strict.name, unique("sub"));
    idp.nextClaims = {};
    expect(b.me.id).toBe(invited.id);
  });

  it("refuses sign-in over plain http except on a loopback host, where the cookie is not Secure", async () => {
    const plain = await SELF.fetch(`http://registry.test/auth/login?provider=${provider.name}`, { redirect: "manual" });
    expect(plain.status).toBe(400);
    const dev = await startLogin(provider.name, "http://127.0.0.1:8787");
    expect(dev.cookies["orbitalreg_login"]!.attrs).not.toMatch(/Secure/);
    const res = await callback(idp.authorize(dev.location.replace("https%3A%2F%2Fregistry.test", "http%3A%2F%2F127.0.0.1%3A8787")), dev.loginCookie);
    expect(res.status, await res.clone().text()).toBe(303);
    const session = cookiesOf(res)["orbitalreg_session"]!;
    expect(session.attrs).not.toMatch(/Secure/);
    expect(session.attrs).toMatch(/HttpOnly/);
    const me = await SELF.fetch("http://127.0.0.1:8787/api/v1/user", { headers: { Cookie: `orbitalreg_session=${session.value}` } });
    expect(me.status).toBe(200);
    // The dev cookie means nothing to an https origin, and vice versa.
    expect((await SELF.fetch(`${HTTPS}/api/v1/user`, { headers: { Cookie: `orbitalreg_session=${session.value}` } })).status).toBe(401);
  });
});

describe("sessions", () => {
  it("protects cookie-authenticated changes against CSRF (Origin and token); bearer tokens need neither", async () => {
    const b = await signIn(idp, provider.name);
    const body = { name: "laptop" };
    await expectError(await b.api("/api/v1/user/apptoken", { method: "POST", json: body, csrf: null }), 403, "ForbiddenCsrfToken");
    await expectError(await b.api("/api/v1/user/apptoken", { method: "POST", json: body, csrf: "forged" }), 403, "ForbiddenCsrfToken");
    await expectError(await b.api("/api/v1/user/apptoken", { method: "POST", json: body, origin: "https://evil.example" }), 403, "ForbiddenCsrfOrigin");
    await expectError(await b.api("/api/v1/user/apptoken", { method: "POST", json: body, origin: null }), 403, "ForbiddenCsrfOrigin");
    // Another session's token is no good either.
    const other = await signIn(idp, provider.name);
    await expectError(await b.api("/api/v1/user/apptoken", { method: "POST", json: body, csrf: other.csrf }), 403, "ForbiddenCsrfToken");
    expect((await jsonOf(await b.api("/api/v1/user/apptoken"), 200)).items).toEqual([]);
    const minted = await jsonOf(await b.api("/api/v1/user/apptoken", { method: "POST", json: body }), 201);
    // The minted token works as a bearer token, with no cookie and no CSRF token.
    const viaToken = await SELF.fetch(`${HTTPS}/api/v1/user/apptoken`, { method: "POST", headers: { Authorization: `Bearer ${minted.token}`, "Content-Type": "application/json" }, body: JSON.stringify({ name: "ci" }) });
    expect(viaToken.status).toBe(201);
    // A bearer token wins over a cookie: the cookie isn't even looked at.
    const both = await SELF.fetch(`${HTTPS}/api/v1/user`, { headers: { Authorization: `Bearer ${minted.token}`, Cookie: b.cookie } });
    expect((await jsonOf(both, 200)).session).toBeNull();
  });

  it("signs out at once: the cookie stops working, and the logout is audited", async () => {
    const b = await signIn(idp, provider.name);
    await expectError(await b.api("/auth/logout", { method: "POST", csrf: null }), 403, "ForbiddenCsrfToken");
    const out = await b.api("/auth/logout", { method: "POST" });
    expect(out.status).toBe(204);
    expect(cookiesOf(out)[SESSION_COOKIE]!.attrs).toMatch(/Max-Age=0/);
    await expectError(await b.api("/api/v1/user"), 401, "UnauthorizedSessionExpired");
    expect((await audit({ action: "session.logout" })).some((e) => e.resource_id === b.me.session.id)).toBe(true);
    // The UI treats an ended session as signed out: back to sign-in.
    const ui = await b.api("/ui");
    expect(ui.status).toBe(303);
    expect(ui.headers.get("location")).toMatch(/^\/ui\/login/);
  });

  it("lets an instance admin list and revoke a user's session, effective at once", async () => {
    const b = await signIn(idp, provider.name);
    const list = await jsonOf(await req(`/api/admin/sessions?user_id=${b.me.id}`, { token: ADMIN }), 200);
    expect(list.items.map((s: { id: string }) => s.id)).toContain(b.me.session.id);
    expect(JSON.stringify(list)).not.toMatch(/token_hash|tokenHash/);
    expect((await req(`/api/admin/sessions/${b.me.session.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    await expectError(await b.api("/api/v1/user"), 401, "UnauthorizedSessionExpired");
    expect((await audit({ action: "session.revoke" })).some((e) => e.resource_id === b.me.session.id)).toBe(true);
  });

  it("lets a user end their own other sessions, not someone else's", async () => {
    const a1 = await signIn(idp, provider.name, "multi-device");
    const a2 = await signIn(idp, provider.name, "multi-device");
    const mine = await jsonOf(await a1.api("/api/v1/user/sessions"), 200);
    expect(mine.items.find((s: { id: string; current: boolean }) => s.id === a1.me.session.id).current).toBe(true);
    const stranger = await signIn(idp, provider.name);
    await expectError(await stranger.api(`/api/v1/user/sessions/${a2.me.session.id}`, { method: "DELETE" }), 404, "NotFoundSession");
    expect((await a1.api(`/api/v1/user/sessions/${a2.me.session.id}`, { method: "DELETE" })).status).toBe(204);
    await expectError(await a2.api("/api/v1/user"), 401, "UnauthorizedSessionExpired");
    expect((await a1.api("/api/v1/user")).status).toBe(200);
  });

  it("ends a session after its absolute lifetime and after the idle timeout", async () => {
    const b = await signIn(idp, provider.name);
    await env.DB.prepare("UPDATE sessions SET expires_at = ? WHERE id = ?").bind(Date.now() - 1, b.me.session.id).run();
    clearAllCaches();
    await expectError(await b.api("/api/v1/user"), 401, "UnauthorizedSessionExpired");
    const c = await signIn(idp, provider.name);
    await env.DB.prepare("UPDATE sessions SET last_seen_at = ? WHERE id = ?").bind(Date.now() - 9 * 3600_000, c.me.session.id).run();
    clearAllCaches();
    await expectError(await c.api("/api/v1/user"), 401, "UnauthorizedSessionExpired");
  });

  it("costs one D1 query per request once resolved, and touches last_seen_at at most once a minute", async () => {
    const b = await signIn(idp, provider.name);
    const before = await env.DB.prepare("SELECT last_seen_at FROM sessions WHERE id = ?").bind(b.me.session.id).first<{ last_seen_at: number }>();
    for (let i = 0; i < 3; i++) expect((await b.api("/api/v1/user")).status).toBe(200);
    const after = await env.DB.prepare("SELECT last_seen_at FROM sessions WHERE id = ?").bind(b.me.session.id).first<{ last_seen_at: number }>();
    expect(after!.last_seen_at).toBe(before!.last_seen_at);
  });

  it("never accepts the session cookie on package protocols", async () => {
    const b = await signIn(idp, provider.name);
    const project = await createProject();
    const repo = await jsonOf(await req("/api/v1/repos", { method: "POST", token: ADMIN, json: { project_id: project.id, slug: unique("g"), format: "generic" } }), 201);
    const res = await SELF.fetch(`${HTTPS}/generic/${project.slug}/${repo.slug}/a.txt`, { method: "PUT", headers: { Cookie: b.cookie, Origin: HTTPS, "X-CSRF-Token": b.csrf }, body: "x" });
    expect(res.status).toBe(401);
  });
});

describe("login providers", () => {
  it("keeps the client secret write-only and lists enabled providers publicly", async () => {
    const created = await addProvider(idp, { display_name: "Example SSO" });
    expect(created.client_secret_set).toBe(true);
    expect(JSON.stringify(created)).not.toContain(idp.clientSecret);
    const got = await jsonOf(await req(`/api/admin/login-providers/${created.id}`, { token: ADMIN }), 200);
    expect(JSON.stringify(got)).not.toContain(idp.clientSecret);
    const rows = await audit({ resource_id: created.id });
    expect(JSON.stringify(rows)).not.toContain(idp.clientSecret);
    const pub = await jsonOf(await req("/api/public-config"), 200);
    expect(pub.sign_in).toContainEqual({ name: created.name, display_name: "Example SSO", url: `/auth/login?provider=${created.name}` });
    await jsonOf(await req(`/api/admin/login-providers/${created.id}`, { method: "PATCH", token: ADMIN, json: { enabled: false } }), 200);
    expect((await jsonOf(await req("/api/public-config"), 200)).sign_in.map((p: { name: string }) => p.name)).not.toContain(created.name);
    expect((await SELF.fetch(`${HTTPS}/auth/login?provider=${created.name}`, { redirect: "manual" })).status).toBe(404);
  });

  it("refuses private issuers, a missing openid scope and unknown teams", async () => {
    const base = { name: unique("bad").slice(0, 30), client_id: "c", client_secret: "s" };
    await expectError(await req("/api/admin/login-providers", { method: "POST", token: ADMIN, json: { ...base, issuer: "http://10.0.0.1" } }), 400, "InvalidLoginProviderIssuerUrl");
    await expectError(await req("/api/admin/login-providers", { method: "POST", token: ADMIN, json: { ...base, issuer: idp.url, scopes: ["email"] } }), 400, "InvalidLoginProviderScopes");
    await expectError(
      await req("/api/admin/login-providers", { method: "POST", token: ADMIN, json: { ...base, issuer: idp.url, groups_claim: "groups", group_mappings: [{ group: "g", team_id: "nope" }] } }),
      400,
      "InvalidLoginProviderTeam",
    );
  });
});

describe("global messages", () => {
  it("are created by instance admins, readable by anyone and shown in public-config", async () => {
    const msg = await jsonOf(await req("/api/v1/messages", { method: "POST", token: ADMIN, json: { content: "Maintenance at 22:00 UTC", severity: "warning" } }), 201);
    expect((await jsonOf(await req("/api/v1/messages"), 200)).messages).toContainEqual(msg);
    expect((await jsonOf(await req("/api/public-config"), 200)).messages).toContainEqual(msg);
    const b = await signIn(idp, provider.name);
    await expectError(await b.api("/api/v1/messages", { method: "POST", json: { content: "x" } }), 403, "ForbiddenInsufficientPermissions");
    expect((await req(`/api/v1/messages/${msg.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect((await jsonOf(await req("/api/public-config"), 200)).messages).not.toContainEqual(msg);
    expect((await audit({ resource_id: msg.id })).map((e) => e.action)).toEqual(["message.create", "message.delete"]);
  });
});
