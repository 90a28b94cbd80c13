/**
 * The module zip rules of golang.org/x/mod/zip (checkZip, which the go command applies
 * when it unzips a download) and module.CheckFilePath, as pure functions over a zip's
 * central directory, plus the vendoring rule of zip.Create (a zip holds no vendored
 * packages, so its hash matches the one the checksum database would compute).
 *
 * Invariants (each refusal names the offending entry):
 * - Every entry is under `<module>@<version>/`; the part after it is a clean relative
 *   path (no empty, `.` or `..` elements, no leading or trailing slash) whose elements
 *   hold only letters (any script), digits, space and ``!#$%&()+,-.=@[]^_{}~``, are not
 *   all dots, do not end in a dot, and are not Windows device names (CON, NUL, COM1…).
 * - No two paths are equal under Unicode case folding, no path is both a file and a
 *   directory, no file appears twice; directory entries are otherwise ignored.
 * - go.mod appears only at the root and spelled `go.mod`; go.mod and LICENSE are at most
 *   16 MiB; the files add up to at most 500 MiB unpacked (the zip itself is capped at
 *   500 MiB where it is received).
 * - No file lies in a vendored package (`vendor/<pkg>/…`; `vendor/modules.txt` too from
 *   go 1.24 on, following the root go.mod's `go` line), as zip.Create leaves them out.
 */
import { invalid } from "../../core/errors";
import type { ZipEntry } from "../../core/zip";

export const MAX_ZIP_BYTES = 500 * 1024 * 1024;
export const MAX_GO_MOD_BYTES = 16 * 1024 * 1024;
export const MAX_LICENSE_BYTES = 16 * 1024 * 1024;

const ASCII_OK = /^[0-9A-Za-z!#$%&()+,\-.=@[\]^_{}~ ]$/;
const LETTER = /^\p{L}$/u;
const WINDOWS_NAMES = new Set(["CON", "PRN", "AUX", "NUL", ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`COM${n}`, `LPT${n}`])]);

const quote = (s: string) => JSON.stringify(s);

/** CON, PRN, AUX, NUL, COM1–9, LPT1–9, in any case. */
export const isWindowsDeviceName = (name: string) => WINDOWS_NAMES.has(name.toUpperCase());

/** Why one element of a file path is invalid (module.checkElem for file paths), or null. */
function elementProblem(elem: string): string | null {
  if (elem === "") return "empty path element";
  if (/^\.+$/.test(elem)) return `invalid path element ${quote(elem)}`;
  if (elem.endsWith(".")) return "trailing dot in path element";
  for (const ch of elem) {
    if (ch.codePointAt(0)! < 0x80 ? !ASCII_OK.test(ch) : !LETTER.test(ch)) return `invalid char ${quote(ch)}`;
  }
  const short = elem.split(".")[0]!;
  if (isWindowsDeviceName(short)) return `${quote(short)} disallowed as path element component on Windows`;
  return null;
}

/** Why a slash-separated file path is invalid (module.CheckFilePath), or null. */
export function filePathProblem(path: string): string | null {
  if (path === "") return "empty string";
  if (path.includes("//")) return "double slash";
  if (path.endsWith("/")) return "trailing slash";
  for (const elem of path.split("/")) {
    const problem = elementProblem(elem);
    if (problem) return problem;
  }
  return null;
}

/**
 * A key equal for two strings exactly when Go's strings.EqualFold says so, near enough:
 * each character maps to its upper case then lower case (Kelvin K, long s, final sigma
 * fold like Go); a character whose upper case is several characters (ß) keeps its own
 * lower case, as Go's simple folding does.
 */
export function foldKey(s: string): string {
  let out = "";
  for (const ch of s) {
    const upper = ch.toUpperCase();
    out += [...upper].length === 1 ? upper.toLowerCase() : ch.toLowerCase();
  }
  return out;
}

/** The language version of a go.mod's `go` line as [major, minor], or null. */
export function goLanguage(goMod: string): [number, number] | null {
  const m = /^\s*go\s+(\d+)\.(\d+)/m.exec(goMod.replace(/\/\/.*$/gm, ""));
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** zip.Create's isVendoredPackage: is this file in a vendored package? */
export function isVendored(name: string, lang: [number, number] | null): boolean {
  const go124 = lang !== null && (lang[0] > 1 || (lang[0] === 1 && lang[1] >= 24));
  if (go124 && name === "vendor/modules.txt") return true;
  let i: number;
  if (name.startsWith("vendor/")) i = "vendor/".length;
  else {
    const j = name.indexOf("/vendor/");
    if (j < 0) return false;
    // Before go 1.24, x/mod skipped only len("/vendor/") bytes from the start (golang.org/issue/37397).
    i = go124 ? j + "/vendor/".length : "/vendor/".length;
  }
  return name.slice(i).includes("/");
}

/** Records paths and their parent directories; throws on a collision. */
class Collisions {
  private readonly seen = new Map<string, { path: string; isDir: boolean }>();

  check(path: string, isDir: boolean): string | null {
    const key = foldKey(path);
    const other = this.seen.get(key);
    if (other) {
      if (other.path !== path) return `case-insensitive file name collision: ${quote(other.path)} and ${quote(path)}`;
      if (other.isDir !== isDir) return `entry ${quote(path)} is both a file and a directory`;
      if (!isDir) return `multiple entries for file ${quote(path)}`;
      return null; // a directory seen again (as the parent of several files)
    }
    this.seen.set(key, { path, isDir });
    const slash = path.lastIndexOf("/");
    return slash > 0 ? this.check(path.slice(0, slash), true) : null;
  }
}

const zipProblem = (entry: string, why: string) => invalid("ModuleZip", `invalid module zip: ${quote(entry)}: ${why}`);

/** The entries that are files, with their path under `<module>@<version>/`. */
function files(entries: ZipEntry[], prefix: string) {
  return entries.filter((e) => e.name.length > prefix.length && !e.name.endsWith("/")).map((e) => ({ e, name: e.name.slice(prefix.length) }));
}

/** Checks a module zip's entries (all rules but vendoring); returns the root go.mod entry, if any. */
export function checkModuleZip(entries: ZipEntry[], module: string, version: string): ZipEntry | null {
  const prefix = `${module}@${version}/`;
  const collisions = new Collisions();
  let total = 0;
  let root: ZipEntry | null = null;
  for (const e of entries) {
    if (!e.name.startsWith(prefix)) throw zipProblem(e.name, `path does not have prefix ${quote(prefix)}`);
    let name = e.name.slice(prefix.length);
    if (name === "") continue;
    const isDir = name.endsWith("/");
    if (isDir) name = name.slice(0, -1);
    if (name.startsWith("/")) throw zipProblem(e.name, "file path is not relative");
    if (name.split("/").some((x) => x === "" || x === "." || x === "..")) throw zipProblem(e.name, "file path is not clean");
    const problem = filePathProblem(name) ?? collisions.check(name, isDir);
    if (problem) throw zipProblem(e.name, problem);
    if (isDir) continue;
    const base = name.slice(name.lastIndexOf("/") + 1);
    if (foldKey(base) === "go.mod") {
      if (base !== name) throw zipProblem(e.name, "go.mod file not in module root directory");
      if (name !== "go.mod") throw zipProblem(e.name, "go.mod files must have lowercase names");
      root = e;
    }
    total += e.uncompressedSize;
    if (total > MAX_ZIP_BYTES) throw zipProblem(e.name, `total uncompressed size of module contents too large (max size is ${MAX_ZIP_BYTES} bytes)`);
    if (name === "go.mod" && e.uncompressedSize > MAX_GO_MOD_BYTES) throw zipProblem(e.name, `go.mod file too large (max size is ${MAX_GO_MOD_BYTES} bytes)`);
    if (name === "LICENSE" && e.uncompressedSize > MAX_LICENSE_BYTES) throw zipProblem(e.name, `LICENSE file too large (max size is ${MAX_LICENSE_BYTES} bytes)`);
  }
  return root;
}

/** Refuses files in vendored packages; `goMod` is the root go.mod's text (null: none). */
export function checkVendoring(entries: ZipEntry[], module: string, version: string, goMod: string | null): void {
  const lang = goMod === null ? null : goLanguage(goMod);
  for (const { e, name } of files(entries, `${module}@${version}/`)) {
    if (isVendored(name, lang)) throw zipProblem(e.name, "file is in a vendored package (module zips leave vendor/ packages out, as golang.org/x/mod/zip.Create does)");
  }
}
