/**
 * Reads a wheel's `*.dist-info/METADATA` (its core metadata, served per PEP 658/714)
 * through ranged reads, so a large wheel is never loaded whole: the end-of-central-
 * directory record, the central directory, then the one entry.
 *
 * Invariants:
 * - Returns null rather than failing when the zip can't be read simply (ZIP64, no
 *   METADATA, several candidate dist-info directories, unknown compression): PEP 658
 *   metadata is an optimisation, the upload itself stays valid.
 * - Never inflates more than MAX_METADATA bytes.
 */
import { readCapped } from "../../core/byte-reader";

export interface RangeReader {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export const MAX_METADATA = 4 * 1024 * 1024;
const EOCD_SIG = 0x06054b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const MAX_CENTRAL_DIRECTORY = 16 * 1024 * 1024;

interface Entry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

async function centralDirectory(r: RangeReader): Promise<Entry[] | null> {
  const tailLength = Math.min(r.size, 22 + 0xffff);
  const tail = await r.read(r.size - tailLength, tailLength);
  const t = view(tail);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (t.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd === -1) return null;
  const count = t.getUint16(eocd + 10, true);
  const cdSize = t.getUint32(eocd + 12, true);
  const cdOffset = t.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) return null; // ZIP64
  if (cdSize > MAX_CENTRAL_DIRECTORY || cdOffset + cdSize > r.size) return null;
  const cd = await r.read(cdOffset, cdSize);
  const d = view(cd);
  const entries: Entry[] = [];
  const decoder = new TextDecoder();
  for (let p = 0; p + 46 <= cd.length && entries.length < count; ) {
    if (d.getUint32(p, true) !== CENTRAL_SIG) return null;
    const nameLength = d.getUint16(p + 28, true);
    const extraLength = d.getUint16(p + 30, true);
    const commentLength = d.getUint16(p + 32, true);
    entries.push({
      method: d.getUint16(p + 10, true),
      compressedSize: d.getUint32(p + 20, true),
      size: d.getUint32(p + 24, true),
      localOffset: d.getUint32(p + 42, true),
      name: decoder.decode(cd.subarray(p + 46, p + 46 + nameLength)),
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

class TooLarge extends Error {}

/** Inflates a deflate-raw entry; null when it would pass `max` bytes (a zip bomb). */
async function inflateRaw(data: Uint8Array, max: number): Promise<Uint8Array | null> {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  try {
    return await readCapped(stream, max, () => new TooLarge());
  } catch (e) {
    if (e instanceof TooLarge) return null;
    throw e;
  }
}

/**
 * The METADATA file of a wheel. `distInfo` (lowercase `{name}-{version}.dist-info/`) picks
 * the right directory when the wheel has several.
 */
export async function readWheelMetadata(r: RangeReader, distInfo?: string | null): Promise<Uint8Array | null> {
  try {
    const entries = await centralDirectory(r);
    if (!entries) return null;
    const candidates = entries.filter((e) => /^[^/]+\.dist-info\/METADATA$/.test(e.name));
    const entry = candidates.length === 1 ? candidates[0] : candidates.find((e) => e.name.toLowerCase() === `${distInfo}metadata`);
    if (!entry || entry.size > MAX_METADATA || entry.compressedSize > MAX_METADATA) return null;
    const local = await r.read(entry.localOffset, 30);
    const l = view(local);
    if (local.length < 30 || l.getUint32(0, true) !== LOCAL_SIG) return null;
    const start = entry.localOffset + 30 + l.getUint16(26, true) + l.getUint16(28, true);
    const data = await r.read(start, entry.compressedSize);
    if (entry.method === 0) return data.length === entry.size ? data : null;
    if (entry.method !== 8) return null;
    const inflated = await inflateRaw(data, MAX_METADATA);
    return inflated && inflated.length === entry.size ? inflated : null;
  } catch {
    return null;
  }
}
