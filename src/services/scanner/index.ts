/**
 * The scanner domain: what the internal API (`/internal/scanner/…`, api/internal/,
 * docs/internal-api.md) serves a trusted service about the artifacts of every format.
 *
 * Invariants:
 * - Read-only: nothing here writes (findings go through services/trust).
 * - Streams, never buffers an artifact: archives are piped part by part (archive.ts),
 *   archives are walked entry by entry (entries.ts), frames hold at most `bytes_limit`
 *   bytes of one entry (frames.ts).
 * - Errors met after a stream started are part of the stream (an NDJSON error line, an
 *   error frame), never a silently cut body that looks complete.
 */
export * from "./artifact";
export * from "./archive";
export * from "./changes";
export * from "./frames";
export * from "./feed";
export { MAX_ENTRIES, MAX_SCANNED } from "./entries";
