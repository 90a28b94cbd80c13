/**
 * Just enough SemVer 2.0 for a registry: validate a published version and order
 * versions (to pick `latest` again after an unpublish).
 * Invariants: `parseSemver` accepts exactly the `major.minor.patch[-pre][+build]` grammar
 * (no leading `v`, no leading zeros in numeric parts); build metadata never affects order.
 */

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: (string | number)[];
}

const NUM = "0|[1-9]\\d*";
const PRE_ID = "(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)";
const SEMVER = new RegExp(`^(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`);

export function parseSemver(text: string): SemVer | null {
  if (text.length > 256) return null;
  const m = SEMVER.exec(text);
  if (!m) return null;
  const nums = [m[1], m[2], m[3]].map(Number);
  if (nums.some((n) => !Number.isSafeInteger(n))) return null;
  const prerelease = m[4] ? m[4].split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [];
  return { major: nums[0]!, minor: nums[1]!, patch: nums[2]!, prerelease };
}

/** Negative when a < b, positive when a > b, 0 when equal in precedence. Invalid versions sort first. */
export function compareSemver(a: string, b: string): number {
  const x = parseSemver(a);
  const y = parseSemver(b);
  if (!x || !y) return (x ? 1 : 0) - (y ? 1 : 0) || (a < b ? -1 : a > b ? 1 : 0);
  for (const k of ["major", "minor", "patch"] as const) if (x[k] !== y[k]) return x[k] - y[k];
  if (!x.prerelease.length || !y.prerelease.length) return y.prerelease.length - x.prerelease.length;
  for (let i = 0; i < Math.max(x.prerelease.length, y.prerelease.length); i++) {
    const p = x.prerelease[i];
    const q = y.prerelease[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (p === q) continue;
    if (typeof p === "number" && typeof q === "number") return p - q;
    if (typeof p === "number") return -1;
    if (typeof q === "number") return 1;
    return p < q ? -1 : 1;
  }
  return 0;
}

/** The highest stable version, else the highest prerelease, else undefined. */
export function highestVersion(versions: string[]): string | undefined {
  const sorted = [...versions].sort(compareSemver);
  const stable = sorted.filter((v) => parseSemver(v)?.prerelease.length === 0);
  return stable.at(-1) ?? sorted.at(-1);
}
