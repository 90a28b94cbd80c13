/**
 * MCP catalog provenance verified, not copied (formats/mcp/provenance.ts): an entry whose
 * image is covered by a sigstore trust policy shows what OrbitalReg's own verification
 * found (keyless signer, issuer, repository URI/ref, runner) in both shapes; a claim that
 * disagrees is refused at publish and flagged on read; an unsigned image under an enforce
 * policy is not verified, with the reason; with no policy the claim stays
 * publisher-claimed. Bundles are made by the private Fulcio/Rekor (test/support/sigstore).
 */
import { describe, expect, it } from "vitest";
import { createRepo, jsonOf, req, ADMIN } from "./helpers";
import { pushImage } from "./oci-helpers";
import { GITHUB, sign, trustedRoot, workflow } from "./support/sigstore";
import { attachReferrer } from "./support/sigstore-oci";
import { catalogRepo, enc, ours, published, server } from "./support/mcp";
import { measure } from "./support/calls";
import { clearAllCaches } from "../src/core/ttl-cache";

const PP = "io.modelcontextprotocol.registry/publisher-provided";
const REPO_URI = "https://github.com/acme/app";
const EXTENSIONS = { "1.3.6.1.4.1.57264.1.12": REPO_URI, "1.3.6.1.4.1.57264.1.14": "refs/heads/main", "1.3.6.1.4.1.57264.1.11": "github-hosted" };

async function policy(repoId: string, mode: "audit" | "enforce") {
  const body = { name: `p-${crypto.randomUUID().slice(0, 8)}`, mode, repo_id: repoId, identities: [{ issuer: GITHUB, san: workflow() }], trusted_root: await trustedRoot() };
  return jsonOf(await req("/api/admin/sigstore/policies", { method: "POST", token: ADMIN, json: body }), 201);
}

/** A catalog and, in the same project, an image `weather:v1`; `signed` attaches a keyless bundle over its manifest as an OCI 1.1 referrer. */
async function setup(o: { signed: boolean; policy: "audit" | "enforce" | null; seed?: number }) {
  const r = await catalogRepo();
  const images = await createRepo(r.project.id, "docker");
  const name = `${r.project.slug}/${images.slug}/weather`;
  const { manifest } = await pushImage(name, r.token, "v1", o.seed ?? 1);
  if (o.policy) await policy(images.id, o.policy);
  if (o.signed) {
    const bundle = (await sign(new TextEncoder().encode(manifest.body), { identity: { san: workflow(), issuer: GITHUB, extensions: EXTENSIONS } })).bundle;
    await attachReferrer({ name, token: r.token }, manifest, bundle);
  }
  const doc = (serverName: string, claim?: Record<string, unknown>) =>
    server(serverName, "1.0.0", { packages: [{ registryType: "oci", identifier: `registry.test/${name}:v1`, transport: { type: "stdio" } }], ...(claim ? { _meta: { [PP]: { provenance: claim } } } : {}) });
  const toolhive = async (serverName: string) => (await jsonOf(await r.call(`api/v1beta/registry/${r.repo.slug}/servers/${enc(serverName)}`), 200)).server;
  return { r, images, name, manifest, doc, toolhive };
}

const VERIFIED = { signer_identity: workflow(), cert_issuer: GITHUB, repository_uri: REPO_URI, repository_ref: "refs/heads/main", runner_environment: "github-hosted" };

describe("mcp: provenance verified, not copied", () => {
  it("a keyless-signed image under a policy: both shapes show the verified signer, issuer, repository and ref", async () => {
    const s = await setup({ signed: true, policy: "enforce" });
    // The claim agrees (URI spelled with `.git`); its extra `sigstore_url` is kept as claimed, never shown as verified.
    const pub = await published(s.r, s.doc("com.example/signed", { repository_uri: `${REPO_URI}.git`, signer_identity: workflow(), sigstore_url: "https://claimed.example" }));
    const v0 = ours(await s.r.v0(`v0/servers/${enc("com.example/signed")}/versions/1.0.0`, "ServerResponse"));
    for (const o of [ours(pub), v0]) {
      expect(o.verified).toBe(true);
      expect(o.provenance).toMatchObject({ source: "verified", verified: VERIFIED, claimed: { sigstore_url: "https://claimed.example" } });
      expect(o.provenance.mismatch).toBeUndefined();
      expect(o.references[0].provenance).toMatchObject({ state: "verified", ...VERIFIED });
    }
    const th = await s.toolhive("com.example/signed");
    expect(th.provenance).toEqual(VERIFIED);
    expect(th["dev.orbitalreg/catalog"].provenance.source).toBe("verified");
    // An entry with no claim at all is filled from verification too.
    await published(s.r, s.doc("com.example/silent"));
    expect((await s.toolhive("com.example/silent")).provenance).toEqual(VERIFIED);
    // verified=true lists both.
    const list = await s.r.v0("v0/servers?verified=true", "ServerList");
    expect(list.servers.map((x: any) => x.server.name).sort()).toEqual(["com.example/signed", "com.example/silent"]);
  });

  it("a claim that disagrees with verification is refused at publish, with the field path", async () => {
    const s = await setup({ signed: true, policy: "audit" });
    const res = await s.r.publish(s.doc("com.example/liar", { repository_uri: "https://github.com/evil/fork", signer_identity: workflow(), cert_issuer: "https://accounts.google.com" }));
    const text = JSON.stringify(await jsonOf(res, 400));
    const at = (f: string) => JSON.stringify(`body._meta["${PP}"].provenance.${f}`).slice(1, -1);
    expect(text).toContain(at("repository_uri"));
    expect(text).toContain(at("cert_issuer"));
    expect(text).not.toContain(at("signer_identity"));
    expect((await s.r.call(`v0/servers/${enc("com.example/liar")}/versions/1.0.0`)).status).toBe(404);
  });

  it("a claim published before the policy is flagged on read (both shapes), never verified", async () => {
    const s = await setup({ signed: true, policy: null, seed: 3 });
    await published(s.r, s.doc("com.example/early", { repository_uri: "https://github.com/evil/fork", signer_identity: "someone" }));
    const before = ours(await s.r.v0(`v0/servers/${enc("com.example/early")}/versions/1.0.0`, "ServerResponse"));
    expect(before.provenance).toEqual({ source: "publisher-claimed", claimed: { repository_uri: "https://github.com/evil/fork", signer_identity: "someone" } });
    expect(before.verified).toBe(true);

    await policy(s.images.id, "audit");
    const after = ours(await s.r.v0(`v0/servers/${enc("com.example/early")}/versions/1.0.0`, "ServerResponse"));
    expect(after.verified).toBe(false);
    expect(after.provenance).toMatchObject({
      source: "verified",
      verified: VERIFIED,
      mismatch: [
        { field: "repository_uri", claimed: "https://github.com/evil/fork", verified: REPO_URI },
        { field: "signer_identity", claimed: "someone", verified: workflow() },
      ],
    });
    const th = await s.toolhive("com.example/early");
    expect(th.provenance).toEqual(VERIFIED);
    expect(th["dev.orbitalreg/catalog"].provenance.mismatch).toHaveLength(2);
    expect(th["dev.orbitalreg/catalog"].verified).toBe(false);
    expect((await s.r.v0("v0/servers?verified=true", "ServerList")).servers).toEqual([]);
  });

  it("an unsigned image under an enforce policy is not verified, with the reason; its claim is not shown as provenance", async () => {
    const s = await setup({ signed: false, policy: "enforce", seed: 4 });
    const pub = await published(s.r, s.doc("com.example/unsigned", { repository_uri: REPO_URI }));
    expect(ours(pub).verified).toBe(false);
    expect(ours(pub).provenance).toMatchObject({ source: "unverified", mode: "enforce", reason: expect.stringMatching(/unsigned/), claimed: { repository_uri: REPO_URI } });
    const th = await s.toolhive("com.example/unsigned");
    expect(th.provenance).toBeUndefined();
    expect(th["dev.orbitalreg/catalog"].provenance).toMatchObject({ source: "unverified", reason: expect.stringMatching(/unsigned/) });
  });

  it("no policy: the publisher's fields stay, labelled publisher-claimed, in both shapes", async () => {
    const s = await setup({ signed: true, policy: null, seed: 5 });
    const claim = { repository_uri: "https://github.com/whatever/else", signer_identity: "x", sigstore_url: "https://rekor.example" };
    const pub = await published(s.r, s.doc("com.example/claimed", claim));
    expect(ours(pub).provenance).toEqual({ source: "publisher-claimed", claimed: claim });
    expect(ours(pub).references[0].provenance).toBeUndefined();
    expect((await s.toolhive("com.example/claimed")).provenance).toEqual(claim);
  });

  it("cost: an uncovered image reference reads no more D1 warm; a covered one reads its signatures", async () => {
    const s = await setup({ signed: true, policy: null, seed: 6 });
    await published(s.r, s.doc("com.example/cost"));
    const path = `${new URL(s.r.root).pathname}v0/servers/${enc("com.example/cost")}/versions/1.0.0`;
    const headers = { Authorization: `Bearer ${s.r.token}` };
    const read = async () => {
      const m = await measure(path, { headers });
      expect(m.res.status).toBe(200);
      return m.calls;
    };
    clearAllCaches();
    const uncoveredCold = await read();
    const uncoveredWarm = await read();
    await policy(s.images.id, "audit");
    clearAllCaches();
    const coveredCold = await read();
    const coveredWarm = await read();
    console.log(`mcp provenance read cost (D1 round trips): uncovered cold ${uncoveredCold.d1} warm ${uncoveredWarm.d1}; covered cold ${coveredCold.d1} warm ${coveredWarm.d1}`);
    // Before provenance: 5 cold, 2 warm. Uncovered: +1 cold (the repo's policy list, then cached per isolate), +0 warm.
    expect(uncoveredCold.d1).toBe(6);
    expect(uncoveredWarm.d1).toBeLessThanOrEqual(2);
    // Covered, cold: + the referrers list, the `.sig` and `.att` tag lookups, the referrer's manifest and its bundle (+6).
    expect(coveredCold.d1 - uncoveredCold.d1).toBe(6);
    // Warm: manifest lookups are cached, the referrers list is read again (the verdict's cache key needs it).
    expect(coveredWarm.d1 - uncoveredWarm.d1).toBeLessThanOrEqual(2);
  });
});
