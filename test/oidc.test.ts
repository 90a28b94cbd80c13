import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { SignJWT } from "jose";
import { ADMIN, createProject, createRepo, jsonOf, projectWithToken, req, unique } from "./helpers";
import { TestIssuer, b64url, githubClaims, gitlabClaims } from "./support/issuer";
import { fetchesTo, installOutbound, uninstallOutbound } from "./support/outbound";
import { signingSecretOf, signRegistryJwt } from "../src/auth/registry-jwt";

const AUD = "https://registry.test";

beforeAll(installOutbound);
afterAll(uninstallOutbound);

async function policy(issuer: TestIssuer, projectId: string, extra: Record<string, unknown> = {}) {
  return jsonOf(
    await req("/api/admin/oidc/trust-policies", {
      method: "POST",
      token: ADMIN,
      json: {
        name: unique("pol"),
        issuer: issuer.url,
        audiences: [AUD],
        project_id: projectId,
        role: "writer",
        claim_conditions: [
          { claim: "repository", match: "exact", values: ["acme/app"] },
          { claim: "ref", match: "glob", values: ["refs/heads/*", "refs/tags/v*"] },
        ],
        ...extra,
      },
    }),
    201,
  );
}

const exchange = (token: string, extra: Record<string, unknown> = {}) =>
  req("/api/v1/oidc/exchange", { method: "POST", json: { token, ...extra } });

async function lastExchangeAudit() {
  const body = await jsonOf(await req("/api/v1/audit?action=oidc.exchange&limit=500", { token: ADMIN }), 200);
  return body.items.at(-1);
}

/** A project with a repo, an issuer and a policy trusting acme/app on main or v* tags. */
async function world(policyExtra: Record<string, unknown> = {}) {
  const project = await createProject();
  const repo = await createRepo(project.id, "generic");
  const issuer = await TestIssuer.create();
  const pol = await policy(issuer, project.id, policyExtra);
  return { project, repo, issuer, pol };
}

describe("trust policies (admin API)", () => {
  it("is for instance admins only", async () => {
    const anon = await req("/api/admin/oidc/trust-policies");
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toContain("Bearer");
    const { token } = await projectWithToken("admin");
    const denied = await jsonOf(await req("/api/admin/oidc/trust-policies", { token }), 403);
    expect(denied.error.code).toBe("ForbiddenInsufficientPermissions");
  });

  it("creates, reads, lists, updates and deletes, with audit rows", async () => {
    const project = await createProject();
    const issuer = await TestIssuer.create();
    const created = await policy(issuer, project.id, { max_lifetime_seconds: 900 });
    expect(created).toMatchObject({ issuer: issuer.url, audiences: [AUD], role: "writer", max_lifetime_seconds: 900, enabled: true, project_id: project.id });
    expect(await jsonOf(await req(`/api/admin/oidc/trust-policies/${created.id}`, { token: ADMIN }), 200)).toEqual(created);
    const list = await jsonOf(await req(`/api/admin/oidc/trust-policies?project_id=${project.id}`, { token: ADMIN }), 200);
    expect(list.items.map((p: any) => p.id)).toEqual([created.id]);
    const updated = await jsonOf(await req(`/api/admin/oidc/trust-policies/${created.id}`, { method: "PATCH", token: ADMIN, json: { role: "reader", enabled: false } }), 200);
    expect(updated).toMatchObject({ role: "reader", enabled: false, name: created.name });
    expect((await req(`/api/admin/oidc/trust-policies/${created.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect((await req(`/api/admin/oidc/trust-policies/${created.id}`, { token: ADMIN })).status).toBe(404);
    const audit = await jsonOf(await req(`/api/v1/audit?resource_id=${created.id}`, { token: ADMIN }), 200);
    expect(audit.items.map((a: any) => a.action)).toEqual(["oidc_trust_policy.create", "oidc_trust_policy.update", "oidc_trust_policy.delete"]);
  });

  it("refuses policies that would trust too much or point nowhere sensible", async () => {
    const project = await createProject();
    const issuer = await TestIssuer.create();
    const code = async (extra: Record<string, unknown>) => (await jsonOf(await req("/api/admin/oidc/trust-policies", { method: "POST", token: ADMIN, json: { name: unique("bad"), issuer: issuer.url, audiences: [AUD], project_id: project.id, role: "reader", claim_conditions: [{ claim: "repository", match: "exact", values: ["a/b"] }], ...extra } }), 400)).error.code;
    expect(await code({ claim_conditions: [] })).toBe("InvalidRequest");
    expect(await code({ audiences: [] })).toBe("InvalidRequest");
    expect(await code({ claim_conditions: [{ claim: "repository", match: "glob", values: ["**"] }] })).toBe("InvalidOidcClaimConditionsTooBroad");
    expect(await code({ claim_conditions: [{ claim: "exp", match: "exact", values: ["1"] }] })).toBe("InvalidOidcClaimCondition");
    expect(await code({ issuer: "http://issuer.example.com" })).toBe("InvalidOidcIssuerUrl");
    expect(await code({ issuer: "http://127.0.0.1:9999" })).toBe("InvalidOidcIssuerUrl");
    expect(await code({ issuer: "https://169.254.169.254" })).toBe("InvalidOidcIssuerUrl");
    expect(await code({ project_id: "nope" })).toBe("InvalidOidcTrustPolicyProject");
    expect(await code({ max_lifetime_seconds: 86400 })).toBe("InvalidRequest");
    const name = unique("dup");
    await policy(issuer, project.id, { name });
    const dup = await jsonOf(await req("/api/admin/oidc/trust-policies", { method: "POST", token: ADMIN, json: { name, issuer: issuer.url, audiences: [AUD], project_id: project.id, role: "reader", claim_conditions: [{ claim: "repository", match: "exact", values: ["a/b"] }] } }), 409);
    expect(dup.error.code).toBe("ConflictOidcTrustPolicyNameInUse");
  });

  it("appears in the OpenAPI document", async () => {
    const doc = await jsonOf(await req("/api/openapi.json"), 200);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/admin/oidc/trust-policies", "/api/admin/oidc/trust-policies/{id}", "/api/v1/oidc/exchange"]));
    expect(doc.paths["/api/v1/oidc/exchange"].post.security).toEqual([]);
  });
});

describe("token exchange", () => {
  it("accepts a good GitHub Actions token and the result works as Bearer, Basic and registry JWT", async () => {
    const { project, repo, issuer, pol } = await world({ max_lifetime_seconds: 600 });
    const res = await exchange(await issuer.sign(githubClaims()));
    expect(res.headers.get("cache-control")).toBe("no-store");
    const out = await jsonOf(res, 200);
    expect(out).toMatchObject({ token_type: "Bearer", project_id: project.id, role: "writer", policy_id: pol.id, expires_in: 600 });
    expect(out.token).toMatch(/^orbx_/);

    const list = await jsonOf(await req(`/api/v1/repos?project_id=${project.id}`, { token: out.token }), 200);
    expect(list.items.map((r: any) => r.id)).toEqual([repo.id]);
    const basic = await req(`/api/v1/repos/${repo.id}`, { headers: { Authorization: `Basic ${btoa(`ci:${out.token}`)}` } });
    expect(basic.status).toBe(200);
    const tokenRow = (await lastExchangeAudit()).after.token_id;
    const jwt = await signRegistryJwt({ tid: tokenRow, sub: "ci", access: [] }, await signingSecretOf(env));
    expect((await req(`/api/v1/repos/${repo.id}`, { token: jwt })).status).toBe(200);

    // confined to its project, and not an admin anywhere
    const other = await createProject();
    const otherRepo = await createRepo(other.id, "generic");
    expect((await req(`/api/v1/repos/${otherRepo.id}`, { token: out.token })).status).toBe(403);
    expect((await req("/api/v1/projects", { method: "POST", token: out.token, json: { slug: unique("x") } })).status).toBe(403);
    expect((await req("/api/admin/oidc/trust-policies", { token: out.token })).status).toBe(403);
  });

  it("caps the lifetime at the policy's maximum and honours shorter requests", async () => {
    const { issuer } = await world({ max_lifetime_seconds: 600 });
    expect((await jsonOf(await exchange(await issuer.sign(githubClaims()), { lifetime_seconds: 43200 }), 200)).expires_in).toBe(600);
    expect((await jsonOf(await exchange(await issuer.sign(githubClaims()), { lifetime_seconds: 120 }), 200)).expires_in).toBe(120);
  });

  it("accepts a GitLab CI token on glob and boolean-valued claims, sent as an RFC 8693 form", async () => {
    const project = await createProject();
    const issuer = await TestIssuer.create("gitlab", "RS256");
    const pol = await policy(issuer, project.id, {
      role: "reader",
      claim_conditions: [
        { claim: "namespace_path", match: "exact", values: ["acme/platform"] },
        { claim: "project_path", match: "glob", values: ["acme/platform/*"] },
        { claim: "ref_protected", match: "exact", values: ["true"] },
      ],
    });
    const token = await issuer.sign(gitlabClaims({ ref_protected: true }));
    const form = new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", subject_token: token });
    const out = await jsonOf(await req("/api/v1/oidc/exchange", { method: "POST", body: form, headers: { "Content-Type": "application/x-www-form-urlencoded" } }), 200);
    expect(out).toMatchObject({ role: "reader", policy_id: pol.id });
    const refused = await exchange(await issuer.sign(gitlabClaims({ ref_protected: false })));
    expect((await jsonOf(refused, 403)).error.code).toBe("ForbiddenOidcNoMatchingPolicy");
  });

  it("audits an accepted exchange with the claims that decided it", async () => {
    const { pol, project } = await world().then(async (w) => {
      await exchange(await w.issuer.sign(githubClaims({ sub: "repo:acme/app:ref:refs/heads/main" })));
      return w;
    });
    const row = await lastExchangeAudit();
    expect(row).toMatchObject({ action: "oidc.exchange", resource_id: pol.id, project_id: project.id, actor: { type: "oidc", id: pol.id } });
    expect(row.after).toMatchObject({ outcome: "accepted", verified: true, role: "writer" });
    expect(row.after.claims).toMatchObject({ sub: "repo:acme/app:ref:refs/heads/main", aud: AUD, repository: "acme/app", ref: "refs/heads/main" });
    expect(row.after.policies).toEqual([{ id: pol.id, name: pol.name, audience_ok: true, failed_condition: null }]);
  });

  it("refuses a token for another audience", async () => {
    const { issuer } = await world();
    const body = await jsonOf(await exchange(await issuer.sign(githubClaims({ aud: "sts.amazonaws.com" }))), 401);
    expect(body.error.code).toBe("UnauthorizedOidcToken");
    expect((await lastExchangeAudit()).after).toMatchObject({ outcome: "refused", reason: "audience", verified: true });
  });

  it("refuses an issuer no policy trusts, without fetching anything from it", async () => {
    await world();
    const stranger = await TestIssuer.create("stranger");
    const body = await jsonOf(await exchange(await stranger.sign(githubClaims())), 401);
    expect(body.error.code).toBe("UnauthorizedOidcToken");
    expect(fetchesTo(stranger.url)).toBe(0);
    expect((await lastExchangeAudit()).after).toMatchObject({ outcome: "refused", reason: "issuer_untrusted", verified: false, unverified: { iss: stranger.url } });
  });

  it("refuses a token claiming a trusted issuer but signed by someone else", async () => {
    const { issuer } = await world();
    const forger = await TestIssuer.create("forger");
    // same iss and same kid as the real issuer's key, different private key
    const forged = await new SignJWT({ ...githubClaims(), iss: issuer.url, exp: Math.floor(Date.now() / 1000) + 300 })
      .setProtectedHeader({ alg: "ES256", kid: issuer.keys[0]!.kid })
      .sign(forger.keys[0]!.privateKey);
    expect((await jsonOf(await exchange(forged), 401)).error.code).toBe("UnauthorizedOidcToken");
    expect((await lastExchangeAudit()).after).toMatchObject({ reason: "signature", verified: false });
  });

  it("refuses expired, not-yet-valid and exp-less tokens", async () => {
    const { issuer } = await world();
    const now = Math.floor(Date.now() / 1000);
    await jsonOf(await exchange(await issuer.sign(githubClaims({ iat: now - 900, exp: now - 300 }))), 401);
    expect((await lastExchangeAudit()).after.reason).toBe("expired");
    await jsonOf(await exchange(await issuer.sign(githubClaims({ nbf: now + 600 }))), 401);
    expect((await lastExchangeAudit()).after.reason).toBe("not_yet_valid");
    await jsonOf(await exchange(await issuer.sign(githubClaims({ exp: undefined }))), 401);
    expect((await lastExchangeAudit()).after.reason).toBe("invalid_claims");
  });

  it("refuses an unknown kid after one refresh of the JWKS, and caches keys otherwise", async () => {
    const { issuer } = await world();
    await jsonOf(await exchange(await issuer.sign(githubClaims())), 200);
    await jsonOf(await exchange(await issuer.sign(githubClaims())), 200);
    expect(fetchesTo(`${issuer.url}/keys`)).toBe(1);
    const unknown = await exchange(await issuer.sign(githubClaims(), { kid: "not-a-key" }));
    expect((await jsonOf(unknown, 401)).error.code).toBe("UnauthorizedOidcToken");
    expect((await lastExchangeAudit()).after.reason).toBe("unknown_key");
  });

  it("refuses claim mismatches, exact and glob, naming the failed condition in the audit log", async () => {
    const { issuer, pol } = await world();
    const other = await jsonOf(await exchange(await issuer.sign(githubClaims({ repository: "evil/app" }))), 403);
    expect(other.error.code).toBe("ForbiddenOidcNoMatchingPolicy");
    expect((await lastExchangeAudit()).after.policies).toEqual([{ id: pol.id, name: pol.name, audience_ok: true, failed_condition: { claim: "repository", actual: "evil/app" } }]);
    await jsonOf(await exchange(await issuer.sign(githubClaims({ ref: "refs/heads/feature/x" }))), 403);
    expect((await lastExchangeAudit()).after.policies[0].failed_condition).toEqual({ claim: "ref", actual: "refs/heads/feature/x" });
    await jsonOf(await exchange(await issuer.sign(githubClaims({ ref: undefined }))), 403);
    expect((await lastExchangeAudit()).after.policies[0].failed_condition).toEqual({ claim: "ref", actual: null });
    await jsonOf(await exchange(await issuer.sign(githubClaims({ ref: "refs/tags/v1.2.0" }))), 200);
  });

  it("refuses alg=none and HS256 signed with the issuer's public key", async () => {
    const { issuer } = await world();
    const claims = { ...githubClaims(), iss: issuer.url, exp: Math.floor(Date.now() / 1000) + 300 };
    const none = `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64url(JSON.stringify(claims))}.`;
    expect((await jsonOf(await exchange(none), 401)).error.code).toBe("UnauthorizedOidcToken");
    expect((await lastExchangeAudit()).after.reason).toBe("algorithm");

    const publicJwk = JSON.stringify(issuer.keys[0]!.publicJwk);
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: issuer.keys[0]!.kid }).sign(new TextEncoder().encode(publicJwk));
    expect((await jsonOf(await exchange(hs), 401)).error.code).toBe("UnauthorizedOidcToken");
    expect((await lastExchangeAudit()).after.reason).toBe("algorithm");
  });

  it("kills issued tokens when the policy is disabled, changed or deleted", async () => {
    const { issuer, pol, repo } = await world();
    const first = (await jsonOf(await exchange(await issuer.sign(githubClaims())), 200)).token;
    expect((await req(`/api/v1/repos/${repo.id}`, { token: first })).status).toBe(200);
    await jsonOf(await req(`/api/admin/oidc/trust-policies/${pol.id}`, { method: "PATCH", token: ADMIN, json: { description: "changed" } }), 200);
    expect((await req(`/api/v1/repos/${repo.id}`, { token: first })).status).toBe(401);

    const second = (await jsonOf(await exchange(await issuer.sign(githubClaims())), 200)).token;
    await jsonOf(await req(`/api/admin/oidc/trust-policies/${pol.id}`, { method: "PATCH", token: ADMIN, json: { enabled: false } }), 200);
    expect((await req(`/api/v1/repos/${repo.id}`, { token: second })).status).toBe(401);
    expect((await jsonOf(await exchange(await issuer.sign(githubClaims())), 401)).error.code).toBe("UnauthorizedOidcToken");

    await jsonOf(await req(`/api/admin/oidc/trust-policies/${pol.id}`, { method: "PATCH", token: ADMIN, json: { enabled: true } }), 200);
    const third = (await jsonOf(await exchange(await issuer.sign(githubClaims())), 200)).token;
    expect((await req(`/api/admin/oidc/trust-policies/${pol.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect((await req(`/api/v1/repos/${repo.id}`, { token: third })).status).toBe(401);
  });

  it("asks to name a policy when several match", async () => {
    const { issuer, project } = await world();
    const second = await policy(issuer, project.id, { role: "reader" });
    expect((await jsonOf(await exchange(await issuer.sign(githubClaims())), 403)).error.code).toBe("ForbiddenOidcPolicyAmbiguous");
    const out = await jsonOf(await exchange(await issuer.sign(githubClaims()), { policy: second.name }), 200);
    expect(out).toMatchObject({ policy_id: second.id, role: "reader" });
  });

  it("answers 503 when the issuer's keys can't be fetched, 400 without a token", async () => {
    const { issuer } = await world();
    issuer.failWith = 500;
    expect((await jsonOf(await exchange(await issuer.sign(githubClaims())), 503)).error.code).toBe("UnavailableOidcIssuer");
    issuer.failWith = null;
    const liar = await world();
    liar.issuer.discoveryIssuer = "https://someone-else.test";
    expect((await jsonOf(await exchange(await liar.issuer.sign(githubClaims())), 503)).error.code).toBe("UnavailableOidcIssuer");
    expect((await jsonOf(await req("/api/v1/oidc/exchange", { method: "POST", json: {} }), 400)).error.code).toBe("InvalidOidcTokenRequired");
    expect((await jsonOf(await exchange("not-a-jwt"), 401)).error.code).toBe("UnauthorizedOidcToken");
  });
});
