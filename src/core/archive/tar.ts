/**
 * Tar archives (ustar, GNU long names `L`, pax extended headers `x`: what `dpkg-deb`,
 * `helm package`, setuptools and GNU/BSD tar write), read three ways over one header
 * parser: `readTar` for a small archive already in memory (a .deb's control.tar, a
 * chart), `findTarMember` for a stream of any size (an sdist), which reads headers and
 * skips data so it never holds more than one member, and `walkTar`, which hands every
 * member's data to the caller as chunks (never a whole member).
 *
 * Invariants:
 * - Every header is checked (its checksum, signed or unsigned as tars write it, and its
 *   number fields); a corrupt or truncated archive fails (TarError; `readTar` reports it
 *   as InvalidArchive) instead of returning garbage.
 * - A long name or pax record names the member that follows it, and only that one.
 * - Names lose a leading `./` or `/` in `readTar`; an in-memory entry's data is a view
 *   into the input (no copy).
 */
import { invalid } from "../errors";

const BLOCK = 512;

export class TarError extends Error {}

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

interface Header {
  name: string;
  type: string;
  size: number;
  mode: number;
  mtime: number;
  linkName: string;
}

const utf8 = new TextDecoder();
const latin = new TextDecoder("latin1");

function text(b: Uint8Array): string {
  const end = b.indexOf(0);
  return utf8.decode(end === -1 ? b : b.subarray(0, end));
}

function octal(field: Uint8Array): number {
  if (field[0]! & 0x80) {
    // GNU base-256 for values past the octal field's reach.
    let n = field[0]! & 0x7f;
    for (const b of field.subarray(1)) n = n * 256 + b;
    return n;
  }
  const s = latin.decode(field).replace(/\0.*$/s, "").trim();
  if (!/^[0-7]*$/.test(s)) throw new TarError(`a header has a malformed number field '${s}'`);
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

function paxRecords(data: Uint8Array): Map<string, string> {
  // A record's length counts bytes (UTF-8), not characters: walk the bytes.
  const out = new Map<string, string>();
  let p = 0;
  while (p < data.length) {
    const space = data.indexOf(0x20, p);
    const length = space === -1 ? NaN : parseInt(latin.decode(data.subarray(p, space)), 10);
    if (!(length > 0) || p + length > data.length) break;
    const record = utf8.decode(data.subarray(space + 1, p + length - 1));
    const eq = record.indexOf("=");
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    p += length;
  }
  return out;
}

/** The header block `h`, or null for an end-of-archive (all-zero) block. */
function parseHeader(h: Uint8Array, first: boolean): Header | null {
  if (h.every((b) => b === 0)) return null;
  if (!checksumOk(h)) throw new TarError(first ? "it does not start with a tar header" : "a header fails its checksum");
  const ustar = latin.decode(h.subarray(257, 262)) === "ustar";
  const prefix = ustar ? text(h.subarray(345, 500)) : "";
  const base = text(h.subarray(0, 100));
  const type = String.fromCharCode(h[156]!);
  return {
    name: prefix ? `${prefix}/${base}` : base,
    type: type === "\0" ? "0" : type,
    size: octal(h.subarray(124, 136)),
    mode: octal(h.subarray(100, 108)),
    mtime: octal(h.subarray(136, 148)),
    linkName: text(h.subarray(157, 257)),
  };
}

/** What extended headers (`L`, `x`) said about the next member. */
class Extended {
  private longName: string | null = null;
  private pax: Map<string, string> | null = null;

  /** Takes an extended header's data; false if `header` is an ordinary member. */
  take(header: Header, data: () => Uint8Array): boolean {
    if (header.type === "L") this.longName = text(data());
    else if (header.type === "x") this.pax = paxRecords(data());
    else return header.type === "g";
    return true;
  }

  /** The member as the extended headers before it describe it; forgets them. */
  apply(header: Header): Header {
    const out = {
      ...header,
      name: this.pax?.get("path") ?? this.longName ?? header.name,
      size: this.pax?.has("size") ? Number(this.pax.get("size")) : header.size,
      linkName: this.pax?.get("linkpath") ?? header.linkName,
    };
    this.longName = null;
    this.pax = null;
    return out;
  }

  /** The size of the data after `header`: a pax `size` applies to the member it describes. */
  sizeOf(header: Header): number {
    const extended = header.type === "L" || header.type === "x" || header.type === "g";
    return !extended && this.pax?.has("size") ? Number(this.pax.get("size")) : header.size;
  }
}

const clean = (name: string) => name.replace(/^(\.\/)+/, "").replace(/^\/+/, "");
const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK;

/** Every entry of an archive held in memory. */
export function readTar(tar: Uint8Array): TarEntry[] {
  try {
    const entries: TarEntry[] = [];
    const ext = new Extended();
    for (let p = 0; p + BLOCK <= tar.length; ) {
      const header = parseHeader(tar.subarray(p, p + BLOCK), p === 0);
      if (!header) break;
      const size = ext.sizeOf(header);
      const start = p + BLOCK;
      if (!Number.isSafeInteger(size) || start + size > tar.length) throw new TarError("an entry runs past the end of the archive");
      const data = tar.subarray(start, start + size);
      p = start + padded(size);
      if (ext.take(header, () => data)) continue;
      const member = ext.apply(header);
      entries.push({ ...member, name: clean(member.name), data });
    }
    return entries;
  } catch (e) {
    if (e instanceof TarError) throw invalid("Archive", `the tar archive is not valid: ${e.message}`);
    throw e;
  }
}

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
      if (!(await this.fill())) {
        if (filled === 0) return null;
        throw new TarError("the archive ends inside a header or a member");
      }
      const k = Math.min(n - filled, this.chunk.length - this.at);
      out.set(this.chunk.subarray(this.at, this.at + k), filled);
      this.at += k;
      filled += k;
    }
    this.consumed += n;
    return out;
  }

  /** Up to n (> 0) bytes, as they come (at least one); throws if the stream ended. */
  async upTo(n: number): Promise<Uint8Array> {
    if (!(await this.fill())) throw new TarError("the archive ends inside a member");
    const k = Math.min(n, this.chunk.length - this.at);
    const out = this.chunk.subarray(this.at, this.at + k);
    this.at += k;
    this.consumed += k;
    return out;
  }

  async skip(n: number): Promise<void> {
    for (let left = n; left > 0; ) {
      if (!(await this.fill())) throw new TarError("the archive ends inside a member");
      const k = Math.min(left, this.chunk.length - this.at);
      this.at += k;
      left -= k;
    }
    this.consumed += n;
  }

  private async fill(): Promise<boolean> {
    while (this.at === this.chunk.length) {
      const { done, value } = await this.reader.read();
      if (done) return false;
      this.chunk = value;
      this.at = 0;
    }
    return true;
  }
}

export interface TarWalkOptions {
  want: (name: string) => boolean;
  maxMember: number;
  /** At most this many bytes are walked (decompression bombs). */
  maxScanned: number;
}

/**
 * The first regular member `want` accepts (at most `maxMember` bytes), with its bytes;
 * null when the archive ends (cleanly, with its end blocks or at a member boundary)
 * without one. Throws TarError for anything that is not a readable tar up to there.
 */
export async function findTarMember(stream: ReadableStream<Uint8Array>, opts: TarWalkOptions): Promise<{ name: string; data: Uint8Array } | null> {
  const reader = stream.getReader();
  const pull = new Pull(reader);
  const ext = new Extended();
  const budget = (size: number) => {
    if (pull.consumed + padded(size) > opts.maxScanned) throw new TarError(`no such member in the first ${opts.maxScanned} bytes`);
  };
  try {
    for (let first = true; ; first = false) {
      const next = await nextMember(pull, ext, first, budget);
      if (!next) {
        if (first) throw new TarError("the archive holds no member");
        return null;
      }
      const { member, size } = next;
      if ((member.type === "0" || member.type === "7") && opts.want(member.name) && size <= opts.maxMember) {
        const data = await pull.take(padded(size));
        return { name: member.name, data: (data ?? new Uint8Array(0)).subarray(0, size) };
      }
      await pull.skip(padded(size));
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * The next member's header with the extended headers (`L`, `x`, `g`) before it read and
 * applied, and its data size; null at the end of the archive. `budget(size)` may refuse
 * a header's data before it is read.
 */
async function nextMember(pull: Pull, ext: Extended, first: boolean, budget: (size: number) => void = () => undefined): Promise<{ member: Header; size: number } | null> {
  for (let firstBlock = first; ; firstBlock = false) {
    const block = await pull.take(BLOCK);
    const header = block && parseHeader(block, firstBlock);
    if (!header) return null;
    const size = ext.sizeOf(header);
    if (!Number.isSafeInteger(size) || size < 0) throw new TarError("a member has an impossible size");
    budget(size);
    if (header.type !== "L" && header.type !== "x" && header.type !== "g") return { member: ext.apply(header), size };
    if (size > 64 * 1024) throw new TarError("an extended header is too large");
    const data = ((await pull.take(padded(size))) ?? new Uint8Array(0)).subarray(0, size);
    ext.take(header, () => data);
  }
}

export interface WalkedMember {
  name: string;
  type: string;
  size: number;
  mtime: number;
  /** The member's data as it streams by; what the caller leaves unread is skipped. Read it before the next member. */
  chunks(): AsyncIterable<Uint8Array>;
}

/**
 * Every member of a tar stream (regular files, directories, links; extended headers
 * applied, names cleaned as `readTar` does), in archive order. Throws TarError for
 * anything that is not a readable tar.
 */
export async function* walkTar(stream: ReadableStream<Uint8Array>): AsyncGenerator<WalkedMember> {
  const reader = stream.getReader();
  const pull = new Pull(reader);
  const ext = new Extended();
  try {
    for (let first = true; ; first = false) {
      const next = await nextMember(pull, ext, first);
      if (!next) return;
      const { member, size } = next;
      let left = size;
      const chunks = async function* () {
        while (left > 0) {
          const part = await pull.upTo(left);
          left -= part.byteLength;
          yield part;
        }
      };
      yield { name: clean(member.name), type: member.type, size, mtime: member.mtime, chunks };
      if (left > 0) await pull.skip(left);
      await pull.skip(padded(size) - size);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
