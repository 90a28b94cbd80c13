/**
 * Manifest lookups are cached per isolate (services/oci/manifests.ts): a push, tag move,
 * delete or restore in this isolate must be visible at once anyway.
 */
import { describe, expect, it } from "vitest";
import { OCI_MANIFEST, oci, ociRepo, pushImage } from "./oci-helpers";

const head = (name: string, ref: string, token: string) =>
  oci(`/v2/${name}/manifests/${ref}`, { method: "HEAD", auth: token, headers: { Accept: OCI_MANIFEST } });

describe("manifest lookup cache", () => {
  it("sees a tag move, a tag delete and a manifest delete at once", async () => {
    const { name, token } = await ociRepo();
    const a = await pushImage(name, token, "live", 1);
    expect((await head(name, "live", token)).headers.get("docker-content-digest")).toBe(a.manifest.digest);
    expect((await head(name, "live", token)).headers.get("docker-content-digest")).toBe(a.manifest.digest);

    const b = await pushImage(name, token, "live", 2);
    expect(b.manifest.digest).not.toBe(a.manifest.digest);
    expect((await head(name, "live", token)).headers.get("docker-content-digest")).toBe(b.manifest.digest);

    expect((await oci(`/v2/${name}/manifests/live`, { method: "DELETE", auth: token })).status).toBe(202);
    expect((await head(name, "live", token)).status).toBe(404);

    expect((await head(name, a.manifest.digest, token)).status).toBe(200);
    expect((await oci(`/v2/${name}/manifests/${a.manifest.digest}`, { method: "DELETE", auth: token })).status).toBe(202);
    expect((await head(name, a.manifest.digest, token)).status).toBe(404);
  });
});
