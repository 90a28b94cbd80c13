/**
 * Reads the member table of a Unix `ar` archive (the container of a .deb) through
 * ranged reads, so a large archive is never read whole: each member's 60-byte header
 * gives its name and size, and the next header follows the (2-byte aligned) data.
 *
 * Invariants: the global magic and every header's terminator are checked; sizes are
 * bounds-checked against the source; at most MAX_MEMBERS headers are read.
 */
import { invalid } from "../errors";

export interface RangeSource {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface ArMember {
  name: string;
  offset: number;
  size: number;
}

const MAGIC = "!<arch>\n";
const HEADER = 60;
const MAX_MEMBERS = 16;
const bad = (why: string) => invalid("Archive", `the ar archive is not valid: ${why}`);
const latin = new TextDecoder("latin1");

export async function readArMembers(src: RangeSource): Promise<ArMember[]> {
  if (src.size < MAGIC.length || latin.decode(await src.read(0, MAGIC.length)) !== MAGIC) throw bad("no !<arch> magic");
  const members: ArMember[] = [];
  let p = MAGIC.length;
  while (p + HEADER <= src.size && members.length < MAX_MEMBERS) {
    const h = latin.decode(await src.read(p, HEADER));
    if (h.slice(58, 60) !== "`\n") throw bad(`member header at ${p} is corrupt`);
    const size = Number(h.slice(48, 58).trim());
    if (!Number.isSafeInteger(size) || size < 0 || p + HEADER + size > src.size) throw bad(`member at ${p} runs past the end`);
    members.push({ name: h.slice(0, 16).trim().replace(/\/$/, ""), offset: p + HEADER, size });
    p += HEADER + size + (size % 2);
  }
  return members;
}
