/**
 * Sigstore at pull (services/trust/sigstore-pull.ts): an `enforce` policy refuses a pull of
 * an image it selects that fails verification (451, why-blocked envelope naming the policy
 * and the reasons) and serves it once a valid signature is attached; `audit` serves it,
 * with one audit row and one `sigstore.pull_unverified` per digest and policy version; a
 * PATCH to `off` takes effect at once; the repo flag (`repos.sigstore_pull`) follows the
 * policies, and repos no policy can select pay no round trip for any of it.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { ADMIN, audit, captureEvents, createRepo, jsonOf, req } from "../helpers";
import { OCI_MANIFEST, errorsOf, oci, ociRepo, pushImage } from "../oci-helpers";
import { GITHUB, publicKey, sign, trustedRoot, workflow, type BundleOptions } from "../support/sigstore";
import { BUNDLE, attachCosignSignatures, attachReferrer } from "../support/sigstore-oci";
import { measure } from "../support/calls";
import { clearAllCaches } from "../../src/core/ttl-cache";
import { basic } from "../oci-helpers";
import { publishBody } from "../npm-fixtures";
import { statement } from "../support/sigstore";

const ACCEPT = { Accept: OCI_MANIFEST };
const hexOf = (digest: string) => digest.replace(/^sha256:/, "");
const enc = (s: string) => new TextEncoder().encode(s);

async function policy(body: Record<string, unknown>) {
  return jsonOf(await req("/api/admin/sigstore/policies", { method: "POST", token: ADMIN, json: { name: `pull-${crypto.randomUUID().slice(0, 8)}`, ...body } }), 201);
}
const keyed = async () => ({ keys: [{ name: "ci", pem: await publicKey("ci") }], rekor: "optional" });
const flagOf = async (repoId: string) => (await env.DB.prepare("SELECT sigstore_pull AS f FROM repos WHERE id = ?").bind(repoId).first<{ f: string | null }>())?.f ?? null;

async function imageIn(mode: "enforce" | "audit", extra: Record<string, unknown> = {}) {
  const img = await ociRepo("writer");
  const { manifest } = await pushImage(img.name, img.token, "1.0");
  const p = await policy({ mode, repo_id: img.repo.id, ...(await keyed()), ...extra });
  return { img, manifest, p };
}

describe("sigstore verification at pull", () => {
  it("enforce: an unsigned image is refused (451, envelope) by tag and digest, GET and HEAD; signed with a trusted key it is served; its .sig is always served", async () => {
    const { img, manifest, p } = await imageIn("enforce");
    expect(await flagOf(img.repo.id)).toBe("enforce");
    for (const ref of ["1.0", manifest.digest]) {
      const errs = await errorsOf(await oci(`/v2/${img.name}/manifests/${ref}`, { auth: img.token, headers: ACCEPT }), 451);
      expect(errs[0]).toMatchObject({ code: "DENIED" });
      expect(errs[0]!.message).toContain(`sigstore policy '${p.name}'`);
      expect(errs[0]!.detail).toMatchObject({ block_id: p.id, public_url: expect.stringContaining(`/blocked/${p.id}`), blocked_until: null });
      expect((errs[0]!.detail as { reason: string }).reason).toMatch(/unsigned: no signature/);
      expect((await oci(`/v2/${img.name}/manifests/${ref}`, { method: "HEAD", auth: img.token, headers: ACCEPT })).status).toBe(451);
    }
    // A signature by an untrusted key does not help…
    const sig = await attachCosignSignatures(img, manifest.digest, [{ key: "someone-else", tlog: false }]);
    const errs = await errorsOf(await oci(`/v2/${img.name}/manifests/1.0`, { auth: img.token, headers: ACCEPT }), 451);
    expect((errs[0]!.detail as { reason: string }).reason).toMatch(/untrusted key/);
    // …the signature manifest itself is served (cosign fetches it to verify)…
    expect((await oci(`/v2/${img.name}/manifests/sha256-${hexOf(manifest.digest)}.sig`, { auth: img.token, headers: ACCEPT })).status).toBe(200);
    expect(sig.res.status).toBe(201);
    // …and re-signed by the trusted key (the .sig tag moves) the image is served at once.
    await attachCosignSignatures(img, manifest.digest, [{ key: "ci", tlog: false }]);
    const ok = await oci(`/v2/${img.name}/manifests/1.0`, { auth: img.token, headers: ACCEPT });
    expect(ok.status, await ok.clone().text()).toBe(200);
    expect(await ok.text()).toBe(manifest.body);
    expect((await oci(`/v2/${img.name}/manifests/${manifest.digest}`, { method: "HEAD", auth: img.token, headers: ACCEPT })).status).toBe(200);
  });

  it("enforce, keyless: a certificate of another identity is refused with the reason naming it; the trusted workflow's referrer passes", async () => {
    const { img, manifest } = await imageIn("enforce", { keys: [], identities: [{ issuer: GITHUB, san: workflow() }], trusted_root: await trustedRoot(), rekor: "required" });
    await attachReferrer(img, manifest, (await sign(enc(manifest.body), { identity: { san: workflow("evil/fork"), issuer: GITHUB } })).bundle);
    const errs = await errorsOf(await oci(`/v2/${img.name}/manifests/1.0`, { auth: img.token, headers: ACCEPT }), 451);
    expect((errs[0]!.detail as { reason: string }).reason).toContain("wrong identity");
    expect(errs[0]!.message).toContain("evil/fork");
    await attachReferrer(img, manifest, (await sign(enc(manifest.body), { identity: { san: workflow(), issuer: GITHUB } })).bundle);
    expect((await oci(`/v2/${img.name}/manifests/1.0`, { auth: img.token, headers: ACCEPT })).status).toBe(200);
  });

  it("audit: an unsigned image is served; the failure is recorded (audit row, sigstore.pull_unverified) once per digest and policy version", async () => {
    const { img, manifest, p } = await imageIn("audit");
    expect(await flagOf(img.repo.id)).toBe("audit");
    const events = captureEvents();
    for (let i = 0; i < 3; i++) expect((await oci(`/v2/${img.name}/manifests/1.0`, { auth: img.token, headers: ACCEPT })).status).toBe(200);
    const mine = () => events.events().filter((e) => e.type === "sigstore.pull_unverified" && e.data.policy_id === p.id);
    expect(mine()).toHaveLength(1);
    expect(mine()[0]!.data).toMatchObject({ policy_name: p.name, repo_id: img.repo.id, package: "app", version: "1.0", digest: manifest.digest, reason: expect.stringMatching(/unsigned/) });
    const rows = (await audit({ resource_id: p.id })).filter((a) => a.action === "sigstore_policy.pull_unverified");
    expect(rows).toHaveLength(1);
    // A new policy version judges (and records) again.
    await jsonOf(await req(`/api/admin/sigstore/policies/${p.id}`, { method: "PATCH", token: ADMIN, json: { description: "v2" } }), 200);
    expect((await oci(`/v2/${img.name}/manifests/${manifest.digest}`, { auth: img.token, headers: ACCEPT })).status).toBe(200);
    expect(mine()).toHaveLength(2);
  });

  it("a PATCH from enforce to off (or disabling, or deleting) takes effect at once in the isolate that made it; the flag follows", async () => {
    const { img, p } = await imageIn("enforce");
    const pull = () => oci(`/v2/${img.name}/manifests/1.0`, { auth: img.token, headers: ACCEPT });
    expect((await pull()).status).toBe(451);
    await jsonOf(await req(`/api/admin/sigstore/policies/${p.id}`, { method: "PATCH", token: ADMIN, json: { mode: "off" } }), 200);
    expect(await flagOf(img.repo.id)).toBeNull();
    expect((await pull()).status).toBe(200);
    await jsonOf(await req(`/api/admin/sigstore/policies/${p.id}`, { method: "PATCH", token: ADMIN, json: { mode: "enforce" } }), 200);
    expect((await pull()).status).toBe(451);
    await jsonOf(await req(`/api/admin/sigstore/policies/${p.id}`, { method: "PATCH", token: ADMIN, json: { enabled: false } }), 200);
    expect((await pull()).status).toBe(200);
    await jsonOf(await req(`/api/admin/sigstore/policies/${p.id}`, { method: "PATCH", token: ADMIN, json: { enabled: true } }), 200);
    expect((await pull()).status).toBe(451);
    expect((await req(`/api/admin/sigstore/policies/${p.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    expect(await flagOf(img.repo.id)).toBeNull();
    expect((await pull()).status).toBe(200);
  });

  it("the flag: a project policy flags the project's repos of its formats, those created later too, and no other", async () => {
    const img = await ociRepo("writer");
    const other = await ociRepo("writer");
    await policy({ mode: "audit", project_id: img.project.id, formats: ["docker"], ...(await keyed()) });
    const npmOnly = await policy({ mode: "enforce", project_id: img.project.id, formats: ["npm"], ...(await keyed()) });
    expect(await flagOf(img.repo.id)).toBe("audit");
    expect(await flagOf(other.repo.id)).toBeNull();
    const later = await createRepo(img.project.id, "docker");
    const npm = await createRepo(img.project.id, "npm");
    expect(await flagOf(later.id)).toBe("audit");
    expect(await flagOf(npm.id)).toBe("enforce");
    expect(npmOnly.mode).toBe("enforce");
    const helm = await createRepo(img.project.id, "helm");
    expect(await flagOf(helm.id)).toBeNull();
  });

  it("npm: enforce refuses a tarball without valid provenance (451, envelope, in npm's JSON error), serves one whose provenance passes; a signed version goes on being served from the edge cache only while it passes", async () => {
    const { project, repo, token } = await ociRepo("writer", {}, "npm");
    const publish = async (name: string, signer: BundleOptions | null) => {
      const { body, bytes } = await publishBody(name, "1.0.0");
      if (signer) {
        const sha512 = [...new Uint8Array(await crypto.subtle.digest("SHA-512", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
        const made = await sign(await statement([{ name: `pkg:npm/${name}@1.0.0`, digest: { sha512 } }], "https://slsa.dev/provenance/v1"), { dsse: "application/vnd.in-toto+json", ...signer });
        const text = JSON.stringify(made.bundle);
        (body._attachments as Record<string, unknown>)[`${name}-1.0.0.sigstore`] = { content_type: BUNDLE, data: text, length: text.length };
      }
      const res = await req(`/npm/${project.slug}/${repo.slug}/${name}`, { method: "PUT", token, json: body });
      expect(res.status, await res.clone().text()).toBe(201);
      return { bytes, tarball: `/npm/${project.slug}/${repo.slug}/${name}/-/${name}-1.0.0.tgz` };
    };
    const p = await policy({ mode: "enforce", repo_id: repo.id, identities: [{ issuer: GITHUB, san: workflow() }], trusted_root: await trustedRoot() });
    const plain = await publish(`plain-${crypto.randomUUID().slice(0, 6)}`, null);
    const res = await req(plain.tarball, { token });
    expect(res.status).toBe(451);
    const e: any = await res.json();
    expect(e.error).toContain(`sigstore policy '${p.name}'`);
    expect(JSON.stringify(e)).toContain(`/blocked/${p.id}`);
    const forked = await publish(`fork-${crypto.randomUUID().slice(0, 6)}`, { identity: { san: workflow("evil/fork"), issuer: GITHUB } });
    const refused = await req(forked.tarball, { token });
    expect(refused.status).toBe(451);
    expect(JSON.stringify(await refused.json())).toContain("wrong identity");
    const signed = await publish(`signed-${crypto.randomUUID().slice(0, 6)}`, { identity: { san: workflow(), issuer: GITHUB } });
    for (let i = 0; i < 2; i++) {
      const ok = await req(signed.tarball, { token });
      expect(ok.status, await ok.clone().text()).toBe(200);
      expect(new Uint8Array(await ok.arrayBuffer())).toEqual(signed.bytes);
    }
    // The policy now trusts another workflow only: the bytes the edge cache holds are not served.
    await jsonOf(await req(`/api/admin/sigstore/policies/${p.id}`, { method: "PATCH", token: ADMIN, json: { identities: [{ issuer: GITHUB, san: workflow("acme/other") }] } }), 200);
    expect((await req(signed.tarball, { token })).status).toBe(451);
  });

  it("the why-blocked page of an enforce policy explains it publicly (JSON and HTML), naming no reason or repository", async () => {
    const { img, p } = await imageIn("enforce");
    const errs = await errorsOf(await oci(`/v2/${img.name}/manifests/1.0`, { auth: img.token, headers: ACCEPT }), 451);
    const url = new URL((errs[0]!.detail as { public_url: string }).public_url);
    const page = await jsonOf(await req(url.pathname, { headers: { Accept: "application/json" } }), 200);
    expect(page).toMatchObject({ block_id: p.id, kind: "sigstore", name: p.name, status: "active" });
    expect(JSON.stringify(page)).not.toContain(img.repo.id);
    const html = await req(url.pathname);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain(p.name);
  });

  it("round trips: a repo no policy can select pays none more (cold, warm); a flagged repo's cold verdict costs what verification costs, its warm pull nothing more", async () => {
    const plain = await ociRepo("writer");
    await pushImage(plain.name, plain.token, "1.0");
    // A policy of the same project, for another format: the repo stays unflagged.
    await policy({ mode: "enforce", project_id: plain.project.id, formats: ["npm"], ...(await keyed()) });
    const flagged = await imageIn("enforce");
    await attachCosignSignatures(flagged.img, flagged.manifest.digest, [{ key: "ci", tlog: false }]);
    const get = (img: { name: string; token: string }) => ({ headers: { ...ACCEPT, Authorization: basic(img.token) } });
    const costs = async (img: { name: string; token: string }) => {
      clearAllCaches();
      const cold = await measure(`/v2/${img.name}/manifests/1.0`, get(img));
      const warm = await measure(`/v2/${img.name}/manifests/1.0`, get(img));
      expect([cold.res.status, warm.res.status]).toEqual([200, 200]);
      return { cold: cold.calls.d1, warm: warm.calls.d1, r2: cold.calls.r2 + warm.calls.r2 };
    };
    // test/round-trips.test.ts pins the unflagged manifest GET: one batch cold, at most one read warm.
    const p = await costs(plain);
    expect(p.cold).toBe(1);
    expect(p.warm).toBeLessThanOrEqual(1); // 0 unless the 2 s manifest cache expired meanwhile
    const f = await costs(flagged.img);
    // Cold: the gate's batch (1), then verification (6): the policies, the referrers, the
    // .sig and .att tags, the .sig manifest's body by digest, the signed manifest's body by
    // digest (the pull read it by tag); the .sig layer comes from R2.
    expect(f.cold).toBe(PINNED_FLAGGED_COLD);
    expect(f.warm).toBeLessThanOrEqual(1); // the verdict is cached: no verification again
  });
});

/** D1 round trips of a cold pull of a signed image in an `enforce` repo (one cosign signature). */
const PINNED_FLAGGED_COLD = 7;
