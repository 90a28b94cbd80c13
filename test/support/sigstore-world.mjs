/**
 * A private sigstore in Node, for tests: a Fulcio-like CA with its CT log and a Rekor-like
 * transparency log from `@sigstore/mock` (no network), the `trusted_root.json` that trusts
 * them, and builders for what signers attach: sigstore bundles (message signature or
 * DSSE, keyless or keyed), cosign's legacy tag-scheme signature layers, in-toto
 * statements and cosign simple-signing payloads.
 *
 * Used by vitest.config.ts (fixtures handed to the workerd tests as a binding) and by the
 * e2e tests (which sign what they push). Everything is made fresh per run; the only clock
 * games are the ones a case asks for (`at`: when the log says the entry was integrated).
 */
import crypto from "node:crypto";
import { initializeCA, initializeCTLog, initializeTLog } from "@sigstore/mock";

const b64 = (bytes) => Buffer.from(bytes).toString("base64");
const sha256 = (bytes) => crypto.createHash("sha256").update(bytes).digest();
const pem = (der, label) => `-----BEGIN ${label}-----\n${b64(der).match(/.{1,64}/g).join("\n")}\n-----END ${label}-----\n`;

export const OID_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1";
export const OID_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8";
export const BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json";
export const INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/** DSSE pre-authentication encoding (what a DSSE signature covers). */
export function pae(payloadType, payload) {
  const type = Buffer.from(payloadType);
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** A fresh ECDSA P-256 signing key (what cosign makes) with its SPKI DER and PEM. */
export function signingKey(type = "ec") {
  const { privateKey, publicKey } = type === "ed25519" ? crypto.generateKeyPairSync("ed25519") : crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = publicKey.export({ format: "der", type: "spki" });
  return { type, privateKey, publicKey, spki, publicKeyPem: pem(spki, "PUBLIC KEY") };
}

const sign = (key, data) => crypto.sign(key.type === "ed25519" ? null : "sha256", data, key.privateKey);

/** cosign's simple-signing payload for an image digest. */
export function simpleSigningPayload(dockerReference, digest) {
  return Buffer.from(JSON.stringify({ critical: { identity: { "docker-reference": dockerReference }, image: { "docker-manifest-digest": digest }, type: "cosign container image signature" }, optional: null }));
}

/** An in-toto v1 statement about `subjects` ({name, digest: {sha256|sha512: hex}}). */
export function statement(subjects, predicateType = "https://slsa.dev/provenance/v1", predicate = { buildDefinition: { buildType: "https://example.com/test" } }) {
  return Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: subjects, predicateType, predicate }));
}

/**
 * The CA, CT log and transparency log, and the trusted root naming them. `issuedAt`: the
 * CA's clock (certificates are valid 10 minutes from it, as Fulcio's).
 */
export async function createSigstoreWorld({ issuedAt = new Date() } = {}) {
  const caKeys = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const ctKeys = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const logKeys = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const ctlog = await initializeCTLog(ctKeys, issuedAt);
  const ca = await initializeCA(caKeys, ctlog, issuedAt);
  const logSpki = logKeys.publicKey.export({ format: "der", type: "spki" });
  const since = new Date(issuedAt.getTime() - 86_400_000).toISOString();
  const trustedRoot = {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [{ baseUrl: "https://rekor.test", hashAlgorithm: "SHA2_256", publicKey: { rawBytes: b64(logSpki), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start: since } }, logId: { keyId: b64(sha256(logSpki)) } }],
    certificateAuthorities: [
      { subject: { organization: "sigstore.mock", commonName: "sigstore" }, uri: "https://fulcio.test", certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] }, validFor: { start: since } },
    ],
    ctlogs: [{ baseUrl: "https://ctfe.test", hashAlgorithm: "SHA2_256", publicKey: { rawBytes: b64(ctlog.publicKey), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start: since } }, logId: { keyId: b64(ctlog.logID) } }],
    timestampAuthorities: [],
  };
  /** A log whose clock says `at` (default: a minute after the CA's clock, inside the certificate's 10 minutes). */
  const logAt = (at = new Date(issuedAt.getTime() + 60_000)) => initializeTLog("https://rekor.test", logKeys, at);

  /** A Fulcio-style certificate for `key`: the identity (`san`, a URI), the OIDC issuer, and more Fulcio extensions (`{oid: value}`). */
  async function certificate(key, { san, issuer, extensions = {} }) {
    const der = await ca.issueCertificate({
      publicKey: key.spki,
      subjectAltName: san,
      extensions: [
        { oid: OID_ISSUER_V1, value: issuer, legacy: true },
        { oid: OID_ISSUER_V2, value: issuer },
        ...Object.entries(extensions).map(([oid, value]) => ({ oid, value })),
      ],
    });
    return Buffer.from(der);
  }

  /** Logs `body` (a Rekor proposed entry) and returns the bundle's tlog entry for it. */
  async function logEntry(kind, body, at) {
    const log = await logAt(at);
    const answer = await log.log(body);
    const entry = Object.values(answer)[0];
    const proof = entry.verification.inclusionProof;
    return {
      logIndex: String(entry.logIndex),
      logId: { keyId: Buffer.from(entry.logID, "hex").toString("base64") },
      kindVersion: { kind, version: "0.0.1" },
      integratedTime: String(entry.integratedTime),
      inclusionPromise: { signedEntryTimestamp: entry.verification.signedEntryTimestamp },
      inclusionProof: { logIndex: String(proof.logIndex), rootHash: Buffer.from(proof.rootHash, "hex").toString("base64"), treeSize: String(proof.treeSize), hashes: proof.hashes, checkpoint: { envelope: proof.checkpoint } },
      canonicalizedBody: entry.body,
    };
  }

  /** The "legacy" cosign bundle annotation (Rekor's SET and payload) for a tlog entry. */
  const rekorAnnotation = (e) =>
    JSON.stringify({ SignedEntryTimestamp: e.inclusionPromise.signedEntryTimestamp, Payload: { body: e.canonicalizedBody, integratedTime: Number(e.integratedTime), logIndex: Number(e.logIndex), logID: Buffer.from(e.logId.keyId, "base64").toString("hex") } });

  /**
   * Signs `payload` (bytes) as a sigstore bundle. Options: `key` (default: a fresh
   * P-256 key), `identity` ({san, issuer}: keyless, with a certificate; omitted: keyed,
   * `publicKey.hint`), `dsse` (a payload type: DSSE envelope instead of a message
   * signature), `tlog` (default true: log it), `at` (the log's clock), `tamper` (change
   * the payload after signing).
   */
  async function bundle(payload, o = {}) {
    const key = o.key ?? signingKey();
    const cert = o.identity ? await certificate(key, o.identity) : null;
    const verifier = cert ? b64(pem(cert, "CERTIFICATE")) : b64(key.publicKeyPem);
    let content;
    let entryKind;
    let entryBody;
    if (o.dsse) {
      const signature = sign(key, pae(o.dsse, payload));
      const envelope = { payload: b64(o.tamper ? Buffer.concat([payload, Buffer.from(" ")]) : payload), payloadType: o.dsse, signatures: [{ sig: b64(signature), keyid: "" }] };
      content = { dsseEnvelope: envelope };
      entryKind = "dsse";
      entryBody = {
        apiVersion: "0.0.1",
        kind: "dsse",
        spec: { envelopeHash: { algorithm: "sha256", value: sha256(Buffer.from(JSON.stringify(envelope))).toString("hex") }, payloadHash: { algorithm: "sha256", value: sha256(payload).toString("hex") }, signatures: [{ signature: b64(signature), verifier }] },
      };
    } else {
      const digest = sha256(payload);
      const signature = sign(key, payload);
      content = { messageSignature: { messageDigest: { algorithm: "SHA2_256", digest: b64(o.tamper ? sha256(Buffer.concat([payload, Buffer.from(" ")])) : digest) }, signature: b64(signature) } };
      entryKind = "hashedrekord";
      entryBody = { apiVersion: "0.0.1", kind: "hashedrekord", spec: { data: { hash: { algorithm: "sha256", value: digest.toString("hex") } }, signature: { content: b64(signature), publicKey: { content: verifier } } } };
    }
    const tlogEntries = o.tlog === false ? [] : [await logEntry(entryKind, entryBody, o.at)];
    return {
      key,
      certificate: cert,
      bundle: {
        mediaType: BUNDLE_V03,
        verificationMaterial: { ...(cert ? { certificate: { rawBytes: b64(cert) } } : { publicKey: { hint: "" } }), tlogEntries, timestampVerificationData: { rfc3161Timestamps: [] } },
        ...content,
      },
      rekorAnnotation: tlogEntries[0] ? rekorAnnotation(tlogEntries[0]) : null,
    };
  }

  return { trustedRoot, certificate, bundle, issuedAt };
}
