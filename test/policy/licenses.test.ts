/**
 * Licence policies: judged as SPDX expressions at publish in every format that declares
 * a licence (refused: 403 and nothing kept; warned: published, audited, event), judged
 * again on stored versions when a policy changes (refused downloads answer 451 with the
 * policy in the envelope), and shown in the package and image APIs.
 */
import { describe, expect, it } from "vitest";
import { ADMIN, BASE, audit, captureEvents, expectError, jsonOf, req, unique } from "../helpers";
import { OCI_MANIFEST, errorsOf, oci, pushBlob, putManifest } from "../oci-helpers";
import { basicAuth, call, cargoPublish, goPut, mavenPut, npmPublish, ok, pom, pypiUpload, repoOf, type Where } from "./publish";

const policy = (json: Record<string, unknown>) => req("/api/admin/license-policies", { method: "POST", token: ADMIN, json: { name: unique("lp"), ...json } });
const noGpl = (w: Where, extra: Record<string, unknown> = {}) => policy({ repo_id: w.repo.id, deny: ["GPL-*", "AGPL-*"], action: "block", description: "GPL code can't ship in our products.", ...extra });
const quotaUsed = async (projectId: string) => (await jsonOf(await req(`/api/v1/projects/${projectId}/quota`, { token: ADMIN }), 200)).usage.used_bytes;
const versionsOf = async (w: Where, name: string) => (await jsonOf(await req(`/api/v1/repos/${w.repo.id}/packages/${encodeURIComponent(name)}/versions`, { token: ADMIN }), 200)).items as any[];

describe("licence policies API", () => {
  it("refuses identifiers that aren't SPDX, foreign scopes, empty rules and taken names", async () => {
    const w = await repoOf("npm");
    const other = await repoOf("npm");
    await expectError(await policy({ deny: ["GPL 3"], action: "block" }), 400, "InvalidLicensePolicy");
    await expectError(await policy({ deny: ["MIT"], action: "block", formats: ["nuget"] }), 400, "InvalidRequest");
    await expectError(await policy({ action: "warn" }), 400, "InvalidLicensePolicy");
    await expectError(await policy({ deny: ["MIT"], action: "warn", project_id: w.project.id, repo_id: other.repo.id }), 400, "InvalidLicensePolicy");
    const name = unique("taken");
    await jsonOf(await policy({ name, deny: ["MIT"], action: "warn", repo_id: w.repo.id }), 201);
    await expectError(await policy({ name, deny: ["MIT"], action: "warn" }), 409, "ConflictLicensePolicyNameInUse");
  });
});

describe("at publish", () => {
  it("refuses a GPL-only npm package under a deny-GPL policy and keeps nothing; MIT OR GPL passes", async () => {
    const w = await repoOf("npm");
    const p = await jsonOf(await noGpl(w), 201);
    const events = captureEvents();
    const name = unique("gpl");
    const refused = await npmPublish(w, name, "1.0.0", { license: "GPL-3.0-only" });
    const body = await jsonOf(refused.res, 403);
    expect(body).toMatchObject({ code: "ForbiddenLicensePolicy" });
    expect(body.error).toBe(`licence policy '${p.name}' refuses ${name} 1.0.0: 'GPL-3.0-only' relies on GPL-3.0-only (denied)`);
    expect((await call(refused.packument, `Bearer ${w.token}`)).status).toBe(404);
    expect(await quotaUsed(w.project.id)).toBe(0);
    expect(events.events().find((e) => e.type === "license.violation")).toMatchObject({ data: { policy_id: p.id, action: "block", outcome: "refused", license: "GPL-3.0-only", package: name } });

    const dual = await npmPublish(w, name, "1.0.1", { license: "MIT OR GPL-3.0-only" });
    await ok(dual.res);
    expect((await versionsOf(w, name))[0]).toMatchObject({ version: "1.0.1", license: "MIT OR GPL-3.0-only", policy: { license_blocked_by: null, held: false } });
  });

  it("applies the rule for unknown licences, and records a warning without refusing", async () => {
    const w = await repoOf("npm");
    await jsonOf(await policy({ repo_id: w.repo.id, deny: ["MPL-*"], action: "warn", unknown_action: "block" }), 201);
    const none = await npmPublish(w, unique("nolicense"), "1.0.0");
    expect((await jsonOf(none.res, 403)).error).toContain("no licence is declared (unknown licence)");
    const events = captureEvents();
    const name = unique("mpl");
    await ok((await npmPublish(w, name, "1.0.0", { license: "MPL-2.0" })).res);
    expect(events.events().find((e) => e.type === "license.violation")).toMatchObject({ data: { action: "warn", outcome: "warned", license: "MPL-2.0" } });
    expect((await audit({ action: "license.warn" })).some((a) => a.after.package === name)).toBe(true);
    expect((await versionsOf(w, name))[0].license).toBe("MPL-2.0");
  });

  it("judges PyPI classifiers, Cargo's MIT/GPL form, a Maven POM (the jar before it stays refused) and an image's licence annotation; never Go modules", async () => {
    const py = await repoOf("pypi");
    await jsonOf(await noGpl(py), 201);
    const up = await pypiUpload(py, unique("gpl").replace(/-/g, "_"), "1.0", { classifiers: ["License :: OSI Approved :: GNU General Public License v3 (GPLv3)"] });
    expect(up.res.status).toBe(403);
    expect(up.res.statusText).toContain("relies on GPL-3.0-only (denied)");

    const cargo = await repoOf("cargo");
    await jsonOf(await noGpl(cargo), 201);
    await ok((await cargoPublish(cargo, `c${unique("x").replace(/-/g, "_")}`, "1.0.0", { license: "MIT/GPL-3.0-only" })).res);
    const refusedCrate = await cargoPublish(cargo, `c${unique("x").replace(/-/g, "_")}`, "1.0.0", { license: "GPL-3.0-only" });
    expect((await jsonOf(refusedCrate.res, 403)).errors[0].detail).toContain("GPL-3.0-only (denied)");

    const mvn = await repoOf("maven");
    await jsonOf(await noGpl(mvn), 201);
    const art = unique("lib");
    const jar = await mavenPut(mvn, art, "1.0", "jar");
    await ok(jar.res);
    const pomPut = await mavenPut(mvn, art, "1.0", "pom", pom(art, "1.0", [{ name: "GNU General Public License v3.0", url: "https://www.gnu.org/licenses/gpl-3.0.html" }]));
    expect(pomPut.res.status).toBe(403);
    expect(await pomPut.res.text()).toContain("GPL-3.0");
    const jarNow = await call(jar.path, basicAuth(mvn.token));
    expect(jarNow.status).toBe(451);
    expect(await jarNow.text()).toContain("code can't ship");
    const fine = unique("lib");
    await ok((await mavenPut(mvn, fine, "1.0", "jar")).res);
    await ok((await mavenPut(mvn, fine, "1.0", "pom", pom(fine, "1.0", [{ name: "Apache License, Version 2.0", url: "https://www.apache.org/licenses/LICENSE-2.0.txt" }]))).res);
    expect((await versionsOf(mvn, `com.example:${fine}`))[0].license).toBe("Apache-2.0");

    const docker = await repoOf("docker");
    await jsonOf(await noGpl(docker), 201);
    const name = `${docker.project.slug}/${docker.repo.slug}/${unique("img")}`;
    const config = await pushBlob(name, docker.token, JSON.stringify({ os: "linux" }));
    const doc = (licenses?: string) => ({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config }, layers: [], ...(licenses ? { annotations: { "org.opencontainers.image.licenses": licenses } } : {}) });
    const errs = await errorsOf((await putManifest(name, docker.token, "gpl", doc("GPL-3.0-only"))).res, 403);
    expect(errs[0]).toMatchObject({ code: "DENIED" });
    expect((await putManifest(name, docker.token, "mit", doc("MIT"))).res.status).toBe(201);

    const go = await repoOf("go");
    await jsonOf(await policy({ repo_id: go.repo.id, deny: ["GPL-*"], action: "block", unknown_action: "block" }), 201);
    await ok((await goPut(go, `example.com/${unique("m")}`, "v1.0.0")).res);
  });
});

describe("on stored versions", () => {
  it("refuses downloads of versions a new blocking policy refuses (451, the policy in the envelope) and serves them again when it is disabled", async () => {
    const w = await repoOf("npm");
    const name = unique("stored");
    const gpl = await npmPublish(w, name, "1.0.0", { license: "GPL-3.0-only" });
    const mit = await npmPublish(w, name, "1.1.0", { license: "MIT" });
    await ok(gpl.res);
    await ok(mit.res);
    const events = captureEvents();
    const p = await jsonOf(await noGpl(w), 201);
    expect(events.events().find((e) => e.type === "policy.changed")).toMatchObject({ data: { policy_type: "license", change: "created", reevaluated: 1, policy: { id: p.id } } });
    const body = await jsonOf(await call(gpl.tarball, `Bearer ${w.token}`), 451);
    expect(body).toMatchObject({ code: "BlockedLicense", block_id: p.id, customer_message: "GPL code can't ship in our products.", public_url: `${BASE}/blocked/${p.id}`, blocked_until: null });
    expect(body.reason).toBe(`licence policy '${p.name}' refuses 'GPL-3.0-only'`);
    expect((await call(mit.tarball, `Bearer ${w.token}`)).status).toBe(200);
    const doc = await jsonOf(await call(gpl.packument, `Bearer ${w.token}`), 200);
    expect(doc.versions["1.0.0"].deprecated).toContain("GPL code can't ship");
    expect((await versionsOf(w, name))[0].policy.license_blocked_by).toBe(p.id);

    const page = await (await call(`/blocked/${p.id}`, null)).text();
    expect(page).toContain(p.name);
    expect(page).toContain("GPL-*");

    await jsonOf(await req(`/api/admin/license-policies/${p.id}`, { method: "PATCH", token: ADMIN, json: { enabled: false } }), 200);
    expect((await call(gpl.tarball, `Bearer ${w.token}`)).status).toBe(200);
    expect((await versionsOf(w, name))[0].policy.license_blocked_by).toBeNull();
    await jsonOf(await req(`/api/admin/license-policies/${p.id}`, { method: "PATCH", token: ADMIN, json: { enabled: true } }), 200);
    expect((await call(gpl.tarball, `Bearer ${w.token}`)).status).toBe(451);
    expect((await req(`/api/admin/license-policies/${p.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect((await call(gpl.tarball, `Bearer ${w.token}`)).status).toBe(200);
  });

  it("refuses pulls of a stored image whose annotation a new policy refuses", async () => {
    const docker = await repoOf("docker");
    const name = `${docker.project.slug}/${docker.repo.slug}/${unique("img")}`;
    const config = await pushBlob(name, docker.token, JSON.stringify({ os: "linux", x: 1 }));
    const m = await putManifest(name, docker.token, "v1", { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config }, layers: [], annotations: { "org.opencontainers.image.licenses": "AGPL-3.0-or-later" } });
    expect(m.res.status).toBe(201);
    const p = await jsonOf(await noGpl(docker), 201);
    const errs = await errorsOf(await oci(`/v2/${name}/manifests/v1`, { auth: docker.token, headers: { Accept: OCI_MANIFEST } }), 451);
    expect(errs[0]!.detail).toMatchObject({ block_id: p.id });
    expect((await oci(`/v2/${name}/blobs/${config.digest}`, { auth: docker.token })).status).toBe(451);
    const details = await jsonOf(await req(`/api/v1/repos/${docker.repo.id}/images/${name.split("/").pop()}/manifests/${m.digest}`, { token: ADMIN }), 200);
    expect(details).toMatchObject({ license: "AGPL-3.0-or-later", policy: { license_blocked_by: p.id } });
  });
});
