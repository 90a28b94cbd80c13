/**
 * The Maven 2 repository layout: what a request path names, snapshot file names, and
 * version ordering.
 *
 *   <g/r/o/u/p>/<artifactId>/maven-metadata.xml[.sha1|.md5|.sha256|.sha512]     artifact level
 *   <g/r/o/u/p>/<artifactId>/<V-SNAPSHOT>/maven-metadata.xml[…]                 version level
 *   <g/r/o/u/p>/<artifactId>/<version>/<artifactId>-<version>[-classifier].<ext>[.sha1|…]
 *   where a SNAPSHOT file's <version> is `<base>-<yyyyMMdd.HHmmss>-<build>` (or V-SNAPSHOT).
 *
 * Invariants: every path segment is [A-Za-z0-9._+~-], never `.`/`..`; a file must sit in
 * its artifact's version directory and be named after them, so one stored path maps to
 * exactly one (groupId, artifactId, version).
 */
import { invalid } from "../../core/errors";

export const CHECKSUMS = ["sha1", "md5", "sha256", "sha512"] as const;
export type MavenChecksum = (typeof CHECKSUMS)[number];

export interface MavenCoordinates {
  groupId: string;
  artifactId: string;
}

export type MavenPath =
  | { kind: "metadata"; path: string; groupId: string; artifactId: string; version: string | null; checksum: MavenChecksum | null }
  | { kind: "file"; path: string; groupId: string; artifactId: string; version: string; fileName: string; checksum: MavenChecksum | null };

const SEGMENT = /^[A-Za-z0-9_+~-][A-Za-z0-9._+~-]*$/;
const SNAPSHOT_VALUE = /^(.+)-(\d{8}\.\d{6})-(\d+)$/;

export const isSnapshot = (version: string) => version.endsWith("-SNAPSHOT");

export function parseMavenPath(raw: string): MavenPath {
  const bad = (why: string) => invalid("MavenPath", `'${raw}' is not a Maven repository path: ${why}`);
  let path = raw;
  let checksum: MavenChecksum | null = null;
  for (const alg of CHECKSUMS) {
    if (path.endsWith(`.${alg}`)) {
      checksum = alg;
      path = path.slice(0, -alg.length - 1);
      break;
    }
  }
  const segs = path.split("/");
  if (segs.some((s) => !SEGMENT.test(s) || s === "." || s === "..")) throw bad("invalid path segment");
  const fileName = segs[segs.length - 1]!;
  const dirs = segs.slice(0, -1);
  if (fileName === "maven-metadata.xml") {
    const last = dirs[dirs.length - 1] ?? "";
    if (isSnapshot(last) && dirs.length >= 3) {
      return { kind: "metadata", path, groupId: dirs.slice(0, -2).join("."), artifactId: dirs[dirs.length - 2]!, version: last, checksum };
    }
    if (dirs.length < 2) throw bad("metadata needs a groupId and an artifactId");
    return { kind: "metadata", path, groupId: dirs.slice(0, -1).join("."), artifactId: last, version: null, checksum };
  }
  if (dirs.length < 3) throw bad("expected <group path>/<artifactId>/<version>/<file>");
  const version = dirs[dirs.length - 1]!;
  const artifactId = dirs[dirs.length - 2]!;
  if (!fileParts(artifactId, version, fileName)) throw bad(`the file name must start with ${artifactId}-${version}`);
  return { kind: "file", path, groupId: dirs.slice(0, -2).join("."), artifactId, version, fileName, checksum };
}

export interface FileParts {
  /** The version as spelled in the file name (a timestamped value for SNAPSHOT builds). */
  value: string;
  classifier: string;
  extension: string;
  /** For timestamped SNAPSHOT files. */
  timestamp?: string;
  buildNumber?: number;
}

/** Splits `<artifactId>-<value>[-classifier].<ext>`; null if it doesn't belong to this version. */
export function fileParts(artifactId: string, version: string, fileName: string): FileParts | null {
  const prefix = `${artifactId}-`;
  if (!fileName.startsWith(prefix)) return null;
  const rest = fileName.slice(prefix.length);
  const split = (value: string, extra: Partial<FileParts> = {}): FileParts | null => {
    if (!rest.startsWith(value)) return null;
    const tail = rest.slice(value.length);
    let m = /^\.(.+)$/.exec(tail);
    if (m) return { value, classifier: "", extension: m[1]!, ...extra };
    m = /^-([^.]+)\.(.+)$/.exec(tail);
    return m ? { value, classifier: m[1]!, extension: m[2]!, ...extra } : null;
  };
  if (!isSnapshot(version)) return split(version);
  const base = version.slice(0, -"-SNAPSHOT".length);
  const stamped = new RegExp(`^(${escapeRe(base)}-(\\d{8}\\.\\d{6})-(\\d+))(?=[.-])`).exec(rest);
  if (stamped) return split(stamped[1]!, { timestamp: stamped[2]!, buildNumber: Number(stamped[3]) });
  return split(version);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export const isTimestampedValue = (value: string) => SNAPSHOT_VALUE.test(value);

// ---- version ordering (a simplified ComparableVersion) --------------------------------

const QUALIFIERS = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const ALIASES: Record<string, string> = { a: "alpha", b: "beta", m: "milestone", cr: "rc", ga: "", final: "", release: "" };

function items(version: string): (number | string)[] {
  return version
    .toLowerCase()
    .split(/[.-]|(?<=\d)(?=\D)|(?<=\D)(?=\d)/)
    .filter((s) => s !== "")
    .map((s) => (/^\d+$/.test(s) ? Number(s) : (ALIASES[s] ?? s)));
}

function compareItem(a: number | string | undefined, b: number | string | undefined): number {
  const na = a ?? (typeof b === "number" ? 0 : "");
  const nb = b ?? (typeof a === "number" ? 0 : "");
  if (typeof na === "number" && typeof nb === "number") return na - nb;
  if (typeof na === "number") return 1;
  if (typeof nb === "number") return -1;
  const ra = QUALIFIERS.indexOf(na);
  const rb = QUALIFIERS.indexOf(nb);
  if (ra >= 0 && rb >= 0) return ra - rb;
  if (ra >= 0) return -1;
  if (rb >= 0) return 1;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

export function compareMavenVersions(a: string, b: string): number {
  const ia = items(a);
  const ib = items(b);
  for (let i = 0; i < Math.max(ia.length, ib.length); i++) {
    const c = compareItem(ia[i], ib[i]);
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * A matcher for a Maven version or version range, as a dependency would write it: a bare
 * version matches exactly that version (compareMavenVersions, so `1.0` = `1.0.0`); ranges
 * are `[1.0]`, `[1.0,2.0)`, `(,1.0]`, `[1.5,)` and unions of them separated by commas
 * (`(,1.0],[1.2,)`), `[`/`]` inclusive, `(`/`)` exclusive.
 */
export function mavenVersionMatcher(spec: string): (version: string) => boolean {
  const text = spec.trim();
  const bad = () => invalid("BlockVersions", `'${spec}' is not a Maven version or version range`);
  if (!text) throw bad();
  if (!/^[[(]/.test(text)) {
    if (/[[\](),\s]/.test(text)) throw bad();
    return (v) => v === text || compareMavenVersions(v, text) === 0;
  }
  const sets: ((v: string) => boolean)[] = [];
  const RANGE = /^\s*([[(])\s*([^,\])]*?)\s*(?:(,)\s*([^\])]*?)\s*)?([\])])\s*(?:,|$)/;
  let rest = text;
  while (rest.trim()) {
    const m = RANGE.exec(rest);
    if (!m) throw bad();
    rest = rest.slice(m[0].length);
    const [, open, low, comma, high, close] = m;
    if (!comma) {
      if (open !== "[" || close !== "]" || !low) throw bad();
      sets.push((v) => compareMavenVersions(v, low) === 0);
      continue;
    }
    if (!low && !high) throw bad();
    sets.push((v) => {
      if (low) {
        const c = compareMavenVersions(v, low);
        if (c < 0 || (c === 0 && open === "(")) return false;
      }
      if (high) {
        const c = compareMavenVersions(v, high);
        if (c > 0 || (c === 0 && close === ")")) return false;
      }
      return true;
    });
  }
  return (v) => sets.some((s) => s(v));
}
