/**
 * File contents as length-prefixed frames (`POST /internal/…/list_blobs`, core/frames.ts):
 * one frame per item asked for, each holding at most `bytes_limit` bytes (1 B–1 MiB).
 *
 * Items: `paths` name entries inside the artifact as changed_paths names them (or with
 * `{version}` for the version); `digests` name stored parts (a package file, an image's
 * config or layer blob, `blobs/sha256/<hex>` as a path too).
 *
 *   header {"path"?, "digest", "size", "bytes", "truncated"}    then `bytes` bytes
 *   header {"path"? | "digest"?, "error": {code, message}}      no data (unknown item)
 *
 * Invariants:
 * - An item that cannot be served is an error frame, never a failed stream: the other
 *   items still come. Frames come in archive order (digests first), each names its item.
 * - Each archive is read once per request, whatever number of its entries are asked
 *   for; a member is held only up to `bytes_limit` (the rest streams through the hash).
 */
import type { Scope } from "../scope";
import { openPart, type Part, type Subject } from "./artifact";
import { archiveKind, tarMembers, zipEntries, zipEntryHead } from "./entries";
import { asError, bodyOf, readHead } from "./streams";
import { encodeFrame } from "../../core/frames";
import { Hasher } from "../../core/hasher";

export const MAX_FRAME_ITEMS = 1000;

export interface FrameRequest {
  paths: string[];
  digests: string[];
  bytesLimit: number;
}

type Frame = Uint8Array;

const notFound = (what: Record<string, string>, message: string): Frame => encodeFrame({ ...what, error: { code: "NotFoundEntry", message } });

async function partFrame(scope: Scope, repoId: string, part: Part, limit: number, path?: string): Promise<Frame> {
  const n = Math.min(limit, part.size);
  const body = await openPart(scope, repoId, part, { offset: 0, length: n });
  if (!body) return encodeFrame({ ...(path ? { path } : {}), digest: part.digest, error: { code: "NotFoundBlob", message: `the content of ${part.name} is missing` } });
  const data = await readHead(body, n);
  return encodeFrame({ ...(path ? { path } : {}), digest: part.digest, size: part.size, bytes: data.byteLength, truncated: data.byteLength < part.size }, data);
}

/** Which part an entry path lies in, and the member's name inside it (null: the part itself). */
function locate(parts: Part[], path: string): { part: Part; member: string | null } | null {
  const whole = parts.find((p) => p.name === path);
  if (whole) return { part: whole, member: null };
  const bang = path.indexOf("!/");
  if (bang > 0) {
    const part = parts.find((p) => p.name === path.slice(0, bang));
    return part && archiveKind(part.name) !== "file" ? { part, member: path.slice(bang + 2) } : null;
  }
  if (parts.length === 1 && archiveKind(parts[0]!.name) !== "file") return { part: parts[0]!, member: path };
  return null;
}

async function* framesOf(scope: Scope, s: Subject, parts: Part[], req: FrameRequest): AsyncGenerator<Frame> {
  const repoId = s.opened.repo.id;
  const version = s.type === "package" ? s.version.version : null;
  const byDigest = new Map(parts.map((p) => [p.digest, p]));
  for (const digest of new Set(req.digests)) {
    const part = byDigest.get(digest);
    yield part ? await partFrame(scope, repoId, part, req.bytesLimit) : notFound({ digest }, `${digest} is not a part of this artifact`);
  }
  // Paths, grouped by the archive they lie in, so each archive is read once.
  const wanted = new Map<Part, Map<string, string>>(); // part → member → path as asked
  for (const asked of new Set(req.paths)) {
    const path = version ? asked.replaceAll("{version}", version) : asked;
    const at = locate(parts, path);
    if (!at) {
      yield notFound({ path: asked }, `no entry '${asked}' in this artifact`);
      continue;
    }
    if (at.member === null) {
      yield await partFrame(scope, repoId, at.part, req.bytesLimit, asked);
      continue;
    }
    if (!wanted.has(at.part)) wanted.set(at.part, new Map());
    wanted.get(at.part)!.set(at.member, asked);
  }
  for (const [part, members] of wanted) {
    try {
      if (archiveKind(part.name) === "tar.gz") yield* tarFrames(scope, repoId, part, members, req.bytesLimit);
      else yield* zipFrames(scope, repoId, part, members, req.bytesLimit);
    } catch (e) {
      for (const asked of members.values()) yield encodeFrame({ path: asked, error: asError(e) });
      continue;
    }
    for (const asked of members.values()) yield notFound({ path: asked }, `no entry '${asked}' in this artifact`);
  }
}

/** Frames of the wanted members of a tar.gz part; removes each one served from `members`. */
async function* tarFrames(scope: Scope, repoId: string, part: Part, members: Map<string, string>, limit: number): AsyncGenerator<Frame> {
  for await (const m of tarMembers(scope, repoId, part)) {
    const asked = members.get(m.name);
    if (asked === undefined || (m.type !== "0" && m.type !== "7")) continue;
    const kept = new Uint8Array(Math.min(limit, m.size));
    let filled = 0;
    const h = new Hasher();
    for await (const chunk of m.chunks()) {
      if (filled < kept.byteLength) {
        const k = Math.min(chunk.byteLength, kept.byteLength - filled);
        kept.set(chunk.subarray(0, k), filled);
        filled += k;
      }
      await h.update(chunk);
    }
    members.delete(m.name);
    yield encodeFrame({ path: asked, digest: `sha256:${(await h.result()).sha256}`, size: m.size, bytes: filled, truncated: filled < m.size }, kept.subarray(0, filled));
    if (members.size === 0) return;
  }
}

async function* zipFrames(scope: Scope, repoId: string, part: Part, members: Map<string, string>, limit: number): AsyncGenerator<Frame> {
  const { src, entries } = await zipEntries(scope, repoId, part);
  for (const e of entries) {
    const asked = members.get(e.name);
    if (asked === undefined) continue;
    members.delete(e.name);
    try {
      const data = await zipEntryHead(src, e, limit);
      yield encodeFrame({ path: asked, digest: `crc32:${(e.crc32 >>> 0).toString(16).padStart(8, "0")}`, size: e.uncompressedSize, bytes: data.byteLength, truncated: data.byteLength < e.uncompressedSize }, data);
    } catch (err) {
      yield encodeFrame({ path: asked, error: asError(err) });
    }
  }
}

/** The frames as one response body; a failure nothing caught ends it with an error frame. */
export const framesStream = (scope: Scope, s: Subject, parts: Part[], req: FrameRequest): ReadableStream<Uint8Array> => bodyOf(framesOf(scope, s, parts, req), (error) => encodeFrame({ error }));
