/**
 * Reads an RPM package file (rpm's "RPM V4 package format": lead, signature header,
 * header, payload) through ranged reads, so the payload (the bulk of the file) is never
 * read: 96 bytes of lead, then each header's 16-byte preamble, index and data store.
 *
 * Invariants:
 * - Every count, offset and length is bounds-checked against the header and the file
 *   before use; a header larger than MAX_HEADER_BYTES or with more than MAX_ENTRIES tags is
 *   refused (rpm's own limits are of the same order). Failures are InvalidRpm (400).
 * - The header's SHA-256 (or SHA-1) digest recorded in the signature header is checked
 *   against the header bytes read, so what the index says about a package is what the
 *   package says about itself.
 */
import { invalid } from "../../core/errors";
import { hex } from "../../core/ids";
import type { RangeReader } from "../../services/artifacts";

export const LEAD_SIZE = 96;
export const MAX_HEADER_BYTES = 64 * 1024 * 1024;
const MAX_ENTRIES = 65536;
const LEAD_MAGIC = [0xed, 0xab, 0xee, 0xdb];
const HEADER_MAGIC = [0x8e, 0xad, 0xe8, 0x01];

/** Tag numbers (rpmtag.h). */
export const TAG = {
  name: 1000, version: 1001, release: 1002, epoch: 1003, summary: 1004, description: 1005, buildTime: 1006, buildHost: 1007,
  size: 1009, vendor: 1011, license: 1014, packager: 1015, group: 1016, url: 1020, arch: 1022,
  fileModes: 1030, fileFlags: 1037, sourceRpm: 1044, archiveSize: 1046,
  provideName: 1047, requireFlags: 1048, requireName: 1049, requireVersion: 1050,
  conflictFlags: 1053, conflictName: 1054, conflictVersion: 1055,
  changelogTime: 1080, changelogName: 1081, changelogText: 1082,
  obsoleteName: 1090, provideFlags: 1112, provideVersion: 1113, obsoleteFlags: 1114, obsoleteVersion: 1115,
  dirIndexes: 1116, baseNames: 1117, dirNames: 1118, oldFileNames: 1027,
  longSize: 5009,
  recommendName: 5046, recommendVersion: 5047, recommendFlags: 5048,
  suggestName: 5049, suggestVersion: 5050, suggestFlags: 5051,
  supplementName: 5052, supplementVersion: 5053, supplementFlags: 5054,
  enhanceName: 5055, enhanceVersion: 5056, enhanceFlags: 5057,
} as const;

/** Signature-header tags (rpmtag.h RPMSIGTAG_*). */
export const SIGTAG = { sha1: 269, sha256: 273, payloadSize: 1007, longArchiveSize: 271 } as const;

const TYPE = { char: 1, int8: 2, int16: 3, int32: 4, int64: 5, string: 6, bin: 7, stringArray: 8, i18nString: 9 } as const;

export type TagValue = string | string[] | number[] | Uint8Array;

export interface RpmHeader {
  tags: Map<number, TagValue>;
  /** Offset of the header's first byte in the file, and of the byte after it. */
  start: number;
  end: number;
  bytes: Uint8Array;
}

export interface RpmFile {
  source: boolean;
  signature: RpmHeader;
  header: RpmHeader;
}

const bad = (why: string) => invalid("Rpm", `the file is not a valid RPM package: ${why}`);
const utf8 = new TextDecoder();

function cString(data: Uint8Array, at: number): [string, number] {
  const end = data.indexOf(0, at);
  if (end === -1) throw bad("a string runs past the header's data");
  return [utf8.decode(data.subarray(at, end)), end + 1];
}

function parseIndex(bytes: Uint8Array, count: number): Map<number, TagValue> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = bytes.subarray(16 + count * 16);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const tags = new Map<number, TagValue>();
  for (let i = 0; i < count; i++) {
    const p = 16 + i * 16;
    const tag = view.getUint32(p);
    const type = view.getUint32(p + 4);
    const offset = view.getUint32(p + 8);
    const n = view.getUint32(p + 12);
    if (offset > data.length || n > data.length + 1) throw bad(`tag ${tag} points outside the header`);
    const need = (size: number) => {
      if (offset + n * size > data.length) throw bad(`tag ${tag} runs past the header`);
    };
    switch (type) {
      case TYPE.string:
        tags.set(tag, cString(data, offset)[0]);
        break;
      case TYPE.stringArray:
      case TYPE.i18nString: {
        const out: string[] = [];
        let at = offset;
        for (let k = 0; k < n; k++) [out[k], at] = cString(data, at);
        tags.set(tag, type === TYPE.i18nString ? out[0] ?? "" : out);
        break;
      }
      case TYPE.char:
      case TYPE.int8:
        need(1);
        tags.set(tag, [...data.subarray(offset, offset + n)]);
        break;
      case TYPE.int16:
        need(2);
        tags.set(tag, Array.from({ length: n }, (_, k) => dv.getUint16(offset + 2 * k)));
        break;
      case TYPE.int32:
        need(4);
        tags.set(tag, Array.from({ length: n }, (_, k) => dv.getUint32(offset + 4 * k)));
        break;
      case TYPE.int64:
        need(8);
        tags.set(tag, Array.from({ length: n }, (_, k) => Number(dv.getBigUint64(offset + 8 * k))));
        break;
      case TYPE.bin:
        need(1);
        tags.set(tag, data.slice(offset, offset + n));
        break;
      default:
        // Unknown or NULL types carry nothing the index needs.
        break;
    }
  }
  return tags;
}

async function readHeader(src: RangeReader, start: number): Promise<RpmHeader> {
  if (start + 16 > src.size) throw bad("the file ends inside a header");
  const pre = await src.read(start, 16);
  if (!HEADER_MAGIC.every((b, i) => pre[i] === b)) throw bad(`no header magic at offset ${start}`);
  const view = new DataView(pre.buffer, pre.byteOffset, 16);
  const count = view.getUint32(8);
  const dataSize = view.getUint32(12);
  if (count > MAX_ENTRIES) throw bad(`a header has ${count} tags`);
  const total = 16 + count * 16 + dataSize;
  if (total > MAX_HEADER_BYTES) throw bad(`a header is larger than ${MAX_HEADER_BYTES} bytes`);
  if (start + total > src.size) throw bad("the file ends inside a header");
  const bytes = await src.read(start, total);
  return { tags: parseIndex(bytes, count), start, end: start + total, bytes };
}

export async function readRpm(src: RangeReader): Promise<RpmFile> {
  if (src.size < LEAD_SIZE + 16) throw bad("it is too short");
  const lead = await src.read(0, LEAD_SIZE);
  if (!LEAD_MAGIC.every((b, i) => lead[i] === b)) throw bad("no RPM lead magic");
  if (lead[4] !== 3 && lead[4] !== 4) throw bad(`unsupported format version ${lead[4]}`);
  const source = new DataView(lead.buffer, lead.byteOffset, LEAD_SIZE).getUint16(6) === 1;
  const signature = await readHeader(src, LEAD_SIZE);
  const headerStart = signature.end + ((8 - (signature.end % 8)) % 8);
  const header = await readHeader(src, headerStart);
  await verifyHeaderDigest(signature, header);
  return { source, signature, header };
}

async function verifyHeaderDigest(signature: RpmHeader, header: RpmHeader) {
  for (const [tag, alg] of [[SIGTAG.sha256, "SHA-256"], [SIGTAG.sha1, "SHA-1"]] as const) {
    const expected = signature.tags.get(tag);
    if (typeof expected !== "string") continue;
    const actual = hex(new Uint8Array(await crypto.subtle.digest(alg, header.bytes)));
    if (actual !== expected.toLowerCase()) throw bad(`the header's ${alg} digest is ${actual}, the signature header says ${expected}`);
    return;
  }
}

export const str = (h: RpmHeader, tag: number): string | undefined => {
  const v = h.tags.get(tag);
  return typeof v === "string" ? v : Array.isArray(v) && typeof v[0] === "string" ? v[0] : undefined;
};
export const strs = (h: RpmHeader, tag: number): string[] => {
  const v = h.tags.get(tag);
  return Array.isArray(v) && (v.length === 0 || typeof v[0] === "string") ? (v as string[]) : typeof v === "string" ? [v] : [];
};
export const nums = (h: RpmHeader, tag: number): number[] => {
  const v = h.tags.get(tag);
  return Array.isArray(v) && (v.length === 0 || typeof v[0] === "number") ? (v as number[]) : [];
};
export const num = (h: RpmHeader, tag: number): number | undefined => nums(h, tag)[0];
