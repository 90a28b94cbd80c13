/**
 * Sigstore at pull: what a policy's `mode` does when an artifact it selects is pulled
 * without passing it (docs/trust.md "Pull-time modes").
 *
 *   repo.sigstore_pull null (no enabled enforce/audit policy can select it) → served, 0 queries
 *   the artifact is itself a signature (a referrer, a sigstore bundle, a cosign
 *     `sha256-<hex>.sig|.att|.sbom` tag)                                      → served
 *   otherwise: verdict := cached (repo, digest) ?? verifySubject (sigstore.ts)
 *     a failing `enforce` policy → 451 with the why-blocked envelope (services/policy)
 *     a failing `audit` policy   → served; once per (policy version, digest) per isolate:
 *                                  audit row + `sigstore.pull_unverified`
 *
 * Invariants:
 * - The flag is read with the repo row the gate reads anyway (http/prefetch.ts), so a
 *   repo no policy can select pays no D1 round trip, cold or warm.
 * - The verdict cache is an "artifacts" TtlCache: any push (a new signature) or policy
 *   change in this isolate clears it; other isolates see one within AUTH_CACHE_TTL_MS,
 *   the bound the repo flag itself has.
 * - Nothing is served before the check: callers run it after the protocol's own policy
 *   check and before any byte (or cached byte) is sent.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { publicUrl, refusalMessage, type ArtifactRef, type WhyBlocked } from "../policy";
import { runBatch } from "../../db/client";
import { findSigstorePolicy as findSigstorePolicyRow } from "../../db/sigstore";
import { RegistryError } from "../../core/errors";
import { AUTH_CACHE_TTL_MS, TtlCache } from "../../core/ttl-cache";
import { SIGSTORE_BUNDLE_MEDIA, verifySubject, type PolicyResult } from "./sigstore";
import type { ImageSubject, Subject } from "./subjects";

const COSIGN_TAG = /^sha256-[a-f0-9]{64}\.(sig|att|sbom)$/;

/** (repo, digest) → the failing enforce/audit policies (empty: it passes). */
const pullVerdicts = new TtlCache<string, PolicyResult[]>(AUTH_CACHE_TTL_MS, "artifacts", 5_000);
/** Audit failures already recorded in this isolate: `policy@updated_at|digest`. */
const recorded = new Set<string>();
const MAX_RECORDED = 5_000;

/** Whether pulls of this repo consult sigstore verdicts at all (the denormalised flag). */
export const sigstoreAtPull = (s: { opened: { repo: { sigstorePull: string | null } } }) => s.opened.repo.sigstorePull !== null;

/** Signatures and attestations are never judged themselves: cosign must be able to fetch them. */
function isSignature(s: ImageSubject): boolean {
  const m = s.manifest;
  return m.subjectDigest !== null || !!m.artifactType?.startsWith(SIGSTORE_BUNDLE_MEDIA) || (s.tag !== null && COSIGN_TAG.test(s.tag));
}

const why = (r: PolicyResult) => {
  const failed = r.signatures.filter((sig) => !sig.passed).map((sig) => `${sig.ref}: ${sig.reason}`);
  return failed.length ? `${r.reason} (${failed.slice(0, 3).join("; ")})` : r.reason;
};

/** The why-blocked envelope of a failing enforce policy; `/blocked/<policy id>` explains it. */
function envelope(scope: Scope, r: PolicyResult, description: string): WhyBlocked {
  return {
    block_id: r.policy.id,
    reason: `sigstore policy '${r.policy.name}': ${why(r)}`,
    customer_message: description || "This artifact does not carry the signatures the registry's sigstore trust policy requires.",
    blocked_until: null,
    public_url: publicUrl(scope, r.policy.id),
  };
}

async function failingPolicies(scope: Scope, s: Subject, digest: string): Promise<PolicyResult[]> {
  const key = `${s.opened.repo.id}|${digest}`;
  const hit = pullVerdicts.get(key);
  if (hit) return hit;
  const v = await verifySubject(scope, s);
  const failing = v.policies.filter((r) => !r.passed && r.policy.mode !== "off");
  pullVerdicts.set(key, failing);
  return failing;
}

/**
 * Throws 451 when an enforce policy refuses the pull; records audit-mode failures. Call
 * only where `sigstoreAtPull` is true (it costs a verdict) and after the download check.
 */
export async function enforceSignaturesAtPull(scope: Scope, s: Subject, a: ArtifactRef & { digest: string }): Promise<void> {
  if (!sigstoreAtPull(s) || (s.type === "image" && isSignature(s))) return;
  const failing = await failingPolicies(scope, s, a.digest);
  if (!failing.length) return;
  const enforced = failing.find((r) => r.policy.mode === "enforce");
  if (enforced) {
    const e = envelope(scope, enforced, enforced.row.description);
    throw new RegistryError("BlockedSignature", refusalMessage(a, e), { detail: e });
  }
  for (const r of failing) {
    const once = `${r.policy.id}@${r.row.updatedAt}|${a.digest}`;
    if (recorded.has(once)) continue;
    if (recorded.size >= MAX_RECORDED) recorded.delete(recorded.values().next().value!);
    recorded.add(once);
    const data = { policy_id: r.policy.id, policy_name: r.policy.name, format: s.opened.repo.format, repo_id: s.opened.repo.id, package: a.package, version: a.version, digest: a.digest, reason: why(r) };
    await runBatch(scope.db, [auditQuery(scope, { action: "sigstore_policy.pull_unverified", resourceType: "sigstore_policy", resourceId: r.policy.id, projectId: s.opened.project.id, after: data })]);
    await emitEvent(scope, { type: "sigstore.pull_unverified", project_id: s.opened.project.id, data });
  }
}

/**
 * What `/blocked/{id}` may show anyone about a sigstore policy a 451 named: what it
 * selects by format and name and what a signature must be to pass (key names, Fulcio
 * identities, Rekor, signers, predicate types), never its project, repository or keys.
 */
export interface PublicSigstoreRefusal {
  kind: "sigstore";
  id: string;
  name: string;
  description: string;
  status: "active" | "audit" | "disabled";
  formats: string[];
  names: string[];
  keys: string[];
  identities: { issuer: string; san: string | null; san_regex: string | null }[];
  rekor: string;
  minSignatures: number;
  predicateTypes: string[];
}

export async function publicSigstoreRefusal(scope: Scope, id: string): Promise<PublicSigstoreRefusal | null> {
  if (!/^[0-9a-f]{32}$/.test(id)) return null; // core/ids newPublicId
  const p = await findSigstorePolicyRow(scope.db, id);
  if (!p) return null;
  const status = !p.enabled || p.mode === "off" ? "disabled" : p.mode === "enforce" ? "active" : "audit";
  return {
    kind: "sigstore",
    id,
    name: p.name,
    description: p.description,
    status,
    formats: p.formats,
    names: p.names,
    keys: p.keys.map((k) => k.name),
    identities: p.identities.map((i) => ({ issuer: i.issuer, san: i.san, san_regex: i.sanRegex })),
    rekor: p.rekor,
    minSignatures: p.minSignatures,
    predicateTypes: p.predicateTypes,
  };
}
