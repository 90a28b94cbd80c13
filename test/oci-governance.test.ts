import { describe, expect, it } from "vitest";
import { ADMIN, jsonOf, req } from "./helpers";
import { errorsOf, oci, ociRepo, pushImage, putManifest } from "./oci-helpers";

describe("immutable tags", () => {
  it("never overwrites or deletes a tag matching the repo's immutable patterns", async () => {
    const r = await ociRepo("writer", { immutable_tags: ["v*", "release-?"] });
    const a = await pushImage(r.name, r.token, "v1", 1);
    const b = await pushImage(r.name, r.token, "latest", 2);
    // re-pushing the same content is idempotent
    expect((await putManifest(r.name, r.token, "v1", a.manifest.body)).res.status).toBe(201);
    const moved = await putManifest(r.name, r.token, "v1", b.manifest.body);
    const errors = await errorsOf(moved.res, 403);
    expect(errors[0]!.code).toBe("DENIED");
    expect(errors[0]!.message).toContain("immutable");
    expect((await errorsOf(await oci(`/v2/${r.name}/manifests/v1`, { method: "DELETE", auth: r.token }), 403))[0]!.code).toBe("DENIED");
    expect((await errorsOf(await oci(`/v2/${r.name}/manifests/${a.manifest.digest}`, { method: "DELETE", auth: r.token }), 403))[0]!.code).toBe("DENIED");
    // tags outside the patterns still move freely
    expect((await putManifest(r.name, r.token, "latest", a.manifest.body)).res.status).toBe(201);
    expect((await oci(`/v2/${r.name}/manifests/latest`, { method: "DELETE", auth: r.token })).status).toBe(202);
    expect((await oci(`/v2/${r.name}/manifests/v1`, { method: "HEAD", auth: r.token })).headers.get("docker-content-digest")).toBe(a.manifest.digest);
  });
});

describe("tag history and the time machine", () => {
  it("records every move and restores a tag to an earlier digest", async () => {
    const r = await ociRepo();
    const a = await pushImage(r.name, r.token, "latest", 1);
    const b = await pushImage(r.name, r.token, "latest", 2);
    const history = await jsonOf(await req(`/api/v1/repos/${r.repo.id}/tag_history?image=app&tag=latest`, { token: r.token }), 200);
    expect(history.items.map((e: any) => [e.action, e.digest, e.previous_digest])).toEqual([
      ["move", b.manifest.digest, a.manifest.digest],
      ["create", a.manifest.digest, null],
    ]);
    expect(history.items[0].actor_type).toBe("service_account");
    const restored = await jsonOf(
      await req(`/api/v1/repos/${r.repo.id}/tags/latest/restore`, { method: "POST", token: r.token, json: { image: "app", manifest_digest: a.manifest.digest } }),
      201,
    );
    expect(restored).toEqual({ image: "app", tag: "latest", digest: a.manifest.digest, changed: true });
    expect((await oci(`/v2/${r.name}/manifests/latest`, { method: "HEAD", auth: r.token })).headers.get("docker-content-digest")).toBe(a.manifest.digest);
    const after = await jsonOf(await req(`/api/v1/repos/${r.repo.id}/tag_history?image=app`, { token: r.token }), 200);
    expect(after.items[0]).toMatchObject({ action: "restore", digest: a.manifest.digest, previous_digest: b.manifest.digest });
    const audit = await jsonOf(await req(`/api/v1/audit?action=tag.restore&project_id=${r.project.id}`, { token: ADMIN }), 200);
    expect(audit.items).toHaveLength(1);
    // a deleted tag can be brought back too
    expect((await oci(`/v2/${r.name}/manifests/latest`, { method: "DELETE", auth: r.token })).status).toBe(202);
    await jsonOf(await req(`/api/v1/repos/${r.repo.id}/tags/latest/restore`, { method: "POST", token: r.token, json: { image: "app", manifest_digest: b.manifest.digest } }), 201);
    expect((await oci(`/v2/${r.name}/manifests/latest`, { method: "HEAD", auth: r.token })).headers.get("docker-content-digest")).toBe(b.manifest.digest);
  });

  it("refuses digests the tag never pointed at, deleted manifests, readers and other projects", async () => {
    const r = await ociRepo();
    const a = await pushImage(r.name, r.token, "v1", 1);
    const other = await pushImage(r.name, r.token, "other", 3);
    const restore = (token: string, digest: string) =>
      req(`/api/v1/repos/${r.repo.id}/tags/v1/restore`, { method: "POST", token, json: { image: "app", manifest_digest: digest } });
    expect((await jsonOf(await restore(r.token, other.manifest.digest), 400)).error.code).toBe("InvalidTagRestore");
    expect((await oci(`/v2/${r.name}/manifests/${a.manifest.digest}`, { method: "DELETE", auth: r.token })).status).toBe(202);
    expect((await jsonOf(await restore(r.token, a.manifest.digest), 404)).error.code).toBe("NotFoundManifest");
    const outsider = await ociRepo();
    expect((await jsonOf(await restore(outsider.token, a.manifest.digest), 403)).error.code).toBe("ForbiddenInsufficientPermissions");
    expect((await jsonOf(await req(`/api/v1/repos/${r.repo.id}/tag_history?image=app`), 401)).error.code).toBe("UnauthorizedCredentialsRequired");
  });
});

describe("manifest labels", () => {
  it("lists annotation labels, adds, filters, gets and deletes API labels", async () => {
    const r = await ociRepo();
    const img = await pushImage(r.name, r.token, "v1", 1, { annotations: { "org.opencontainers.image.source": "https://example.com/repo" } });
    const base = `/api/v1/repos/${r.repo.id}/manifests/${img.manifest.digest}/labels`;
    const initial = await jsonOf(await req(base, { token: r.token }), 200);
    expect(initial.labels).toEqual([expect.objectContaining({ key: "org.opencontainers.image.source", value: "https://example.com/repo", source: "manifest" })]);
    const added = await jsonOf(await req(base, { method: "POST", token: r.token, json: { key: "qa.status", value: "passed" } }), 201);
    expect(added).toMatchObject({ key: "qa.status", value: "passed", media_type: "text/plain", source: "api" });
    await jsonOf(await req(base, { method: "POST", token: r.token, json: { key: "qa.meta", value: '{"run":1}', media_type: "application/json" } }), 201);
    expect((await jsonOf(await req(base, { method: "POST", token: r.token, json: { key: "bad", value: "{", media_type: "application/json" } }), 400)).error.code).toBe("InvalidLabelValue");
    const filtered = await jsonOf(await req(`${base}?filter=qa.`, { token: r.token }), 200);
    expect(filtered.labels.map((l: any) => l.key)).toEqual(["qa.status", "qa.meta"]);
    expect(await jsonOf(await req(`${base}/${added.id}`, { token: r.token }), 200)).toEqual(added);
    expect((await req(`${base}/${added.id}`, { method: "DELETE", token: r.token })).status).toBe(204);
    expect((await jsonOf(await req(`${base}/${added.id}`, { token: r.token }), 404)).error.code).toBe("NotFoundLabel");
    const fromManifest = initial.labels[0].id;
    expect((await jsonOf(await req(`${base}/${fromManifest}`, { method: "DELETE", token: r.token }), 403)).error.code).toBe("ForbiddenLabelFromManifest");
    const audit = await jsonOf(await req(`/api/v1/audit?project_id=${r.project.id}&resource_type=manifest_label`, { token: ADMIN }), 200);
    expect(audit.items.map((a: any) => a.action).sort()).toEqual(["manifest.label.add", "manifest.label.add", "manifest.label.delete"]);
  });

  it("refuses labels on unknown manifests, and writes by readers", async () => {
    const r = await ociRepo();
    const img = await pushImage(r.name, r.token, "v1");
    const unknown = `/api/v1/repos/${r.repo.id}/manifests/sha256:${"f".repeat(64)}/labels`;
    expect((await jsonOf(await req(unknown, { token: r.token }), 404)).error.code).toBe("NotFoundManifest");
    const { createServiceAccount, mintToken } = await import("./helpers");
    const reader = await createServiceAccount(r.project.id, "reader");
    const readerToken = await mintToken(r.project.id, reader.id);
    const base = `/api/v1/repos/${r.repo.id}/manifests/${img.manifest.digest}/labels`;
    expect((await req(base, { token: readerToken })).status).toBe(200);
    expect((await jsonOf(await req(base, { method: "POST", token: readerToken, json: { key: "k", value: "v" } }), 403)).error.code).toBe("ForbiddenInsufficientPermissions");
  });
});
