/**
 * Manifest media types and structural validation, pure (no I/O).
 *
 * Invariants:
 * - The bytes are never re-serialized: callers store exactly what the client sent;
 *   this module only reads them (UTF-8, fatal decoding) to learn what they reference.
 * - A manifest whose `mediaType` field contradicts its Content-Type is refused.
 * - Every descriptor carries a valid digest and a non-negative integer size.
 * - `artifactType` of a manifest is its `artifactType` field, else (image manifests)
 *   its config media type, as OCI 1.1 referrers require.
 */
import { invalid, RegistryError } from "../../core/errors";
import { parseDigest } from "../../core/digest";

/** The annotation an image declares its licence with (SPDX expression), judged by licence policies. */
export const LICENSE_ANNOTATION = "org.opencontainers.image.licenses";

export const MEDIA = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerSchema1: "application/vnd.docker.distribution.manifest.v1+json",
  dockerSchema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
} as const;

export const IMAGE_MANIFEST_TYPES: readonly string[] = [MEDIA.ociManifest, MEDIA.dockerManifest];
export const INDEX_TYPES: readonly string[] = [MEDIA.ociIndex, MEDIA.dockerList];
export const MANIFEST_TYPES: readonly string[] = [...IMAGE_MANIFEST_TYPES, ...INDEX_TYPES];
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Layer media types whose bytes live elsewhere (`urls`) and need not be in the registry. */
const FOREIGN_LAYERS = [
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
];

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: unknown;
  urls?: string[];
}

export interface ParsedManifest {
  mediaType: string;
  /** Blobs that must exist in the repo (config + distributable layers). */
  blobs: Descriptor[];
  /** Child manifests that must exist in the image (indexes). */
  manifests: Descriptor[];
  subject: Descriptor | null;
  artifactType: string | null;
  annotations: Record<string, string>;
}

const bad = (message: string, detail?: unknown) => new RegistryError("InvalidManifest", message, { detail });

function descriptor(value: unknown, where: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (!d || typeof d !== "object") throw bad(`${where} is not a descriptor`);
  if (typeof d.mediaType !== "string" || !d.mediaType) throw bad(`${where}.mediaType is missing`);
  if (typeof d.digest !== "string" || !parseDigest(d.digest)) {
    throw new RegistryError("InvalidDigest", `${where}.digest is not a valid digest`, { detail: { where } });
  }
  if (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0) throw bad(`${where}.size must be a non-negative integer`);
  if (d.annotations !== undefined && (typeof d.annotations !== "object" || d.annotations === null)) throw bad(`${where}.annotations must be an object`);
  return d as Descriptor;
}

/** Parses and structurally validates a manifest pushed with `contentType`. */
export function parseManifest(bytes: Uint8Array, contentType: string | null): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch {
    throw bad("the manifest is not valid UTF-8 JSON");
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw bad("the manifest must be a JSON object");
  const declared = typeof doc.mediaType === "string" ? doc.mediaType : null;
  const type = (contentType ?? "").split(";")[0]!.trim() || declared;
  if (!type) throw bad("the manifest has no media type: send a Content-Type header");
  if (declared && declared !== type) throw bad(`the manifest's mediaType '${declared}' does not match Content-Type '${type}'`);
  if (type === MEDIA.dockerSchema1 || type === MEDIA.dockerSchema1Signed) {
    throw new RegistryError("InvalidManifestSchema1", "Docker schema 1 manifests are not supported");
  }
  if (!MANIFEST_TYPES.includes(type)) throw invalid("ManifestMediaType", `unsupported manifest media type '${type}'`);
  if (doc.schemaVersion !== 2) throw bad("schemaVersion must be 2");
  const annotations = (doc.annotations && typeof doc.annotations === "object" ? doc.annotations : {}) as Record<string, string>;
  const subject = doc.subject === undefined ? null : descriptor(doc.subject, "subject");
  const artifactType = typeof doc.artifactType === "string" ? doc.artifactType : null;

  if (IMAGE_MANIFEST_TYPES.includes(type)) {
    const config = descriptor(doc.config, "config");
    if (!Array.isArray(doc.layers)) throw bad("layers must be an array");
    const layers = doc.layers.map((l, i) => descriptor(l, `layers[${i}]`));
    const distributable = layers.filter((l) => !(FOREIGN_LAYERS.includes(l.mediaType) || (l.urls && l.urls.length > 0)));
    return { mediaType: type, blobs: [config, ...distributable], manifests: [], subject, artifactType: artifactType ?? config.mediaType, annotations };
  }
  if (!Array.isArray(doc.manifests)) throw bad("manifests must be an array");
  const manifests = doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`));
  return { mediaType: type, blobs: [], manifests, subject, artifactType, annotations };
}

/**
 * Whether a client that sent `accept` takes a manifest of `mediaType`. Only an Accept
 * header that names manifest types and none of ours refuses; no header, wildcards or
 * plain JSON accept everything (many clients send only those).
 */
export function accepts(accept: string | null, mediaType: string): boolean {
  if (!accept) return true;
  const types = accept.split(",").map((t) => t.split(";")[0]!.trim().toLowerCase()).filter(Boolean);
  if (types.length === 0 || types.some((t) => t === "*/*" || t === "application/*" || t === mediaType)) return true;
  return !types.some((t) => MANIFEST_TYPES.includes(t));
}
