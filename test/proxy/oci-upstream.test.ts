// OCI upstream repos against a stub registry (the outbound seam): Docker Hub's `library/`
// defaulting and token challenge (Basic credentials to the realm only), tags as cached
// metadata revalidated by HEAD, manifests and blobs stored by digest and then served by
// the local routes, a blob whose bytes don't match its digest, tag lists, stale tags,
// refused pushes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import { ADMIN, BASE, createProject, createRepo, createServiceAccount, jsonOf, mintToken, req } from "../helpers";
import { installOutbound, uninstallOutbound } from "../support/outbound";
import { StubUpstream, readAll, readUntilBroken } from "../support/upstream";
import { DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, bytesOf, oci, sha256 } from "../oci-helpers";

beforeAll(installOutbound);
afterAll(uninstallOutbound);

const enc = (s: string) => new TextEncoder().encode(s);

/** An image in the stub: config, one layer, a manifest under `tag`. */
async function stubImage(up: StubUpstream, name: string, tag: string, seed = 1) {
  const config = enc(JSON.stringify({ architecture: "amd64", os: "linux", seed }));
  const layer = bytesOf(300_000 + seed, seed);
  const cfgDigest = await sha256(config);
  const layerDigest = await sha256(layer);
  const manifest = enc(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: { mediaType: "application/vnd.docker.container.image.v1+json", digest: cfgDigest, size: config.byteLength },
      layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", digest: layerDigest, size: layer.byteLength }],
    }),
  );
  const digest = await sha256(manifest);
  const blobAnswer = (bytes: Uint8Array) => (r: Request) => new Response(r.method === "HEAD" ? null : bytes, { headers: { "Content-Length": String(bytes.byteLength), "Docker-Content-Digest": "x" } });
  const manifestAnswer = (r: Request) => new Response(r.method === "HEAD" ? null : manifest, { headers: { "Content-Type": DOCKER_MANIFEST, "Docker-Content-Digest": digest, "Content-Length": String(manifest.byteLength) } });
  up.on(`/v2/${name}/manifests/${tag}`, manifestAnswer).on(`/v2/${name}/manifests/${digest}`, manifestAnswer);
  up.on(`/v2/${name}/blobs/${cfgDigest}`, blobAnswer(config)).on(`/v2/${name}/blobs/${layerDigest}`, blobAnswer(layer));
  return { manifest, digest, config, cfgDigest, layer, layerDigest };
}

async function upstreamRepo(url: string, extra: Record<string, unknown> = {}) {
  const project = await createProject();
  const repo = await createRepo(project.id, "docker", { kind: "upstream", upstream_url: url, ...extra });
  return { project, repo, prefix: `${project.slug}/${repo.slug}` };
}

/** A pull straight into the Worker with its own execution context, awaited until the background store (and its recording) is done. */
async function pullSettled(path: string) {
  const ctx = createExecutionContext();
  const res = await worker.fetch!(new Request(`${BASE}${path}`, { headers: { Authorization: `Bearer ${ADMIN}` } }) as never, env as never, ctx);
  const bytes = new Uint8Array(await res.arrayBuffer());
  await waitOnExecutionContext(ctx);
  return { status: res.status, cache: res.headers.get("x-orbitalreg-cache"), bytes };
}

const get = (path: string, init: RequestInit = {}) => oci(path, { ...init, headers: { Authorization: `Bearer ${ADMIN}`, Accept: `${DOCKER_MANIFEST}, ${OCI_MANIFEST}, ${OCI_INDEX}`, ...(init.headers ?? {}) } });

describe("OCI upstream repos", () => {
  it("pulls a Docker Hub image through: library/ defaulting, the token challenge, manifests and blobs cached by digest", async () => {
    const hub = new StubUpstream("registry-1.docker.io");
    const auth = new StubUpstream("auth.docker.io");
    const img = await stubImage(hub, "library/alpine", "3.20");
    const token = "hub-token-123";
    // Docker Hub answers 401 with a challenge until it gets the realm's token.
    const guarded = (inner: (r: Request) => Response) => (r: Request) =>
      r.headers.get("authorization") === `Bearer ${token}`
        ? inner(r)
        : new Response(null, { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"' } });
    for (const path of [`/v2/library/alpine/manifests/3.20`, `/v2/library/alpine/manifests/${img.digest}`, `/v2/library/alpine/blobs/${img.cfgDigest}`, `/v2/library/alpine/blobs/${img.layerDigest}`]) {
      const original = (hub as any).routes.get(path);
      hub.on(path, guarded(original));
    }
    auth.on("/token", (r) => {
      const u = new URL(r.url);
      expect(u.searchParams.get("service")).toBe("registry.docker.io");
      expect(u.searchParams.get("scope")).toBe("repository:library/alpine:pull");
      return Response.json({ token, expires_in: 300 });
    });
    const { prefix } = await upstreamRepo("https://registry-1.docker.io", { config: { upstream_auth: "basic", upstream_username: "hubuser" }, upstream_secret: "hubpass" });

    const m = await get(`/v2/${prefix}/alpine/manifests/3.20`);
    expect(m.status).toBe(200);
    expect(m.headers.get("docker-content-digest")).toBe(img.digest);
    expect(m.headers.get("x-orbitalreg-cache")).toBe("MISS");
    expect(await readAll(m)).toEqual(img.manifest);
    expect(auth.seen.map((s) => s.authorization)).toEqual([`Basic ${btoa("hubuser:hubpass")}`]);
    expect(hub.seen.every((s) => s.authorization === null || s.authorization === `Bearer ${token}`)).toBe(true);

    const hit = await get(`/v2/${prefix}/alpine/manifests/3.20`);
    expect(hit.headers.get("x-orbitalreg-cache")).toBe("HIT");
    expect((await get(`/v2/${prefix}/alpine/manifests/${img.digest}`)).status).toBe(200);

    const layer = await get(`/v2/${prefix}/alpine/blobs/${img.layerDigest}`);
    expect(layer.headers.get("x-orbitalreg-cache")).toBe("MISS");
    expect(layer.headers.get("docker-content-digest")).toBe(img.layerDigest);
    expect(await readAll(layer)).toEqual(img.layer);
    const again = await get(`/v2/${prefix}/alpine/blobs/${img.layerDigest}`);
    expect(again.headers.get("x-orbitalreg-cache")).toBeNull();
    expect(await readAll(again)).toEqual(img.layer);
    // The first request was challenged; the token then went up front (one realm request).
    expect(hub.count("/v2/library/alpine/manifests/3.20")).toBe(2);
    expect(hub.count(`/v2/library/alpine/blobs/${img.layerDigest}`)).toBe(1);
    expect(auth.seen.length).toBe(1);
  });

  it("keeps a pulled-through layer's link in use for GC: the cached manifest's reference waits for the blob, then counts", async () => {
    const up = new StubUpstream();
    const img = await stubImage(up, "team/gc", "1", 7);
    const { repo, prefix } = await upstreamRepo(`${up.origin}/team`);
    // The manifest arrives first: its blobs are not here, so nothing links them yet.
    expect((await get(`/v2/${prefix}/gc/manifests/1`)).status).toBe(200);
    const layer = await pullSettled(`/v2/${prefix}/gc/blobs/${img.layerDigest}`);
    expect(layer.cache).toBe("MISS");
    expect(layer.bytes).toEqual(img.layer);
    const graces = { link_grace_seconds: 0, blob_grace_seconds: 0, orphan_grace_seconds: 365 * 86400 };
    const dry = await jsonOf(await req(`/api/admin/gc/dry-run`, { method: "POST", token: ADMIN, json: graces }), 200);
    // The layer's link is needed by the manifest; with no reference a run would drop it.
    expect(dry.links.filter((l: { repo_id: string }) => l.repo_id === repo.id)).toEqual([]);
    expect(dry.blobs.map((b: { digest: string }) => b.digest)).not.toContain(img.layerDigest);
    // The config, pulled later, is referenced too.
    expect((await pullSettled(`/v2/${prefix}/gc/blobs/${img.cfgDigest}`)).bytes).toEqual(img.config);
    const after = await jsonOf(await req(`/api/admin/gc/dry-run`, { method: "POST", token: ADMIN, json: graces }), 200);
    expect(after.links.filter((l: { repo_id: string }) => l.repo_id === repo.id)).toEqual([]);
    expect(up.count(`/v2/team/gc/blobs/${img.layerDigest}`)).toBe(1);
  });

  it("revalidates a tag with HEAD after its TTL, follows a moved tag, and serves it stale when the upstream is down", async () => {
    const up = new StubUpstream();
    const v1 = await stubImage(up, "team/app", "latest", 1);
    const { prefix } = await upstreamRepo(`${up.origin}/team`, { config: { metadata_ttl_seconds: 0 } });

    expect((await get(`/v2/${prefix}/app/manifests/latest`)).headers.get("docker-content-digest")).toBe(v1.digest);
    const revalidated = await get(`/v2/${prefix}/app/manifests/latest`);
    expect(revalidated.headers.get("x-orbitalreg-cache")).toBe("REVALIDATED");
    expect(up.seen.filter((s) => s.path === "/v2/team/app/manifests/latest").map((s) => s.method)).toEqual(["GET", "HEAD"]);

    const v2 = await stubImage(up, "team/app", "latest", 2);
    const moved = await get(`/v2/${prefix}/app/manifests/latest`);
    expect(moved.headers.get("x-orbitalreg-cache")).toBe("MISS");
    expect(moved.headers.get("docker-content-digest")).toBe(v2.digest);

    up.down = true;
    const stale = await get(`/v2/${prefix}/app/manifests/latest`);
    expect(stale.status).toBe(200);
    expect(stale.headers.get("x-orbitalreg-cache")).toBe("STALE");
    expect(stale.headers.get("docker-content-digest")).toBe(v2.digest);
    const unknown = await get(`/v2/${prefix}/app/manifests/never`);
    expect(unknown.status).toBe(503);
  });

  it("breaks off a blob whose bytes don't match its digest and keeps nothing", async () => {
    const up = new StubUpstream();
    const img = await stubImage(up, "evil/img", "1");
    const forged = bytesOf(img.layer.byteLength, 99);
    up.on(`/v2/evil/img/blobs/${img.layerDigest}`, () => new Response(forged, { headers: { "Content-Length": String(forged.byteLength) } }));
    const { prefix } = await upstreamRepo(`${up.origin}/evil`);
    const res = await get(`/v2/${prefix}/img/blobs/${img.layerDigest}`);
    const got = await readUntilBroken(res);
    expect(got.broken).toBe(true);
    expect(got.bytes).toBeLessThan(forged.byteLength);
    const again = await get(`/v2/${prefix}/img/blobs/${img.layerDigest}`);
    expect((await readUntilBroken(again)).broken).toBe(true);
    expect(up.count(`/v2/evil/img/blobs/${img.layerDigest}`)).toBe(2);
  });

  it("lists the upstream's tags, answers an uncached blob's HEAD from the upstream, and refuses pushes", async () => {
    const up = new StubUpstream();
    const img = await stubImage(up, "lib/tool", "2.0");
    up.on("/v2/lib/tool/tags/list", () => Response.json({ name: "lib/tool", tags: ["2.0", "1.0", "latest"] }));
    const { prefix } = await upstreamRepo(`${up.origin}/lib`);

    const tags = await get(`/v2/${prefix}/tool/tags/list?n=2`);
    expect(await jsonOf(tags, 200)).toEqual({ name: `${prefix}/tool`, tags: ["1.0", "2.0"] });
    const head = await get(`/v2/${prefix}/tool/blobs/${img.layerDigest}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(img.layer.byteLength));

    const push = await oci(`/v2/${prefix}/tool/blobs/uploads/`, { method: "POST", headers: { Authorization: `Bearer ${ADMIN}` } });
    expect(push.status).toBe(403);
    expect((await jsonOf(push)).errors[0].code).toBe("DENIED");
    expect((await oci(`/v2/${prefix}/tool/manifests/2.0`, { method: "DELETE", headers: { Authorization: `Bearer ${ADMIN}` } })).status).toBe(403);
  });
});

describe("project proxy caches (Quay's proxycache)", () => {
  it("creates the upstream repo a reader's first pull needs, and validates and keeps the password write-only", async () => {
    const hub = new StubUpstream("hub.example.com");
    const img = await stubImage(hub, "library/alpine", "3.20");
    hub.on("/v2/", (r) => (r.headers.get("authorization") === `Basic ${btoa("puller:pw")}` ? new Response("{}") : new Response(null, { status: 401, headers: { "WWW-Authenticate": 'Basic realm="hub"' } })));
    const project = await createProject();
    const base = `/api/v1/projects/${project.id}`;
    const body = { upstream_registry: "https://hub.example.com", upstream_registry_username: "puller", upstream_registry_password: "pw", expiration_s: 600 };
    expect((await req(`${base}/validateproxycache`, { method: "POST", token: ADMIN, json: body })).status).toBe(201);
    expect((await jsonOf(await req(`${base}/validateproxycache`, { method: "POST", token: ADMIN, json: { ...body, upstream_registry_password: "wrong" } }), 400)).error.code).toBe("InvalidProxyCache");
    const created = await jsonOf(await req(`${base}/proxycache`, { method: "POST", token: ADMIN, json: body }), 201);
    expect(created).toMatchObject({ upstream_registry: "https://hub.example.com", upstream_registry_username: "puller", upstream_registry_password_set: true, expiration_s: 600 });
    expect(JSON.stringify(await jsonOf(await req(`${base}/proxycache`, { token: ADMIN }), 200))).not.toContain('"pw"');
    expect((await jsonOf(await req(`${base}/proxycache`, { method: "POST", token: ADMIN, json: body }), 409)).error.code).toBe("ConflictProxyCacheExists");

    // Anonymous pulls create nothing.
    expect((await oci(`/v2/${project.slug}/library/alpine/manifests/3.20`)).status).toBe(401);
    const sa = await createServiceAccount(project.id, "reader");
    const token = await mintToken(project.id, sa.id);
    const m = await oci(`/v2/${project.slug}/library/alpine/manifests/3.20`, { headers: { Authorization: `Bearer ${token}`, Accept: DOCKER_MANIFEST } });
    expect(m.status).toBe(200);
    expect(m.headers.get("docker-content-digest")).toBe(img.digest);
    const repos = await jsonOf(await req(`/api/v1/repos?project_id=${project.id}`, { token: ADMIN }), 200);
    expect(repos.items).toEqual([expect.objectContaining({ slug: "library", kind: "upstream", upstream_url: "https://hub.example.com/library", config: { metadata_ttl_seconds: 600, upstream_auth: "basic", upstream_username: "puller", upstream_secret_set: true } })]);
    const audit = await jsonOf(await req(`/api/v1/audit?project_id=${project.id}&action=repo.create`, { token: ADMIN }), 200);
    expect(audit.items[0].actor).toMatchObject({ type: "service_account", id: sa.id });
    expect((await req(`${base}/proxycache`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect((await req(`${base}/proxycache`, { token: ADMIN })).status).toBe(404);
  });
});
