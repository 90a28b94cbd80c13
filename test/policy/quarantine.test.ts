/**
 * Quarantine and release cool-down: what a policy holds is invisible to ordinary
 * readers' resolution in every format and answers 451 "quarantined until …" when asked
 * for directly, while its publisher and admins fetch it; release, reject (a block) and
 * a cool-down's end.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN, audit, captureEvents, createServiceAccount, expectError, jsonOf, mintToken, req, unique } from "../helpers";
import { OCI_MANIFEST, oci, pushImage } from "../oci-helpers";
import { basicAuth, call, cargoPublish, genericPut, goPut, mavenPut, npmPublish, ok, pypiUpload, repoOf, type Where } from "./publish";

const quarantine = (json: Record<string, unknown>) => req("/api/admin/quarantine/policies", { method: "POST", token: ADMIN, json });
const held = async (filter: string) => (await jsonOf(await req(`/api/admin/quarantine/held?${filter}&limit=500`, { token: ADMIN }), 200)).items as any[];

async function readerOf(w: Where) {
  const sa = await createServiceAccount(w.project.id, "reader");
  return mintToken(w.project.id, sa.id);
}

afterEach(() => void vi.useRealTimers());

describe("quarantine policies", () => {
  it("validate what they hold and where", async () => {
    const w = await repoOf("npm");
    const other = await repoOf("npm");
    await expectError(await quarantine({ project_id: w.project.id }), 400, "InvalidQuarantinePolicy");
    await expectError(await quarantine({ project_id: w.project.id, repo_id: other.repo.id, cooldown_hours: 1 }), 400, "InvalidQuarantinePolicy");
    await expectError(await quarantine({ project_id: w.project.id, cooldown_hours: 9000 }), 400, "InvalidRequest");
    const events = captureEvents();
    const p = await jsonOf(await quarantine({ project_id: w.project.id, repo_id: w.repo.id, cooldown_hours: 24 }), 201);
    expect(p).toMatchObject({ project_id: w.project.id, repo_id: w.repo.id, cooldown_hours: 24, require_approval: false });
    expect(events.events().find((e) => e.type === "policy.changed")).toMatchObject({ project_id: w.project.id, data: { policy_type: "quarantine", change: "created", policy: { id: p.id } } });
    await expectError(await quarantine({ project_id: w.project.id, repo_id: w.repo.id, cooldown_hours: 2 }), 400, "InvalidQuarantinePolicy");
    const changed = await jsonOf(await req(`/api/admin/quarantine/policies/${p.id}`, { method: "PATCH", token: ADMIN, json: { require_approval: true } }), 200);
    expect(changed).toMatchObject({ cooldown_hours: 24, require_approval: true });
    expect((await audit({ project_id: w.project.id })).map((a) => a.action)).toEqual(expect.arrayContaining(["quarantine_policy.create", "quarantine_policy.update"]));
    expect((await req(`/api/admin/quarantine/policies/${p.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
  });
});

describe("npm under a cool-down", () => {
  it("hides a new version from readers until released, serves it to its publisher and admins, and releases it", async () => {
    const w = await repoOf("npm");
    const name = unique("held");
    await ok((await npmPublish(w, name, "1.0.0")).res); // before the policy: never held
    await jsonOf(await quarantine({ project_id: w.project.id, repo_id: w.repo.id, cooldown_hours: 24 }), 201);
    const events = captureEvents();
    const next = await npmPublish(w, name, "1.1.0");
    await ok(next.res);
    const heldEvent = events.events().find((e) => e.type === "quarantine.held")!;
    expect(heldEvent).toMatchObject({ data: { format: "npm", package: name, version: "1.1.0", digest: null } });
    const until = heldEvent.data.held_until as string;
    expect(Date.parse(until) - Date.now()).toBeGreaterThan(23 * 3_600_000);

    const reader = await readerOf(w);
    const seen = await jsonOf(await call(next.packument, `Bearer ${reader}`), 200);
    expect(Object.keys(seen.versions)).toEqual(["1.0.0"]);
    expect(seen["dist-tags"].latest).toBe("1.0.0");
    const refused = await jsonOf(await call(next.tarball, `Bearer ${reader}`), 451);
    expect(refused).toMatchObject({ code: "BlockedQuarantine", block_id: null, blocked_until: until, public_url: null });
    expect(refused.error).toContain(`held in quarantine until ${until}`);
    expect((await call(`${next.packument}/1.1.0`, `Bearer ${reader}`)).status).toBe(451);

    // Its publisher and admins test it.
    const mine = await jsonOf(await call(next.packument, `Bearer ${w.token}`), 200);
    expect(Object.keys(mine.versions)).toEqual(["1.0.0", "1.1.0"]);
    expect((await call(next.tarball, `Bearer ${w.token}`)).status).toBe(200);
    expect((await call(next.tarball, `Bearer ${ADMIN}`)).status).toBe(200);

    const [item] = (await held(`repo_id=${w.repo.id}`)).filter((h) => h.package === name);
    expect(item).toMatchObject({ kind: "version", version: "1.1.0", held_until: until, published_by: `service_account:${w.sa.id}` });
    const released = await jsonOf(await req(`/api/admin/quarantine/held/${item.id}/release`, { method: "POST", token: ADMIN }), 200);
    expect(released).toEqual({ id: item.id, released: true });
    expect(events.types()).toContain("quarantine.released");
    expect((await audit({ action: "quarantine.release" })).some((a) => a.resource_id === item.id)).toBe(true);
    const now = await jsonOf(await call(next.packument, `Bearer ${reader}`), 200);
    expect(Object.keys(now.versions)).toEqual(["1.0.0", "1.1.0"]);
    expect(now["dist-tags"].latest).toBe("1.1.0");
    expect((await call(next.tarball, `Bearer ${reader}`)).status).toBe(200);
    await expectError(await req(`/api/admin/quarantine/held/${item.id}/release`, { method: "POST", token: ADMIN }), 404, "NotFoundHeldVersion");
  });

  it("releases by itself when the cool-down ends (no write, no event)", async () => {
    const w = await repoOf("npm");
    const name = unique("cool");
    await jsonOf(await quarantine({ project_id: w.project.id, repo_id: w.repo.id, cooldown_hours: 1 }), 201);
    const p = await npmPublish(w, name, "2.0.0");
    await ok(p.res);
    const reader = await readerOf(w);
    expect((await call(p.tarball, `Bearer ${reader}`)).status).toBe(451);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 3_600_000 + 1_000 });
    expect((await call(p.tarball, `Bearer ${reader}`)).status).toBe(200);
  });

  it("holds until approval, and a rejection blocks the version for everyone", async () => {
    const w = await repoOf("npm");
    const name = unique("approve");
    await jsonOf(await quarantine({ project_id: w.project.id, require_approval: true }), 201); // project-wide
    const p = await npmPublish(w, name, "1.0.0");
    await ok(p.res);
    const [item] = (await held(`project_id=${w.project.id}`)).filter((h) => h.package === name);
    expect(item.held_until).toBeNull();
    const refused = await jsonOf(await call(p.tarball, `Bearer ${await readerOf(w)}`), 451);
    expect(refused.error).toContain("until an administrator releases it");
    const events = captureEvents();
    const rejected = await jsonOf(await req(`/api/admin/quarantine/held/${item.id}/reject`, { method: "POST", token: ADMIN, json: { reason: "typosquat", customer_message: "Not ours." } }), 200);
    expect(events.types()).toEqual(expect.arrayContaining(["block.created", "quarantine.rejected"]));
    const block = await jsonOf(await req(`/api/admin/security/${rejected.block_id}`, { token: ADMIN }), 200);
    expect(block).toMatchObject({ origin: "quarantine", format: "npm", package: name, versions: ["1.0.0"], repo_id: w.repo.id, affected: { versions: 1 } });
    for (const token of [w.token, ADMIN]) expect((await jsonOf(await call(p.tarball, `Bearer ${token}`), 451)).code).toBe("BlockedSecurity");
    expect((await held(`project_id=${w.project.id}`)).some((h) => h.id === item.id)).toBe(false);
  });

  it("lets a repository's own policy win over its project's", async () => {
    const w = await repoOf("npm");
    await jsonOf(await quarantine({ project_id: w.project.id, require_approval: true }), 201);
    await jsonOf(await quarantine({ project_id: w.project.id, repo_id: w.repo.id, cooldown_hours: 5 }), 201);
    const name = unique("own");
    await ok((await npmPublish(w, name, "1.0.0")).res);
    const [item] = (await held(`repo_id=${w.repo.id}`)).filter((h) => h.package === name);
    expect(Date.parse(item.held_until) - Date.now()).toBeLessThan(5 * 3_600_000 + 60_000);
  });
});

describe("every format hides held versions from readers", () => {
  async function quarantined(format: string) {
    const w = await repoOf(format);
    await jsonOf(await quarantine({ project_id: w.project.id, repo_id: w.repo.id, require_approval: true }), 201);
    return { w, reader: await readerOf(w) };
  }

  it("PyPI: gone from the simple page, 451 for its files", async () => {
    const { w, reader } = await quarantined("pypi");
    const name = unique("q").replace(/-/g, "_");
    const u = await pypiUpload(w, name, "1.0");
    await ok(u.res);
    const page = await jsonOf(await call(u.simple, basicAuth(reader), { headers: { Accept: "application/vnd.pypi.simple.v1+json" } }), 200);
    expect(page).toMatchObject({ versions: [], files: [] });
    const res = await call(u.file, basicAuth(reader));
    expect(res.status).toBe(451);
    expect(res.statusText).toContain("held in quarantine");
    expect((await call(u.file, basicAuth(w.token))).status).toBe(200);
  });

  it("Cargo, Go, Maven, generic", async () => {
    const cargo = await quarantined("cargo");
    const crate = `c${unique("q").replace(/-/g, "_")}`;
    const c = await cargoPublish(cargo.w, crate, "1.0.0");
    await ok(c.res);
    expect((await call(c.index, cargo.reader)).status).toBe(404);
    expect((await call(c.download, cargo.reader)).status).toBe(451);
    expect((await call(c.index, cargo.w.token)).status).toBe(200);

    const go = await quarantined("go");
    const g = await goPut(go.w, `example.com/${unique("q")}`, "v1.0.0");
    await ok(g.res);
    expect((await (await call(`${g.root}/@v/list`, basicAuth(go.reader))).text()).trim()).toBe("");
    expect((await call(g.zip, basicAuth(go.reader))).status).toBe(451);
    expect((await call(g.zip, basicAuth(go.w.token))).status).toBe(200);

    const mvn = await quarantined("maven");
    const art = unique("q");
    const m = await mavenPut(mvn.w, art, "1.0", "jar");
    await ok(m.res);
    expect((await call(m.metadata, basicAuth(mvn.reader))).status).toBe(404);
    expect((await call(m.path, basicAuth(mvn.reader))).status).toBe(451);

    const gen = await quarantined("generic");
    const f = await genericPut(gen.w, `${unique("q")}.bin`);
    await ok(f.res);
    expect((await call(f.url, `Bearer ${gen.reader}`)).status).toBe(451);
    expect((await call(f.url, `Bearer ${gen.w.token}`)).status).toBe(200);
  });

  it("OCI: 451 quarantined for the manifest and its blobs, served to its pusher", async () => {
    const { w, reader } = await quarantined("docker");
    const name = `${w.project.slug}/${w.repo.slug}/${unique("q")}`;
    const img = await pushImage(name, w.token, "v1", 31);
    const errs = (await jsonOf(await oci(`/v2/${name}/manifests/v1`, { auth: reader, headers: { Accept: OCI_MANIFEST } }), 451)).errors;
    expect(errs[0]).toMatchObject({ code: "DENIED", detail: { block_id: null, reason: "quarantine", blocked_until: null } });
    expect((await oci(`/v2/${name}/blobs/${img.layer.digest}`, { auth: reader })).status).toBe(451);
    expect((await oci(`/v2/${name}/manifests/v1`, { auth: w.token, headers: { Accept: OCI_MANIFEST } })).status).toBe(200);
    expect((await oci(`/v2/${name}/blobs/${img.layer.digest}`, { auth: w.token })).status).toBe(200);
    const [item] = await held(`repo_id=${w.repo.id}`);
    expect(item).toMatchObject({ kind: "manifest", digest: img.manifest.digest });
    await jsonOf(await req(`/api/admin/quarantine/held/${item.id}/release`, { method: "POST", token: ADMIN }), 200);
    expect((await oci(`/v2/${name}/manifests/v1`, { auth: reader, headers: { Accept: OCI_MANIFEST } })).status).toBe(200);
  });
});
