/**
 * Decompression of small archive members (a .deb's control.tar, a chart's .tgz, an
 * index document) into memory: gzip (workerd's native DecompressionStream), xz
 * (xz-embedded, ./xz.ts), zstd (fzstd, pure JavaScript) or none.
 *
 * Invariants: output never passes `maxBytes` (a compression bomb fails with
 * InvalidArchive instead of filling memory); corrupt or truncated input fails with
 * InvalidArchive, never with a runtime error.
 */
import { Decompress as ZstdDecompress } from "fzstd";
import { invalid } from "../errors";
import { concatChunks, readCapped } from "../byte-reader";
import { unxz } from "./xz";

export type Compression = "none" | "gzip" | "xz" | "zstd";

const bad = (what: string, why: string) => invalid("Archive", `${what}: ${why}`);

/** The compression a member name's extension names (`control.tar.xz` → xz), or null. */
export function compressionOfName(name: string): Compression | null {
  if (/\.tar$/.test(name)) return "none";
  if (/\.(gz|tgz)$/.test(name)) return "gzip";
  if (/\.xz$/.test(name)) return "xz";
  if (/\.zst$/.test(name)) return "zstd";
  return null;
}

/** Decompresses `data` (what: a name for error messages). */
export async function decompress(data: Uint8Array, method: Compression, maxBytes: number, what = "the data"): Promise<Uint8Array> {
  const tooLarge = () => bad(what, `decompresses to more than ${maxBytes} bytes`);
  if (method === "none") {
    if (data.length > maxBytes) throw tooLarge();
    return data;
  }
  if (method === "gzip") return gunzip(data, maxBytes, what);
  if (method === "xz") {
    try {
      return unxz(data, maxBytes);
    } catch (e) {
      throw bad(what, e instanceof Error ? e.message : "corrupt xz data");
    }
  }
  return unzstd(data, maxBytes, what);
}

export async function gunzip(data: Uint8Array, maxBytes: number, what = "the data"): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("gzip"));
  let tooLarge = false;
  try {
    return await readCapped(stream, maxBytes, () => {
      tooLarge = true;
      return new Error("too large");
    });
  } catch {
    throw bad(what, tooLarge ? `decompresses to more than ${maxBytes} bytes` : "corrupt or truncated gzip data");
  }
}

function unzstd(data: Uint8Array, maxBytes: number, what: string): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const d = new ZstdDecompress((chunk, final) => {
    total += chunk.length;
    if (total > maxBytes) throw bad(what, `decompresses to more than ${maxBytes} bytes`);
    chunks.push(chunk.slice());
    if (final) ended = true;
  });
  try {
    d.push(data, true);
  } catch (e) {
    if (e instanceof Error && e.name === "RegistryError") throw e;
    throw bad(what, "corrupt zstd data");
  }
  if (!ended && total === 0) throw bad(what, "truncated zstd data");
  return concatChunks(chunks, total);
}

/** Gzips a document (index files served as .gz); deterministic for the same input. */
export async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
