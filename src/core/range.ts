/**
 * HTTP `Range` requests for downloads (RFC 9110 §14): one byte range per request.
 * Invariants: a header we don't understand (other units, several ranges, garbage) is
 * ignored and the whole body served, as the RFC allows; a syntactically valid range
 * that starts past the end is unsatisfiable (416); ranges are clamped to the size.
 */

export type RangeResult =
  | { kind: "full" }
  | { kind: "partial"; offset: number; length: number }
  | { kind: "unsatisfiable" };

const SINGLE = /^bytes=(\d*)-(\d*)$/;

export function parseRange(header: string | null | undefined, size: number): RangeResult {
  if (!header) return { kind: "full" };
  const m = SINGLE.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return { kind: "full" };
  if (m[1] === "") {
    // Suffix range: the last N bytes.
    const n = Number(m[2]);
    if (n === 0) return { kind: "unsatisfiable" };
    const length = Math.min(n, size);
    return size === 0 ? { kind: "unsatisfiable" } : { kind: "partial", offset: size - length, length };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return { kind: "full" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", offset: start, length: end - start + 1 };
}

export const contentRange = (offset: number, length: number, size: number) => `bytes ${offset}-${offset + length - 1}/${size}`;
