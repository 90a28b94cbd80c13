/**
 * Validation of user-chosen file paths (generic repos), taken from the raw URL path.
 *
 * Invariants: a path that passes is `seg(/seg)*` where every segment is 1–255 UTF-8
 * bytes, is not `.` or `..`, has no leading or trailing whitespace, and holds no
 * control character, backslash or any of `" * : < > ? |`; the whole path is at most
 * 1024 bytes and 32 segments deep. An encoded slash or backslash (`%2F`, `%5C`) is
 * refused rather than decoded, so one stored path has exactly one spelling on the wire.
 */
import { invalid } from "../../core/errors";

export const MAX_PATH_BYTES = 1024;
export const MAX_SEGMENT_BYTES = 255;
export const MAX_DEPTH = 32;

const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\\"*:<>?|]/;
const ENCODED_SEPARATOR = /%(2f|5c)/i;

const bad = (path: string, why: string) => invalid("Path", `the path '${path}' is not allowed: ${why}`);
const utf8Length = (s: string) => new TextEncoder().encode(s).length;

/** Turns the raw (percent-encoded) path into the stored path, or throws `InvalidPath`. */
export function parseFilePath(raw: string): string {
  if (ENCODED_SEPARATOR.test(raw)) throw bad(raw, "encoded '/' or '\\' is not allowed");
  const segments = raw.split("/").map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw bad(raw, "invalid percent-encoding");
    }
  });
  const path = segments.join("/");
  if (path.length === 0) throw bad(raw, "it is empty");
  if (utf8Length(path) > MAX_PATH_BYTES) throw bad(path, `longer than ${MAX_PATH_BYTES} bytes`);
  if (segments.length > MAX_DEPTH) throw bad(path, `deeper than ${MAX_DEPTH} segments`);
  for (const seg of segments) {
    if (seg === "") throw bad(path, "empty segment (leading, trailing or double '/')");
    if (seg === "." || seg === "..") throw bad(path, "'.' and '..' segments are not allowed");
    if (FORBIDDEN.test(seg)) throw bad(path, "control characters and \\ \" * : < > ? | are not allowed");
    if (seg.trim() !== seg) throw bad(path, "segments can't start or end with whitespace");
    if (utf8Length(seg) > MAX_SEGMENT_BYTES) throw bad(path, `a segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  return path;
}
