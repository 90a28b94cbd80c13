/**
 * The internal API's door: only a service JWT in `Orbitalreg-Internal-Api-Request`, with
 * the configured key, audience, subject prefix and a short expiry; every other credential
 * refused (and ignored); the whole mount 404 unless a key is configured.
 */
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { env } from "cloudflare:test";
import { exportSPKI, SignJWT } from "jose";
import { ADMIN, jsonOf, req } from "../helpers";
import { HEADER, ON, internal, npmRepo, publishNpm, scannerJwt } from "./support";
import { config } from "../../src/config";

const feed = "/internal/scanner/feed?limit=1";

async function expectRefused(r: { res: Response; json: () => any }, code = "UnauthorizedInternalJwt") {
  expect(r.res.status).toBe(401);
  expect(r.json().error.code).toBe(code);
}

describe("internal API authentication", () => {
  it("is off (404 on every path, whatever the credential) unless a key is configured", async () => {
    const off = { ...env, ORBITALREG_INTERNAL_JWT_SECRET: undefined };
    for (const path of [feed, "/internal/scanner/repos/x/info?name=a&version=1", "/internal", "/internal/nothing"]) {
      const r = await internal(path, {}, off);
      expect(r.res.status, path).toBe(404);
      expect(r.json().error.code).toBe("NotFoundRoute");
    }
    expect((await internal(feed, { jwt: null, headers: { Authorization: `Bearer ${ADMIN}` } }, off)).res.status).toBe(404);
    expect((await internal(feed)).res.status).toBe(200); // the same request with the key set
  });

  it("refuses a short secret or a public key that is not a PEM, naming the setting (503 on every request)", () => {
    expect(() => config({ ...env, ORBITALREG_INTERNAL_JWT_SECRET: "short" } as typeof env)).toThrow(/ORBITALREG_INTERNAL_JWT_SECRET must be at least 32 characters/);
    expect(() => config({ ...env, ORBITALREG_INTERNAL_JWT_PUBLIC_KEY: "ssh-ed25519 AAAA" } as typeof env)).toThrow(/ORBITALREG_INTERNAL_JWT_PUBLIC_KEY must be a PEM public key/);
    expect(config({ ...env, ORBITALREG_INTERNAL_JWT_AUDIENCE: "mine", ORBITALREG_INTERNAL_JWT_SUBJECT_PREFIX: "indexer:" } as typeof env).internalJwt).toMatchObject({ audience: "mine", subjectPrefix: "indexer:" });
  });

  it("takes the audience and subject prefix from their settings", async () => {
    const custom = { ...ON, ORBITALREG_INTERNAL_JWT_AUDIENCE: "mine", ORBITALREG_INTERNAL_JWT_SUBJECT_PREFIX: "indexer:" };
    expect((await internal(feed, { jwt: await scannerJwt({ aud: "mine", sub: "indexer:x" }) }, custom)).res.status).toBe(200);
    await expectRefused(await internal(feed, { jwt: await scannerJwt() }, custom));
  });

  it("accepts a fresh HS256 token with the audience and the subject prefix", async () => {
    const r = await internal(feed);
    expect(r.res.status, r.text()).toBe(200);
    expect(r.json()).toMatchObject({ items: expect.any(Array) });
  });

  it("refuses a wrong audience, a wrong subject prefix, an expired token, one without exp, one living too long, and a wrong key", async () => {
    await expectRefused(await internal(feed, { jwt: await scannerJwt({ aud: "someone-else" }) }));
    await expectRefused(await internal(feed, { jwt: await scannerJwt({ aud: null }) }));
    await expectRefused(await internal(feed, { jwt: await scannerJwt({ sub: "indexer:test" }) }));
    await expectRefused(await internal(feed, { jwt: await scannerJwt({ sub: "scanner:" }) }));
    await expectRefused(await internal(feed, { jwt: await scannerJwt({ sub: null }) }));
    await expectRefused(await internal(feed, { jwt: await scannerJwt({ expIn: -120 }) }));
    await expectRefused(await internal(feed, { jwt: await scannerJwt({ expIn: null }) }));
    await expectRefused(await internal(feed, { jwt: await scannerJwt({ expIn: 3600 }) }));
    await expectRefused(await internal(feed, { jwt: await scannerJwt({ expIn: 200, iatIn: -400 }) })); // issued for 10 minutes
    await expectRefused(await internal(feed, { jwt: await scannerJwt({}, new TextEncoder().encode("another-secret-of-at-least-32-characters!")) }));
    await expectRefused(await internal(feed, { jwt: "not.a.jwt" }));
    const unsigned = `${btoa(JSON.stringify({ alg: "none" })).replace(/=/g, "")}.${btoa(JSON.stringify({ sub: "scanner:x", aud: "orbitalreg-internal", exp: Math.floor(Date.now() / 1000) + 60 })).replace(/=/g, "")}.`;
    await expectRefused(await internal(feed, { jwt: unsigned }));
  });

  it("refuses every user, token and session credential: in its header, or alone in Authorization (ignored there)", async () => {
    const { token, project } = await npmRepo();
    await expectRefused(await internal(feed, { jwt: token }));
    await expectRefused(await internal(feed, { jwt: ADMIN }));
    const v2 = await jsonOf(await req(`/v2/token?service=registry&scope=repository:${project.slug}/x/y:pull`, { headers: { Authorization: `Basic ${btoa(`ci:${token}`)}` } }), 200);
    await expectRefused(await internal(feed, { jwt: v2.token }));
    await expectRefused(await internal(feed, { jwt: null, headers: { Authorization: `Bearer ${ADMIN}` } }), "UnauthorizedInternalJwtRequired");
    await expectRefused(await internal(feed, { jwt: null, headers: { Cookie: "orbitalreg_session=whatever" } }), "UnauthorizedInternalJwtRequired");
    // A broken Authorization header next to a good service JWT is not even read.
    expect((await internal(feed, { headers: { Authorization: "Bearer orbsa_not-a-real-token" } })).res.status).toBe(200);
  });

  it("is accepted nowhere else: the service JWT is not a credential of the governance API", async () => {
    const jwt = await scannerJwt();
    const res = await req("/api/v1/projects", { token: jwt });
    expect(res.status).toBe(401);
    const res2 = await req("/api/v1/projects", { headers: { [HEADER]: jwt } });
    expect((await jsonOf(res2, 200)).items).toEqual([]); // anonymous: the header means nothing there
  });

  it("verifies EdDSA tokens with a configured Ed25519 public key, and only those", async () => {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const pem = await exportSPKI(pair.publicKey as never);
    const keyed = { ...env, ORBITALREG_INTERNAL_JWT_PUBLIC_KEY: pem };
    const now = Math.floor(Date.now() / 1000);
    const signed = (alg: string) => new SignJWT({}).setProtectedHeader({ alg }).setSubject("scanner:ed").setAudience("orbitalreg-internal").setExpirationTime(now + 60).sign(pair.privateKey as never);
    expect((await internal(feed, { jwt: await signed("EdDSA") }, keyed)).res.status).toBe(200);
    await expectRefused(await internal(feed, { jwt: await scannerJwt() }, keyed)); // HS256: no secret configured
    const other = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const forged = await new SignJWT({}).setProtectedHeader({ alg: "EdDSA" }).setSubject("scanner:ed").setAudience("orbitalreg-internal").setExpirationTime(now + 60).sign(other.privateKey as never);
    await expectRefused(await internal(feed, { jwt: forged }, keyed));
  });

  it("logs every internal request with the scanner's subject, and audits a report under it", async () => {
    const { repo, base, token } = await npmRepo();
    await publishNpm(base, token, "audited", "1.0.0", { "index.js": "x" });
    const jwt = await scannerJwt({ sub: "scanner:trivy-prod" });
    const r = await internal("/internal/scanner/findings", { method: "POST", jwt, json: { artifact: { repo_id: repo.id, name: "audited", version: "1.0.0" }, scanner: { name: "trivy" }, findings: [{ identifier: "CVE-2026-7", severity: "high" }] } });
    expect(r.res.status, r.text()).toBe(201);
    const rows = (await jsonOf(await req(`/api/v1/audit?action=finding.report&limit=500`, { token: ADMIN }), 200)).items as any[];
    const row = rows.find((a) => a.resource_id === "audited@1.0.0");
    expect(row).toMatchObject({ actor: { type: "internal", id: "scanner:trivy-prod" } });
    const log = vi.spyOn(console, "log");
    onTestFinished(() => log.mockRestore());
    await internal(feed, { jwt });
    const lines = log.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('"internal_api"')).map((l) => JSON.parse(l).internal_api);
    expect(lines).toContainEqual(expect.objectContaining({ subject: "scanner:trivy-prod", method: "GET", path: "/internal/scanner/feed", status: 200 }));
  });
});
