/**
 * Sigstore trust policies: CRUD (admin-only, validated, audited, `policy.changed`), and
 * verification of images and packages against them with real bundles made by a private
 * Fulcio + CT log + Rekor (test/support/sigstore-signer.mjs): keyed and keyless, expired
 * certificates, wrong identities, tampered payloads, missing Rekor entries, minimum
 * signers, attestations, cosign's tag scheme and OCI 1.1 referrers, the verdict cache,
 * and the promotion `signature` gate.
 */
import { describe, expect, it } from "vitest";
import { ADMIN, audit, captureEvents, createRepo, expectError, jsonOf, req } from "../helpers";
import { OCI_MANIFEST, ociRepo, pushBlob, pushImage, putManifest } from "../oci-helpers";
import { GITHUB, publicKey, sign, statement, trustedRoot, workflow, type BundleOptions } from "../support/sigstore";
import { attachCosignSignatures, attachReferrer } from "../support/sigstore-oci";
import { env } from "cloudflare:test";
import { sigstoreStats } from "../../src/services/trust/sigstore";
import { resolveSubject, verifiedProvenance } from "../../src/services/trust";
import { systemScope } from "../../src/services/lifecycle/jobs";
import { publishBody } from "../npm-fixtures";

const BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json";
const INTOTO = "application/vnd.in-toto+json";
const SLSA = "https://slsa.dev/provenance/v1";
const enc = (s: string) => new TextEncoder().encode(s);
const hexOf = (digest: string) => digest.replace(/^sha256:/, "");

const createPolicy = (body: Record<string, unknown>, token = ADMIN) => req("/api/admin/sigstore/policies", { method: "POST", token, json: body });
async function policy(repoId: string, body: Record<string, unknown>) {
  return jsonOf(await createPolicy({ name: `p-${crypto.randomUUID().slice(0, 8)}`, mode: "audit", repo_id: repoId, ...body }), 201);
}
const keyless = async (extra: Record<string, unknown> = {}) => ({ identities: [{ issuer: GITHUB, san: workflow() }], trusted_root: await trustedRoot(), ...extra });
const keyed = async (name = "ci", extra: Record<string, unknown> = {}) => ({ keys: [{ name, pem: await publicKey(name) }], rekor: "optional", ...extra });

/** A DSSE in-toto statement about the image, signed as a bundle. */
const attest = async (digest: string, o: BundleOptions, predicateType = SLSA) => (await sign(await statement([{ name: "app", digest: { sha256: hexOf(digest) } }], predicateType), { dsse: INTOTO, ...o })).bundle;

const verification = async (repoId: string, digest: string, token = ADMIN) => jsonOf(await req(`/api/v1/repos/${repoId}/images/app/manifests/${digest}/verification`, { token }), 200);
async function signedImage(seed = 1) {
  const img = await ociRepo("writer");
  const { manifest } = await pushImage(img.name, img.token, "1.0", seed);
  return { img, manifest };
}
/** The image's verdict under a new policy, with one referrer bundle made by `make`. */
async function verdictOf(policyBody: Record<string, unknown>, make: (digest: string, manifestBytes: Uint8Array) => Promise<unknown>) {
  const { img, manifest } = await signedImage();
  await policy(img.repo.id, policyBody);
  await attachReferrer(img, manifest, await make(manifest.digest, enc(manifest.body)));
  const v = await verification(img.repo.id, manifest.digest);
  return { v, p: v.policies[0], s: v.policies[0].signatures[0] };
}

describe("sigstore verification in workerd", () => {
  it("keyless: a Fulcio certificate of the trusted workflow, logged in Rekor, passes", async () => {
    const { v, p, s } = await verdictOf(await keyless(), async (_d, bytes) => (await sign(bytes, { identity: { san: workflow(), issuer: GITHUB } })).bundle);
    expect(s).toMatchObject({ source: "referrer", kind: "message_signature", passed: true, signer: { type: "keyless", identity: workflow(), issuer: GITHUB } });
    expect(s.rekor.log_index).toMatch(/^\d+$/);
    expect(p).toMatchObject({ passed: true, valid_signatures: 1 });
    expect(v.passed).toBe(true);
  });

  it("keyed: a signature by a trusted P-256 key passes, Ed25519 too; an unknown key fails", async () => {
    const { s } = await verdictOf(await keyed("ci"), async (_d, bytes) => (await sign(bytes, { key: "ci" })).bundle);
    expect(s).toMatchObject({ passed: true, signer: { type: "keyed", key: "ci" } });
    const ed = await verdictOf({ keys: [{ name: "ed", pem: await publicKey("ed", "ed25519") }], rekor: "optional" }, async (_d, bytes) => (await sign(bytes, { key: "ed", keyType: "ed25519", tlog: false })).bundle);
    expect(ed.s, ed.s.reason).toMatchObject({ passed: true, signer: { key: "ed" } });
    const other = await verdictOf(await keyed("ci"), async (_d, bytes) => (await sign(bytes, { key: "someone-else" })).bundle);
    expect(other.s.passed).toBe(false);
    expect(other.s.reason).toMatch(/untrusted key/);
    expect(other.p.reason).toMatch(/0 valid signer\(s\) of 1/);
  });

  it("an expired certificate (logged after its ten minutes) fails", async () => {
    const { s } = await verdictOf(await keyless(), async (_d, bytes) => (await sign(bytes, { identity: { san: workflow(), issuer: GITHUB }, atOffsetMs: 3_600_000 })).bundle);
    expect(s.passed).toBe(false);
    expect(s.reason).toMatch(/certificate expired/);
  });

  it("a certificate of another identity fails, naming who signed; a SAN regex admits a family of refs", async () => {
    const wrong = await verdictOf(await keyless(), async (_d, bytes) => (await sign(bytes, { identity: { san: workflow("evil/fork"), issuer: GITHUB } })).bundle);
    expect(wrong.s.passed).toBe(false);
    expect(wrong.s.reason).toContain("wrong identity");
    expect(wrong.s.reason).toContain("evil/fork");
    const regex = await verdictOf(
      { identities: [{ issuer: GITHUB, san_regex: "https://github\\.com/acme/app/\\.github/workflows/release\\.yml@refs/tags/v.*" }], trusted_root: await trustedRoot() },
      async (_d, bytes) => (await sign(bytes, { identity: { san: workflow("acme/app", "refs/tags/v1.2.0"), issuer: GITHUB } })).bundle,
    );
    expect(regex.s.passed).toBe(true);
  });

  it("a tampered payload fails, as a message signature and as a DSSE attestation", async () => {
    const msg = await verdictOf(await keyed("ci", { rekor: "required", trusted_root: await trustedRoot() }), async (_d, bytes) => (await sign(bytes, { key: "ci", tamper: true })).bundle);
    expect(msg.s.passed).toBe(false);
    expect(msg.s.reason).toMatch(/message digest does not match|tampered/);
    const dsse = await verdictOf(await keyless(), (digest) => attest(digest, { identity: { san: workflow(), issuer: GITHUB }, tamper: true }));
    expect(dsse.s.passed).toBe(false);
  });

  it("a missing Rekor entry fails when the policy requires Rekor, and is fine for a keyed policy that does not", async () => {
    const required = await verdictOf(await keyed("ci", { rekor: "required", trusted_root: await trustedRoot() }), async (_d, bytes) => (await sign(bytes, { key: "ci", tlog: false })).bundle);
    expect(required.s.passed).toBe(false);
    expect(required.s.reason).toMatch(/missing Rekor entry/);
    const optional = await verdictOf(await keyed("ci"), async (_d, bytes) => (await sign(bytes, { key: "ci", tlog: false })).bundle);
    expect(optional.s.passed).toBe(true);
    const keylessNoLog = await verdictOf(await keyless(), async (_d, bytes) => (await sign(bytes, { identity: { san: workflow(), issuer: GITHUB }, tlog: false })).bundle);
    expect(keylessNoLog.s.reason).toMatch(/missing Rekor entry/);
  });

  it("counts distinct valid signers against min_signatures, and requires the attested predicate types", async () => {
    const { img, manifest } = await signedImage();
    const p = await policy(img.repo.id, { keys: [{ name: "a", pem: await publicKey("a") }, { name: "b", pem: await publicKey("b") }], rekor: "optional", min_signatures: 2, predicate_types: [SLSA] });
    const bytes = enc(manifest.body);
    await attachReferrer(img, manifest, (await sign(bytes, { key: "a" })).bundle);
    await attachReferrer(img, manifest, (await sign(bytes, { key: "a", tlog: false })).bundle);
    let v = await verification(img.repo.id, manifest.digest);
    expect(v.policies[0]).toMatchObject({ passed: false, valid_signatures: 1 });
    expect(v.policies[0].reason).toMatch(/1 valid signer\(s\) of 2 required.*no valid attestation of https:\/\/slsa.dev\/provenance\/v1/);
    await attachReferrer(img, manifest, await attest(manifest.digest, { key: "b" }));
    v = await verification(img.repo.id, manifest.digest);
    expect(v.policies[0]).toMatchObject({ policy: { id: p.id }, passed: true, valid_signatures: 2, predicate_types: [SLSA] });
    expect(v.policies[0].signatures.map((s: any) => s.passed)).toEqual([true, true, true]);
  });

  it("an attestation about another image does not count", async () => {
    const other = await verdictOf(await keyed("ci"), async () => attest(`sha256:${"ab".repeat(32)}`, { key: "ci" }));
    expect(other.s.passed).toBe(false);
    expect(other.s.reason).toMatch(/subject does not name this artifact/);
  });

  it("finds cosign's tag-scheme signatures (keyed and keyless, with the Rekor bundle annotation)", async () => {
    const { img, manifest } = await signedImage();
    await policy(img.repo.id, { ...(await keyless()), keys: [{ name: "ci", pem: await publicKey("ci") }], min_signatures: 2 });
    await attachCosignSignatures(img, manifest.digest, [{ key: "ci" }, { identity: { san: workflow(), issuer: GITHUB } }, { identity: { san: workflow("evil/fork"), issuer: GITHUB } }]);
    const v = await verification(img.repo.id, manifest.digest);
    const sigs = v.policies[0].signatures;
    expect(sigs.map((s: any) => [s.source, s.ref.replace(/^sha256-[0-9a-f]+/, "T"), s.passed])).toEqual([
      ["cosign_tag", "T.sig#0", true],
      ["cosign_tag", "T.sig#1", true],
      ["cosign_tag", "T.sig#2", false],
    ]);
    expect(sigs[1].signer).toMatchObject({ type: "keyless", identity: workflow() });
    expect(v.policies[0]).toMatchObject({ passed: true, valid_signatures: 2 });
    // cosign re-signing moves the tag: the verdict follows it (the cache is keyed by what the tag names).
    await attachCosignSignatures(img, manifest.digest, [{ key: "ci" }, { identity: { san: workflow("evil/fork"), issuer: GITHUB } }, { identity: { san: workflow("evil/fork"), issuer: GITHUB } }]);
    expect((await verification(img.repo.id, manifest.digest)).policies[0]).toMatchObject({ passed: false, valid_signatures: 1 });
  });

  it("finds cosign's `.att` attestations (DSSE layers), keyed and keyless, with their Rekor entries", async () => {
    const { img, manifest } = await signedImage();
    await policy(img.repo.id, { ...(await keyless()), keys: [{ name: "ci", pem: await publicKey("ci") }], rekor: "required", min_signatures: 2, predicate_types: [SLSA] });
    const layers = [];
    for (const o of [{ key: "ci" }, { identity: { san: workflow(), issuer: GITHUB } }, { key: "ci", tamper: true }] as BundleOptions[]) {
      const made = await sign(await statement([{ name: "app", digest: { sha256: hexOf(manifest.digest) } }], SLSA), { dsse: INTOTO, ...o });
      const blob = await pushBlob(img.name, img.token, JSON.stringify(made.bundle.dsseEnvelope));
      layers.push({
        mediaType: "application/vnd.dsse.envelope.v1+json",
        digest: blob.digest,
        size: blob.size,
        annotations: { ...(made.certificatePem ? { "dev.sigstore.cosign/certificate": made.certificatePem } : {}), "dev.sigstore.cosign/bundle": made.rekorAnnotation! },
      });
    }
    const config = await pushBlob(img.name, img.token, "{}");
    const put = await putManifest(img.name, img.token, `sha256-${hexOf(manifest.digest)}.att`, { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size }, layers });
    expect(put.res.status).toBe(201);
    const v = await verification(img.repo.id, manifest.digest);
    expect(v.policies[0].signatures.map((s: any) => [s.kind, s.passed, s.predicate_type])).toEqual([
      ["dsse", true, SLSA],
      ["dsse", true, SLSA],
      ["dsse", false, SLSA],
    ]);
    expect(v.policies[0]).toMatchObject({ passed: true, valid_signatures: 2, predicate_types: [SLSA] });
  });

  it("an unsigned image fails a policy that selects it; one no policy selects passes with none listed", async () => {
    const { img, manifest } = await signedImage();
    expect(await verification(img.repo.id, manifest.digest)).toMatchObject({ passed: true, policies: [] });
    await policy(img.repo.id, { ...(await keyed()), names: ["app"] });
    const v = await verification(img.repo.id, manifest.digest);
    expect(v).toMatchObject({ passed: false, policies: [{ passed: false, reason: "unsigned: no signature or attestation found", signatures: [] }] });
    await policy(img.repo.id, { ...(await keyed()), names: ["other/*"] });
    expect((await verification(img.repo.id, manifest.digest)).policies).toHaveLength(1);
    // Garbage where a bundle should be fails that signature, not the request.
    await attachReferrer(img, manifest, "not a bundle");
    await attachReferrer(img, manifest, { mediaType: BUNDLE, verificationMaterial: {} });
    const garbage = await verification(img.repo.id, manifest.digest);
    expect(garbage.policies[0].signatures.map((s: any) => [s.passed, s.reason.slice(0, 21)])).toEqual([
      [false, "not a sigstore bundle"],
      [false, "not a sigstore bundle"],
    ]);
  });

  it("caches verdicts per digest, and a new referrer or a policy change is judged afresh", async () => {
    const { img, manifest } = await signedImage();
    const p = await policy(img.repo.id, await keyed("ci"));
    const before = sigstoreStats.computed;
    expect((await verification(img.repo.id, manifest.digest)).passed).toBe(false);
    expect((await verification(img.repo.id, manifest.digest)).passed).toBe(false);
    expect(sigstoreStats.computed - before).toBe(1);
    await attachReferrer(img, manifest, (await sign(enc(manifest.body), { key: "ci" })).bundle);
    expect((await verification(img.repo.id, manifest.digest)).passed).toBe(true);
    expect(sigstoreStats.computed - before).toBe(2);
    await jsonOf(await req(`/api/admin/sigstore/policies/${p.id}`, { method: "PATCH", token: ADMIN, json: { keys: [{ name: "other", pem: await publicKey("other") }] } }), 200);
    expect((await verification(img.repo.id, manifest.digest)).passed).toBe(false);
    expect(sigstoreStats.computed - before).toBe(3);
  });

  it("verification needs read on the repository", async () => {
    const { img, manifest } = await signedImage();
    const stranger = await ociRepo("writer");
    expect((await req(`/api/v1/repos/${img.repo.id}/images/app/manifests/${manifest.digest}/verification`, { token: stranger.token })).status).toBeGreaterThanOrEqual(403);
    expect((await req(`/api/v1/repos/${img.repo.id}/images/app/manifests/${manifest.digest}/verification`, { token: img.token })).status).toBe(200);
  });
});

describe("sigstore policies", () => {
  it("are created, read, changed and deleted by instance admins only; audited; policy.changed", async () => {
    const { project, repo, token } = await ociRepo("admin");
    const body = { name: "release-signed", mode: "enforce", project_id: project.id, ...(await keyless()) };
    await expectError(await createPolicy(body, token), 403, "ForbiddenInsufficientPermissions");
    // Before the body is validated: a non-admin's malformed body is refused, not explained.
    await expectError(await createPolicy({ name: 42 }, token), 403, "ForbiddenInsufficientPermissions");
    expect((await req("/api/admin/sigstore/policies", { token })).status).toBe(403);
    const events = captureEvents();
    const p = await jsonOf(await createPolicy(body), 201);
    expect(p).toMatchObject({ name: "release-signed", mode: "enforce", rekor: "required", min_signatures: 1, identities: [{ issuer: GITHUB, san: workflow(), san_regex: null }], project_id: project.id, repo_id: null });
    expect(p.trusted_root_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(events.events().find((e) => e.type === "policy.changed")!.data).toEqual({ policy_type: "sigstore", change: "created", policy_id: p.id, name: "release-signed", mode: "enforce" });
    await expectError(await createPolicy(body), 409, "ConflictSigstorePolicyNameInUse");
    expect((await jsonOf(await req(`/api/admin/sigstore/policies/${p.id}`, { token: ADMIN }), 200)).id).toBe(p.id);
    expect((await jsonOf(await req(`/api/admin/sigstore/policies`, { token: ADMIN }), 200)).items.some((x: any) => x.id === p.id)).toBe(true);
    const changed = await jsonOf(await req(`/api/admin/sigstore/policies/${p.id}`, { method: "PATCH", token: ADMIN, json: { mode: "audit", min_signatures: 2 } }), 200);
    expect(changed).toMatchObject({ mode: "audit", min_signatures: 2 });
    expect((await req(`/api/admin/sigstore/policies/${p.id}`, { method: "DELETE", token: ADMIN })).status).toBe(204);
    await expectError(await req(`/api/admin/sigstore/policies/${p.id}`, { token: ADMIN }), 404, "NotFoundSigstorePolicy");
    const rows = await audit({ resource_id: p.id });
    expect(rows.map((r: any) => r.action).sort()).toEqual(["sigstore_policy.create", "sigstore_policy.delete", "sigstore_policy.update"]);
    expect(JSON.stringify(rows)).not.toContain("certificateAuthorities");
    expect(repo.id).toBeTruthy();
  });

  it("refuses what it cannot verify with: bad keys, no requirement, keyless without a root, a root without a CA, a bad regex", async () => {
    const root = await trustedRoot();
    const bad = async (body: Record<string, unknown>, message: RegExp) => {
      const e: any = await expectError(await createPolicy({ name: "bad", mode: "audit", ...body }), 400, "InvalidSigstorePolicy");
      expect(e.message).toMatch(message);
    };
    await bad({ keys: [{ name: "k", pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" }], rekor: "optional" }, /key 'k' is not a PEM/);
    await bad({}, /needs trusted `keys` or keyless `identities`/);
    await bad({ identities: [{ issuer: GITHUB, san: "x" }] }, /need a `trusted_root`/);
    await bad({ identities: [{ issuer: GITHUB, san: "x" }], trusted_root: { ...root, certificateAuthorities: [] } }, /no certificate authority/);
    await bad({ identities: [{ issuer: GITHUB, san_regex: "(" }], trusted_root: root }, /not a regular expression/);
    await bad({ identities: [{ issuer: GITHUB }], trusted_root: root }, /`san`.*`san_regex`/);
    await bad({ identities: [{ issuer: GITHUB, san: "x" }], trusted_root: { tlogs: "nope" } }, /trusted_root/);
  });
});

describe("the promotion signature gate", () => {
  const promote = (target: string, body: unknown) => req(`/api/v1/repos/${target}/promote`, { method: "POST", token: ADMIN, json: body });
  it("refuses an image the target's sigstore policy does not accept, listing why; promotes it once signed", async () => {
    const { img, manifest } = await signedImage();
    const prod = await createRepo(img.project.id, "docker");
    await policy(prod.id, await keyless());
    const artifact = { repo_id: img.repo.id, name: "app", digest: manifest.digest };
    await attachReferrer(img, manifest, (await sign(enc(manifest.body), { identity: { san: workflow("evil/fork"), issuer: GITHUB } })).bundle);
    const refused: any = await expectError(await promote(prod.id, { artifact }), 403, "ForbiddenPromotionGates");
    const gate = refused.detail.gates.find((g: any) => g.gate === "signature");
    expect(gate.passed).toBe(false);
    expect(gate.reason).toContain("wrong identity");
    await attachReferrer(img, manifest, (await sign(enc(manifest.body), { identity: { san: workflow(), issuer: GITHUB } })).bundle);
    const done = await jsonOf(await promote(prod.id, { artifact }), 201);
    expect(done.gates).toEqual([expect.objectContaining({ gate: "signature", passed: true })]);
    expect(done.referrers).toBe(2);
  });

  it("is not listed when no sigstore policy selects the artifact in the target", async () => {
    const { img, manifest } = await signedImage();
    const prod = await createRepo(img.project.id, "docker");
    await policy(img.repo.id, await keyed());
    const done = await jsonOf(await promote(prod.id, { artifact: { repo_id: img.repo.id, name: "app", digest: manifest.digest } }), 201);
    expect(done.gates).toEqual([]);
  });
});

describe("npm provenance (`npm publish --provenance`)", () => {
  const sha512Hex = async (bytes: Uint8Array) => [...new Uint8Array(await crypto.subtle.digest("SHA-512", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
  async function publishWithProvenance(o: BundleOptions, subjectOf = sha512Hex) {
    const { project, repo, token } = await ociRepo("writer", {}, "npm");
    const name = `pkg-${crypto.randomUUID().slice(0, 6)}`;
    const { body, bytes } = await publishBody(name, "1.0.0");
    const made = await sign(await statement([{ name: `pkg:npm/${name}@1.0.0`, digest: { sha512: await subjectOf(bytes) } }], SLSA), { dsse: INTOTO, ...o });
    const text = JSON.stringify(made.bundle);
    (body._attachments as Record<string, unknown>)[`${name}-1.0.0.sigstore`] = { content_type: BUNDLE, data: text, length: text.length };
    const res = await req(`/npm/${project.slug}/${repo.slug}/${name}`, { method: "PUT", token, json: body });
    return { project, repo, token, name, res, bundle: made.bundle };
  }

  it("keeps the bundle as a file of the version, serves it where npm looks, and verifies it against a policy", async () => {
    const { project, repo, token, name, res, bundle } = await publishWithProvenance({ identity: { san: workflow(), issuer: GITHUB } });
    expect(res.status, await res.clone().text()).toBe(201);
    const packument = await jsonOf(await req(`/npm/${project.slug}/${repo.slug}/${name}`, { token }), 200);
    const dist = packument.versions["1.0.0"].dist;
    expect(dist.attestations).toEqual({ url: expect.stringMatching(new RegExp(`/-/npm/v1/attestations/${name}@1\\.0\\.0$`)), provenance: { predicateType: SLSA } });
    const served = await jsonOf(await req(new URL(dist.attestations.url).pathname, { token }), 200);
    expect(served).toEqual({ attestations: [{ predicateType: SLSA, bundle }] });
    const path = `/api/v1/repos/${repo.id}/packages/${name}/versions/1.0.0/verification`;
    expect(await jsonOf(await req(path, { token }), 200)).toMatchObject({ passed: true, policies: [] });
    await policy(repo.id, { ...(await keyless()), predicate_types: [SLSA] });
    const v = await jsonOf(await req(path, { token }), 200);
    expect(v.policies[0]).toMatchObject({ passed: true, predicate_types: [SLSA], signatures: [{ source: "package_file", ref: `${name}-1.0.0.sigstore`, kind: "dsse", passed: true, signer: { identity: workflow() } }] });
    // Promotion into a repository whose policy requires it: the provenance is the signature gate, and comes along.
    const prod = await createRepo(project.id, "npm");
    await policy(prod.id, await keyless());
    const done = await jsonOf(await req(`/api/v1/repos/${prod.id}/promote`, { method: "POST", token: ADMIN, json: { artifact: { repo_id: repo.id, name, version: "1.0.0" } } }), 201);
    expect(done.gates).toEqual([expect.objectContaining({ gate: "signature", passed: true })]);
    const promoted = await jsonOf(await req(`/npm/${project.slug}/${prod.slug}/${name}`, { token: ADMIN }), 200);
    expect(promoted.versions["1.0.0"].dist.attestations.url).toContain(`/npm/${project.slug}/${prod.slug}/-/npm/v1/attestations/`);
  });

  it("refuses a provenance bundle about another tarball (nothing is kept); a version without one fails a policy that selects it", async () => {
    const wrong = await publishWithProvenance({ identity: { san: workflow(), issuer: GITHUB } }, async () => "ab".repeat(64));
    const e: any = await wrong.res.json();
    expect(wrong.res.status).toBe(400);
    expect(e.error).toMatch(/does not name this tarball's sha512/);
    expect((await req(`/npm/${wrong.project.slug}/${wrong.repo.slug}/${wrong.name}`, { token: wrong.token })).status).toBe(404);

    const { project, repo, token } = await ociRepo("writer", {}, "npm");
    const { body } = await publishBody("plain", "1.0.0");
    expect((await req(`/npm/${project.slug}/${repo.slug}/plain`, { method: "PUT", token, json: body })).status).toBe(201);
    await policy(repo.id, await keyless());
    const v = await jsonOf(await req(`/api/v1/repos/${repo.id}/packages/plain/versions/1.0.0/verification`, { token }), 200);
    expect(v).toMatchObject({ passed: false, policies: [{ reason: "unsigned: no signature or attestation found" }] });
    const packument = await jsonOf(await req(`/npm/${project.slug}/${repo.slug}/plain`, { token }), 200);
    expect(packument.versions["1.0.0"].dist.attestations).toBeUndefined();
  });

  it("verifiedProvenance gives the verified signer and the certificate's Fulcio fields", async () => {
    const { img, manifest } = await signedImage();
    await policy(img.repo.id, await keyless());
    const extensions = { "1.3.6.1.4.1.57264.1.12": "https://github.com/acme/app", "1.3.6.1.4.1.57264.1.14": "refs/heads/main", "1.3.6.1.4.1.57264.1.11": "github-hosted", "1.3.6.1.4.1.57264.1.20": "push" };
    await attachReferrer(img, manifest, (await sign(enc(manifest.body), { identity: { san: workflow(), issuer: GITHUB, extensions } })).bundle);
    const scope = systemScope(env, "test");
    const subject = await resolveSubject(scope, (_f, n) => n, { repoId: img.repo.id, name: "app", digest: manifest.digest }, "read");
    expect(await verifiedProvenance(scope, subject)).toEqual({
      policy: expect.any(String),
      identity: workflow(),
      issuer: GITHUB,
      predicate_types: [],
      fields: { source_repository_uri: "https://github.com/acme/app", source_repository_ref: "refs/heads/main", runner_environment: "github-hosted", build_trigger: "push" },
    });
    // A policy that the signature does not pass gives nothing.
    const other = await signedImage(2);
    await policy(other.img.repo.id, await keyless());
    await attachReferrer(other.img, other.manifest, (await sign(enc(other.manifest.body), { identity: { san: workflow("evil/fork"), issuer: GITHUB, extensions } })).bundle);
    const unverified = await resolveSubject(scope, (_f, n) => n, { repoId: other.img.repo.id, name: "app", digest: other.manifest.digest }, "read");
    expect(await verifiedProvenance(scope, unverified)).toBeNull();
  });
});
