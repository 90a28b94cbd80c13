import { afterEach, describe, expect, it, vi } from "vitest";
import { env } from "cloudflare:test";
import { oci, ociRepo, pushBlob, pushImage } from "./oci-helpers";

afterEach(() => vi.restoreAllMocks());

describe("OCI domain events", () => {
  it("emits artifact.uploaded on manifest pushes and artifact.deleted on tag, manifest and blob deletes", async () => {
    const r = await ociRepo();
    const send = vi.spyOn(env.EVENTS, "send");
    const img = await pushImage(r.name, r.token, "v1");
    const blob = await pushBlob(r.name, r.token, "loose-blob");
    expect((await oci(`/v2/${r.name}/manifests/v1`, { method: "DELETE", auth: r.token })).status).toBe(202);
    expect((await oci(`/v2/${r.name}/manifests/${img.manifest.digest}`, { method: "DELETE", auth: r.token })).status).toBe(202);
    expect((await oci(`/v2/${r.name}/blobs/${blob.digest}`, { method: "DELETE", auth: r.token })).status).toBe(202);
    const events = send.mock.calls.map(([e]) => e as { type: string; project_id: string; data: Record<string, unknown> });
    expect(events.map((e) => e.type)).toEqual(["artifact.uploaded", "artifact.deleted", "artifact.deleted", "artifact.deleted"]);
    expect(events[0]).toMatchObject({
      project_id: r.project.id,
      data: { format: "docker", repo_id: r.repo.id, project_id: r.project.id, name: r.name, tag: "v1", digest: img.manifest.digest, size: img.manifest.size },
    });
    expect(events[1]!.data).toMatchObject({ tag: "v1", digest: img.manifest.digest });
    expect(events[2]!.data).toMatchObject({ digest: img.manifest.digest, tags: [] });
    expect(events[3]!.data).toMatchObject({ digest: blob.digest, size: blob.size });
  });
});
