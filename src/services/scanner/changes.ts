/**
 * Changed paths between two versions of a package, or two manifests of an image, as
 * newline-delimited JSON (`GET /internal/…/changed_paths`), reference 001's shape:
 *
 *   {"path","status":"ADDED"|"MODIFIED"|"DELETED","old_path","old_size","new_size","old_digest","new_digest"}
 *
 *   left entries → a map by key (entries.ts)          (no left: everything is ADDED)
 *   right entries, as they are read → ADDED or MODIFIED (size or digest differ) lines
 *   then what the right side lacks → DELETED lines, in the left's order
 *
 * Invariants:
 * - The left side is read before the response starts (its failure is the request's
 *   error status); the right side streams, and a failure there ends the stream with one
 *   `{"error": {code, message}}` line, so a client never mistakes a cut list for a
 *   complete one.
 * - Unchanged entries are not listed. `old_path` is the left path when the version
 *   number in it changed (matched by key), else "".
 */
import type { Scope } from "../scope";
import { entriesOf, type Entry } from "./entries";
import type { Part, Subject } from "./artifact";
import { bodyOf } from "./streams";

export interface Side {
  subject: Subject;
  parts: Part[];
}

export interface ChangedPath {
  path: string;
  status: "ADDED" | "MODIFIED" | "DELETED";
  old_path: string;
  old_size: number | null;
  new_size: number | null;
  old_digest: string;
  new_digest: string;
}

/** Reads the left side whole (throws on failure), then returns the NDJSON stream of changes. */
export async function changedPathsStream(scope: Scope, left: Side | null, right: Side): Promise<ReadableStream<Uint8Array>> {
  const before = new Map<string, Entry>();
  if (left) for await (const e of entriesOf(scope, left.subject, left.parts)) before.set(e.key, e);
  const enc = new TextEncoder();
  const line = (v: unknown) => enc.encode(`${JSON.stringify(v)}\n`);
  async function* lines() {
    for await (const e of entriesOf(scope, right.subject, right.parts)) {
      const old = before.get(e.key);
      before.delete(e.key);
      if (old && old.size === e.size && old.digest === e.digest) continue;
      yield line(
        old
          ? ({ path: e.path, status: "MODIFIED", old_path: old.path !== e.path ? old.path : "", old_size: old.size, new_size: e.size, old_digest: old.digest, new_digest: e.digest } satisfies ChangedPath)
          : ({ path: e.path, status: "ADDED", old_path: "", old_size: null, new_size: e.size, old_digest: "", new_digest: e.digest } satisfies ChangedPath),
      );
    }
    for (const old of before.values()) yield line({ path: old.path, status: "DELETED", old_path: "", old_size: old.size, new_size: null, old_digest: old.digest, new_digest: "" } satisfies ChangedPath);
  }
  return bodyOf(lines(), (error) => line({ error }));
}
