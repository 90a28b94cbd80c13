/**
 * Scan findings: who may report (the `scan` scope), filters, re-reports, status changes
 * (audited, `accepted` with justification and expiry), thresholds and their events, and
 * the SARIF/OSV imports.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { ADMIN, audit, captureEvents, createRepo, createServiceAccount, expectError, jsonOf, mintToken, projectWithToken, req } from "../helpers";
import { esc, publishBody } from "../npm-fixtures";
import { ociRepo, pushImage } from "../oci-helpers";
import { clearAllCaches } from "../../src/core/ttl-cache";
import { cvss3BaseScore } from "../../src/core/cvss";

async function npmPackage() {
  const { project, sa, token } = await projectWithToken("writer");
  const repo = await createRepo(project.id, "npm");
  const { body } = await publishBody("left-pad", "1.0.0");
  await jsonOf(await req(`/npm/${project.slug}/${repo.slug}/${esc("left-pad")}`, { method: "PUT", token, json: body }), 201);
  const scanner = await mintToken(project.id, sa.id, { scopes: ["read", "scan"] });
  return { project, sa, repo, token, scanner, artifact: { repo_id: repo.id, name: "left-pad", version: "1.0.0" } };
}

const report = (artifact: unknown, findings: unknown[], scanner = { name: "trivy", version: "0.58.1" }) => ({ artifact, scanner, findings });
const post = (token: string | null, body: unknown) => req("/api/v1/detection/findings", { method: "POST", token, json: body });
const list = async (token: string, query: Record<string, string>) => (await jsonOf(await req(`/api/v1/detection/findings?${new URLSearchParams(query)}`, { token }), 200)).items as any[];

const critical = { identifier: "CVE-2026-0001", severity: "critical", summary: "remote code execution", component: { name: "left-pad", version: "1.0.0" }, fixed_in: ["1.0.1"] };
const high = { identifier: "CVE-2026-0002", cvss: { score: 7.5, vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N" }, summary: "information disclosure" };
const low = { identifier: "GHSA-aaaa-bbbb-cccc", severity: "low", kind: "vulnerability", path: "package/index.js" };

describe("reporting findings", () => {
  it("takes a report from a token with the scan scope and refuses tokens without it", async () => {
    const { project, sa, scanner, artifact } = await npmPackage();
    const readOnly = await mintToken(project.id, sa.id, { scopes: ["read"] });
    const reader = await mintToken(project.id, (await createServiceAccount(project.id, "reader")).id);
    await expectError(await post(null, report(artifact, [critical])), 401, "UnauthorizedCredentialsRequired");
    await expectError(await post(readOnly, report(artifact, [critical])), 403, "ForbiddenInsufficientPermissions");
    await expectError(await post(reader, report(artifact, [critical])), 403, "ForbiddenInsufficientPermissions");
    const other = await projectWithToken("writer");
    await expectError(await post(other.token, report(artifact, [critical])), 403, "ForbiddenInsufficientPermissions");

    const body = await jsonOf(await post(scanner, report(artifact, [critical, high, low])), 201);
    expect(body).toMatchObject({ created: 3, updated: 0 });
    expect(body.findings.map((f: any) => f.severity)).toEqual(["critical", "high", "low"]); // high: from the CVSS score
    expect(body.findings[0]).toMatchObject({ artifact: { type: "package", name: "left-pad", version: "1.0.0" }, status: "open", scanner: { name: "trivy", version: "0.58.1" }, component: { name: "left-pad", version: "1.0.0" }, fixed_in: ["1.0.1"] });
  });

  it("refuses an unknown artifact and a reference without a version", async () => {
    const { scanner, artifact } = await npmPackage();
    await expectError(await post(scanner, report({ ...artifact, version: "9.9.9" }, [critical])), 404, "NotFoundVersion");
    await expectError(await post(scanner, report({ repo_id: artifact.repo_id, name: "left-pad" }, [critical])), 400, "InvalidArtifactRef");
  });

  it("updates a finding reported again instead of duplicating it, and sends one coalesced finding.created per report", async () => {
    const { scanner, artifact, repo } = await npmPackage();
    const events = captureEvents();
    await jsonOf(await post(scanner, report(artifact, [critical, high])), 201);
    const again = await jsonOf(await post(scanner, report(artifact, [{ ...critical, summary: "RCE (updated)" }, low])), 201);
    expect(again).toMatchObject({ created: 1, updated: 1 });
    const all = await list(ADMIN, { repo_id: repo.id });
    expect(all).toHaveLength(3);
    expect(all.find((f) => f.identifier === critical.identifier).summary).toBe("RCE (updated)");
    const created = events.events().filter((e) => e.type === "finding.created");
    expect(created.map((e) => e.data.count)).toEqual([2, 1]);
    expect(created[0]!.data.findings.map((f: any) => f.identifier)).toEqual([critical.identifier, high.identifier]);
    expect(created[0]!.data.artifact).toMatchObject({ format: "npm", package: "left-pad", version: "1.0.0" });
  });

  it("files findings on an image by tag or digest, under its manifest digest", async () => {
    const { project, repo, sa, name } = await ociRepo("writer");
    const token = await mintToken(project.id, sa.id);
    const { manifest } = await pushImage(name, token, "1.0");
    const scanner = await mintToken(project.id, sa.id, { scopes: ["scan"] }); // scan alone: enough to report
    await jsonOf(await post(scanner, report({ repo_id: repo.id, name: "app", version: "1.0" }, [critical])), 201);
    await jsonOf(await post(scanner, report({ repo_id: repo.id, name: "app", digest: manifest.digest }, [high])), 201);
    const found = await list(token, { repo_id: repo.id, version: manifest.digest });
    expect(found.map((f) => [f.artifact.type, f.artifact.version, f.artifact.digest])).toEqual([
      ["image", manifest.digest, manifest.digest],
      ["image", manifest.digest, manifest.digest],
    ]);
  });
});

describe("listing findings", () => {
  it("filters by severity, minimum severity, status, scanner, identifier and time, and needs a repo or project unless admin", async () => {
    const { project, repo, token, scanner, artifact } = await npmPackage();
    const t0 = new Date(Date.now() - 1000).toISOString();
    await jsonOf(await post(scanner, report(artifact, [critical, high])), 201);
    await jsonOf(await post(scanner, report(artifact, [low], { name: "grype", version: "0.80" })), 201);
    const ids = (items: any[]) => items.map((f) => f.identifier).sort();
    expect(ids(await list(token, { repo_id: repo.id, severity: "critical,low" }))).toEqual([critical.identifier, low.identifier].sort());
    expect(ids(await list(token, { project_id: project.id, min_severity: "high" }))).toEqual([critical.identifier, high.identifier].sort());
    expect(ids(await list(token, { repo_id: repo.id, scanner: "grype" }))).toEqual([low.identifier]);
    expect(ids(await list(token, { repo_id: repo.id, identifier: high.identifier }))).toEqual([high.identifier]);
    expect(await list(token, { repo_id: repo.id, until: t0 })).toEqual([]);
    expect(ids(await list(token, { repo_id: repo.id, since: t0 }))).toHaveLength(3);
    expect(await list(token, { repo_id: repo.id, since: new Date(Date.now() + 3_600_000).toISOString() })).toEqual([]);
    expect(await list(token, { repo_id: repo.id, severity: "low", min_severity: "high" })).toEqual([]);
    expect(ids(await list(token, { repo_id: repo.id, name: "left-pad", version: "1.0.0", status: "open" }))).toHaveLength(3);
    await expectError(await req("/api/v1/detection/findings", { token }), 400, "InvalidFindingsScopeRequired");
    await expectError(await req(`/api/v1/detection/findings?repo_id=${repo.id}`, { token: (await projectWithToken()).token }), 403, "ForbiddenInsufficientPermissions");
    expect((await list(ADMIN, { identifier: low.identifier })).some((f) => f.repo_id === repo.id)).toBe(true);
  });
});

describe("finding status", () => {
  it("accepts with a justification and an expiry (audited, finding.updated), and an expired acceptance is open again", async () => {
    const { project, sa, repo, token, scanner, artifact } = await npmPackage();
    const [f] = (await jsonOf(await post(scanner, report(artifact, [critical])), 201)).findings;
    const patch = (t: string, json: unknown) => req(`/api/v1/detection/findings/${f.id}`, { method: "PATCH", token: t, json });
    await expectError(await patch(token, { status: "accepted" }), 400, "InvalidFindingStatus");
    await expectError(await patch(token, { status: "accepted", justification: "ok", expires_at: new Date(Date.now() - 60_000).toISOString() }), 400, "InvalidFindingStatus");
    const reader = await mintToken(project.id, (await createServiceAccount(project.id, "reader")).id);
    await expectError(await patch(reader, { status: "accepted", justification: "ok" }), 403, "ForbiddenInsufficientPermissions");
    await expectError(await patch(scanner, { status: "accepted", justification: "ok" }), 403, "ForbiddenInsufficientPermissions");

    const events = captureEvents();
    const until = new Date(Date.now() + 86_400_000).toISOString();
    const accepted = await jsonOf(await patch(token, { status: "accepted", justification: "not reachable", expires_at: until }), 200);
    expect(accepted).toMatchObject({ status: "accepted", justification: "not reachable", expires_at: until, status_updated_by: expect.any(String) });
    const [entry] = await audit({ resource_type: "finding", resource_id: f.id });
    expect(entry).toMatchObject({ action: "finding.status", before: { status: "open" }, after: { status: "accepted", justification: "not reachable" } });
    expect(events.events().find((e) => e.type === "finding.updated")!.data).toMatchObject({ finding_id: f.id, before: { status: "open" }, after: { status: "accepted" } });
    expect(await list(token, { repo_id: repo.id, status: "open" })).toEqual([]);

    await env.DB.prepare("UPDATE findings SET status_expires_at = ? WHERE id = ?").bind(Date.now() - 1, f.id).run();
    clearAllCaches();
    expect((await jsonOf(await req(`/api/v1/detection/findings/${f.id}`, { token }), 200)).status).toBe("open");
    expect((await list(token, { repo_id: repo.id, status: "open" })).map((x) => x.id)).toEqual([f.id]);
    expect(await list(token, { repo_id: repo.id, status: "accepted" })).toEqual([]);
    expect(sa.id).toBeTruthy();
  });

  it("reopens a fixed finding that a scanner reports again", async () => {
    const { token, scanner, artifact } = await npmPackage();
    const [f] = (await jsonOf(await post(scanner, report(artifact, [critical])), 201)).findings;
    await jsonOf(await req(`/api/v1/detection/findings/${f.id}`, { method: "PATCH", token, json: { status: "fixed" } }), 200);
    const again = await jsonOf(await post(scanner, report(artifact, [critical])), 201);
    expect(again.findings[0]).toMatchObject({ id: f.id, status: "open" });
  });
});

describe("finding thresholds", () => {
  it("sends finding.threshold-exceeded when a report or a reopening takes the count over the maximum, once per crossing", async () => {
    const { project, token, scanner, artifact } = await npmPackage();
    await expectError(await req(`/api/v1/projects/${project.id}/finding_thresholds`, { method: "POST", token, json: { name: "no-criticals", severity: "critical", max_count: 0 } }), 403, "ForbiddenInsufficientPermissions");
    const t = await jsonOf(await req(`/api/v1/projects/${project.id}/finding_thresholds`, { method: "POST", token: ADMIN, json: { name: "no-criticals", severity: "critical", max_count: 0 } }), 201);
    await jsonOf(await req(`/api/v1/projects/${project.id}/finding_thresholds`, { method: "POST", token: ADMIN, json: { name: "few-highs", severity: "high", max_count: 1 } }), 201);
    await expectError(await req(`/api/v1/projects/${project.id}/finding_thresholds`, { method: "POST", token: ADMIN, json: { name: "no-criticals", severity: "high", max_count: 3 } }), 409, "ConflictFindingThresholdNameInUse");

    const events = captureEvents();
    const exceeded = () => events.events().filter((e) => e.type === "finding.threshold-exceeded").map((e) => e.data.name);
    await jsonOf(await post(scanner, report(artifact, [high])), 201);
    expect(exceeded()).toEqual([]); // one high: within both
    const [f] = (await jsonOf(await post(scanner, report(artifact, [critical])), 201)).findings;
    expect(exceeded()).toEqual(["no-criticals", "few-highs"]); // critical counts as "high or above" too
    expect(events.events().find((e) => e.type === "finding.threshold-exceeded")!.data).toMatchObject({ threshold_id: t.id, threshold: { severity: "critical", max: 0 }, count: 1, counts: { critical: 1, high: 1 } });
    await jsonOf(await post(scanner, report(artifact, [critical])), 201);
    expect(exceeded()).toHaveLength(2); // still over: no new crossing

    await jsonOf(await req(`/api/v1/detection/findings/${f.id}`, { method: "PATCH", token, json: { status: "false_positive", justification: "test fixture" } }), 200);
    await jsonOf(await req(`/api/v1/detection/findings/${f.id}`, { method: "PATCH", token, json: { status: "open" } }), 200);
    expect(exceeded()).toEqual(["no-criticals", "few-highs", "no-criticals", "few-highs"]);

    const [entry] = await audit({ resource_type: "finding_threshold", resource_id: t.id });
    expect(entry).toMatchObject({ action: "finding_threshold.create", after: { name: "no-criticals", severity: "critical", max_count: 0 } });
    await jsonOf(await req(`/api/v1/projects/${project.id}/finding_thresholds/${t.id}`, { method: "PATCH", token: ADMIN, json: { max_count: 5 } }), 200);
    expect((await req(`/api/v1/projects/${project.id}/finding_thresholds/${t.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    const left = await jsonOf(await req(`/api/v1/projects/${project.id}/finding_thresholds`, { token }), 200);
    expect(left.items.map((x: any) => x.name)).toEqual(["few-highs"]);
  });
});

describe("imports", () => {
  const sarif = {
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "Trivy", version: "0.58.1", rules: [{ id: "CVE-2026-1111", shortDescription: { text: "bad thing" }, properties: { "security-severity": "9.1", tags: ["vulnerability", "security", "CRITICAL"] } }] } },
        results: [
          { ruleId: "CVE-2026-1111", ruleIndex: 0, level: "error", message: { text: "Package: left-pad\nInstalled Version: 1.0.0" }, locations: [{ physicalLocation: { artifactLocation: { uri: "package/package.json" } } }] },
          { ruleId: "secret-aws", level: "warning", message: { text: "AWS key" } },
          { level: "note", message: { text: "no id: skipped" } },
        ],
      },
    ],
  };

  it("files a SARIF 2.1.0 log: severity from security-severity, else the level; the scanner from the run's tool", async () => {
    const { scanner, artifact } = await npmPackage();
    const body = await jsonOf(await req("/api/v1/detection/imports", { method: "POST", token: scanner, json: { artifact, format: "sarif", document: sarif } }), 201);
    expect(body.findings.map((f: any) => [f.identifier, f.severity, f.kind, f.path, f.scanner.name])).toEqual([
      ["CVE-2026-1111", "critical", "vulnerability", "package/package.json", "Trivy"],
      ["secret-aws", "medium", "other", null, "Trivy"],
    ]);
    await expectError(await req("/api/v1/detection/imports", { method: "POST", token: scanner, json: { artifact, format: "sarif", document: { version: "2.0.0", runs: [] } } }), 400, "InvalidFindingImport");
    await expectError(await req("/api/v1/detection/imports", { method: "POST", token: scanner, json: { artifact, format: "sarif", document: { runs: [{ tool: {} }] } } }), 400, "InvalidFindingImport");
  });

  it("files OSV records and osv-scanner output: severity from a CVSS v3 vector or the database, fixed versions from ranges", async () => {
    const { scanner, artifact } = await npmPackage();
    const osv = [
      { id: "GHSA-1111-2222-3333", aliases: ["CVE-2026-2222"], summary: "prototype pollution", severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }], affected: [{ package: { name: "left-pad", ecosystem: "npm" }, ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed: "1.0.2" }] }] }] },
      { id: "MAL-2026-7", summary: "malicious code", database_specific: { severity: "CRITICAL" } },
      { id: "OSV-2026-9", summary: "no severity" },
    ];
    const body = await jsonOf(await req("/api/v1/detection/imports", { method: "POST", token: scanner, json: { artifact, format: "osv", scanner: { name: "osv-scanner" }, document: osv } }), 201);
    expect(body.findings.map((f: any) => [f.identifier, f.severity, f.kind, f.cvss?.score ?? null, f.fixed_in])).toEqual([
      ["GHSA-1111-2222-3333", "critical", "vulnerability", 9.8, ["1.0.2"]],
      ["MAL-2026-7", "critical", "malware", null, []],
      ["OSV-2026-9", "medium", "vulnerability", null, []],
    ]);
    const scannerOut = { results: [{ packages: [{ package: { name: "left-pad", version: "1.0.0", ecosystem: "npm" }, vulnerabilities: [osv[0]] }] }] };
    const again = await jsonOf(await req("/api/v1/detection/imports", { method: "POST", token: scanner, json: { artifact, format: "osv", scanner: { name: "osv-scanner" }, document: scannerOut } }), 201);
    expect(again.findings[0]).toMatchObject({ identifier: "GHSA-1111-2222-3333", component: { name: "left-pad", version: "1.0.0" } });
    await expectError(await req("/api/v1/detection/imports", { method: "POST", token: scanner, json: { artifact, format: "osv", document: osv } }), 400, "InvalidFindingImport");
  });

  it("computes CVSS v3 base scores as the specification's examples do", () => {
    expect(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")).toBe(9.8);
    expect(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H")).toBe(10);
    expect(cvss3BaseScore("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N")).toBe(3.1);
    expect(cvss3BaseScore("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H")).toBe(7.8);
    expect(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N")).toBe(6.4);
    expect(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N")).toBe(0);
    expect(cvss3BaseScore("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")).toBeNull();
    expect(cvss3BaseScore("CVSS:3.1/AV:N/AC:L")).toBeNull();
  });
});
