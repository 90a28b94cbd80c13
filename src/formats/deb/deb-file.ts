/**
 * Reads a binary package (deb(5)) through ranged reads of the stored object: the ar
 * member table, `debian-binary`, then only the `control.tar[.gz|.xz|.zst]` member, so
 * the data member (the bulk of the file) is never read.
 *
 * Invariants: a file passes only as format 2.x with debian-binary first and the control
 * member second (dpkg's order); the control member is read only up to MAX_CONTROL_MEMBER
 * bytes and decompressed only up to MAX_CONTROL_TAR; failures are InvalidArchive or
 * InvalidDebControl (400), never a runtime error.
 */
import { readArMembers, type RangeSource } from "../../core/archive/ar";
import { compressionOfName, decompress } from "../../core/archive/decompress";
import { readTar } from "../../core/archive/tar";
import { invalid } from "../../core/errors";
import { parseControl, type DebControl } from "./control";

export const MAX_CONTROL_MEMBER = 16 * 1024 * 1024;
export const MAX_CONTROL_TAR = 64 * 1024 * 1024;
const MAX_CONTROL_FILE = 1024 * 1024;

const bad = (why: string) => invalid("DebPackage", `the file is not a Debian binary package: ${why}`);

export async function readDebControl(src: RangeSource): Promise<DebControl> {
  const members = await readArMembers(src);
  const [binary, control] = members;
  if (binary?.name !== "debian-binary") throw bad("the first member is not debian-binary");
  const format = new TextDecoder().decode(await src.read(binary.offset, Math.min(binary.size, 16)));
  if (!/^2\.\d+\n/.test(format)) throw bad(`unsupported format version '${format.trim()}'`);
  if (!control || !/^control\.tar(\.(gz|xz|zst))?$/.test(control.name)) throw bad("the second member is not control.tar[.gz|.xz|.zst]");
  if (control.size > MAX_CONTROL_MEMBER) throw bad(`${control.name} is larger than ${MAX_CONTROL_MEMBER} bytes`);
  const tar = await decompress(await src.read(control.offset, control.size), compressionOfName(control.name)!, MAX_CONTROL_TAR, control.name);
  const entry = readTar(tar).find((e) => e.name === "control" && (e.type === "0" || e.type === "7"));
  if (!entry) throw bad(`${control.name} has no control file`);
  if (entry.size > MAX_CONTROL_FILE) throw bad(`the control file is larger than ${MAX_CONTROL_FILE} bytes`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(entry.data);
  } catch {
    throw bad("the control file is not UTF-8");
  }
  return parseControl(text);
}
