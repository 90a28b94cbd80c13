/**
 * Who pulled: every successful download is queued for the download log (never written
 * on the request path), the consumer writes it in one batch with each version's last
 * download, and /api/v1/security/who-pulled reads it back by artifact or by principal,
 * for the admins of what it covers. The consumer is driven message by message here, as
 * the Queues runtime would call it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMessageBatch, env } from "cloudflare:test";
import worker from "../../src/index";
import { downloadLog } from "../support/download-log";
import { database } from "../../src/db/client";
import { purgeDownloadLog } from "../../src/services/artifacts";
import { ADMIN, createServiceAccount, expectError, jsonOf, mintTokenFull, projectWithToken, req, unique } from "../helpers";
import { OCI_MANIFEST, oci, pushImage } from "../oci-helpers";
import { TestIssuer, githubClaims } from "../support/issuer";
import { installOutbound, uninstallOutbound } from "../support/outbound";
import { call, npmPublish, ok, repoOf } from "./publish";

beforeAll(installOutbound);
afterAll(uninstallOutbound);

const whoPulled = (query: Record<string, string>, token = ADMIN) => req(`/api/v1/security/who-pulled?${new URLSearchParams(query)}`, { token });

describe("who pulled", () => {
  it("lists exactly the pulls of two tokens (not HEADs, 304s or refused pulls), by artifact, by token and by time, paged", async () => {
    const w = await repoOf("npm");
    const name = unique("pulled");
    const p = await npmPublish(w, name, "1.0.0");
    await ok(p.res);
    const blocked = await npmPublish(w, name, "1.0.1");
    await ok(blocked.res);
    await jsonOf(await req("/api/admin/security", { method: "POST", token: ADMIN, json: { format: "npm", package: name, versions: ["1.0.1"], reason: "r", customer_message: "m" } }), 201);
    const other = await createServiceAccount(w.project.id, "reader");
    const second = await mintTokenFull(w.project.id, other.id);
    const log = downloadLog();
    const pull = (token: string, init: RequestInit = {}) => call(p.tarball, `Bearer ${token}`, init);
    expect((await pull(w.token)).status).toBe(200);
    expect((await pull(second.token, { headers: { "User-Agent": "npm/11.0.0 node/v22" } })).status).toBe(200);
    expect((await pull(w.token)).status).toBe(200);
    expect((await pull(w.token, { method: "HEAD" })).status).toBe(200);
    expect((await pull(w.token, { headers: { "If-None-Match": `"${p.digest}"` } })).status).toBe(304);
    expect((await call(blocked.tarball, `Bearer ${w.token}`)).status).toBe(451);
    expect(await log.messages()).toHaveLength(3);
    await log.consume();
    log.restore();

    const all = await jsonOf(await whoPulled({ repo_id: w.repo.id, package: name, version: "1.0.0" }), 200);
    expect(all.items).toHaveLength(3);
    expect(all.items.map((i: any) => i.token_id)).toEqual([expect.any(String), second.id, expect.any(String)]);
    expect(all.items[1]).toMatchObject({ package: name, version: "1.0.0", file: `${name}-1.0.0.tgz`, digest: p.digest, format: "npm", principal: { type: "service_account", id: other.id, name: other.name }, user_agent: "npm/11.0.0 node/v22", claims: null });
    expect(all.summary.downloads).toBe(3);
    expect(all.summary.principals).toEqual([
      expect.objectContaining({ principal: { type: "service_account", id: w.sa.id, name: expect.any(String) }, downloads: 2 }),
      expect.objectContaining({ principal: { type: "service_account", id: other.id, name: other.name }, token_id: second.id, downloads: 1 }),
    ]);
    expect(all.summary.first_pulled_at).toBe(all.items[0].pulled_at);
    expect(all.summary.last_pulled_at).toBe(all.items[2].pulled_at);

    expect((await jsonOf(await whoPulled({ project_id: w.project.id, token_id: second.id }), 200)).items).toHaveLength(1);
    expect((await jsonOf(await whoPulled({ digest: p.digest }), 200)).items).toHaveLength(3);
    const since = new Date(Date.parse(all.items[1].pulled_at)).toISOString();
    expect((await jsonOf(await whoPulled({ repo_id: w.repo.id, since }), 200)).items).toHaveLength(2);
    const first = await jsonOf(await whoPulled({ repo_id: w.repo.id, limit: "2" }), 200);
    expect(first.items).toHaveLength(2);
    const rest = await jsonOf(await whoPulled({ repo_id: w.repo.id, limit: "2", cursor: first.next_cursor }), 200);
    expect(rest).toMatchObject({ next_cursor: null, items: [{ id: all.items[2].id }] });

    const versions = await jsonOf(await req(`/api/v1/repos/${w.repo.id}/packages/${encodeURIComponent(name)}/versions`, { token: ADMIN }), 200);
    expect(versions.items[0].last_downloaded_at).toBe(all.items[2].pulled_at);
  });

  it("writes nothing twice when the queue redelivers, and keeps the log for its retention period", async () => {
    const w = await repoOf("generic");
    const path = `/generic/${w.project.slug}/${w.repo.slug}/${unique("f")}.bin`;
    await ok(await call(path, `Bearer ${w.token}`, { method: "PUT", body: "bytes" }));
    const log = downloadLog();
    expect((await call(path, `Bearer ${w.token}`)).status).toBe(200);
    const [message] = await log.messages();
    await log.consume();
    await worker.queue(createMessageBatch("orbitalreg-downloads", [{ id: "again", timestamp: new Date(), attempts: 2, body: message }]), env);
    log.restore();
    expect((await jsonOf(await whoPulled({ repo_id: w.repo.id }), 200)).items).toHaveLength(1);
    await purgeDownloadLog(database(env.DB), 86_400_000, Date.now() + 2 * 86_400_000);
    expect((await jsonOf(await whoPulled({ repo_id: w.repo.id }), 200)).items).toHaveLength(0);
  });

  it("records image pulls (a manifest GET) with the reference, and names an OIDC-exchanged token's CI run", async () => {
    const issuer = await TestIssuer.create();
    const { project, token } = await projectWithToken("writer");
    const repo = (await jsonOf(await req("/api/v1/repos", { method: "POST", token: ADMIN, json: { project_id: project.id, slug: unique("r"), format: "docker" } }), 201));
    const trust = await jsonOf(
      await req("/api/admin/oidc/trust-policies", {
        method: "POST",
        token: ADMIN,
        json: { name: unique("gh"), issuer: issuer.url, audiences: ["https://registry.test"], project_id: project.id, role: "reader", claim_conditions: [{ claim: "repository", match: "exact", values: ["acme/app"] }] },
      }),
      201,
    );
    const exchanged = await jsonOf(await req("/api/v1/oidc/exchange", { method: "POST", json: { token: await issuer.sign(githubClaims({ workflow: "release", run_id: "4711" })) } }), 200);
    const name = `${project.slug}/${repo.slug}/${unique("app")}`;
    const img = await pushImage(name, token, "v1", 41);
    const log = downloadLog();
    expect((await oci(`/v2/${name}/manifests/v1`, { auth: exchanged.token, headers: { Accept: OCI_MANIFEST } })).status).toBe(200);
    expect((await oci(`/v2/${name}/manifests/v1`, { method: "HEAD", auth: exchanged.token, headers: { Accept: OCI_MANIFEST } })).status).toBe(200);
    expect((await oci(`/v2/${name}/blobs/${img.layer.digest}`, { auth: exchanged.token })).status).toBe(200);
    await log.consume();
    log.restore();
    const pulls = await jsonOf(await whoPulled({ repo_id: repo.id }), 200);
    expect(pulls.items).toHaveLength(1);
    expect(pulls.items[0]).toMatchObject({
      package: name.split("/").pop(),
      version: "v1",
      digest: img.manifest.digest,
      principal: { type: "oidc", id: trust.id },
      claims: { repository: "acme/app", workflow: "release", run_id: "4711", ref: "refs/heads/main", sub: "repo:acme/app:environment:prod" },
    });
    const details = await jsonOf(await req(`/api/v1/repos/${repo.id}/images/${name.split("/").pop()}/manifests/${img.manifest.digest}`, { token: ADMIN }), 200);
    expect(details.last_downloaded_at).toBe(pulls.items[0].pulled_at);
  });

  it("is for the admins of what it covers", async () => {
    const w = await repoOf("npm");
    const reader = await createServiceAccount(w.project.id, "reader");
    const readerToken = (await mintTokenFull(w.project.id, reader.id)).token;
    const admin = await createServiceAccount(w.project.id, "admin");
    const adminToken = (await mintTokenFull(w.project.id, admin.id)).token;
    await expectError(await whoPulled({ repo_id: w.repo.id }, readerToken), 403, "ForbiddenInsufficientPermissions");
    await expectError(await req(`/api/v1/security/who-pulled?repo_id=${w.repo.id}`), 401, "UnauthorizedCredentialsRequired");
    await expectError(await whoPulled({}, adminToken), 400, "InvalidWhoPulledFilter");
    await expectError(await whoPulled({ project_id: w.project.id, since: "2026-01-02T00:00:00Z", until: "2026-01-01T00:00:00Z" }, adminToken), 400, "InvalidWhoPulledFilter");
    expect((await whoPulled({ repo_id: w.repo.id }, adminToken)).status).toBe(200);
    expect((await whoPulled({ project_id: w.project.id }, adminToken)).status).toBe(200);
    const elsewhere = await projectWithToken("admin");
    await expectError(await whoPulled({ repo_id: w.repo.id }, elsewhere.token), 403, "ForbiddenInsufficientPermissions");
  });
});
