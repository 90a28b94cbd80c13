// Mirroring (reference 004 §2.9): configuration on an upstream repo, sync-now through the
// JOBS queue (driven message by message), versions chosen by root_rule copied through
// the pull-through path, sync-cancel before and during a run, the schedule, OCI tags.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import worker from "../../src/index";
import { ADMIN, createProject, createRepo, createServiceAccount, jsonOf, mintToken, req } from "../helpers";
import { installOutbound, uninstallOutbound } from "../support/outbound";
import { StubUpstream, bytesOf, digestHex, sri512 } from "../support/upstream";
import { scheduleDueMirrors } from "../../src/services/proxy";
import { DOCKER_MANIFEST, oci, sha256 } from "../oci-helpers";

beforeAll(installOutbound);
afterAll(uninstallOutbound);

async function npmUpstreamWith(versions: string[]) {
  const up = new StubUpstream();
  const doc: Record<string, any> = { name: "mirrored", "dist-tags": { latest: versions.at(-1) }, versions: {} };
  for (const v of versions) {
    const bytes = bytesOf(`mirrored ${v}`);
    const path = `/mirrored/-/mirrored-${v}.tgz`;
    doc.versions[v] = { name: "mirrored", version: v, dist: { tarball: `${up.origin}${path}`, integrity: await sri512(bytes), shasum: await digestHex("SHA-1", bytes) } };
    up.on(path, () => new Response(bytes));
  }
  up.on("/mirrored", () => Response.json(doc));
  const project = await createProject();
  const repo = await createRepo(project.id, "npm", { kind: "upstream", upstream_url: up.origin });
  return { up, project, repo };
}

let seq = 0;
async function runJobs(body: unknown) {
  const batch = createMessageBatch("orbitalreg-jobs", [{ id: `job-${seq++}`, timestamp: new Date(), attempts: 1, body }]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

const mirrorOf = async (repoId: string) => jsonOf(await req(`/api/v1/repos/${repoId}/mirror`, { token: ADMIN }), 200);
const versionsIn = async (repoId: string) => {
  const pkgs = await jsonOf(await req(`/api/v1/repos/${repoId}/packages`, { token: ADMIN }), 200);
  if (!pkgs.items.length) return [];
  const vs = await jsonOf(await req(`/api/v1/repos/${repoId}/packages/${encodeURIComponent(pkgs.items[0].name)}/versions`, { token: ADMIN }), 200);
  return vs.items.map((v: any) => v.version).sort();
};

describe("mirroring", () => {
  it("copies the versions root_rule selects on sync-now, and reports the run", async () => {
    const { up, repo } = await npmUpstreamWith(["1.0.0", "1.1.0", "2.0.0-beta.1"]);
    const created = await jsonOf(
      await req(`/api/v1/repos/${repo.id}/mirror`, { method: "POST", token: ADMIN, json: { packages: ["mirrored"], root_rule: { rule_kind: "tag_glob_csv", rule_value: ["1.*"] }, sync_interval: 3600 } }),
      201,
    );
    expect(created).toMatchObject({ is_enabled: true, sync_status: "NEVER_RUN", external_reference: up.origin, root_rule: { rule_value: ["1.*"] } });
    expect((await jsonOf(await req(`/api/v1/repos/${repo.id}/mirror/sync-now`, { method: "POST", token: ADMIN }), 201)).sync_status).toBe("SYNC_NOW");

    const sent: any[] = [];
    const send = env.EVENTS.send.bind(env.EVENTS);
    env.EVENTS.send = async (m, o) => (sent.push(m), send(m, o));
    try {
      const result = await runJobs({ type: "mirror.sync", repo_id: repo.id });
      expect(result.explicitAcks.length).toBe(1);
    } finally {
      env.EVENTS.send = send;
    }
    expect(await versionsIn(repo.id)).toEqual(["1.0.0", "1.1.0"]);
    expect(up.count("/mirrored/-/mirrored-2.0.0-beta.1.tgz")).toBe(0);
    const after = await mirrorOf(repo.id);
    expect(after).toMatchObject({ sync_status: "SUCCESS", synced_count: 2, last_error: null });
    expect(Date.parse(after.sync_start_date)).toBeGreaterThan(Date.now() + 3000_000);
    expect(sent.find((m) => m.type === "mirror.synced")).toMatchObject({ actor: { actorType: "system", actorName: "mirror" }, data: { repo_id: repo.id, status: "SUCCESS", copied: 2, failed: 0 } });

    // The same job again finds nothing to do (not requested, not due).
    await runJobs({ type: "mirror.sync", repo_id: repo.id });
    expect(up.count("/mirrored/-/mirrored-1.0.0.tgz")).toBe(1);
    const audit = await jsonOf(await req(`/api/v1/audit?resource_id=${repo.id}&resource_type=mirror`, { token: ADMIN }), 200);
    expect(audit.items.map((a: any) => a.action)).toEqual(["mirror.created", "mirror.sync_now"]);
  });

  it("does not run a sync cancelled before it started, and stops one cancelled while it runs", async () => {
    const { up, repo } = await npmUpstreamWith(["1.0.0", "1.1.0", "1.2.0"]);
    await jsonOf(await req(`/api/v1/repos/${repo.id}/mirror`, { method: "POST", token: ADMIN, json: { packages: ["mirrored"] } }), 201);
    await jsonOf(await req(`/api/v1/repos/${repo.id}/mirror/sync-now`, { method: "POST", token: ADMIN }), 201);
    expect((await jsonOf(await req(`/api/v1/repos/${repo.id}/mirror/sync-cancel`, { method: "POST", token: ADMIN }), 201)).sync_status).toBe("CANCEL");
    await runJobs({ type: "mirror.sync", repo_id: repo.id });
    expect(await versionsIn(repo.id)).toEqual([]);

    await jsonOf(await req(`/api/v1/repos/${repo.id}/mirror/sync-now`, { method: "POST", token: ADMIN }), 201);
    up.gate();
    const running = runJobs({ type: "mirror.sync", repo_id: repo.id });
    await up.arrived("/mirrored");
    expect((await mirrorOf(repo.id)).sync_status).toBe("SYNCING");
    await jsonOf(await req(`/api/v1/repos/${repo.id}/mirror/sync-cancel`, { method: "POST", token: ADMIN }), 201);
    up.open();
    await running;
    expect(await versionsIn(repo.id)).toEqual([]);
    expect((await mirrorOf(repo.id)).sync_status).toBe("CANCEL");
  });

  it("schedules due mirrors from the cron, and refuses what can't mirror", async () => {
    const { repo } = await npmUpstreamWith(["1.0.0"]);
    await jsonOf(await req(`/api/v1/repos/${repo.id}/mirror`, { method: "POST", token: ADMIN, json: { packages: ["mirrored"], sync_start_date: new Date(Date.now() - 1000).toISOString() } }), 201);
    const sentJobs: any[] = [];
    const sendBatch = env.JOBS.sendBatch.bind(env.JOBS);
    env.JOBS.sendBatch = async (ms, o) => (sentJobs.push(...[...ms].map((m) => m.body)), sendBatch(ms, o));
    try {
      expect(await scheduleDueMirrors(env)).toBeGreaterThan(0);
    } finally {
      env.JOBS.sendBatch = sendBatch;
    }
    expect(sentJobs).toContainEqual({ type: "mirror.sync", repo_id: repo.id });
    await runJobs({ type: "mirror.sync", repo_id: repo.id });
    expect(await versionsIn(repo.id)).toEqual(["1.0.0"]);

    const project = await createProject();
    const local = await createRepo(project.id, "npm");
    expect((await jsonOf(await req(`/api/v1/repos/${local.id}/mirror`, { method: "POST", token: ADMIN, json: { packages: ["x"] } }), 400)).error.code).toBe("InvalidMirror");
    expect((await jsonOf(await req(`/api/v1/repos/${repo.id}/mirror`, { method: "POST", token: ADMIN, json: { packages: ["x"] } }), 409)).error.code).toBe("ConflictMirrorExists");
    const sa = await createServiceAccount(project.id, "writer");
    const writer = await mintToken(project.id, sa.id);
    expect((await req(`/api/v1/repos/${repo.id}/mirror`, { token: writer })).status).toBe(403);
    expect((await req(`/api/v1/repos/${local.id}/mirror`, { token: ADMIN })).status).toBe(404);
  });

  it("mirrors an image's tags with their manifests and blobs", async () => {
    const up = new StubUpstream();
    const config = new TextEncoder().encode('{"architecture":"amd64"}');
    const layer = bytesOf("layer of the mirrored image");
    const [cfgDigest, layerDigest] = [await sha256(config), await sha256(layer)];
    const manifest = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: { mediaType: "application/vnd.docker.container.image.v1+json", digest: cfgDigest, size: config.byteLength }, layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", digest: layerDigest, size: layer.byteLength }] }));
    const mDigest = await sha256(manifest);
    up.on("/v2/team/tool/tags/list", () => Response.json({ name: "team/tool", tags: ["1.0", "1.1", "nightly"] }));
    for (const tag of ["1.0", "1.1", mDigest]) up.on(`/v2/team/tool/manifests/${tag}`, () => new Response(manifest, { headers: { "Content-Type": DOCKER_MANIFEST, "Docker-Content-Digest": mDigest } }));
    up.on(`/v2/team/tool/blobs/${cfgDigest}`, () => new Response(config));
    up.on(`/v2/team/tool/blobs/${layerDigest}`, () => new Response(layer));
    const project = await createProject();
    const repo = await createRepo(project.id, "docker", { kind: "upstream", upstream_url: `${up.origin}/team` });
    await jsonOf(await req(`/api/v1/repos/${repo.id}/mirror`, { method: "POST", token: ADMIN, json: { packages: ["tool"], root_rule: { rule_kind: "tag_glob_csv", rule_value: ["1.*"] } } }), 201);
    await jsonOf(await req(`/api/v1/repos/${repo.id}/mirror/sync-now`, { method: "POST", token: ADMIN }), 201);
    await runJobs({ type: "mirror.sync", repo_id: repo.id });
    expect(await mirrorOf(repo.id)).toMatchObject({ sync_status: "SUCCESS", synced_count: 2 });
    up.down = true; // everything now comes from the repo itself
    const auth = { Authorization: `Bearer ${ADMIN}` };
    expect((await oci(`/v2/${project.slug}/${repo.slug}/tool/blobs/${layerDigest}`, { headers: auth })).status).toBe(200);
    const tags = await jsonOf(await req(`/api/v1/repos/${repo.id}/images/tool/tags`, { token: ADMIN }), 200);
    expect(tags.items.map((t: any) => t.tag).sort()).toEqual(["1.0", "1.1"]);
    expect((await oci(`/v2/${project.slug}/${repo.slug}/tool/manifests/${mDigest}`, { headers: { ...auth, Accept: DOCKER_MANIFEST } })).status).toBe(200);
    expect(up.count("/v2/team/tool/manifests/nightly")).toBe(0);
  });
});
