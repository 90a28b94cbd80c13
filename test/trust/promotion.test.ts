/**
 * Promotion between repositories: gates (every failed gate listed), linking without
 * copying (the target serves the same bytes, its project is charged), images with their
 * referrers and a new tag, who may promote, the event and audit of a promotion, and
 * policy's say (a blocked artifact, a licence the target's policy blocks).
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { ADMIN, audit, captureEvents, createProject, createRepo, expectError, jsonOf, mintToken, projectWithToken, req, unique } from "../helpers";
import { npmPublish, ok, repoOf } from "../policy/publish";
import { esc, publishBody } from "../npm-fixtures";
import { OCI_MANIFEST, oci, ociRepo, pushBlob, pushImage, putManifest, sha256 } from "../oci-helpers";

const setGates = async (repoId: string, gates: unknown, token = ADMIN) => req(`/api/v1/repos/${repoId}/promotion_gates`, { method: "PUT", token, json: gates });
const promote = (targetRepoId: string, body: unknown, token = ADMIN) => req(`/api/v1/repos/${targetRepoId}/promote`, { method: "POST", token, json: body });
const report = async (token: string, artifact: unknown, severity: string, identifier = "CVE-2026-1000") =>
  (await jsonOf(await req("/api/v1/detection/findings", { method: "POST", token, json: { artifact, scanner: { name: "trivy" }, findings: [{ identifier, severity }] } }), 201)).findings[0];
const quotaOf = async (projectId: string) => (await jsonOf(await req(`/api/v1/projects/${projectId}/quota`, { token: ADMIN }), 200)).usage;

async function npmStaging() {
  const staging = await projectWithToken("writer");
  const repo = await createRepo(staging.project.id, "npm");
  const { body, bytes } = await publishBody("left-pad", "1.0.0");
  await jsonOf(await req(`/npm/${staging.project.slug}/${repo.slug}/${esc("left-pad")}`, { method: "PUT", token: staging.token, json: body }), 201);
  const prodProject = await createProject();
  const prod = await createRepo(prodProject.id, "npm");
  return { staging, repo, prodProject, prod, bytes, artifact: { repo_id: repo.id, name: "left-pad", version: "1.0.0" } };
}

describe("promotion gates", () => {
  it("refuses a promotion listing every failed gate, and changes nothing", async () => {
    const { staging, prod, prodProject, artifact } = await npmStaging();
    await jsonOf(await setGates(prod.id, { max_severity: "high", required_labels: ["approved"], min_age_seconds: 3600 }), 200);
    await report(staging.token, artifact, "critical");
    const events = captureEvents();
    const res = await promote(prod.id, { artifact });
    const body: any = await expectError(res, 403, "ForbiddenPromotionGates");
    expect(body.detail.gates.map((g: any) => [g.gate, g.passed])).toEqual([
      ["findings", false],
      ["labels", false],
      ["min_age", false],
    ]);
    expect(body.detail.gates[0].reason).toContain("1 critical");
    expect(events.types()).not.toContain("artifact.promoted");
    expect((await quotaOf(prodProject.id)).used_bytes).toBe(0);
    expect((await req(`/npm/${prodProject.slug}/${prod.slug}/left-pad`, { token: ADMIN })).status).toBe(404);
  });

  it("lets an accepted finding through, and a finding below the gate's severity", async () => {
    const { staging, prod, artifact } = await npmStaging();
    await jsonOf(await setGates(prod.id, { max_severity: "high", required_labels: [], min_age_seconds: null }), 200);
    const crit = await report(staging.token, artifact, "critical");
    await report(staging.token, artifact, "medium", "CVE-2026-2000");
    await expectError(await promote(prod.id, { artifact }), 403, "ForbiddenPromotionGates");
    await jsonOf(await req(`/api/v1/detection/findings/${crit.id}`, { method: "PATCH", token: staging.token, json: { status: "accepted", justification: "not reachable" } }), 200);
    const done = await jsonOf(await promote(prod.id, { artifact }), 201);
    expect(done.gates).toEqual([{ gate: "findings", passed: true, reason: "no open finding at or above high" }]);
  });

  it("gates are read by readers and changed only by repo admins, audited", async () => {
    const { project, repo, sa } = await ociRepo("writer");
    const writer = await mintToken(project.id, sa.id);
    expect(await jsonOf(await req(`/api/v1/repos/${repo.id}/promotion_gates`, { token: writer }), 200)).toEqual({ configured: false, max_severity: null, required_labels: [], min_age_seconds: null });
    await expectError(await setGates(repo.id, { max_severity: "critical", required_labels: [], min_age_seconds: null }, writer), 403, "ForbiddenInsufficientPermissions");
    await jsonOf(await setGates(repo.id, { max_severity: "critical", required_labels: ["team=payments"], min_age_seconds: 60 }), 200);
    expect(await jsonOf(await req(`/api/v1/repos/${repo.id}/promotion_gates`, { token: writer }), 200)).toMatchObject({ configured: true, max_severity: "critical", required_labels: ["team=payments"], min_age_seconds: 60 });
    const rows = await audit({ action: "promotion_gates.set" });
    expect(rows.some((r) => r.resource_id === repo.id)).toBe(true);
    expect((await req(`/api/v1/repos/${repo.id}/promotion_gates`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect((await jsonOf(await req(`/api/v1/repos/${repo.id}/promotion_gates`, { token: writer }), 200)).configured).toBe(false);
  });
});

describe("promoting", () => {
  it("links a package version into another project's repo: same bytes, the target's quota charged, event and audit", async () => {
    const { prod, prodProject, bytes, artifact, staging } = await npmStaging();
    const before = await quotaOf(staging.project.id);
    const events = captureEvents();
    const done = await jsonOf(await promote(prod.id, { artifact }), 201);
    expect(done).toMatchObject({ format: "npm", name: "left-pad", version: "1.0.0", mode: "link", referrers: 0, from: { repo_id: artifact.repo_id }, to: { repo_id: prod.id, project_id: prodProject.id }, gates: [] });
    const packument = await jsonOf(await req(`/npm/${prodProject.slug}/${prod.slug}/left-pad`, { token: ADMIN }), 200);
    const tarball = await req(new URL(packument.versions["1.0.0"].dist.tarball).pathname, { token: ADMIN });
    expect(tarball.status).toBe(200);
    expect(new Uint8Array(await tarball.arrayBuffer())).toEqual(bytes);
    expect((await quotaOf(prodProject.id)).used_bytes).toBe(bytes.byteLength);
    expect(await quotaOf(staging.project.id)).toEqual(before);
    const promoted = events.events().filter((e) => e.type === "artifact.promoted");
    expect(promoted).toHaveLength(1);
    expect(promoted[0]!.project_id).toBe(prodProject.id);
    expect((await audit({ action: "artifact.promote", project_id: prodProject.id }))[0].after.to.repo_id).toBe(prod.id);
    await expectError(await promote(prod.id, { artifact }), 409, "ConflictVersionExists");
  });

  it("needs read on the source and write on the target, and the same format", async () => {
    const { staging, prod, prodProject, artifact } = await npmStaging();
    await expectError(await promote(prod.id, { artifact }, staging.token), 403, "ForbiddenInsufficientPermissions");
    const outsider = await projectWithToken("admin");
    const own = await createRepo(outsider.project.id, "npm");
    await expectError(await promote(own.id, { artifact }, outsider.token), 403, "ForbiddenInsufficientPermissions");
    const pypi = await createRepo(prodProject.id, "pypi");
    await expectError(await promote(pypi.id, { artifact }), 400, "InvalidPromotionTarget");
    await expectError(await promote(artifact.repo_id, { artifact }), 400, "InvalidPromotionTarget");
    await expectError(await promote(prod.id, { artifact }, null as unknown as string), 401, "UnauthorizedCredentialsRequired");
  });

  it("promotes an image by digest with its referrers and a new tag; the target pulls it by the same digest", async () => {
    const staging = await ociRepo("writer");
    const { manifest, layer } = await pushImage(staging.name, staging.token, "1.0");
    const sig = await pushBlob(staging.name, staging.token, "a signature");
    const empty = await pushBlob(staging.name, staging.token, "{}");
    const referrer = await putManifest(staging.name, staging.token, "sha256-sig", {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      config: { mediaType: "application/vnd.oci.empty.v1+json", digest: empty.digest, size: empty.size },
      layers: [{ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", digest: sig.digest, size: sig.size }],
      subject: { mediaType: OCI_MANIFEST, digest: manifest.digest, size: manifest.size },
    });
    expect(referrer.res.status).toBe(201);
    const prodRepo = await createRepo(staging.project.id, "docker");
    await jsonOf(await setGates(prodRepo.id, { max_severity: "critical", required_labels: ["org.opencontainers.image.source"], min_age_seconds: null }), 200);
    const artifact = { repo_id: staging.repo.id, name: "app", digest: manifest.digest };
    const refused: any = await expectError(await promote(prodRepo.id, { artifact, tag: "prod" }), 403, "ForbiddenPromotionGates");
    expect(refused.detail.gates.map((g: any) => [g.gate, g.passed])).toEqual([["findings", true], ["labels", false]]);
    await jsonOf(await req(`/api/v1/repos/${staging.repo.id}/manifests/${manifest.digest}/labels`, { method: "POST", token: staging.token, json: { key: "org.opencontainers.image.source", value: "https://example.test/app" } }), 201);

    const done = await jsonOf(await promote(prodRepo.id, { artifact, tag: "prod" }), 201);
    expect(done).toMatchObject({ format: "docker", name: "app", version: "prod", digest: manifest.digest, tag: "prod", referrers: 1 });
    const prodName = `${staging.project.slug}/${prodRepo.slug}/app`;
    const pulled = await oci(`/v2/${prodName}/manifests/prod`, { auth: staging.token, headers: { Accept: OCI_MANIFEST } });
    expect(pulled.status).toBe(200);
    expect(pulled.headers.get("Docker-Content-Digest")).toBe(manifest.digest);
    expect(await sha256(new Uint8Array(await pulled.arrayBuffer()))).toBe(manifest.digest);
    expect((await oci(`/v2/${prodName}/blobs/${layer.digest}`, { auth: staging.token })).status).toBe(200);
    const refs = await jsonOf(await oci(`/v2/${prodName}/referrers/${manifest.digest}`, { auth: staging.token }), 200);
    expect(refs.manifests.map((m: any) => m.digest)).toEqual([referrer.digest]);
    // Promoting an image that is already there is idempotent (manifests are content-addressed).
    expect((await promote(prodRepo.id, { artifact })).status).toBe(201);
  });
});

describe("a promotion and its audit row", () => {
  /** Runs `body` while D1 refuses every `artifact.promote` audit row (a trigger, as a failing write would). */
  async function whileAuditRefused(body: () => Promise<void>) {
    await env.DB.prepare("CREATE TRIGGER refuse_promotion_audit BEFORE INSERT ON audit_log WHEN NEW.action = 'artifact.promote' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END").run();
    try {
      await body();
    } finally {
      await env.DB.prepare("DROP TRIGGER refuse_promotion_audit").run();
    }
  }

  it("land together or not at all: with the audit row refused, the target gets no version and no image, and the same promotion then lands audited", async () => {
    const { prodProject, prod, artifact } = await npmStaging();
    const staging = await ociRepo("writer");
    const { manifest } = await pushImage(staging.name, staging.token, "1.0");
    const prodImages = await createRepo(staging.project.id, "docker");
    const image = { repo_id: staging.repo.id, name: "app", digest: manifest.digest };
    const prodName = `${staging.project.slug}/${prodImages.slug}/app`;

    await whileAuditRefused(async () => {
      expect((await promote(prod.id, { artifact })).status).toBe(500);
      expect((await promote(prodImages.id, { artifact: image, tag: "prod" })).status).toBe(500);
    });
    expect((await req(`/npm/${prodProject.slug}/${prod.slug}/left-pad`, { token: ADMIN })).status).toBe(404);
    expect((await oci(`/v2/${prodName}/manifests/prod`, { auth: staging.token, headers: { Accept: OCI_MANIFEST } })).status).toBe(404);
    expect((await oci(`/v2/${prodName}/manifests/${manifest.digest}`, { auth: staging.token, headers: { Accept: OCI_MANIFEST } })).status).toBe(404);
    expect(await audit({ action: "artifact.promote", project_id: prodProject.id })).toEqual([]);

    await jsonOf(await promote(prod.id, { artifact }), 201);
    await jsonOf(await promote(prodImages.id, { artifact: image, tag: "prod" }), 201);
    expect((await req(`/npm/${prodProject.slug}/${prod.slug}/left-pad`, { token: ADMIN })).status).toBe(200);
    expect((await oci(`/v2/${prodName}/manifests/prod`, { auth: staging.token, headers: { Accept: OCI_MANIFEST } })).status).toBe(200);
    expect((await audit({ action: "artifact.promote", project_id: prodProject.id })).map((e: any) => e.after.to.repo_id)).toEqual([prod.id]);
    expect((await audit({ action: "artifact.promote", project_id: staging.project.id })).map((e: any) => [e.after.to.repo_id, e.after.referrers])).toEqual([[prodImages.id, 0]]);
  });
});

describe("policy at promotion", () => {
  const gatesOf = (body: any) => body.detail.gates.map((g: any) => [g.gate, g.passed]);
  const block = async (json: Record<string, unknown>) =>
    jsonOf(await req("/api/admin/security", { method: "POST", token: ADMIN, json: { reason: "compromised maintainer account", customer_message: "Do not use.", ...json } }), 201);

  it("refuses a licence the target's policy blocks, listed with the other failed gates; an allowed licence passes", async () => {
    const staging = await repoOf("npm");
    const prodProject = await createProject();
    const prod = await createRepo(prodProject.id, "npm");
    const gpl = unique("gpl");
    const mit = unique("mit");
    await ok((await npmPublish(staging, gpl, "1.0.0", { license: "GPL-3.0-only" })).res);
    await ok((await npmPublish(staging, mit, "1.0.0", { license: "MIT" })).res);
    const policy = await jsonOf(await req("/api/admin/license-policies", { method: "POST", token: ADMIN, json: { name: unique("lp"), repo_id: prod.id, deny: ["GPL-*"], action: "block" } }), 201);
    await jsonOf(await setGates(prod.id, { max_severity: "high", required_labels: [], min_age_seconds: null }), 200);
    const artifact = { repo_id: staging.repo.id, name: gpl, version: "1.0.0" };
    await report(staging.token, artifact, "critical");
    const events = captureEvents();

    const refused: any = await expectError(await promote(prod.id, { artifact }), 403, "ForbiddenPromotionGates");
    expect(gatesOf(refused)).toEqual([["findings", false], ["license", false]]);
    expect(refused.detail.gates[1].reason).toBe(`licence policy '${policy.name}' refuses it: 'GPL-3.0-only' relies on GPL-3.0-only (denied)`);
    expect(refused.message).toContain("license (");
    expect(events.types()).not.toContain("artifact.promoted");
    expect(events.types()).not.toContain("license.violation");
    expect((await req(`/npm/${prodProject.slug}/${prod.slug}/${gpl}`, { token: ADMIN })).status).toBe(404);
    expect((await quotaOf(prodProject.id)).used_bytes).toBe(0);

    const done = await jsonOf(await promote(prod.id, { artifact: { repo_id: staging.repo.id, name: mit, version: "1.0.0" } }), 201);
    expect(done.gates).toEqual([
      { gate: "findings", passed: true, reason: "no open finding at or above high" },
      { gate: "license", passed: true, reason: "MIT: allowed by the target's licence policies" },
    ]);
  });

  it("refuses a blocked package version with its own gate, and one a block confines to the target", async () => {
    const staging = await repoOf("npm");
    const prodProject = await createProject();
    const prod = await createRepo(prodProject.id, "npm");
    const name = unique("evil");
    await ok((await npmPublish(staging, name, "1.0.0")).res);
    await ok((await npmPublish(staging, name, "1.0.1")).res);
    const b = await block({ format: "npm", package: name, versions: ["1.0.0"] });

    const refused: any = await expectError(await promote(prod.id, { artifact: { repo_id: staging.repo.id, name, version: "1.0.0" } }), 403, "ForbiddenPromotionGates");
    expect(gatesOf(refused)).toEqual([["security", false]]);
    expect(refused.detail.gates[0].reason).toBe(`it is blocked: security block ${b.id} (compromised maintainer account)`);
    expect((await req(`/npm/${prodProject.slug}/${prod.slug}/${name}`, { token: ADMIN })).status).toBe(404);

    // 1.0.1 is not blocked where it is, but a block confined to the target refuses it there.
    const there = await block({ format: "npm", package: name, versions: ["1.0.1"], project_id: prodProject.id, repo_id: prod.id });
    const refusedThere: any = await expectError(await promote(prod.id, { artifact: { repo_id: staging.repo.id, name, version: "1.0.1" } }), 403, "ForbiddenPromotionGates");
    expect(refusedThere.detail.gates).toEqual([{ gate: "security", passed: false, reason: `a block refuses it in the target: security block ${there.id} (compromised maintainer account)` }]);

    // Lifting the first block lets 1.0.0 through (no gate reported: nothing applies).
    expect((await req(`/api/admin/security/${b.id}`, { method: "DELETE", token: ADMIN })).status).toBe(200);
    expect((await jsonOf(await promote(prod.id, { artifact: { repo_id: staging.repo.id, name, version: "1.0.0" } }), 201)).gates).toEqual([]);
  });

  it("refuses a blocked image", async () => {
    const staging = await ociRepo("writer");
    const { manifest } = await pushImage(staging.name, staging.token, "1.0");
    const prodRepo = await createRepo(staging.project.id, "docker");
    const b = await block({ format: "docker", package: "app", project_id: staging.project.id, repo_id: staging.repo.id });
    const refused: any = await expectError(await promote(prodRepo.id, { artifact: { repo_id: staging.repo.id, name: "app", digest: manifest.digest } }), 403, "ForbiddenPromotionGates");
    expect(refused.detail.gates).toEqual([{ gate: "security", passed: false, reason: `it is blocked: security block ${b.id} (compromised maintainer account)` }]);
    expect((await oci(`/v2/${staging.project.slug}/${prodRepo.slug}/app/manifests/${manifest.digest}`, { auth: staging.token, headers: { Accept: OCI_MANIFEST } })).status).toBe(404);
  });
});
