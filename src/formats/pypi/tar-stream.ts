/**
 * Walks a tar stream member by member, reading headers and skipping data, so an sdist
 * of any size is checked without holding more than one chunk of it.
 *
 * Invariants:
 * - Every header read is checked (its checksum, its size field); a stream that ends
 *   inside a header or a member, or before any member, is refused.
 * - Long names (GNU `L` members, PAX `path` records) name the member that follows them.
 * - A member's data is returned only when `want(name)` says so and it is at most
 *   `maxMember` bytes; at most `maxScanned` bytes are walked (decompression bombs).
 */
const BLOCK = 512;

export class TarError extends Error {}

/** Pulls exact byte counts out of a stream of arbitrary chunks. */
class Pull {
  private chunk: Uint8Array = new Uint8Array(0);
  private at = 0;
  consumed = 0;
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** Exactly n bytes, or null if the stream ended before any of them. */
  async take(n: number): Promise<Uint8Array | null> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (this.at === this.chunk.length) {
        const { done, value } = await this.reader.read();
        if (done) {
          if (filled === 0) return null;
          throw new TarError("the archive ends inside a header or a member");
        }
        this.chunk = value;
        this.at = 0;
        continue;
      }
      const k = Math.min(n - filled, this.chunk.length - this.at);
      out.set(this.chunk.subarray(this.at, this.at + k), filled);
      this.at += k;
      filled += k;
    }
    this.consumed += n;
    return out;
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.at === this.chunk.length) {
        const { done, value } = await this.reader.read();
        if (done) throw new TarError("the archive ends inside a member");
        this.chunk = value;
        this.at = 0;
        continue;
      }
      const k = Math.min(left, this.chunk.length - this.at);
      this.at += k;
      left -= k;
    }
    this.consumed += n;
  }
}

const text = (b: Uint8Array) => {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end === -1 ? b : b.subarray(0, end));
};

function octal(field: Uint8Array): number {
  if (field[0]! & 0x80) {
    // GNU base-256 for sizes past 8 GiB: far past anything we walk, refused below.
    let n = field[0]! & 0x7f;
    for (const b of field.subarray(1)) n = n * 256 + b;
    return n;
  }
  const s = text(field).trim();
  if (!/^[0-7]*$/.test(s)) throw new TarError("a header has a malformed number field");
  return s === "" ? 0 : parseInt(s, 8);
}

function checksumOk(h: Uint8Array): boolean {
  let stored: number;
  try {
    stored = octal(h.subarray(148, 156));
  } catch {
    return false;
  }
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 32 : h[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** A PAX extended header's `path`, if it has one. */
function paxPath(data: Uint8Array): string | undefined {
  for (const record of new TextDecoder().decode(data).split("\n")) {
    const m = /^\d+ path=(.*)$/s.exec(record);
    if (m) return m[1];
  }
  return undefined;
}

export interface TarWalkOptions {
  want: (name: string) => boolean;
  maxMember: number;
  maxScanned: number;
}

/**
 * The first regular member `want` accepts, with its bytes; null when the archive ends
 * (cleanly, with its end blocks or at a member boundary) without one. Throws TarError
 * for anything that is not a readable tar up to that point.
 */
export async function findTarMember(stream: ReadableStream<Uint8Array>, opts: TarWalkOptions): Promise<{ name: string; data: Uint8Array } | null> {
  const reader = stream.getReader();
  const pull = new Pull(reader);
  let longName: string | undefined;
  let members = 0;
  try {
    for (;;) {
      if (pull.consumed > opts.maxScanned) throw new TarError(`no such member in the first ${opts.maxScanned} bytes`);
      const h = await pull.take(BLOCK);
      if (!h || h.every((b) => b === 0)) {
        if (members === 0) throw new TarError("the archive holds no member");
        return null;
      }
      if (!checksumOk(h)) throw new TarError(members === 0 ? "it does not start with a tar header" : "a header fails its checksum");
      members++;
      const size = octal(h.subarray(124, 136));
      const type = String.fromCharCode(h[156]!);
      const ustar = text(h.subarray(257, 263)).startsWith("ustar");
      const prefix = ustar ? text(h.subarray(345, 500)) : "";
      const name = longName ?? (prefix ? `${prefix}/${text(h.subarray(0, 100))}` : text(h.subarray(0, 100)));
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      if (pull.consumed + padded > opts.maxScanned) throw new TarError(`no such member in the first ${opts.maxScanned} bytes`);
      longName = undefined;
      if (type === "L" || type === "x") {
        if (size > 64 * 1024) throw new TarError("an extended header is too large");
        const data = (await pull.take(padded)) ?? new Uint8Array(0);
        longName = type === "L" ? text(data.subarray(0, size)) : paxPath(data.subarray(0, size));
        continue;
      }
      if ((type === "0" || type === "\0" || type === "7") && opts.want(name) && size <= opts.maxMember) {
        const data = await pull.take(padded);
        return { name, data: (data ?? new Uint8Array(0)).subarray(0, size) };
      }
      await pull.skip(padded);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
