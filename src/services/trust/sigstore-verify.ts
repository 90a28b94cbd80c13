/**
 * Verifying what signers attached to one artifact against one sigstore trust policy:
 * each candidate (a sigstore bundle, or cosign's tag-scheme layer turned into one) gets
 * a verdict with its reason; the policy passes when at least `min_signatures` distinct
 * signers made valid signatures and every required predicate type is attested.
 *
 *   for each candidate:
 *     bundle  := parse (bundleFromJSON)                         else "not a sigstore bundle"
 *     binds   := DSSE: an in-toto statement whose subject names the artifact's digest
 *                message: the message digest is the signed bytes' (the manifest, or a
 *                cosign simple-signing payload naming the image digest)
 *     signer  := keyless: Verifier over the policy's trusted root (Fulcio chain, SCT,
 *                Rekor SET/inclusion, the certificate valid when Rekor logged it), then
 *                the certificate's issuer and SAN against the policy's identities
 *                keyed:   the same with each trusted key in turn (Rekor as the policy says)
 *
 * Invariants: pure apart from the crypto (no bindings, no network: the trusted root is the
 * stored upload); a candidate never throws, it fails with a reason; a keyless signature
 * always needs a Rekor entry (its certificate lives ten minutes: the log's time is what
 * shows it was valid when used).
 */
import { bundleFromJSON, type Bundle } from "@sigstore/bundle";
import { X509Certificate } from "@sigstore/core";
import { Verifier, toSignedEntity, toTrustMaterial, type Signer } from "@sigstore/verify";
import { parsePublicKey, parseTrustedRoot, sha256Hex, toHex } from "./sigstore-crypto";
import type { SigstorePolicyRow } from "../../db/sigstore";

export const INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

export interface Candidate {
  /** Where it was found: an OCI 1.1 referrer, a cosign `.sig`/`.att` tag, a package file. */
  source: "referrer" | "cosign_tag" | "package_file";
  /** The referrer's digest, the tag and layer (`tag#n`), or the file name. */
  ref: string;
  /** What it is by content (a digest, with the layer): a moved tag is a new candidate, so a cached verdict never outlives it. */
  key: string;
  bundle: unknown;
  /** Message signatures: the signed bytes (a cosign payload; else the subject's own bytes). */
  artifact?: Uint8Array;
  /** Set when the candidate could not even be read (a missing layer …). */
  error?: string;
}

/** What the signature must be about: the artifact's digests (hex, by algorithm) and, for images, its bytes. */
export interface Target {
  digests: { alg: "sha256" | "sha512"; hex: string }[];
  /** Images: the manifest's bytes (a referrer's message signature signs them). Loaded on demand. */
  bytes?: () => Promise<Uint8Array | null>;
}

export interface SignerView {
  type: "keyed" | "keyless";
  key: string | null;
  identity: string | null;
  issuer: string | null;
}
export interface CandidateResult {
  source: Candidate["source"];
  ref: string;
  kind: "message_signature" | "dsse" | "unknown";
  passed: boolean;
  reason: string;
  signer: SignerView | null;
  predicate_type: string | null;
  rekor: { log_index: string; integrated_time: string } | null;
  /** The verified certificate's extensions (keyless), for verifiedProvenance. */
  fulcio?: Signer["identity"];
}
export interface PolicyVerdict {
  passed: boolean;
  reason: string;
  valid_signatures: number;
  predicate_types: string[];
  signatures: CandidateResult[];
}


/** Why the library refused, in the terms the policy's owner thinks in. */
function explain(e: unknown, keyless: boolean): string {
  const code = (e as { code?: string }).code ?? "";
  const msg = e instanceof Error ? e.message : String(e);
  if (code === "TLOG_ERROR" && /expected \d+ tlog entries, got 0/.test(msg)) return "missing Rekor entry: the policy requires the signature to be logged in Rekor";
  if (code === "TIMESTAMP_ERROR" && /got 0/.test(msg)) return keyless ? "missing Rekor entry: a keyless certificate is checked against the time Rekor logged it" : "missing Rekor entry";
  if (code === "CERTIFICATE_ERROR" && /expired|not valid|validity/i.test(msg)) return `certificate expired (not valid when Rekor logged the signature): ${msg}`;
  if (code === "CERTIFICATE_ERROR") return `certificate not trusted: ${msg}`;
  if (code === "SIGNATURE_ERROR") return "signature does not verify: the payload was tampered with or signed by another key";
  if (code === "TLOG_BODY_ERROR") return `the Rekor entry does not match the signature (tampered payload?): ${msg}`;
  if (code.startsWith("TLOG")) return `Rekor entry not trusted: ${msg}`;
  if (code === "PUBLIC_KEY_ERROR") return "untrusted key: not one of the policy's keys";
  return `${code || "error"}: ${msg}`;
}

/** What a DSSE in-toto statement says, and whether its subject names the target. */
function statementOf(bundle: Bundle, target: Target): { predicateType: string | null; binds: boolean; why?: string } {
  if (bundle.content.$case !== "dsseEnvelope") return { predicateType: null, binds: false };
  const env = bundle.content.dsseEnvelope;
  if (env.payloadType !== INTOTO_PAYLOAD_TYPE) return { predicateType: null, binds: false, why: `DSSE payload type ${env.payloadType} is not an in-toto statement` };
  let st: { subject?: { digest?: Record<string, string> }[]; predicateType?: string };
  try {
    st = JSON.parse(Buffer.from(env.payload).toString("utf8"));
  } catch {
    return { predicateType: null, binds: false, why: "the DSSE payload is not JSON" };
  }
  const binds = (st.subject ?? []).some((s) => target.digests.some((d) => s.digest?.[d.alg]?.toLowerCase() === d.hex));
  return { predicateType: typeof st.predicateType === "string" ? st.predicateType : null, binds, why: binds ? undefined : "the in-toto statement's subject does not name this artifact's digest" };
}

/** A cosign simple-signing payload names the image digest it signs. */
function simpleSigningBinds(payload: Uint8Array, target: Target): boolean {
  try {
    const doc = JSON.parse(Buffer.from(payload).toString("utf8")) as { critical?: { image?: { "docker-manifest-digest"?: string } } };
    return doc.critical?.image?.["docker-manifest-digest"] === `sha256:${target.digests.find((d) => d.alg === "sha256")?.hex}`;
  } catch {
    return false;
  }
}

/** The library reports an out-of-validity leaf as a chain failure; name it for what it is. */
function expiredWhenLogged(bundle: Bundle): string | null {
  const m = bundle.verificationMaterial.content;
  const der = m.$case === "certificate" ? m.certificate.rawBytes : m.$case === "x509CertificateChain" ? m.x509CertificateChain.certificates[0]?.rawBytes : undefined;
  const logged = bundle.verificationMaterial.tlogEntries.map((e) => new Date(Number(e.integratedTime) * 1000));
  if (!der || !logged.length) return null;
  let cert: X509Certificate;
  try {
    cert = X509Certificate.parse(Buffer.from(der));
  } catch {
    return null;
  }
  const outside = logged.find((t) => !cert.validForDate(t));
  return outside ? `certificate expired: valid from ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}, but Rekor logged the signature at ${outside.toISOString()}` : null;
}

function identityMatches(p: SigstorePolicyRow, signer: Signer): string | null {
  const san = signer.identity?.subjectAlternativeName ?? "";
  const issuer = signer.identity?.extensions?.issuer ?? "";
  const ok = p.identities.some((id) => id.issuer === issuer && (id.san !== null ? id.san === san : id.sanRegex !== null && new RegExp(`^(?:${id.sanRegex})$`).test(san)));
  return ok ? null : `wrong identity: signed by '${san}' (issuer '${issuer}'), which none of the policy's identities allows`;
}

function verifyOne(p: SigstorePolicyRow, c: Candidate, target: Target, subjectBytes: Uint8Array | null): CandidateResult {
  const base = { source: c.source, ref: c.ref, kind: "unknown" as CandidateResult["kind"], passed: false, signer: null, predicate_type: null, rekor: null };
  if (c.error) return { ...base, reason: c.error };
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(c.bundle);
  } catch (e) {
    return { ...base, reason: `not a sigstore bundle: ${e instanceof Error ? e.message : e}` };
  }
  const entry = bundle.verificationMaterial.tlogEntries[0];
  const rekor = entry ? { log_index: String(entry.logIndex), integrated_time: String(entry.integratedTime) } : null;
  const keyless = bundle.verificationMaterial.content.$case !== "publicKey";
  const r = { ...base, kind: bundle.content.$case === "dsseEnvelope" ? ("dsse" as const) : ("message_signature" as const), rekor };

  // What the signature is about.
  let artifact: ReturnType<typeof Buffer.from> | undefined;
  let predicateType: string | null = null;
  if (bundle.content.$case === "dsseEnvelope") {
    const st = statementOf(bundle, target);
    if (!st.binds) return { ...r, reason: st.why ?? "not about this artifact" };
    predicateType = st.predicateType;
  } else {
    const signed = c.artifact ?? subjectBytes;
    if (!signed) return { ...r, reason: "a message signature needs the signed bytes, which this artifact does not have" };
    const md = bundle.content.messageSignature.messageDigest;
    if (toHex(md.digest) !== sha256Hex(signed)) return { ...r, reason: "the bundle's message digest does not match the signed bytes (tampered payload, or a signature of something else)" };
    if (c.artifact && !simpleSigningBinds(c.artifact, target)) return { ...r, reason: "the simple-signing payload names another image digest" };
    artifact = Buffer.from(signed);
  }

  const entity = toSignedEntity(p.rekor === "optional" && !keyless && !p.trustedRoot ? { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [] } } : bundle, artifact);
  const tlogThreshold = keyless || p.rekor === "required" ? 1 : 0;
  const options = { tlogThreshold, ctlogThreshold: keyless ? 1 : 0, timestampThreshold: keyless ? 1 : 0 };
  let root;
  try {
    root = parseTrustedRoot(p.trustedRoot);
  } catch (e) {
    return { ...r, reason: `the policy's trusted root cannot be read: ${e instanceof Error ? e.message : e}` };
  }
  if (keyless) {
    if (p.identities.length === 0) return { ...r, reason: "keyless signature (a Fulcio certificate), but the policy trusts keys only" };
    const expired = expiredWhenLogged(bundle);
    if (expired) return { ...r, predicate_type: predicateType, reason: expired };
    try {
      const signer = new Verifier(toTrustMaterial(root), options).verify(entity);
      const view: SignerView = { type: "keyless", key: null, identity: signer.identity?.subjectAlternativeName ?? null, issuer: signer.identity?.extensions?.issuer ?? null };
      const wrong = identityMatches(p, signer);
      if (wrong) return { ...r, signer: view, predicate_type: predicateType, reason: wrong };
      return { ...r, passed: true, signer: view, predicate_type: predicateType, fulcio: signer.identity, reason: `signed by '${view.identity}' (issuer '${view.issuer}')` };
    } catch (e) {
      return { ...r, predicate_type: predicateType, reason: explain(e, true) };
    }
  }
  if (p.keys.length === 0) return { ...r, reason: "signed with a key, but the policy trusts keyless (Fulcio) identities only" };
  let lastError: unknown = null;
  for (const k of p.keys) {
    const publicKey = parsePublicKey(k.pem);
    try {
      new Verifier(toTrustMaterial(root, () => ({ publicKey, validFor: () => true })), options).verify(entity);
      return { ...r, passed: true, signer: { type: "keyed", key: k.name, identity: null, issuer: null }, predicate_type: predicateType, reason: `signed with trusted key '${k.name}'` };
    } catch (e) {
      // A signature that fails under one key may verify under the next; a Rekor failure fails under all.
      if ((e as { code?: string }).code !== "SIGNATURE_ERROR") return { ...r, predicate_type: predicateType, reason: explain(e, false) };
      lastError = e;
    }
  }
  return { ...r, predicate_type: predicateType, reason: lastError ? "untrusted key, or a tampered payload: the signature verifies under none of the policy's keys" : "no key" };
}

/** Every candidate judged, and the policy's verdict. */
export async function verifyAgainstPolicy(p: SigstorePolicyRow, candidates: Candidate[], target: Target): Promise<PolicyVerdict> {
  const needsBytes = candidates.some((c) => !c.artifact && (c.bundle as { messageSignature?: unknown } | null)?.messageSignature);
  const subjectBytes = needsBytes && target.bytes ? await target.bytes() : null;
  const signatures = candidates.map((c) => verifyOne(p, c, target, subjectBytes));
  const valid = signatures.filter((s) => s.passed);
  const signers = new Set(valid.map((s) => (s.signer?.type === "keyed" ? `key:${s.signer.key}` : `id:${s.signer?.issuer}|${s.signer?.identity}`)));
  const predicateTypes = [...new Set(valid.map((s) => s.predicate_type).filter((t): t is string => !!t))];
  const missing = p.predicateTypes.filter((t) => !predicateTypes.includes(t));
  const reasons: string[] = [];
  if (signers.size < p.minSignatures) reasons.push(candidates.length === 0 ? "unsigned: no signature or attestation found" : `${signers.size} valid signer(s) of ${p.minSignatures} required (${signatures.length - valid.length} signature(s) failed)`);
  if (missing.length) reasons.push(`no valid attestation of ${missing.join(", ")}`);
  return {
    passed: reasons.length === 0,
    reason: reasons.length ? reasons.join("; ") : `${signers.size} valid signer(s)${predicateTypes.length ? `, attested: ${predicateTypes.join(", ")}` : ""}`,
    valid_signatures: signers.size,
    predicate_types: predicateTypes,
    signatures,
  };
}
