/**
 * Writes tar (ustar + pax) headers for a stream the caller fills: the header of each
 * member from its known size, then exactly `size` bytes of data, then `tarPadding`;
 * `TAR_END` closes the archive. Nothing here holds a member's data, so an archive of
 * blobs larger than 1 GiB streams through in constant memory.
 *
 * Invariants:
 * - A name longer than ustar's 100 bytes, or not ASCII, goes in a pax `path` record;
 *   a size past ustar's 8 GiB octal field goes in a pax `size` record (and the ustar
 *   field holds base-256), so GNU tar, bsdtar and core/archive/tar.ts read it back.
 * - Every header block carries a correct checksum.
 */
const BLOCK = 512;
const enc = new TextEncoder();
const OCTAL_SIZE_MAX = 8 ** 11 - 1;

export const TAR_END = new Uint8Array(BLOCK * 2);

export const tarPadding = (size: number) => new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);

function put(block: Uint8Array, offset: number, length: number, text: string) {
  block.set(enc.encode(text).subarray(0, length), offset);
}

function octal(block: Uint8Array, offset: number, length: number, value: number) {
  put(block, offset, length, value.toString(8).padStart(length - 1, "0") + "\0");
}

function base256(block: Uint8Array, offset: number, length: number, value: number) {
  for (let i = length - 1; i > 0; i--) {
    block[offset + i] = value % 256;
    value = Math.floor(value / 256);
  }
  block[offset] = 0x80;
}

function ustar(name: string, size: number, type: string, mtimeS: number, mode: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  put(h, 0, 100, name);
  octal(h, 100, 8, mode);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  if (size > OCTAL_SIZE_MAX) base256(h, 124, 12, size);
  else octal(h, 124, 12, size);
  octal(h, 136, 12, mtimeS);
  h.fill(32, 148, 156);
  put(h, 156, 1, type);
  put(h, 257, 6, "ustar\0");
  put(h, 263, 2, "00");
  let sum = 0;
  for (const b of h) sum += b;
  put(h, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = enc.encode(body).length;
  let total = n + String(n).length;
  if (String(total).length > String(n).length) total = n + String(total).length; // the length counts its own digits
  return `${total}${body}`;
}

/** The header block(s) of a regular file `name` of `size` bytes. */
export function tarHeader(name: string, size: number, mtimeMs = 0, mode = 0o644): Uint8Array {
  const mtimeS = Math.max(0, Math.floor(mtimeMs / 1000));
  const bytes = enc.encode(name);
  const long = bytes.length > 100 || /[^\x20-\x7e]/.test(name);
  const big = size > OCTAL_SIZE_MAX;
  const main = ustar(long ? name.replace(/[^\x20-\x7e]/g, "_").slice(0, 100) : name, size, "0", mtimeS, mode);
  if (!long && !big) return main;
  const records = enc.encode((long ? paxRecord("path", name) : "") + (big ? paxRecord("size", String(size)) : ""));
  const pax = ustar("PaxHeader", records.length, "x", mtimeS, 0o644);
  const out = new Uint8Array(BLOCK + records.length + tarPadding(records.length).length + BLOCK);
  out.set(pax, 0);
  out.set(records, BLOCK);
  out.set(main, out.length - BLOCK);
  return out;
}
