/**
 * Sigstore verification of stored artifacts: the signatures an artifact carries, judged
 * against every sigstore trust policy that selects it (sigstore-policies.ts), on demand
 * (`…/verification`), at promotion (the `signature` gate, gates.ts), and for other
 * domains (`verifiedProvenance`).
 *
 *   candidates(image)   := OCI 1.1 referrers whose artifactType is a sigstore bundle (the
 *                          bundle is the referrer's first layer)
 *                        + cosign's tag scheme: `sha256-<hex>.sig` (layers: simple-signing
 *                          payloads, signature/certificate/Rekor-bundle annotations) and
 *                          `sha256-<hex>.att` (layers: DSSE envelopes), each made a bundle
 *   candidates(package) := its files that are sigstore bundles (npm's `.sigstore`)
 *   verdict(policy)     := cached per isolate under (policy id, policy updated_at, subject
 *                          digest, the digests of every candidate): a new referrer, a moved
 *                          `.sig` tag or a changed policy is a new key, so a stale verdict
 *                          is never read; the cache only saves the crypto.
 *
 * Invariants: reads only what the caller may read (the subject was resolved with `read`);
 * no network; a candidate that cannot be read fails with its reason, it never fails the
 * request.
 */
import type { Scope } from "../scope";
import { getManifest, peekManifest, referrers, type OpenedImage } from "../oci";
import { readBlob } from "../artifacts/blobs";
import { globToRegExp } from "../../core/names";
import { readCapped } from "../../core/byte-reader";
import { AUTH_CACHE_TTL_MS, TtlCache } from "../../core/ttl-cache";
import { RegistryError } from "../../core/errors";
import * as q from "../../db/sigstore";
import type { OpenedRepo } from "../projects/repos";
import { artifactOf, resolveSubject, type ArtifactRef, type PackageKeyOf, type Subject } from "./subjects";
import { sha256Hex, toB64 } from "./sigstore-crypto";
import { verifyAgainstPolicy, type Candidate, type PolicyVerdict, type Target } from "./sigstore-verify";

export const SIGSTORE_BUNDLE_MEDIA = "application/vnd.dev.sigstore.bundle";
const COSIGN_SIGNATURE = "dev.cosignproject.cosign/signature";
const COSIGN_CERTIFICATE = "dev.sigstore.cosign/certificate";
const COSIGN_BUNDLE = "dev.sigstore.cosign/bundle";
const MAX_SIGNATURE_BYTES = 1024 * 1024;
const MAX_CANDIDATES = 50;

export interface PolicyResult extends PolicyVerdict {
  policy: { id: string; name: string; mode: q.SigstorePolicyRow["mode"] };
  /** The policy judged against (its version and message, for pull-time refusals); not shown by the API. */
  row: q.SigstorePolicyRow;
}
export interface Verification {
  artifact: ReturnType<typeof artifactOf>;
  /** No policy selects it: nothing is required. */
  passed: boolean;
  policies: PolicyResult[];
}

/** Whether the policy selects an artifact of this repo named `name` (project and repo were filtered by the query). */
const selects = (p: q.SigstorePolicyRow, format: string, name: string) => (p.formats.length === 0 || p.formats.includes(format)) && (p.names.length === 0 || p.names.some((g) => globToRegExp(g).test(name)));

const tooBig = () => new RegistryError("InternalError", "signature larger than allowed");
async function bytesOf(body: Uint8Array | ReadableStream | null | undefined): Promise<Uint8Array | null> {
  if (!body) return null;
  return body instanceof Uint8Array ? body : readCapped(body as ReadableStream<Uint8Array>, MAX_SIGNATURE_BYTES, tooBig);
}
async function blobBytes(scope: Scope, repoId: string, digest: string) {
  const b = await readBlob(scope, repoId, digest);
  return b ? bytesOf(b.object.body as ReadableStream<Uint8Array>) : null;
}
async function manifestBytes(scope: Scope, img: OpenedImage, digest: string) {
  const { meta, body } = await getManifest(scope, img, digest, true, null);
  const bytes = await bytesOf(body as Uint8Array | ReadableStream | null);
  return bytes ? { meta, bytes } : null;
}
const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
const layersOf = (bytes: Uint8Array) => ((JSON.parse(new TextDecoder().decode(bytes)) as { layers?: { digest: string; annotations?: Record<string, string> }[] }).layers ?? []);
const pemToDer = (pem: string) => fromB64(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""));

/** cosign's legacy Rekor annotation (`{SignedEntryTimestamp, Payload: {body, integratedTime, logIndex, logID}}`) as a bundle tlog entry. */
function tlogEntryOf(annotation: string) {
  const a = JSON.parse(annotation) as { SignedEntryTimestamp: string; Payload: { body: string; integratedTime: number; logIndex: number; logID: string } };
  const body = JSON.parse(new TextDecoder().decode(fromB64(a.Payload.body))) as { kind: string; apiVersion: string };
  return {
    logIndex: String(a.Payload.logIndex),
    logId: { keyId: toB64(fromHex(a.Payload.logID)) },
    kindVersion: { kind: body.kind, version: body.apiVersion },
    integratedTime: String(a.Payload.integratedTime),
    inclusionPromise: { signedEntryTimestamp: a.SignedEntryTimestamp },
    canonicalizedBody: a.Payload.body,
  };
}

/** A cosign tag-scheme layer (its payload and annotations) as a v0.1 sigstore bundle. */
function cosignLayerBundle(payload: Uint8Array, annotations: Record<string, string>, dsse: boolean): { bundle: unknown; artifact?: Uint8Array } {
  const cert = annotations[COSIGN_CERTIFICATE];
  const rekor = annotations[COSIGN_BUNDLE];
  const verificationMaterial = {
    ...(cert ? { x509CertificateChain: { certificates: [{ rawBytes: toB64(pemToDer(cert)) }] } } : { publicKey: { hint: "" } }),
    tlogEntries: rekor ? [tlogEntryOf(rekor)] : [],
    timestampVerificationData: { rfc3161Timestamps: [] },
  };
  const mediaType = "application/vnd.dev.sigstore.bundle+json;version=0.1";
  if (dsse) return { bundle: { mediaType, verificationMaterial, dsseEnvelope: JSON.parse(new TextDecoder().decode(payload)) } };
  const signature = annotations[COSIGN_SIGNATURE] ?? "";
  return { bundle: { mediaType, verificationMaterial, messageSignature: { messageDigest: { algorithm: "SHA2_256", digest: toB64(fromHex(sha256Hex(payload))) }, signature } }, artifact: payload };
}

async function imageCandidates(scope: Scope, img: OpenedImage, digest: string): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const fail = (source: Candidate["source"], ref: string, key: string, e: unknown): Candidate => ({ source, ref, key, bundle: null, error: `cannot be read: ${e instanceof Error ? e.message : e}` });
  for (const r of (await referrers(scope, img, digest, undefined)).manifests.slice(0, MAX_CANDIDATES)) {
    if (!r.artifactType?.startsWith(SIGSTORE_BUNDLE_MEDIA)) continue;
    try {
      const m = await manifestBytes(scope, img, r.digest);
      const layer = m && layersOf(m.bytes)[0];
      const bytes = layer && (await blobBytes(scope, img.repo.id, layer.digest));
      out.push(bytes ? { source: "referrer", ref: r.digest, key: r.digest, bundle: JSON.parse(new TextDecoder().decode(bytes)) } : fail("referrer", r.digest, r.digest, "no bundle layer"));
    } catch (e) {
      out.push(fail("referrer", r.digest, r.digest, e));
    }
  }
  const hex = digest.replace(/^sha256:/, "");
  for (const suffix of [".sig", ".att"]) {
    const tag = `sha256-${hex}${suffix}`;
    const row = await peekManifest(scope, img, tag);
    if (!row) continue;
    try {
      const m = await manifestBytes(scope, img, row.digest);
      for (const [i, layer] of (m ? layersOf(m.bytes) : []).slice(0, MAX_CANDIDATES).entries()) {
        const ref = `${tag}#${i}`;
        const key = `${row.digest}#${i}`;
        try {
          const payload = await blobBytes(scope, img.repo.id, layer.digest);
          if (!payload) throw new Error("layer missing");
          out.push({ source: "cosign_tag", ref, key, ...cosignLayerBundle(payload, layer.annotations ?? {}, suffix === ".att") });
        } catch (e) {
          out.push(fail("cosign_tag", ref, key, e));
        }
      }
    } catch (e) {
      out.push(fail("cosign_tag", tag, row.digest, e));
    }
  }
  return out;
}

async function packageCandidates(scope: Scope, s: Extract<Subject, { type: "package" }>): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const f of s.files) {
    if (!(f.mediaType?.startsWith(SIGSTORE_BUNDLE_MEDIA) || f.name.endsWith(".sigstore"))) continue;
    try {
      const bytes = await blobBytes(scope, s.opened.repo.id, f.digest);
      out.push(bytes ? { source: "package_file", ref: f.name, key: f.digest, bundle: JSON.parse(new TextDecoder().decode(bytes)) } : { source: "package_file", ref: f.name, key: f.digest, bundle: null, error: "file missing" });
    } catch (e) {
      out.push({ source: "package_file", ref: f.name, key: f.digest, bundle: null, error: `cannot be read: ${e instanceof Error ? e.message : e}` });
    }
  }
  return out;
}

function targetOf(scope: Scope, s: Subject): Target {
  if (s.type === "image") {
    // A subject its download check refuses (blocked, held) is still judged: its bytes are
    // then missing, and a signature over them fails with that reason (promotion lists the
    // block as its `security` gate).
    const bytes = async () => (await manifestBytes(scope, s.opened, s.manifest.digest).catch(() => null))?.bytes ?? null;
    return { digests: [{ alg: "sha256", hex: s.manifest.digest.replace(/^sha256:/, "") }], bytes };
  }
  const digests: Target["digests"] = [];
  for (const f of s.files) {
    if (f.name.endsWith(".sigstore")) continue;
    digests.push({ alg: "sha256", hex: f.digest.replace(/^sha256:/, "") });
    // npm's integrity (`sha512-<base64>`) is what its provenance statement names.
    const integrity = typeof f.metadata.integrity === "string" ? f.metadata.integrity : null;
    if (integrity?.startsWith("sha512-")) digests.push({ alg: "sha512", hex: Array.from(fromB64(integrity.slice(7)), (b) => b.toString(16).padStart(2, "0")).join("") });
  }
  return { digests };
}

const verdicts = new Map<string, PolicyVerdict>();
const MAX_CACHED = 500;
/** How many verdicts were computed (not read from the cache) in this isolate: tests watch it. */
export const sigstoreStats = { computed: 0 };

/** The subject judged against the given policies (those that select it). */
async function judge(scope: Scope, s: Subject, policies: q.SigstorePolicyRow[]): Promise<PolicyResult[]> {
  const a = artifactOf(s);
  const selected = policies.filter((p) => selects(p, a.format, a.package));
  if (!selected.length) return [];
  const candidates = s.type === "image" ? await imageCandidates(scope, s.opened, s.manifest.digest) : await packageCandidates(scope, s);
  const target = targetOf(scope, s);
  const fingerprint = candidates.map((c) => `${c.source}:${c.key}:${c.error ?? ""}`).join(",");
  const subjectKey = s.type === "image" ? s.manifest.digest : `${s.opened.repo.id}/${s.version.id}:${s.files.map((f) => f.digest).join(",")}`;
  const out: PolicyResult[] = [];
  for (const p of selected) {
    const key = `${p.id}@${p.updatedAt}|${subjectKey}|${fingerprint}`;
    let v = verdicts.get(key);
    if (!v) {
      v = await verifyAgainstPolicy(p, candidates, target);
      sigstoreStats.computed++;
      if (verdicts.size >= MAX_CACHED) verdicts.delete(verdicts.keys().next().value!);
      verdicts.set(key, v);
    }
    out.push({ policy: { id: p.id, name: p.name, mode: p.mode }, row: p, ...v });
  }
  return out;
}

/**
 * The enabled policies scoped to a repo, cached per isolate like repo lookups: a policy
 * change emits `policy.changed`, which clears this isolate's caches at once; other
 * isolates see it within AUTH_CACHE_TTL_MS. So a read that looks for a policy (the MCP
 * catalog's provenance) costs no D1 round trip when warm, whether or not one applies.
 */
const policyLists = new TtlCache<string, q.SigstorePolicyRow[]>(AUTH_CACHE_TTL_MS, "auth", 2_000);
async function policiesFor(scope: Scope, projectId: string, repoId: string) {
  const key = `${projectId}/${repoId}`;
  return policyLists.get(key) ?? policyLists.set(key, await q.sigstorePoliciesFor(scope.db, projectId, repoId));
}

/** Every policy that selects the subject where it is (or, for promotion, in `at`), with its verdict. */
export async function verifySubject(scope: Scope, s: Subject, at?: OpenedRepo): Promise<Verification> {
  const where = at ?? s.opened;
  const policies = await policiesFor(scope, where.project.id, where.repo.id);
  const results = await judge(scope, s, policies);
  return { artifact: artifactOf(s), passed: results.every((r) => r.passed), policies: results };
}

/** `GET …/verification`: resolves the artifact with `read`, then verifies it. */
export async function verifyArtifact(scope: Scope, keyOf: PackageKeyOf, ref: ArtifactRef): Promise<Verification> {
  return verifySubject(scope, await resolveSubject(scope, keyOf, ref, "read"));
}
