/**
 * Artifacts: content-addressed blobs, the package → version → files model every
 * language format stores into, the governance API's view of it, and storage quotas.
 *
 * Invariants of the domain:
 * - Bytes are stored once per digest (R2) and reached only through a repo's link (D1);
 *   an upload is hashed while it streams and a digest mismatch leaves nothing behind.
 * - A publish is one D1 batch: package, version and files land together or not at all.
 * - Quota: a body of known length is reserved before a byte is written, and a link is
 *   charged before it is written; a refused push leaves no object, row or link.
 */
export * from "./blobs";
export * from "./packages";
export * from "./listing";
export * from "./quotas";
export * from "./repo-indexes";
export * from "./publish-file";
export * from "./downloads";
export * from "./reads";
