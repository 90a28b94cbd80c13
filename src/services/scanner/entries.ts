/**
 * The entries INSIDE an artifact: what changed paths compare and file frames read.
 *
 *   .tgz .tar.gz .crate          gunzip → walkTar (streamed; each member hashed, SHA-256)
 *   .whl .zip .jar .war .ear …   the central directory through ranged reads (CRC-32: the
 *                                zip's own digest; no entry is inflated to list it)
 *   anything else                the file itself (its blob digest)
 *   an image                     its manifest's config and layers, by digest
 *
 * Entry paths: a version with one archive names its members as they are
 * (`package/index.js`); a version with several files prefixes each member with its
 * file (`demo-1.0-py3-none-any.whl!/demo/__init__.py`) and names a plain file by its
 * own name. Comparisons match entries by `key`: the path with the version number
 * replaced by `{version}`, so `serde-1.0.1/src/lib.rs` matches `serde-1.0.2/src/lib.rs`.
 *
 * Invariants:
 * - Bounded work per request: at most MAX_ENTRIES entries and MAX_SCANNED bytes
 *   unpacked per archive, else `InvalidArchiveTooLarge`.
 * - A corrupt archive is `InvalidArchive` (422), never a 5xx; met mid-stream, it is the
 *   stream's last line or frame (changes.ts, frames.ts).
 */
import type { Scope } from "../scope";
import { openPart, type Part, type Subject } from "./artifact";
import { findRepoBlob, openBlobObject } from "../artifacts";
import { walkTar } from "../../core/archive/tar";
import { readCentralDirectory, readEntry, type ZipEntry, type ZipSource } from "../../core/zip";
import { Hasher } from "../../core/hasher";
import { RegistryError, invalid } from "../../core/errors";
import { readHead } from "./streams";

export const MAX_ENTRIES = 100_000;
export const MAX_SCANNED = 4 * 1024 * 1024 * 1024;

export interface Entry {
  /** The path as stored (what frames read). */
  path: string;
  /** The comparison key: the path with the version replaced by `{version}`. */
  key: string;
  size: number;
  /** `sha256:…` (tar members, files, blobs) or `crc32:…` (zip entries). */
  digest: string;
}

type Kind = "tar.gz" | "zip" | "file";
export function archiveKind(name: string): Kind {
  if (/\.(tgz|tar\.gz|crate)$/i.test(name)) return "tar.gz";
  if (/\.(whl|zip|jar|war|ear|aar|egg|nupkg|vsix)$/i.test(name)) return "zip";
  return "file";
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
export function keyOf(path: string, version: string | null): string {
  if (!version) return path;
  return path.replace(new RegExp(`(?<![0-9A-Za-z.])${escapeRe(version)}(?![0-9A-Za-z])`, "g"), "{version}");
}

const versionOf = (s: Subject) => (s.type === "package" ? s.version.version : null);
/** How a member of `part` is named among the version's entries. */
export const memberPath = (parts: Part[], part: Part, member: string) => (parts.length === 1 ? member : `${part.name}!/${member}`);

const archiveError = (part: Part, e: unknown): RegistryError =>
  e instanceof RegistryError ? e : invalid("Archive", `${part.name} is not a readable ${archiveKind(part.name)} archive: ${e instanceof Error ? e.message : String(e)}`);

/** Ranged reads of a part (one D1 lookup for the blob, then R2 ranges). */
export async function zipSourceOf(scope: Scope, repoId: string, part: Part): Promise<ZipSource> {
  const blob = part.inline ? null : await findRepoBlob(scope, repoId, part.digest);
  return {
    size: part.size,
    read: async (offset, length) => {
      const n = Math.max(0, Math.min(length, part.size - offset));
      if (n === 0) return new Uint8Array(0);
      if (part.inline) return part.inline.subarray(offset, offset + n);
      const object = blob && (await openBlobObject(scope, blob, { offset, length: n }));
      if (!object) throw invalid("Archive", `the content of ${part.name} is missing`);
      return new Uint8Array(await object.arrayBuffer());
    },
  };
}

/** A tar.gz part's members, in order, as they stream by. */
export async function* tarMembers(scope: Scope, repoId: string, part: Part) {
  const body = await openPart(scope, repoId, part);
  if (!body) throw invalid("Archive", `the content of ${part.name} is missing`);
  let scanned = 0;
  let count = 0;
  try {
    for await (const m of walkTar(body.pipeThrough(new DecompressionStream("gzip")))) {
      if (++count > MAX_ENTRIES) throw new RegistryError("InvalidArchiveTooLarge", `${part.name} holds more than ${MAX_ENTRIES} entries`);
      scanned += m.size;
      if (scanned > MAX_SCANNED) throw new RegistryError("InvalidArchiveTooLarge", `${part.name} unpacks to more than ${MAX_SCANNED} bytes`);
      yield m;
    }
  } catch (e) {
    throw archiveError(part, e); // TarError, or the gzip stream's own error
  }
}

export async function zipEntries(scope: Scope, repoId: string, part: Part): Promise<{ src: ZipSource; entries: ZipEntry[] }> {
  const src = await zipSourceOf(scope, repoId, part);
  try {
    const entries = await readCentralDirectory(src);
    if (entries.length > MAX_ENTRIES) throw new RegistryError("InvalidArchiveTooLarge", `${part.name} holds more than ${MAX_ENTRIES} entries`);
    return { src, entries };
  } catch (e) {
    throw archiveError(part, e);
  }
}

const crcDigest = (crc: number) => `crc32:${(crc >>> 0).toString(16).padStart(8, "0")}`;

/** Every entry of the artifact (see the module comment), in archive order, as it is read. */
export async function* entriesOf(scope: Scope, s: Subject, parts: Part[]): AsyncGenerator<Entry> {
  const repoId = s.opened.repo.id;
  const version = versionOf(s);
  const entry = (path: string, size: number, digest: string): Entry => ({ path, key: keyOf(path, version), size, digest });
  if (s.type === "image") {
    for (const p of parts.slice(1)) yield entry(p.name, p.size, p.digest); // config and layers (and platforms); not the manifest itself
    return;
  }
  for (const part of parts) {
    const kind = archiveKind(part.name);
    if (kind === "tar.gz") {
      for await (const m of tarMembers(scope, repoId, part)) {
        if (m.type !== "0" && m.type !== "7") continue;
        const h = new Hasher();
        for await (const chunk of m.chunks()) await h.update(chunk);
        yield entry(memberPath(parts, part, m.name), m.size, `sha256:${(await h.result()).sha256}`);
      }
    } else if (kind === "zip") {
      const { entries } = await zipEntries(scope, repoId, part);
      for (const e of entries) if (!e.name.endsWith("/")) yield entry(memberPath(parts, part, e.name), e.uncompressedSize, crcDigest(e.crc32));
    } else {
      yield entry(part.name, part.size, part.digest);
    }
  }
}

/** The first `limit` bytes of a zip entry (all of it, CRC-checked, when it fits). */
export async function zipEntryHead(src: ZipSource, entry: ZipEntry, limit: number): Promise<Uint8Array> {
  if (entry.uncompressedSize <= limit) return readEntry(src, entry, limit);
  const header = await src.read(entry.localHeaderOffset, 30);
  const v = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (header.byteLength < 30 || v.getUint32(0, true) !== 0x04034b50) throw invalid("Zip", `the local header of ${entry.name} is corrupt`);
  const start = entry.localHeaderOffset + 30 + v.getUint16(26, true) + v.getUint16(28, true);
  if (entry.method === 0) return src.read(start, limit);
  if (entry.method !== 8 || entry.flags & 1) throw invalid("Zip", `${entry.name} uses a compression this reader does not inflate`);
  let at = 0;
  const compressed = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (at >= entry.compressedSize) return c.close();
      const n = Math.min(256 * 1024, entry.compressedSize - at);
      c.enqueue(await src.read(start + at, n));
      at += n;
    },
  });
  try {
    return await readHead(compressed.pipeThrough(new DecompressionStream("deflate-raw")), limit);
  } catch {
    throw invalid("Zip", `${entry.name} holds corrupt deflate data`);
  }
}
