/**
 * Browsing container repos through the governance API: images (search, sort, cursor
 * pages), an image's tags with sizes and platforms, and one manifest in detail.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN, expectError, jsonOf, req } from "../helpers";
import { OCI_INDEX, OCI_MANIFEST, ociRepo, pushBlob, pushImage, putManifest } from "../oci-helpers";

const v1 = (p: string) => `/api/v1${p}`;
let repoId: string;
let name: (image: string) => string;
let token: string;
let app: Awaited<ReturnType<typeof pushImage>>;
let index: { digest: string };
let sbom: { digest: string };

beforeAll(async () => {
  const r = await ociRepo("writer");
  repoId = r.repo.id;
  token = r.token;
  name = (image) => `${r.project.slug}/${r.repo.slug}/${image}`;
  app = await pushImage(name("app"), token, "v1", 1);
  await pushImage(name("app"), token, "v2", 2);
  await pushImage(name("team/api"), token, "1.0", 3);
  const arm = await pushImage(name("multi"), token, "arm", 4);
  const amd = await pushImage(name("multi"), token, "amd", 5);
  const idx = await putManifest(
    name("multi"),
    token,
    "latest",
    {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: arm.manifest.digest, size: arm.manifest.size, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
        { mediaType: OCI_MANIFEST, digest: amd.manifest.digest, size: amd.manifest.size, platform: { os: "linux", architecture: "amd64" } },
      ],
    },
    OCI_INDEX,
  );
  expect(idx.res.status).toBe(201);
  index = idx;
  const empty = await pushBlob(name("app"), token, "{}");
  const doc = await pushBlob(name("app"), token, '{"spdxVersion":"SPDX-2.3"}');
  const s = await putManifest(name("app"), token, "sbom", {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: "application/spdx+json",
    config: { mediaType: "application/vnd.oci.empty.v1+json", digest: empty.digest, size: empty.size },
    layers: [{ mediaType: "application/spdx+json", digest: doc.digest, size: doc.size }],
    subject: { mediaType: OCI_MANIFEST, digest: app.manifest.digest, size: app.manifest.size },
  });
  expect(s.res.status).toBe(201);
  sbom = s;
});

describe("images", () => {
  it("lists images with counts, searches, sorts and pages with a cursor", async () => {
    const all = await jsonOf(await req(v1(`/repos/${repoId}/images`), { token }), 200);
    expect(all.items.map((i: { name: string }) => i.name)).toEqual(["app", "multi", "team/api"]);
    expect(all.items[0]).toMatchObject({ name: "app", tags: 3, manifests: 3 });
    const found = await jsonOf(await req(v1(`/repos/${repoId}/images?search=team`), { token }), 200);
    expect(found.items.map((i: { name: string }) => i.name)).toEqual(["team/api"]);
    expect((await jsonOf(await req(v1(`/repos/${repoId}/images?search=TEAM%2F`), { token }), 200)).items.map((i: { name: string }) => i.name)).toEqual(["team/api"]);
    expect((await jsonOf(await req(v1(`/repos/${repoId}/images?search=${"t".repeat(200)}`), { token }), 200)).items).toEqual([]); // past D1's 50-byte LIKE limit
    const desc = await jsonOf(await req(v1(`/repos/${repoId}/images?sort=-name`), { token }), 200);
    expect(desc.items.map((i: { name: string }) => i.name)).toEqual(["team/api", "multi", "app"]);
    const first = await jsonOf(await req(v1(`/repos/${repoId}/images?limit=2&sort=-updated`), { token }), 200);
    expect(first.items).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await jsonOf(await req(v1(`/repos/${repoId}/images?limit=2&sort=-updated&cursor=${first.next_cursor}`), { token }), 200);
    expect([...first.items, ...second.items].map((i: { name: string }) => i.name).sort()).toEqual(["app", "multi", "team/api"]);
    expect(second.next_cursor).toBeNull();
    await expectError(await req(v1(`/repos/${repoId}/images?cursor=garbage`), { token }), 400, "InvalidCursor");
  });

  it("shows tags with total sizes and an index's platforms", async () => {
    const tags = (await jsonOf(await req(v1(`/repos/${repoId}/images/multi/tags`), { token }), 200)).items;
    const latest = tags.find((t: { tag: string }) => t.tag === "latest");
    expect(latest).toMatchObject({ digest: index.digest, media_type: OCI_INDEX });
    expect(latest.platforms).toEqual([
      { os: "linux", architecture: "arm64", variant: "v8" },
      { os: "linux", architecture: "amd64", variant: null },
    ]);
    const arm = tags.find((t: { tag: string }) => t.tag === "arm");
    expect(arm.platforms).toEqual([]);
    expect(latest.size).toBeGreaterThan(arm.size);
    const v1tag = (await jsonOf(await req(v1(`/repos/${repoId}/images/app/tags`), { token }), 200)).items.find((t: { tag: string }) => t.tag === "v1");
    expect(v1tag.size).toBe(app.manifest.size + app.config.size + app.layer.size);
    expect((await req(v1(`/repos/${repoId}/images/${encodeURIComponent("team/api")}/tags`), { token })).status).toBe(200);
    await expectError(await req(v1(`/repos/${repoId}/images/nope/tags`), { token }), 404, "NotFoundImage");
  });

  it("details one manifest: layers, config facts, tags, labels and referrers", async () => {
    await jsonOf(await req(v1(`/repos/${repoId}/manifests/${app.manifest.digest}/labels`), { method: "POST", token: ADMIN, json: { key: "team", value: "core" } }), 201);
    const m = await jsonOf(await req(v1(`/repos/${repoId}/images/app/manifests/${app.manifest.digest}`), { token }), 200);
    expect(m).toMatchObject({
      digest: app.manifest.digest,
      media_type: OCI_MANIFEST,
      total_size: app.manifest.size + app.config.size + app.layer.size,
      os: "linux",
      architecture: "amd64",
      tags: ["v1"],
      layers: [{ digest: app.layer.digest, size: app.layer.size }],
    });
    expect(m.labels).toEqual([expect.objectContaining({ key: "team", value: "core", source: "api" })]);
    expect(m.referrers).toEqual([expect.objectContaining({ digest: sbom.digest, artifact_type: "application/spdx+json" })]);
    const s = await jsonOf(await req(v1(`/repos/${repoId}/images/app/manifests/${sbom.digest}`), { token }), 200);
    expect(s).toMatchObject({ subject: app.manifest.digest, os: null, artifact_type: "application/spdx+json" });
    await expectError(await req(v1(`/repos/${repoId}/images/app/manifests/sha256:${"0".repeat(64)}`), { token }), 404, "NotFoundManifest");
  });
});
