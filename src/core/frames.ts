/**
 * Length-prefixed frames (the internal API's file contents, docs/internal-api.md):
 *
 *   frame  = length header "\n" data
 *   length = 4 bytes, big-endian unsigned: the byte count of everything after it
 *            (the JSON header, the newline and the data)
 *   header = one line of JSON (JSON.stringify never writes a raw newline)
 *
 * A reader takes 4 bytes, then `length` bytes, and splits them at the first 0x0A.
 */
const enc = new TextEncoder();

export const FRAME_BYTES_LIMIT_MAX = 1024 * 1024;

export function encodeFrame(header: Record<string, unknown>, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const head = enc.encode(`${JSON.stringify(header)}\n`);
  const out = new Uint8Array(4 + head.byteLength + data.byteLength);
  new DataView(out.buffer).setUint32(0, head.byteLength + data.byteLength, false);
  out.set(head, 4);
  out.set(data, 4 + head.byteLength);
  return out;
}
