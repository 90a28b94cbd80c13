/**
 * The arithmetic of a resumable upload cut into R2 multipart parts, as pure functions:
 * which part size an upload uses, where a chunk may start, whether it streams straight
 * into one part or is re-cut, how parts and tail pieces are numbered and keyed, and
 * what the offset is. The UploadSession Durable Object (objects/upload-session.ts) does
 * the I/O around these decisions; they are tested table by table in
 * test/core-upload-plan.test.ts.
 *
 * Invariants:
 * - R2's limits: every part but the last has the upload's one part size, at least
 *   MIN_PART_SIZE; at most MAX_PARTS parts.
 * - An upload's part size is fixed by its first bytes: a first chunk (at offset 0) whose
 *   length can be a part (MIN_PART_SIZE … MAX_DIRECT_PART) sets it, so a client that
 *   sends equal chunks never has them re-cut; anything else gets PART_SIZE. Once set it
 *   never changes.
 * - offset = parts × partSize + tailBytes, or the adopted segment's size while the upload
 *   is one whole-blob object (and then there are no parts and no tail).
 */

/** R2's most parts in one multipart upload. */
export const MAX_PARTS = 10_000;
/** R2's smallest part (every part but the last). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** The part size of uploads whose first chunk does not choose one, and of re-cut bodies. */
export const PART_SIZE = 8 * 1024 * 1024;
/** The largest chunk taken as a part as it is. */
export const MAX_DIRECT_PART = 16 * 1024 * 1024;
/** Bytes after the last whole part are kept in storage pieces of at most this size. */
export const TAIL_PIECE = 1024 * 1024;

export interface PlanState {
  offset: number;
  parts: number;
  partSize?: number;
  tailPieces: number;
  tailBytes: number;
  segment?: { size: number } | null;
}

/** The part size for an upload at `state`, given the length of the chunk arriving now. */
export function partSizeFor(state: Pick<PlanState, "offset" | "partSize">, length: number | null): number {
  if (state.partSize !== undefined) return state.partSize;
  const canBePart = length !== null && length >= MIN_PART_SIZE && length <= MAX_DIRECT_PART;
  return state.offset === 0 && canBePart ? length : PART_SIZE;
}

export type StartCheck = { ok: true } | { ok: false; expected: number };

/** A chunk that says where it starts must start at the upload's offset. */
export const checkStart = (offset: number, start: number | null): StartCheck => (start === null || start === offset ? { ok: true } : { ok: false, expected: offset });

/** Whether a chunk streams straight into one part: exactly one part long, on a part boundary. */
export const isWholePart = (state: Pick<PlanState, "tailBytes">, partSize: number, length: number | null) => length === partSize && state.tailBytes === 0;

/** The number of the next part, or null when the upload already holds MAX_PARTS. */
export const nextPartNumber = (parts: number): number | null => (parts + 1 > MAX_PARTS ? null : parts + 1);

/** The offset the state stands for (the invariant above). */
export const offsetOf = (state: PlanState, partSize: number) => (state.segment ? state.segment.size : state.parts * partSize + state.tailBytes);

/** A body that crossed the RPC boundary ends cleanly where the request's broke off: fewer bytes than declared. */
export const endedShort = (length: number | null, received: number) => length !== null && received < length;

const pad = (n: number, width: number) => String(n).padStart(width, "0");
export const partKey = (n: number) => `part:${pad(n, 5)}`;
export const tailKey = (i: number) => `tail:${pad(i, 4)}`;
/** The keys of the first `n` tail pieces. */
export const tailKeys = (n: number) => Array.from({ length: n }, (_, i) => tailKey(i));

/** Cuts new tail bytes into pieces numbered on from `first`. */
export function tailPieces(first: number, tail: Uint8Array, piece = TAIL_PIECE): { key: string; bytes: Uint8Array }[] {
  const out: { key: string; bytes: Uint8Array }[] = [];
  for (let o = 0, i = first; o < tail.byteLength; o += piece, i++) out.push({ key: tailKey(i), bytes: tail.slice(o, o + piece) });
  return out;
}
