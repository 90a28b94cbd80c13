/**
 * Reads a (decompressed, in-memory) tar archive: ustar, GNU long names (`L`) and pax
 * extended headers (`x`, for `path` and `size`), the dialects `dpkg-deb`, `helm package`
 * and GNU/BSD tar write.
 *
 * Invariants: every header's checksum is verified and every size bounds-checked against
 * the archive, so a corrupt or truncated archive fails with InvalidArchive instead of
 * returning garbage; names lose a leading `./`; the data of an entry is a view into the
 * input (no copy).
 */
import { invalid } from "../errors";

export interface TarEntry {
  name: string;
  /** `0` file, `5` directory, `2` symlink, … (ustar typeflag). */
  type: string;
  size: number;
  mode: number;
  mtime: number;
  linkName: string;
  data: Uint8Array;
}

const BLOCK = 512;
const bad = (why: string) => invalid("Archive", `the tar archive is not valid: ${why}`);
const latin = new TextDecoder("latin1");
const utf8 = new TextDecoder();

function field(b: Uint8Array, offset: number, length: number): string {
  const slice = b.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return utf8.decode(end === -1 ? slice : slice.subarray(0, end));
}

function octal(b: Uint8Array, offset: number, length: number): number {
  const slice = b.subarray(offset, offset + length);
  if (slice[0]! & 0x80) {
    // GNU base-256 for large values.
    let n = 0;
    for (let i = 1; i < slice.length; i++) n = n * 256 + slice[i]!;
    return n;
  }
  const text = latin.decode(slice).replace(/\0.*$/s, "").trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw bad(`bad number field '${text}'`);
  return parseInt(text, 8);
}

function checksumOk(h: Uint8Array): boolean {
  const stored = octal(h, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === stored;
}

function paxRecords(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  const text = utf8.decode(data);
  let p = 0;
  while (p < text.length) {
    const space = text.indexOf(" ", p);
    const length = parseInt(text.slice(p, space), 10);
    if (!(length > 0) || space === -1) break;
    const record = text.slice(space + 1, p + length - 1);
    const eq = record.indexOf("=");
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    p += length;
  }
  return out;
}

const clean = (name: string) => name.replace(/^(\.\/)+/, "").replace(/^\/+/, "");

export function readTar(tar: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let p = 0;
  let longName: string | null = null;
  let pax: Map<string, string> | null = null;
  while (p + BLOCK <= tar.length) {
    const h = tar.subarray(p, p + BLOCK);
    if (h.every((x) => x === 0)) break;
    if (!checksumOk(h)) throw bad(`header checksum mismatch at offset ${p}`);
    const type = String.fromCharCode(h[156]!) || "0";
    let size = octal(h, 124, 12);
    if (pax?.has("size")) size = Number(pax.get("size"));
    const start = p + BLOCK;
    if (!Number.isSafeInteger(size) || start + size > tar.length) throw bad("an entry runs past the end of the archive");
    const data = tar.subarray(start, start + size);
    p = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "L") {
      longName = field(data, 0, data.length);
      continue;
    }
    if (type === "x") {
      pax = paxRecords(data);
      continue;
    }
    if (type === "g") continue;
    const magic = latin.decode(h.subarray(257, 262));
    const prefix = magic === "ustar" ? field(h, 345, 155) : "";
    const name = pax?.get("path") ?? longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    entries.push({
      name: clean(name),
      type: type === "\0" ? "0" : type,
      size,
      mode: octal(h, 100, 8),
      mtime: octal(h, 136, 12),
      linkName: pax?.get("linkpath") ?? field(h, 157, 100),
      data,
    });
    longName = null;
    pax = null;
  }
  return entries;
}
