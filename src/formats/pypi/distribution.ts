/**
 * What an uploaded distribution holds, checked against the upload form before it is
 * published: a wheel is a zip whose `*.dist-info/METADATA` names the form's project and
 * version; an sdist is a `.tar.gz` (gzip of a tar) or `.zip` with a `<dir>/PKG-INFO`
 * that does the same, as PyPI requires.
 *
 * Invariants:
 * - The archive is never held whole: zips are read through ranged reads (end record,
 *   central directory, one entry; core/zip.ts), a .tar.gz is streamed through
 *   DecompressionStream header by header (core/archive/tar.ts), data skipped.
 * - Names compare as PEP 503 normalized names, versions as PEP 440 versions.
 * - Every refusal is an `InvalidDistribution` (400) naming the file and the reason.
 * - A wheel's METADATA bytes are returned: they are its PEP 658 core metadata file.
 */
import { RegistryError, invalid } from "../../core/errors";
import { readCentralDirectory, readEntry, type ZipEntry, type ZipSource } from "../../core/zip";
import { normalizeName, sameVersion, type DistKind } from "./names";
import { TarError, findTarMember } from "../../core/archive/tar";

export const MAX_METADATA = 4 * 1024 * 1024;
/** How much of an sdist's decompressed tar is walked looking for PKG-INFO. */
export const MAX_SDIST_SCAN = 4 * 1024 * 1024 * 1024;

/** The stored file: ranged reads, and the whole object as a stream. */
export interface StoredFile extends ZipSource {
  stream(): Promise<ReadableStream<Uint8Array>>;
}

export interface Expected {
  filename: string;
  project: string;
  version: string;
}

const refuse = (e: Expected, why: string) => invalid("Distribution", `${e.filename} ${why}`);

/** The `Name` and `Version` headers of a core metadata file (METADATA, PKG-INFO). */
export function coreMetadataFields(bytes: Uint8Array): { name?: string; version?: string } {
  const out: { name?: string; version?: string } = {};
  for (const line of new TextDecoder().decode(bytes).split(/\r?\n/)) {
    if (line.trim() === "") break; // the headers end at the first blank line
    const m = /^(name|version)\s*:\s*(.*?)\s*$/i.exec(line);
    const key = m?.[1]!.toLowerCase() as "name" | "version" | undefined;
    if (key && out[key] === undefined) out[key] = m![2]!;
  }
  return out;
}

function assertNamesMatch(e: Expected, file: string, bytes: Uint8Array) {
  const { name, version } = coreMetadataFields(bytes);
  if (!name || !version) throw refuse(e, `has a ${file} without Name and Version`);
  if (normalizeName(name) !== normalizeName(e.project)) throw refuse(e, `has a ${file} for project '${name}', not '${e.project}'`);
  if (!sameVersion(version, e.version)) throw refuse(e, `has a ${file} for version ${version}, not ${e.version}`);
}

async function zipEntries(e: Expected, src: ZipSource): Promise<ZipEntry[]> {
  try {
    return await readCentralDirectory(src);
  } catch (err) {
    throw err instanceof RegistryError ? refuse(e, `is not a readable zip (${err.message.replace(/^the archive is not a valid zip file: /, "")})`) : err;
  }
}

async function entryBytes(e: Expected, src: ZipSource, entry: ZipEntry): Promise<Uint8Array> {
  if (entry.uncompressedSize > MAX_METADATA) throw refuse(e, `has a ${entry.name} larger than ${MAX_METADATA} bytes`);
  try {
    return await readEntry(src, entry, MAX_METADATA);
  } catch (err) {
    throw err instanceof RegistryError ? refuse(e, `is not a readable zip (${err.message.replace(/^the archive is not a valid zip file: /, "")})`) : err;
  }
}

/** The one top-level `{name}-{version}.dist-info/METADATA` of this project's wheel. */
function metadataEntry(e: Expected, entries: ZipEntry[]): ZipEntry {
  const candidates = entries.filter((x) => /^[^/]+\.dist-info\/METADATA$/.test(x.name));
  const ours = candidates.filter((x) => normalizeName(x.name.slice(0, x.name.indexOf(".dist-info/")).split("-")[0]!) === normalizeName(e.project));
  const pick = candidates.length === 1 ? candidates : ours;
  if (pick.length !== 1) {
    throw refuse(e, candidates.length === 0 ? "is not a wheel: it has no *.dist-info/METADATA" : "has several *.dist-info/METADATA files for this project");
  }
  return pick[0]!;
}

async function inspectWheel(e: Expected, src: StoredFile): Promise<Uint8Array> {
  const entries = await zipEntries(e, src);
  const metadata = await entryBytes(e, src, metadataEntry(e, entries));
  assertNamesMatch(e, "METADATA", metadata);
  return metadata;
}

/** `<dir>/PKG-INFO`, one level down: where every sdist builder puts it. */
const isPkgInfo = (name: string) => /^[^/]+\/PKG-INFO$/.test(name.replace(/^\.\//, ""));

async function inspectSdistZip(e: Expected, src: StoredFile): Promise<void> {
  const entries = await zipEntries(e, src);
  const pkgInfo = entries.find((x) => isPkgInfo(x.name));
  if (!pkgInfo) throw refuse(e, "is not an sdist: it has no <name>-<version>/PKG-INFO");
  assertNamesMatch(e, "PKG-INFO", await entryBytes(e, src, pkgInfo));
}

async function inspectSdistTarGz(e: Expected, src: StoredFile): Promise<void> {
  const head = await src.read(0, 3);
  if (head.length < 3 || head[0] !== 0x1f || head[1] !== 0x8b || head[2] !== 8) throw refuse(e, "is not a readable .tar.gz: it is not gzip data");
  const tar = (await src.stream()).pipeThrough(new DecompressionStream("gzip"));
  let found: { name: string; data: Uint8Array } | null;
  try {
    found = await findTarMember(tar, { want: isPkgInfo, maxMember: MAX_METADATA, maxScanned: MAX_SDIST_SCAN });
  } catch (err) {
    if (err instanceof TarError) throw refuse(e, `is not a readable .tar.gz: ${err.message}`);
    throw refuse(e, "is not a readable .tar.gz: its gzip data is corrupt"); // DecompressionStream fails with a TypeError
  }
  if (!found) throw refuse(e, "is not an sdist: it has no <name>-<version>/PKG-INFO");
  assertNamesMatch(e, "PKG-INFO", found.data);
}

/**
 * Checks a stored distribution against the form's project and version; returns a
 * wheel's METADATA (its PEP 658 core metadata file), null for an sdist.
 */
export async function inspectDistribution(kind: DistKind, src: StoredFile, e: Expected): Promise<Uint8Array | null> {
  if (kind === "bdist_wheel") return inspectWheel(e, src);
  if (e.filename.endsWith(".zip")) await inspectSdistZip(e, src);
  else await inspectSdistTarGz(e, src);
  return null;
}
