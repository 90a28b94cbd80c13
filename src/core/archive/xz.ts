/**
 * XZ decompression on xz-embedded (Lasse Collin's decoder, public domain), compiled to
 * WebAssembly by the xz-decompress package and imported here as a static module
 * (scripts/vendor-xz-wasm.mjs takes it out of that package): workerd refuses to compile
 * WebAssembly at run time, a statically imported module it accepts.
 *
 * Invariants:
 * - Synchronous from start to end of one input, so one module instance serves every call
 *   (no two contexts are ever interleaved) and each context is destroyed on every path.
 * - Output stops at `maxBytes` (an xz bomb fails instead of filling memory); a truncated
 *   or corrupt stream, or a failed integrity check (CRC32/CRC64/SHA-256 of the xz
 *   container), throws.
 *
 * The module's ABI (from xz-decompress): `create_context()` returns a pointer p to six
 * u32s: [buffer size, input buffer, input pos, input size, output buffer, output pos];
 * `supply_input(p, n)` takes n bytes from the input buffer (n = 0: the input has ended); `get_next_output(p)` runs
 * the decoder once and answers 0 (ok), 1 (stream end) or an xz error code.
 */
import xzWasm from "./xz-embedded.wasm";
import { concatChunks } from "../byte-reader";

const XZ_OK = 0;
const XZ_STREAM_END = 1;

interface XzExports {
  memory: WebAssembly.Memory;
  create_context(): number;
  destroy_context(ptr: number): void;
  supply_input(ptr: number, length: number): void;
  get_next_output(ptr: number): number;
}

let instance: XzExports | null = null;
const xz = () => (instance ??= new WebAssembly.Instance(xzWasm, {}).exports as unknown as XzExports);

export class XzError extends Error {}

/** The whole decompressed content of an .xz stream, at most `maxBytes` of it. */
export function unxz(input: Uint8Array, maxBytes: number): Uint8Array {
  const x = xz();
  const ptr = x.create_context();
  const words = () => new Uint32Array(x.memory.buffer, ptr, 6);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let offset = 0;
  try {
    const bufSize = words()[0]!;
    let eofSignalled = 0;
    for (;;) {
      let w = words();
      if (w[2] === w[3]) {
        // A zero-length supply tells the decoder the input has ended.
        const n = Math.min(bufSize, input.length - offset);
        if (n > 0) new Uint8Array(x.memory.buffer, w[1]!, n).set(input.subarray(offset, offset + n));
        else if (++eofSignalled > 2) throw new XzError("the xz data ends early");
        x.supply_input(ptr, n);
        offset += n;
      }
      const result = x.get_next_output(ptr);
      if (result !== XZ_OK && result !== XZ_STREAM_END) throw new XzError(`corrupt or truncated xz data (xz-embedded error ${result})`);
      w = words();
      const produced = w[5]!;
      if (produced > 0) {
        total += produced;
        if (total > maxBytes) throw new XzError(`the xz data decompresses to more than ${maxBytes} bytes`);
        chunks.push(new Uint8Array(x.memory.buffer, w[4]!, produced).slice());
        w[5] = 0;
      }
      if (result === XZ_STREAM_END) break;
    }
  } finally {
    x.destroy_context(ptr);
  }
  return concatChunks(chunks, total);
}
