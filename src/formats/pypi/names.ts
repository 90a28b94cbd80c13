/**
 * Python project names, versions and distribution file names, as pure functions.
 *
 * Invariants:
 * - A project is stored under its PEP 503 normalized name (`re.sub(r"[-_.]+", "-", n).lower()`);
 *   two spellings that normalize alike are the same project.
 * - Only the distribution formats PyPI still accepts are uploadable (PEP 527):
 *   wheels (`.whl`) and sdists (`.tar.gz`, `.zip`), and a file's name must name the
 *   project and version it is uploaded as.
 * - Versions match when PEP 440 calls them equal (`versionKey`); versions outside
 *   PEP 440 match only up to case and separators.
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

// PEP 440's public and local version grammar (packaging's VERSION_PATTERN), case-insensitive.
const PEP440 =
  /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;
const PRE: Record<string, string> = { alpha: "a", a: "a", beta: "b", b: "b", c: "rc", pre: "rc", preview: "rc", rc: "rc" };
const int = (digits: string) => digits.replace(/^0+(?=\d)/, "");

/**
 * The PEP 440 normal form of a version with trailing zero release segments dropped, so
 * that two versions PEP 440 calls equal (`1.0` and `1.0.0`, `1.0-RC.1` and `1.0rc1`)
 * have the same key; null for a version outside PEP 440.
 */
export function versionKey(version: string): string | null {
  const m = PEP440.exec(version);
  if (!m) return null;
  const [, epoch, release, pre, preN, postDash, post, postN, dev, devN, local] = m;
  const segments = release!.split(".").map(int);
  while (segments.length > 1 && segments[segments.length - 1] === "0") segments.pop();
  let key = (epoch && int(epoch) !== "0" ? `${int(epoch)}!` : "") + segments.join(".");
  if (pre) key += PRE[pre.toLowerCase()]! + int(preN ?? "0");
  if (postDash !== undefined || post) key += `.post${int(postDash ?? postN ?? "0")}`;
  if (dev) key += `.dev${int(devN ?? "0")}`;
  if (local) key += "+" + local.toLowerCase().split(/[-_.]/).map((s) => (/^\d+$/.test(s) ? int(s) : s)).join(".");
  return key;
}

/** Equal per PEP 440 when both parse; otherwise the same up to case, a leading `v` and `-`/`_`/`.`. */
export function sameVersion(a: string, b: string): boolean {
  const ka = versionKey(a);
  const kb = versionKey(b);
  if (ka !== null && kb !== null) return ka === kb;
  const loose = (v: string) => v.trim().toLowerCase().replace(/^v/, "").replace(/[-_]/g, ".");
  return loose(a) === loose(b);
}

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
    if (!sameVersion(m[2]!, version)) throw bad(`its version is not ${version}`);
    return kind;
  }
  const stem = filename.replace(/\.(tar\.gz|zip)$/, "");
  for (let i = stem.indexOf("-"); i > 0; i = stem.indexOf("-", i + 1)) {
    if (normalizeName(stem.slice(0, i)) === wanted && sameVersion(stem.slice(i + 1), version)) return kind;
  }
  throw bad(`an sdist of ${project} ${version} is named ${project}-${version}.tar.gz`);
}
