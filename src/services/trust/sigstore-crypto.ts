/**
 * The sigstore libraries (@sigstore/core, @sigstore/bundle, @sigstore/verify) as they run
 * in workerd, and the few conversions verification needs.
 *
 * Why a shim: @sigstore/core's `crypto.verify(data, key, sig, algorithm?)` passes no
 * algorithm for DSSE envelopes, Rekor SETs and checkpoints, relying on Node choosing
 * SHA-256 for an EC key. workerd's node:crypto (nodejs_compat) refuses a missing
 * algorithm for EC keys ("Failed to initialize verification context"), so every SET
 * check failed there while it passed under Node. The shim supplies the digest the key's
 * curve pairs with in sigstore (P-256 → SHA-256, P-384 → SHA-384, P-521 → SHA-512).
 * Ed25519 signs the message itself (no pre-hash): a bundle's message signature names
 * SHA2_256 as its digest algorithm, which the library passes on and workerd refuses for
 * an Ed25519 key, so for Ed25519 the algorithm is dropped. Installed once per isolate.
 */
import { crypto as sigCrypto } from "@sigstore/core";
import { TrustedRoot } from "@sigstore/protobuf-specs";

/** node:crypto's KeyObject, as far as this module reads it. */
interface KeyObject {
  asymmetricKeyType?: string;
  asymmetricKeyDetails?: { namedCurve?: string };
}
type VerifyFn = (data: Uint8Array, key: KeyObject, signature: Uint8Array, algorithm?: string) => boolean;
const lib = sigCrypto as unknown as { verify: VerifyFn & { orbitalreg?: true } };
if (!lib.verify.orbitalreg) {
  const original = lib.verify;
  const curveDigest: Record<string, string> = { prime256v1: "sha256", secp384r1: "sha384", secp521r1: "sha512" };
  lib.verify = Object.assign(
    (data: Uint8Array, key: KeyObject, signature: Uint8Array, algorithm?: string) =>
      original(data, key, signature, key.asymmetricKeyType === "ed25519" ? undefined : (algorithm ?? (key.asymmetricKeyType === "ec" ? (curveDigest[key.asymmetricKeyDetails?.namedCurve ?? ""] ?? "sha256") : undefined))),
    { orbitalreg: true as const },
  );
}

const EMPTY_ROOT = { mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1", tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };

/** A trusted_root.json (text, or null: trust nothing) as the verifier's TrustedRoot. Throws on a malformed root. */
export function parseTrustedRoot(text: string | null): TrustedRoot {
  const json = text === null ? EMPTY_ROOT : (JSON.parse(text) as unknown);
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new Error("not a JSON object");
  return TrustedRoot.fromJSON(json);
}

/** A PEM public key (SPKI) as a KeyObject; throws when it is not ECDSA or Ed25519. */
export function parsePublicKey(pem: string) {
  const key = sigCrypto.createPublicKey(pem);
  if (key.asymmetricKeyType !== "ec" && key.asymmetricKeyType !== "ed25519") throw new Error(`a ${key.asymmetricKeyType} key (ECDSA or Ed25519 only)`);
  return key;
}

export const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
export const toB64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
export const sha256Hex = (bytes: Uint8Array) => toHex(sigCrypto.digest("sha256", bytes));
export const sha512Hex = (bytes: Uint8Array) => toHex(sigCrypto.digest("sha512", bytes));
