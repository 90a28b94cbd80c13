/** Builds small ustar archives (optionally gzipped) for tests, no dependencies. */
const enc = new TextEncoder();

export interface TarEntry {
  name: string;
  data?: string | Uint8Array;
  /** "0" file (default), "5" directory, "x" PAX header, "L" GNU long name. */
  type?: string;
}

function header(name: string, size: number, type: string): Uint8Array {
  const h = new Uint8Array(512);
  const put = (offset: number, text: string) => h.set(enc.encode(text), offset);
  put(0, name.slice(0, 100));
  put(100, "0000644\0");
  put(108, "0000000\0");
  put(116, "0000000\0");
  put(124, size.toString(8).padStart(11, "0") + "\0");
  put(136, "00000000000\0");
  put(148, "        ");
  put(156, type);
  put(257, "ustar\0");
  put(263, "00");
  let sum = 0;
  for (const b of h) sum += b;
  put(148, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

export function tar(entries: TarEntry[], { end = true } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const data = typeof e.data === "string" ? enc.encode(e.data) : (e.data ?? new Uint8Array(0));
    parts.push(header(e.name, data.length, e.type ?? "0"), data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  if (end) parts.push(new Uint8Array(1024));
  return concat(parts);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
}

/** A PAX record (`<len> key=value\n`, the length counting itself). */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let n = body.length + 1;
  while (`${n}${body}`.length !== n) n++;
  return `${n}${body}`;
}
