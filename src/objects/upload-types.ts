/**
 * What crosses the RPC boundary of the UploadSession Durable Object, and the state it
 * keeps. Invariant: expected failures are values (UploadFailure), never exceptions,
 * and a failure that knows the session's offset carries it (the client resumes there).
 */
import type { ErrorCode } from "../core/error-codes";

export interface UploadOwner {
  repoId: string;
  image: string;
}

/** A blob received whole in one request and stored as one R2 object by the Worker. */
export interface UploadSegment {
  key: string;
  size: number;
  sha256: string;
}

export interface UploadMeta extends UploadOwner {
  key: string;
  uploadId: string | null;
  parts: number;
  /** Bytes per R2 part, fixed by the first bytes appended (absent until then: PART_SIZE). */
  partSize?: number;
  tailPieces: number;
  tailBytes: number;
  offset: number;
  /** Set only while the upload is exactly one adopted whole-blob object. */
  segment?: UploadSegment | null;
  createdAt: number;
  updatedAt: number;
}

export interface UploadFailure {
  ok: false;
  code: ErrorCode;
  message: string;
  offset?: number;
}
export type UploadStatus = { ok: true; offset: number } | UploadFailure;
export type UploadFinish = ({ ok: true } & UploadSegment) | UploadFailure;

export const unknownUpload = (): UploadFailure => ({
  ok: false,
  code: "NotFoundUpload",
  message: "no such upload session (finished, cancelled or expired)",
});

export const wrongOffset = (offset: number, start: number): UploadFailure => ({
  ok: false,
  code: "RangeNotSatisfiableUpload",
  message: `the upload is at offset ${offset}, not ${start}`,
  offset,
});

/** The body broke off (or ended before its Content-Length): like `bodyBroken`, with the offset to resume from. */
export const interrupted = (offset: number): UploadFailure => ({
  ok: false,
  code: "InvalidUploadInterrupted",
  message: `the request body broke off; the upload keeps its first ${offset} bytes: resume from there`,
  offset,
});
