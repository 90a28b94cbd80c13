/**
 * Provenance: npm's publish-time sigstore bundle (`npm publish --provenance`), checked as
 * it arrives, and the verified signer of an artifact for other domains.
 *
 * Invariants:
 * - A provenance bundle is kept only if it is a sigstore bundle whose DSSE in-toto
 *   statement names the tarball's sha512; its signature is judged later, against the
 *   sigstore trust policies that select the package (sigstore.ts), as the policies may
 *   change after the publish.
 * - `verifiedProvenance` answers only from a signature that passed a policy: nothing a
 *   publisher claims is copied.
 */
import { bundleFromJSON } from "@sigstore/bundle";
import type { Scope } from "../scope";
import type { Subject } from "./subjects";
import { verifySubject, type Verification } from "./sigstore";
import { INTOTO_PAYLOAD_TYPE } from "./sigstore-verify";
import { invalid } from "../../core/errors";

/** Checks npm's `<name>-<version>.sigstore` attachment; returns its predicate type. */
export function checkNpmProvenance(text: string, tarballSha512Hex: string): { predicateType: string } {
  const bad = (why: string) => invalid("Attachment", `the provenance attachment ${why}`);
  let bundle;
  try {
    bundle = bundleFromJSON(JSON.parse(text));
  } catch (e) {
    throw bad(`is not a sigstore bundle: ${e instanceof Error ? e.message : e}`);
  }
  if (bundle.content.$case !== "dsseEnvelope" || bundle.content.dsseEnvelope.payloadType !== INTOTO_PAYLOAD_TYPE) throw bad("is not a DSSE in-toto attestation");
  let st: { subject?: { digest?: Record<string, string> }[]; predicateType?: unknown };
  try {
    st = JSON.parse(Buffer.from(bundle.content.dsseEnvelope.payload).toString("utf8"));
  } catch {
    throw bad("carries a statement that is not JSON");
  }
  if (!(st.subject ?? []).some((s) => s.digest?.sha512?.toLowerCase() === tarballSha512Hex)) throw bad("does not name this tarball's sha512 as its subject");
  if (typeof st.predicateType !== "string") throw bad("has no predicate type");
  return { predicateType: st.predicateType };
}

/** Fulcio's certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). */
const FULCIO_OIDS: Record<string, string> = {
  "1.3.6.1.4.1.57264.1.9": "build_signer_uri",
  "1.3.6.1.4.1.57264.1.11": "runner_environment",
  "1.3.6.1.4.1.57264.1.12": "source_repository_uri",
  "1.3.6.1.4.1.57264.1.13": "source_repository_digest",
  "1.3.6.1.4.1.57264.1.14": "source_repository_ref",
  "1.3.6.1.4.1.57264.1.18": "build_config_uri",
  "1.3.6.1.4.1.57264.1.20": "build_trigger",
  "1.3.6.1.4.1.57264.1.21": "run_invocation_uri",
};

/** The extension's value: a DER UTF8String (the v2 extensions) or raw text (the legacy ones). */
function derText(value: Uint8Array): string {
  if (value[0] === 0x0c && value.length > 1) {
    let len = value[1]!;
    let at = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = (len << 8) | value[2 + i]!;
      at = 2 + n;
    }
    return new TextDecoder().decode(value.subarray(at, at + len));
  }
  return new TextDecoder().decode(value);
}

export interface VerifiedProvenance {
  policy: string;
  identity: string;
  issuer: string;
  predicate_types: string[];
  /** Fulcio extension fields present in the certificate (source_repository_uri, source_repository_ref, runner_environment, build_trigger …). */
  fields: Record<string, string>;
}

/**
 * The verified keyless signer of the subject, from the first policy that selects it (where
 * it is stored) and passes; null when no policy selects it, none passes, or it is keyed.
 */
export async function verifiedProvenance(scope: Scope, subject: Subject): Promise<VerifiedProvenance | null> {
  return provenanceOf(await verifySubject(scope, subject));
}

/** `verifiedProvenance` of a verification already made (callers that also want the failures' reasons). */
export function provenanceOf(v: Verification): VerifiedProvenance | null {
  for (const p of v.policies) {
    if (!p.passed) continue;
    const s = p.signatures.find((x) => x.passed && x.signer?.type === "keyless");
    if (!s?.signer?.identity || !s.signer.issuer) continue;
    const fields: Record<string, string> = {};
    for (const o of s.fulcio?.oids ?? []) {
      const name = FULCIO_OIDS[o.oid?.id.join(".") ?? ""];
      if (name) fields[name] = derText(o.value);
    }
    return { policy: p.policy.name, identity: s.signer.identity, issuer: s.signer.issuer, predicate_types: p.predicate_types, fields };
  }
  return null;
}
