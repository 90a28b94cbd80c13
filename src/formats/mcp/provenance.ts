/**
 * Provenance verified, not copied: an entry's `provenance` comes from OrbitalReg's own
 * sigstore verification of the image it references, when a trust policy applies.
 *
 *   imageProvenance(image, manifest)  (linkage.ts, for a local image reference whose
 *                                      pinned digest is present and not refused)
 *     := no sigstore policy selects the image where it is stored → nothing (uncovered)
 *      | a policy passes with a keyless signer → `verified`: signer, issuer and the
 *        Fulcio fields of the certificate (source repository URI/ref, runner, …)
 *      | a policy fails → `unverified` with its reason and mode
 *      | every policy passes with keys only → nothing (no identity to fill from)
 *   provenanceView(entry, refs)       (shapes.ts, pure)
 *     := the first reference's verdict compared with the publisher's claim
 *        (`_meta[publisher-provided].provenance`, ToolHive's field names)
 *      | no verdict → the claim, labelled `publisher-claimed` (unchanged behaviour)
 *
 * Invariants:
 * - A verified field is never taken from the claim: ToolHive's `provenance` shows only
 *   what verification found (the claim stays under ours, `claimed`).
 * - A claim that names a different repository URI, signer identity or certificate issuer
 *   than verification found is a `mismatch`: refused at publish (the publisher can still
 *   fix the document; a published version is immutable), flagged on read (a policy or a
 *   signature that arrives after the publish), and a flagged or unverified entry is never
 *   `verified`.
 * - Cost: the policy list is cached per isolate (trust/sigstore.ts), so an uncovered
 *   reference costs nothing extra warm; a covered one reads its signatures (referrers,
 *   cosign tags) each time, and the crypto verdict is cached per digest.
 */
import type { Scope } from "../../services/scope";
import type { OpenedImage } from "../../services/oci";
import { provenanceOf, verifySubject, type Subject } from "../../services/trust";
import { invalid } from "../../core/errors";
import { referenceState, type Pins, type Reference } from "./linkage";
import type { ServerJson } from "./server-json";
import { PUBLISHER } from "./shapes";

type ImageManifest = Extract<Subject, { type: "image" }>["manifest"];

/** What verification found for one image reference (on `Reference.provenance`). */
export type RefProvenance =
  | { state: "verified"; policy: string; signer_identity: string; cert_issuer: string; repository_uri?: string; repository_ref?: string; runner_environment?: string; predicate_types: string[] }
  | { state: "unverified"; policy: string; mode: string; reason: string };

export async function imageProvenance(scope: Scope, img: OpenedImage, manifest: ImageManifest): Promise<RefProvenance | null> {
  const v = await verifySubject(scope, { type: "image", opened: img, manifest, tag: null });
  if (v.policies.length === 0) return null;
  const p = provenanceOf(v);
  if (p) {
    const f = p.fields;
    return {
      state: "verified",
      policy: p.policy,
      signer_identity: p.identity,
      cert_issuer: p.issuer,
      ...(f.source_repository_uri ? { repository_uri: f.source_repository_uri } : {}),
      ...(f.source_repository_ref ? { repository_ref: f.source_repository_ref } : {}),
      ...(f.runner_environment ? { runner_environment: f.runner_environment } : {}),
      predicate_types: p.predicate_types,
    };
  }
  // Every policy passed with keys (no Fulcio identity): nothing to fill from, nothing refuted.
  const failed = v.policies.find((r) => !r.passed);
  if (!failed) return null;
  const reason = failed.reason ?? "verification failed";
  return { state: "unverified", policy: failed.policy.name, mode: failed.policy.mode, reason };
}

type Obj = Record<string, unknown>;
/** The fields a claim is checked on, ToolHive's names. */
const CHECKED = ["repository_uri", "signer_identity", "cert_issuer"] as const;
const norm = (field: string, v: string) => (field === "repository_uri" ? v.trim().replace(/\/+$/, "").replace(/\.git$/, "").toLowerCase() : v.trim());

export interface Mismatch {
  field: (typeof CHECKED)[number];
  claimed: unknown;
  verified: string;
}

export function mismatches(claim: Obj | undefined, found: Extract<RefProvenance, { state: "verified" }>): Mismatch[] {
  if (!claim) return [];
  return CHECKED.flatMap((field) => {
    const c = claim[field];
    const v = found[field];
    if (c === undefined || c === null || v === undefined) return [];
    return typeof c === "string" && norm(field, c) === norm(field, v) ? [] : [{ field, claimed: c, verified: v }];
  });
}

export type ProvenanceView =
  | { source: "verified"; policy: string; verified: Obj; claimed?: Obj; mismatch?: Mismatch[] }
  | { source: "unverified"; policy: string; mode: string; reason: string; claimed?: Obj }
  | { source: "publisher-claimed"; claimed: Obj };

/** ToolHive's provenance object from a verified reference (only what verification found). */
function toolhiveFields(found: Extract<RefProvenance, { state: "verified" }>): Obj {
  const { state: _s, policy: _p, predicate_types, ...fields } = found;
  return { ...fields, ...(predicate_types[0] ? { attestation: { predicate_type: predicate_types[0], predicate: null } } : {}) };
}

export function provenanceView(claim: unknown, refs: Reference[]): ProvenanceView | null {
  const claimed = claim && typeof claim === "object" && !Array.isArray(claim) ? (claim as Obj) : undefined;
  const found = refs.find((r) => r.provenance)?.provenance;
  if (!found) return claimed ? { source: "publisher-claimed", claimed } : null;
  if (found.state === "unverified") return { source: "unverified", policy: found.policy, mode: found.mode, reason: found.reason, ...(claimed ? { claimed } : {}) };
  const bad = mismatches(claimed, found);
  return { source: "verified", policy: found.policy, verified: toolhiveFields(found), ...(claimed ? { claimed } : {}), ...(bad.length ? { mismatch: bad } : {}) };
}

/** Whether the view lets the entry count as verified. */
export const provenanceHolds = (v: ProvenanceView | null) => !v || v.source === "publisher-claimed" || (v.source === "verified" && !v.mismatch);

/** At publish: refuses a claim that verification of a policy-covered pinned image contradicts (400, with the field path). */
export async function assertProvenanceClaim(scope: Scope, server: ServerJson, pins: Pins, localHosts: string[]): Promise<void> {
  const claim = (server._meta?.[PUBLISHER] as Obj | undefined)?.provenance;
  if (!claim || typeof claim !== "object") return;
  const pinned = (server.packages ?? []).flatMap((p, i) => (pins[i] ? [referenceState(scope, p, pins[i], localHosts)] : []));
  const v = provenanceView(claim, await Promise.all(pinned));
  const claimPath = `_meta["${PUBLISHER}"].provenance`;
  if (v?.source !== "verified" || !v.mismatch) return;
  const detail = v.mismatch.map((m) => ({ location: `body.${claimPath}.${m.field}`, message: `claims ${JSON.stringify(m.claimed)} but the image's verified signature says ${JSON.stringify(m.verified)} (policy ${v.policy})`, value: m.claimed }));
  throw invalid("ServerProvenance", `the claimed provenance disagrees with the referenced image's verified signature: ${v.mismatch.map((m) => m.field).join(", ")}`, { detail });
}
