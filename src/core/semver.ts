/**
 * Semantic Versioning 2.0.0: parsing and precedence (semver.org §11), shared by Cargo
 * (bare `1.2.3`) and Go modules (`v1.2.3`). Invariant: build metadata is parsed but
 * never affects precedence; numeric identifiers have no leading zeros.
 */

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
  build: string[];
}

const NUM = "0|[1-9]\\d*";
const IDENT = `(?:${NUM}|\\d*[a-zA-Z-][0-9a-zA-Z-]*)`;
const SEMVER = new RegExp(`^(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$`);

export function parseSemver(text: string): SemVer | null {
  const m = SEMVER.exec(text);
  if (!m) return null;
  const nums = [m[1], m[2], m[3]].map(Number);
  if (nums.some((n) => !Number.isSafeInteger(n))) return null;
  return { major: nums[0]!, minor: nums[1]!, patch: nums[2]!, prerelease: m[4] ? m[4].split(".") : [], build: m[5] ? m[5].split(".") : [] };
}

export const isPrerelease = (v: SemVer) => v.prerelease.length > 0;

/** Negative if a < b, 0 if same precedence, positive if a > b. */
export function compareSemver(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  const pa = a.prerelease;
  const pb = b.prerelease;
  if (pa.length === 0 || pb.length === 0) return pb.length - pa.length;
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = compareIdent(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

function compareIdent(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return Number(a) - Number(b);
  if (na) return -1;
  if (nb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The version without build metadata: two versions that differ only in build metadata collide. */
export const withoutBuild = (text: string) => text.split("+")[0]!;

/** Highest of the given versions, preferring releases over pre-releases; null if none parse. */
export function highest(versions: readonly string[], parse: (v: string) => SemVer | null = parseSemver): string | null {
  const parsed = versions.map((v) => ({ v, s: parse(v) })).filter((x): x is { v: string; s: SemVer } => x.s !== null);
  const releases = parsed.filter((x) => !isPrerelease(x.s));
  const pool = releases.length ? releases : parsed;
  return pool.reduce<{ v: string; s: SemVer } | null>((best, x) => (!best || compareSemver(x.s, best.s) > 0 ? x : best), null)?.v ?? null;
}
