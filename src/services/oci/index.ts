/**
 * The OCI wing: images (manifests, tags, referrers, labels), their blobs and resumable
 * uploads, and the Docker token flow, shared by the `/v2` protocol (formats/oci) and the
 * governance routes (api/oci.ts). Its grammar (names.ts, manifest-document.ts) is pure.
 *
 * Invariants of the wing:
 * - Every OCI request passes `openImage` (access.ts): repo, rights, name patterns.
 * - Manifests are stored byte for byte as pushed and accepted only when everything they
 *   reference is readable in the repo; tags move with a history row in the same batch.
 * - An upload's state lives in its UploadSession Durable Object; finishing never copies
 *   bytes.
 */
export * from "./access";
export * from "./blobs";
export * from "./labels";
export * from "./manifests";
export * from "./referrers";
export * from "./tags";
export * from "./token";
export * from "./uploads";
export * from "./names";
export * from "./manifest-document";
export * from "./browse";
