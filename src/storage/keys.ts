/**
 * Every R2 key the registry writes. Nothing else in the code builds R2 keys.
 *
 *   blobs/<uuid>        bytes of one blob. The key is chosen when an upload starts, so
 *                       finishing an upload never copies bytes; D1 `blobs` maps the
 *                       digest to its key. Written once, never overwritten (R2 allows
 *                       about one write per second per key, and content never changes).
 *                       Multi-request (OCI chunked) uploads get their key when the upload
 *                       starts and write it as an R2 multipart upload part by part; until
 *                       `complete()` the key holds no object. Bytes that don't fill a part
 *                       yet live in the upload's Durable Object, never in R2.
 *   health/probe        read (never written) by the readiness check.
 *
 * Invariant: a key under blobs/ that no D1 `blobs` row names is garbage (a failed or
 * deduplicated upload whose delete failed, an upload segment left behind) once it is
 * older than any upload takes to record its bytes; the collector deletes it
 * (services/lifecycle/gc.ts, docs/gc.md).
 */
export const BLOB_PREFIX = "blobs/";
export const newBlobKey = (): string => `${BLOB_PREFIX}${crypto.randomUUID()}`;
