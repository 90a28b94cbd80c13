/**
 * Python project names, versions and distribution file names, as pure functions.
 *
 * Invariants:
 * - A project is stored under its PEP 503 normalized name (`re.sub(r"[-_.]+", "-", n).lower()`);
 *   two spellings that normalize alike are the same project.
 * - Only the distribution formats PyPI still accepts are uploadable (PEP 527):
 *   wheels (`.whl`) and sdists (`.tar.gz`, `.zip`), and a file's name must name the
 *   project and version it is uploaded as.
 */
import { invalid } from "../../core/errors";

const PROJECT_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9.+!_-]*$/;
const WHEEL = /^([^-]+)-([^-]+)(?:-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$/;

/** PEP 503: runs of `-`, `_`, `.` become one `-`, lowercased (idempotent). */
export const normalizeName = (name: string) => name.replace(/[-_.]+/g, "-").toLowerCase();

export function assertProjectName(name: string): string {
  if (name.length > 200 || !PROJECT_NAME.test(name)) {
    throw invalid("PackageName", `'${name}' is not a valid project name (PEP 508: letters, digits, '.', '-', '_', starting and ending with a letter or digit)`);
  }
  return name;
}

export function assertVersion(version: string): string {
  if (version.length > 128 || !VERSION.test(version)) throw invalid("PackageVersion", `'${version}' is not a valid version`);
  return version;
}

/** A loose canonical form: enough to match a file name's version to the declared one. */
const canonicalVersion = (v: string) => v.toLowerCase().replace(/^v/, "").replace(/[-_]/g, ".");

export type DistKind = "bdist_wheel" | "sdist";

export function distKind(filename: string): DistKind | null {
  if (filename.endsWith(".whl")) return "bdist_wheel";
  if (filename.endsWith(".tar.gz") || filename.endsWith(".zip")) return "sdist";
  return null;
}

/** Checks that `filename` is a distribution of `project` at `version`; returns its kind. */
export function assertDistFilename(filename: string, project: string, version: string): DistKind {
  const bad = (why: string) => invalid("Filename", `invalid distribution file name '${filename}': ${why}`);
  if (filename.length > 255 || /[/\\\0]/.test(filename) || filename.startsWith(".")) throw bad("not a plain file name");
  const kind = distKind(filename);
  if (!kind) throw bad("only wheels (.whl) and sdists (.tar.gz, .zip) can be uploaded");
  const wanted = normalizeName(project);
  if (kind === "bdist_wheel") {
    const m = WHEEL.exec(filename);
    if (!m) throw bad("a wheel is named {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl");
    if (normalizeName(m[1]!) !== wanted) throw bad(`it is not a distribution of '${project}'`);
    if (canonicalVersion(m[2]!) !== canonicalVersion(version)) throw bad(`its version is not ${version}`);
    return kind;
  }
  const stem = filename.replace(/\.(tar\.gz|zip)$/, "");
  for (let i = stem.indexOf("-"); i > 0; i = stem.indexOf("-", i + 1)) {
    if (normalizeName(stem.slice(0, i)) === wanted && canonicalVersion(stem.slice(i + 1)) === canonicalVersion(version)) return kind;
  }
  throw bad(`an sdist of ${project} ${version} is named ${project}-${version}.tar.gz`);
}

/** The `{name}-{version}.dist-info/` directory a wheel's METADATA lives in, lowercased for matching. */
export function distInfoDir(filename: string): string | null {
  const m = WHEEL.exec(filename);
  return m ? `${m[1]}-${m[2]}.dist-info/`.toLowerCase() : null;
}
