/**
 * Sigstore trust (docs/trust.md):
 *   /api/admin/sigstore/policies[/{id}]   CRUD of sigstore trust policies (instance admins; audited)
 *   GET /api/v1/repos/{id}/images/{image}/manifests/{digest}/verification      an image's verdict
 *   GET /api/v1/repos/{id}/packages/{name}/versions/{version}/verification     a package version's
 * Verification needs `read` on the repository; it answers which policies select the
 * artifact, every signature found and why it passed or failed.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { d, pathParam } from "./fields";
import { apiRoute, json, jsonBody } from "./route";
import { At, Id, PageQuery, idParam, iso, pageOf } from "./schemas";
import { page } from "./serialize";
import * as trust from "../services/trust";
import { SIGSTORE_MODES, SIGSTORE_REKOR } from "../core/vocabulary";
import { REPO_FORMATS, packageKeyOf } from "../formats";

const tags = ["Sigstore trust"];
const Key = z.object({ name: z.string().min(1).max(100).describe("A name for the key (reported as the signer)"), pem: z.string().min(1).max(10_000).describe("PEM public key (SPKI): ECDSA P-256/P-384 or Ed25519") });
const Identity = z.object({
  issuer: z.string().min(1).max(500).describe("OIDC issuer in the Fulcio certificate (exact), e.g. `https://token.actions.githubusercontent.com`"),
  san: z.string().min(1).max(1000).nullish().describe("The certificate's subject alternative name, exactly (e.g. a GitHub Actions workflow ref)"),
  san_regex: z.string().min(1).max(1000).nullish().describe("Or a regular expression the whole SAN must match"),
});
const Fields = {
  name: z.string().min(1).max(64).describe("Unique name: lowercase letters, digits, '.', '_' or '-'"),
  description: z.string().max(4000).describe("What it is for"),
  formats: z.array(z.enum(REPO_FORMATS)).describe("Repository formats it selects; empty: every format"),
  names: z.array(z.string().min(1).max(300)).max(100).describe("Image or package name globs (`team/*`); empty: every name"),
  mode: z.enum(SIGSTORE_MODES).describe("At pull (OCI manifests, npm tarballs): `enforce` refuses an artifact that fails (451, why-blocked envelope), `audit` serves it and records the failure (audit entry, `sigstore.pull_unverified`), `off` does nothing; every mode is judged on demand and at promotion"),
  keys: z.array(Key).max(20).describe("Trusted public keys (keyed signatures)"),
  identities: z.array(Identity).max(50).describe("Trusted Fulcio identities (keyless signatures)"),
  rekor: z.enum(SIGSTORE_REKOR).describe("`required` (default): every signature must be logged in Rekor; `optional`: keyed signatures may not be (keyless always are)"),
  trusted_root: z.unknown().describe("A sigstore trusted_root.json (as JSON): the Fulcio CAs, Rekor and CT logs trusted; needed for keyless identities and `rekor: required`"),
  min_signatures: z.number().int().min(1).max(20).describe("Distinct valid signers required (default 1)"),
  predicate_types: z.array(z.string().min(1).max(500)).max(20).describe("in-toto predicate types that must be attested by a valid signer (e.g. `https://slsa.dev/provenance/v1`)"),
  enabled: z.boolean().describe("Whether it applies (default true)"),
};
const SigstorePolicy = z
  .object({
    id: Id("sigstore trust policy"),
    name: Fields.name,
    description: Fields.description,
    project_id: z.string().nullable().describe("The only project it selects, or null: every project"),
    repo_id: z.string().nullable().describe("The only repository it selects, or null"),
    formats: Fields.formats,
    names: Fields.names,
    mode: Fields.mode,
    keys: z.array(Key).describe("Trusted public keys"),
    identities: z.array(z.object({ issuer: d(z.string(), "OIDC issuer (exact)"), san: d(z.string().nullable(), "SAN, exactly"), san_regex: d(z.string().nullable(), "Or a regular expression the whole SAN matches") })).describe("Trusted Fulcio identities"),
    rekor: Fields.rekor,
    trusted_root_sha256: z.string().nullable().describe("sha256 of the stored trusted root (null: none)"),
    min_signatures: Fields.min_signatures,
    predicate_types: Fields.predicate_types,
    enabled: Fields.enabled,
    created_at: At("Creation time"),
    updated_at: At("Last change"),
  })
  .openapi("SigstorePolicy");
const SigstorePolicyCreate = z
  .object({ ...Fields, project_id: z.string().nullable().optional().describe("Select one project only"), repo_id: z.string().nullable().optional().describe("Select one repository only") })
  .partial({ description: true, formats: true, names: true, keys: true, identities: true, rekor: true, trusted_root: true, min_signatures: true, predicate_types: true, enabled: true })
  .openapi("SigstorePolicyCreate");
const SigstorePolicyUpdate = z.object(Fields).partial().openapi("SigstorePolicyUpdate");

const out = (p: trust.SigstorePolicyRow) => ({
  ...trust.policySummary(p),
  description: p.description,
  keys: p.keys,
  created_at: iso(p.createdAt)!,
  updated_at: iso(p.updatedAt)!,
});
const input = (b: Partial<z.infer<typeof SigstorePolicyCreate>>) => ({
  name: b.name,
  description: b.description,
  formats: b.formats,
  names: b.names,
  mode: b.mode,
  keys: b.keys,
  identities: b.identities?.map((i) => ({ issuer: i.issuer, san: i.san ?? null, sanRegex: i.san_regex ?? null })),
  rekor: b.rekor,
  trustedRoot: b.trusted_root === undefined ? undefined : b.trusted_root === null ? null : JSON.stringify(b.trusted_root),
  minSignatures: b.min_signatures,
  predicateTypes: b.predicate_types,
  enabled: b.enabled,
});

export const sigstorePolicyRoutes = new OpenAPIHono<AppEnv>();
// Instance admins only, checked before the body is read or validated.
sigstorePolicyRoutes.use("/sigstore/*", async (c, next) => {
  c.var.scope.access.requireInstanceAdmin();
  await next();
});
const PolicyParam = idParam("sigstore trust policy");

sigstorePolicyRoutes.openapi(
  apiRoute({ method: "get", path: "/sigstore/policies", operationId: "listSigstorePolicies", tags, summary: "List sigstore trust policies", request: { query: PageQuery }, responses: { 200: json(pageOf(SigstorePolicy, "SigstorePolicyPage"), "A page of policies") } }),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(page(await trust.listSigstorePolicies(c.var.scope, cursor, limit), out), 200);
  },
);
sigstorePolicyRoutes.openapi(
  apiRoute({ method: "post", path: "/sigstore/policies", operationId: "createSigstorePolicy", tags, summary: "Create a sigstore trust policy (keys, identities and the trusted root are validated; audited)", request: jsonBody(SigstorePolicyCreate), responses: { 201: json(SigstorePolicy, "The policy") } }),
  async (c) => {
    const b = c.req.valid("json");
    const row = await trust.createSigstorePolicy(c.var.scope, { ...input(b), name: b.name, mode: b.mode, projectId: b.project_id, repoId: b.repo_id }, REPO_FORMATS);
    return c.json(out(row), 201);
  },
);
sigstorePolicyRoutes.openapi(
  apiRoute({ method: "get", path: "/sigstore/policies/{id}", operationId: "getSigstorePolicy", tags, summary: "A sigstore trust policy", request: { params: PolicyParam }, responses: { 200: json(SigstorePolicy, "The policy") } }),
  async (c) => c.json(out(await trust.getSigstorePolicy(c.var.scope, c.req.valid("param").id)), 200),
);
sigstorePolicyRoutes.openapi(
  apiRoute({ method: "patch", path: "/sigstore/policies/{id}", operationId: "updateSigstorePolicy", tags, summary: "Change a sigstore trust policy (verdicts are judged again)", request: { params: PolicyParam, ...jsonBody(SigstorePolicyUpdate) }, responses: { 200: json(SigstorePolicy, "The policy") } }),
  async (c) => c.json(out(await trust.updateSigstorePolicy(c.var.scope, c.req.valid("param").id, input(c.req.valid("json")), REPO_FORMATS)), 200),
);
sigstorePolicyRoutes.openapi(
  apiRoute({ method: "delete", path: "/sigstore/policies/{id}", operationId: "deleteSigstorePolicy", tags, summary: "Delete a sigstore trust policy", request: { params: PolicyParam }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    await trust.deleteSigstorePolicy(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

const SignatureResult = z
  .object({
    source: d(z.enum(["referrer", "cosign_tag", "package_file"]), "Where it was found: an OCI 1.1 referrer, cosign's `sha256-<hex>.sig`/`.att` tag, a file of the version"),
    ref: d(z.string(), "The referrer's digest, the tag and layer (`tag#n`), or the file name"),
    kind: d(z.enum(["message_signature", "dsse", "unknown"]), "A signature over bytes, or a DSSE envelope (in-toto attestation)"),
    passed: d(z.boolean(), "Whether it is a valid signature the policy trusts"),
    reason: d(z.string(), "Why (expired certificate, wrong identity, tampered payload, missing Rekor entry, untrusted key …)"),
    signer: z
      .object({
        type: d(z.enum(["keyed", "keyless"]), "A trusted key, or a Fulcio certificate"),
        key: d(z.string().nullable(), "The policy's name for the key (keyed)"),
        identity: d(z.string().nullable(), "The certificate's SAN (keyless)"),
        issuer: d(z.string().nullable(), "The certificate's OIDC issuer (keyless)"),
      })
      .nullable()
      .describe("Who signed, when verified"),
    predicate_type: d(z.string().nullable(), "The attestation's in-toto predicate type"),
    rekor: z.object({ log_index: d(z.string(), "Rekor log index"), integrated_time: d(z.string(), "When Rekor logged it (Unix seconds)") }).nullable().describe("Its Rekor entry, if any"),
  })
  .openapi("SignatureVerification");
const Verification = z
  .object({
    artifact: z
      .object({ format: d(z.string(), "Repository format"), repo_id: d(z.string(), "Repository id"), package: d(z.string(), "Package or image name"), version: d(z.string(), "Version, or the image digest"), digest: d(z.string(), "The manifest's digest, or the package's first file's") })
      .describe("The artifact judged"),
    passed: d(z.boolean(), "Whether every policy that selects it passes (true when none does)"),
    policies: z
      .array(
        z.object({
          policy: z.object({ id: d(z.string(), "Policy id"), name: d(z.string(), "Policy name"), mode: d(z.enum(SIGSTORE_MODES), "Its pull mode") }).describe("The policy"),
          passed: d(z.boolean(), "Its verdict"),
          reason: d(z.string(), "Why"),
          valid_signatures: d(z.number().int(), "Distinct valid signers"),
          predicate_types: d(z.array(z.string()), "Predicate types validly attested"),
          signatures: d(z.array(SignatureResult), "Every signature and attestation found, judged"),
        }),
      )
      .describe("Every enabled policy that selects the artifact"),
  })
  .openapi("SigstoreVerification");
const strip = (v: trust.Verification) => ({ ...v, policies: v.policies.map(({ row: _, ...p }) => ({ ...p, signatures: p.signatures.map(({ fulcio: _, ...s }) => s) })) });

export const sigstoreVerificationRoutes = new OpenAPIHono<AppEnv>();
const RepoParam = z.object({ id: pathParam("id", "Repository id") });
sigstoreVerificationRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/repos/{id}/images/{image}/manifests/{digest}/verification",
    operationId: "verifyImageSignatures",
    tags,
    summary: "The image's signatures judged against the sigstore trust policies that select it",
    request: { params: RepoParam.extend({ image: pathParam("image", "Image name inside the repo, URL-encoded (may contain '/')"), digest: pathParam("digest", "Manifest digest (sha256:…)") }) },
    responses: { 200: json(Verification, "The verdict") },
  }),
  async (c) => {
    const p = c.req.valid("param");
    return c.json(strip(await trust.verifyArtifact(c.var.scope, packageKeyOf, { repoId: p.id, name: p.image, digest: p.digest })), 200);
  },
);
sigstoreVerificationRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/repos/{id}/packages/{name}/versions/{version}/verification",
    operationId: "verifyPackageSignatures",
    tags,
    summary: "The version's provenance and signatures judged against the sigstore trust policies that select it",
    request: { params: RepoParam.extend({ name: pathParam("name", "Package name, URL-encoded"), version: pathParam("version", "Version") }) },
    responses: { 200: json(Verification, "The verdict") },
  }),
  async (c) => {
    const p = c.req.valid("param");
    return c.json(strip(await trust.verifyArtifact(c.var.scope, packageKeyOf, { repoId: p.id, name: p.name, version: p.version })), 200);
  },
);
