/** Signatures attached to an image the two ways sigstore verification reads them (services/trust/sigstore.ts). */
import { expect } from "vitest";
import { OCI_MANIFEST, pushBlob, putManifest } from "../oci-helpers";
import { sign, simpleSigning, type BundleOptions } from "./sigstore";

export const BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json";
const hexOf = (digest: string) => digest.replace(/^sha256:/, "");

/** A tag named after the bundle, so attaching the same bundle twice is one referrer. */
async function tagOf(v: unknown) {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(v)));
  return `ref-${[...new Uint8Array(d)].slice(0, 6).map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Attaches a sigstore bundle to the image as an OCI 1.1 referrer; returns the referrer's digest. */
export async function attachReferrer(img: { name: string; token: string }, subject: { digest: string; size: number }, bundle: unknown) {
  const layer = await pushBlob(img.name, img.token, JSON.stringify(bundle));
  const empty = await pushBlob(img.name, img.token, "{}");
  const put = await putManifest(img.name, img.token, await tagOf(bundle), {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: BUNDLE,
    config: { mediaType: "application/vnd.oci.empty.v1+json", digest: empty.digest, size: empty.size },
    layers: [{ mediaType: BUNDLE, digest: layer.digest, size: layer.size }],
    subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.size },
  });
  expect(put.res.status, await put.res.clone().text()).toBe(201);
  return put.digest;
}

/** cosign's tag scheme: a `sha256-<hex>.sig` manifest whose layers are simple-signing payloads, one per signer. */
export async function attachCosignSignatures(img: { name: string; token: string }, digest: string, signers: BundleOptions[]) {
  const layers = [];
  for (const o of signers) {
    const payload = await simpleSigning(`registry.test/${img.name}`, digest);
    const made = await sign(payload, o);
    const blob = await pushBlob(img.name, img.token, payload);
    layers.push({
      mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
      digest: blob.digest,
      size: blob.size,
      annotations: {
        "dev.cosignproject.cosign/signature": made.bundle.messageSignature.signature,
        ...(made.certificatePem ? { "dev.sigstore.cosign/certificate": made.certificatePem } : {}),
        ...(made.rekorAnnotation ? { "dev.sigstore.cosign/bundle": made.rekorAnnotation } : {}),
      },
    });
  }
  const config = await pushBlob(img.name, img.token, JSON.stringify({ architecture: "", os: "", config: {} }));
  const put = await putManifest(img.name, img.token, `sha256-${hexOf(digest)}.sig`, { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size }, layers });
  expect(put.res.status, await put.res.clone().text()).toBe(201);
  return put;
}
