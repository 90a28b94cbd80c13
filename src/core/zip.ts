/**
 * A small ZIP reader: the end-of-central-directory record, the central directory, and
 * one entry's bytes (stored or deflated), over any random-access source (an in-memory
 * array or ranged R2 reads), so a large archive is never read whole.
 *
 * Invariants: every offset and length read from the archive is bounds-checked against
 * the source size before use; ZIP64 archives are read (the ZIP64 end record, and each
 * entry's ZIP64 extra field for a size or offset its 32-bit field marks 0xffffffff), with
 * every 64-bit value required to be a safe integer; encrypted entries and methods other
 * than stored (0) and deflate (8) are refused; an extracted entry must match its declared
 * size and CRC-32, and extraction stops at `maxBytes` (zip bombs).
 */
import { invalid } from "./errors";

export interface ZipSource {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;
const EOCD_MIN = 22;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const ZIP64_LOCATOR = 20;
const ZIP64_EOCD_MIN = 56;
const ZIP64_EXTRA = 0x0001;
const MARK16 = 0xffff;
const MARK32 = 0xffffffff;
/** The central directory is read whole: 64 MiB holds about 600,000 entries, and keeps a hostile archive from exhausting a Worker's memory. */
export const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;

const bad = (why: string) => invalid("Zip", `the archive is not a valid zip file: ${why}`);
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const uint64 = (v: DataView, at: number, what: string) => {
  const n = v.getBigUint64(at, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`${what} is out of range`);
  return Number(n);
};

/** Where the central directory is and how many entries it has. */
interface Directory {
  count: number;
  size: number;
  offset: number;
  /** Where the records after the central directory start: it must end before this. */
  end: number;
}

/** The ZIP64 end record that the locator just before the classic end record points to. */
async function zip64Directory(src: ZipSource, eocdOffset: number): Promise<Directory> {
  if (eocdOffset < ZIP64_LOCATOR) throw bad("ZIP64 end-of-central-directory locator missing");
  const locator = view(await src.read(eocdOffset - ZIP64_LOCATOR, ZIP64_LOCATOR));
  if (locator.getUint32(0, true) !== ZIP64_LOCATOR_SIG) throw bad("ZIP64 end-of-central-directory locator missing");
  if (locator.getUint32(4, true) !== 0 || locator.getUint32(16, true) > 1) throw bad("multi-disk archives are not supported");
  const at = uint64(locator, 8, "ZIP64 end record offset");
  if (at + ZIP64_EOCD_MIN > eocdOffset - ZIP64_LOCATOR) throw bad("ZIP64 end-of-central-directory record out of bounds");
  const record = view(await src.read(at, ZIP64_EOCD_MIN));
  if (record.getUint32(0, true) !== ZIP64_EOCD_SIG) throw bad("ZIP64 end-of-central-directory record is corrupt");
  if (record.getUint32(16, true) !== 0 || record.getUint32(20, true) !== 0) throw bad("multi-disk archives are not supported");
  const count = uint64(record, 32, "entry count");
  if (uint64(record, 24, "entry count on this disk") !== count) throw bad("multi-disk archives are not supported");
  return { count, size: uint64(record, 40, "central directory size"), offset: uint64(record, 48, "central directory offset"), end: at };
}

/** Replaces an entry's 32-bit fields marked 0xffffffff by its ZIP64 extra field's values (APPNOTE 4.5.3: in this order, only those marked). */
function applyZip64Extra(entry: ZipEntry, extra: DataView) {
  for (let p = 0; p + 4 <= extra.byteLength; ) {
    const id = extra.getUint16(p, true);
    const length = extra.getUint16(p + 2, true);
    if (p + 4 + length > extra.byteLength) break;
    if (id === ZIP64_EXTRA) {
      let q = p + 4;
      const next = (what: string) => {
        if (q + 8 > p + 4 + length) throw bad(`the ZIP64 field of ${entry.name} is too short for its ${what}`);
        const n = uint64(extra, q, `${entry.name}'s ${what}`);
        q += 8;
        return n;
      };
      if (entry.uncompressedSize === MARK32) entry.uncompressedSize = next("size");
      if (entry.compressedSize === MARK32) entry.compressedSize = next("compressed size");
      if (entry.localHeaderOffset === MARK32) entry.localHeaderOffset = next("offset");
      return;
    }
    p += 4 + length;
  }
}

export const bytesSource = (bytes: Uint8Array): ZipSource => ({
  size: bytes.byteLength,
  read: async (offset, length) => bytes.subarray(offset, offset + length),
});

export async function readCentralDirectory(src: ZipSource): Promise<ZipEntry[]> {
  if (src.size < EOCD_MIN) throw bad("too short");
  const tailLength = Math.min(src.size, EOCD_MIN + 0xffff);
  const tail = await src.read(src.size - tailLength, tailLength);
  const tv = view(tail);
  let eocd = -1;
  for (let i = tail.byteLength - EOCD_MIN; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD_SIG && i + EOCD_MIN + tv.getUint16(i + 20, true) === tail.byteLength) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad("no end-of-central-directory record");
  const eocdOffset = src.size - tailLength + eocd;
  const classic: Directory = { count: tv.getUint16(eocd + 10, true), size: tv.getUint32(eocd + 12, true), offset: tv.getUint32(eocd + 16, true), end: eocdOffset };
  const zip64 = classic.count === MARK16 || classic.size === MARK32 || classic.offset === MARK32;
  if (!zip64 && (tv.getUint16(eocd + 4, true) !== 0 || tv.getUint16(eocd + 8, true) !== classic.count)) throw bad("multi-disk archives are not supported");
  const { count, size: cdSize, offset: cdOffset, end } = zip64 ? await zip64Directory(src, eocdOffset) : classic;
  if (cdOffset + cdSize > end) throw bad("central directory out of bounds");
  if (cdSize > MAX_CENTRAL_DIRECTORY_BYTES) throw bad(`central directory larger than ${MAX_CENTRAL_DIRECTORY_BYTES} bytes`);
  if (count * 46 > cdSize) throw bad("central directory too short for its entry count");
  const cd = await src.read(cdOffset, cdSize);
  const v = view(cd);
  const entries: ZipEntry[] = [];
  let p = 0;
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.byteLength || v.getUint32(p, true) !== CDH_SIG) throw bad(`central directory entry ${i} is corrupt`);
    const nameLength = v.getUint16(p + 28, true);
    const extraLength = v.getUint16(p + 30, true);
    const next = p + 46 + nameLength + extraLength + v.getUint16(p + 32, true);
    if (next > cd.byteLength) throw bad(`central directory entry ${i} is corrupt`);
    let name: string;
    try {
      name = decoder.decode(cd.subarray(p + 46, p + 46 + nameLength));
    } catch {
      throw bad(`entry ${i} has a name that is not UTF-8`);
    }
    const entry: ZipEntry = {
      name,
      flags: v.getUint16(p + 8, true),
      method: v.getUint16(p + 10, true),
      crc32: v.getUint32(p + 16, true),
      compressedSize: v.getUint32(p + 20, true),
      uncompressedSize: v.getUint32(p + 24, true),
      localHeaderOffset: v.getUint32(p + 42, true),
    };
    if (entry.compressedSize === MARK32 || entry.uncompressedSize === MARK32 || entry.localHeaderOffset === MARK32) {
      applyZip64Extra(entry, new DataView(cd.buffer, cd.byteOffset + p + 46 + nameLength, extraLength));
      if (entry.compressedSize === MARK32 || entry.uncompressedSize === MARK32 || entry.localHeaderOffset === MARK32) throw bad(`entry ${name} has no ZIP64 field for its sizes`);
    }
    if (entry.localHeaderOffset + 30 + entry.compressedSize > cdOffset) throw bad(`entry ${name} is out of bounds`);
    entries.push(entry);
    p = next;
  }
  return entries;
}

/** The uncompressed bytes of one entry, checked against its size and CRC-32. */
export async function readEntry(src: ZipSource, entry: ZipEntry, maxBytes: number): Promise<Uint8Array> {
  if (entry.flags & 1) throw bad(`${entry.name} is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) throw bad(`${entry.name} uses unsupported compression method ${entry.method}`);
  if (entry.uncompressedSize > maxBytes) throw bad(`${entry.name} is larger than ${maxBytes} bytes`);
  const header = await src.read(entry.localHeaderOffset, 30);
  const hv = view(header);
  if (header.byteLength < 30 || hv.getUint32(0, true) !== LFH_SIG) throw bad(`local header of ${entry.name} is corrupt`);
  const dataOffset = entry.localHeaderOffset + 30 + hv.getUint16(26, true) + hv.getUint16(28, true);
  if (dataOffset + entry.compressedSize > src.size) throw bad(`${entry.name} is out of bounds`);
  const raw = await src.read(dataOffset, entry.compressedSize);
  const data = entry.method === 0 ? raw : await inflateRaw(raw, entry.uncompressedSize);
  if (data.byteLength !== entry.uncompressedSize) throw bad(`${entry.name} is not ${entry.uncompressedSize} bytes long`);
  if (crc32(data) !== entry.crc32) throw bad(`${entry.name} fails its CRC-32 check`);
  return data;
}

async function inflateRaw(raw: Uint8Array, expected: number): Promise<Uint8Array> {
  const out = new Uint8Array(expected);
  let filled = 0;
  const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  try {
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
      if (filled + chunk.byteLength > expected) throw bad("an entry inflates past its declared size");
      out.set(chunk, filled);
      filled += chunk.byteLength;
    }
  } catch (e) {
    if (e instanceof Error && e.name === "RegistryError") throw e;
    throw bad("corrupt deflate data");
  }
  return out.subarray(0, filled);
}

let CRC_TABLE: Uint32Array | null = null;
export function crc32(data: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
