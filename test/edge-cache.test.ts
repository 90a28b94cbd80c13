/**
 * The edge cache (Cache API) for content-addressed bytes, and the per-isolate lookups in
 * front of it: a warm download reads no R2 and one D1 row (its version's policy columns),
 * yet private bytes are only ever served after the caller's right to read the repo was
 * checked, a tag move shows at once, and a security block (the policy API) stops a
 * download whose bytes every cache holds.
 */
import { describe, expect, it } from "vitest";
import { clearAllCaches } from "../src/core/ttl-cache";
import { ADMIN, createRepo, jsonOf, projectWithToken, req, unique } from "./helpers";
import { ADAPTERS } from "./contract/adapters";
import { measure } from "./support/calls";
import { OCI_MANIFEST, ociRepo, pushImage } from "./oci-helpers";

const npm = ADAPTERS.find((a) => a.name === "npm")!;
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

async function privateTarball() {
  const { project, token } = await projectWithToken("writer");
  const repo = await createRepo(project.id, "npm");
  const seed = unique("edge").replace(/-/g, "");
  const published = await npm.publish({ project: project.slug, repo: repo.slug }, token, seed);
  expect(published.res.status).toBe(201);
  const name = published.download.split("/-/")[0]!.split("/").pop()!;
  return { project, repo, token, seed, name, ...published };
}

describe("edge cache", () => {
  it("serves a download from R2 once, then from the cache, with the same bytes, ranges included", async () => {
    const t = await privateTarball();
    const first = await measure(t.download, { headers: bearer(t.token) });
    expect(first.res.status).toBe(200);
    expect(first.body).toEqual(t.bytes);
    expect(first.calls.r2).toBe(1);

    clearAllCaches(); // a fresh isolate: the lookups go, the edge cache stays
    const second = await measure(t.download, { headers: bearer(t.token) });
    expect(second.res.status).toBe(200);
    expect(second.body).toEqual(t.bytes);
    expect(second.calls).toMatchObject({ d1: 1, r2: 0 });

    const part = await measure(t.download, { headers: { ...bearer(t.token), Range: "bytes=5-14" } });
    expect(part.res.status).toBe(206);
    expect(part.body).toEqual(t.bytes.subarray(5, 15));
    expect(part.calls).toMatchObject({ d1: 1, r2: 0 });

    // Served from isolate memory as bytes: each answer is a copy, so none can change the kept bytes.
    for (const range of [undefined, "bytes=0-9", undefined, "bytes=3-", undefined]) {
      const again = await measure(t.download, { headers: { ...bearer(t.token), ...(range ? { Range: range } : {}) } });
      expect(again.calls.r2).toBe(0);
      expect(again.body).toEqual(range === "bytes=0-9" ? t.bytes.subarray(0, 10) : range ? t.bytes.subarray(3) : t.bytes);
    }
  });

  it("answers with the digest as ETag and Cache-Control by the repo's visibility", async () => {
    const t = await privateTarball();
    const res = (await measure(t.download, { headers: bearer(t.token) })).res;
    expect(res.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
    expect(res.headers.get("etag")).toMatch(/^"sha256:[0-9a-f]{64}"$/);
    const revalidated = await measure(t.download, { headers: { ...bearer(t.token), "If-None-Match": res.headers.get("etag")! } });
    expect(revalidated.res.status).toBe(304);
    expect(revalidated.calls).toMatchObject({ d1: 1, r2: 0 }); // a revalidation passes the policy check too
  });

  it("never serves cached private bytes to a caller who may not read the repo", async () => {
    const t = await privateTarball();
    expect((await measure(t.download, { headers: bearer(t.token) })).res.status).toBe(200); // now cached

    const anonymous = await measure(t.download);
    expect(anonymous.res.status).toBe(401);
    expect(new TextDecoder().decode(anonymous.body)).not.toContain(new TextDecoder().decode(t.bytes));

    const stranger = await projectWithToken("admin");
    const foreign = await measure(t.download, { headers: bearer(stranger.token) });
    expect(foreign.res.status).toBe(403);
    expect(foreign.calls.cache).toBe(0);

    // The same path in a repo the caller may read, but that never linked these bytes.
    const own = await createRepo(stranger.project.id, "npm");
    const elsewhere = await measure(t.download.replace(`/${t.project.slug}/${t.repo.slug}/`, `/${stranger.project.slug}/${own.slug}/`), { headers: bearer(stranger.token) });
    expect(elsewhere.res.status).toBe(404);
    expect(elsewhere.calls.cache).toBe(0);
  });

  it("never hides a security block: the bytes in the edge cache and in memory are refused with 451, and served again once lifted", async () => {
    const t = await privateTarball();
    expect((await measure(t.download, { headers: bearer(t.token) })).res.status).toBe(200);
    const warm = await measure(t.download, { headers: bearer(t.token) });
    expect(warm.calls).toMatchObject({ d1: 1, r2: 0 }); // the bytes come from a cache, the policy columns from D1

    const block = await jsonOf(
      await req("/api/admin/security", { method: "POST", token: ADMIN, json: { format: "npm", package: t.name, versions: ["1.0.0"], reason: "edge-cache test", customer_message: "Do not install this." } }),
      201,
    );
    for (const init of [{}, { method: "HEAD" }, { headers: { Range: "bytes=0-9" } }] as RequestInit[]) {
      const refused = await measure(t.download, { ...init, headers: { ...bearer(t.token), ...(init.headers as Record<string, string>) } });
      expect(refused.res.status, `${init.method ?? "GET"} ${JSON.stringify(init.headers ?? {})}`).toBe(451);
      expect(refused.calls.r2).toBe(0);
      expect(refused.calls.cache).toBe(0); // refused before any cache of bytes is asked
      if (init.method !== "HEAD") expect(JSON.parse(new TextDecoder().decode(refused.body))).toMatchObject({ block_id: block.id, customer_message: "Do not install this." });
    }

    await jsonOf(await req(`/api/admin/security/${block.id}`, { method: "DELETE", token: ADMIN }), 200);
    const again = await measure(t.download, { headers: bearer(t.token) });
    expect(again.res.status).toBe(200);
    expect(again.body).toEqual(t.bytes);
    expect(again.calls.r2).toBe(0); // still the edge cache's copy: the block refused, it did not evict
  });

  it("shows a tag move at once, and serves a manifest by digest from memory", async () => {
    const { name, token } = await ociRepo();
    const auth = { Authorization: `Basic ${btoa(`ci:${token}`)}`, Accept: OCI_MANIFEST };
    const a = await pushImage(name, token, "live", 1);
    const first = await measure(`/v2/${name}/manifests/live`, { headers: auth });
    expect(first.res.headers.get("docker-content-digest")).toBe(a.manifest.digest);
    expect((await measure(`/v2/${name}/manifests/live`, { headers: auth })).calls.d1).toBe(0);

    const b = await pushImage(name, token, "live", 2);
    const moved = await measure(`/v2/${name}/manifests/live`, { headers: auth });
    expect(moved.res.headers.get("docker-content-digest")).toBe(b.manifest.digest);

    await measure(`/v2/${name}/manifests/${a.manifest.digest}`, { headers: auth });
    const byDigest = await measure(`/v2/${name}/manifests/${a.manifest.digest}`, { headers: auth });
    expect(byDigest.res.status).toBe(200);
    expect(byDigest.calls).toMatchObject({ d1: 0, r2: 0 });
  });
});
