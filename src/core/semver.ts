/**
 * Semantic Versioning 2.0.0 for every format that speaks it (npm, Cargo, Go modules with
 * their `v` prefix stripped), on the maintained `semver` package (pure JavaScript, runs
 * in workerd) so precedence and, later, ranges follow npm's own implementation.
 *
 * Invariants: `parseSemver` is strict (exactly `major.minor.patch[-pre][+build]`: no `v`
 * or `=` prefix, no leading zeros, at most 256 characters); build metadata never affects
 * precedence; `highest` prefers releases over pre-releases.
 */
import { SemVer, compare, parse, satisfies, validRange } from "semver";

export type { SemVer };

export function parseSemver(text: string): SemVer | null {
  // semver's strict grammar still tolerates a leading `v`/`=` and surrounding spaces.
  if (text.length > 256 || !/^\d/.test(text) || text !== text.trim()) return null;
  return parse(text);
}

/** Negative if a < b, 0 if the same precedence, positive if a > b; invalid versions sort first. */
export function compareVersions(a: string, b: string): number {
  const x = parseSemver(a);
  const y = parseSemver(b);
  if (!x || !y) return (x ? 1 : 0) - (y ? 1 : 0) || (a < b ? -1 : a > b ? 1 : 0);
  return compare(x, y);
}

/** The version without build metadata: two versions that differ only in build metadata collide. */
export const withoutBuild = (text: string) => text.split("+")[0]!;

/** Highest of the given versions, preferring releases over pre-releases; null if none parse. */
export function highest(versions: readonly string[]): string | null {
  const parsed = versions.map((v) => ({ v, s: parseSemver(v) })).filter((x): x is { v: string; s: SemVer } => x.s !== null);
  const releases = parsed.filter((x) => x.s.prerelease.length === 0);
  const pool = releases.length ? releases : parsed;
  return pool.reduce<{ v: string; s: SemVer } | null>((best, x) => (!best || compare(x.s, best.s) > 0 ? x : best), null)?.v ?? null;
}

/**
 * A matcher for a version spec in node-semver's grammar (npm's own): a full version
 * matches exactly that version (build metadata ignored, as precedence ignores it),
 * anything else must be a range (`^1.2`, `>=1.0.0 <1.4.1`, `1.x || 2.0.0`, `*`), matched
 * with pre-releases included (a block must not let `1.4.1-rc.1` through a `<1.5.0`).
 * Null when the spec is neither.
 */
export function semverMatcher(spec: string): ((version: string) => boolean) | null {
  const exact = parseSemver(spec.trim());
  if (exact) return (v) => v === spec.trim() || (parseSemver(v)?.compare(exact) === 0);
  const range = validRange(spec, { includePrerelease: true });
  if (range === null) return null;
  return (v) => {
    const parsed = parseSemver(v);
    return parsed !== null && satisfies(parsed, range, { includePrerelease: true });
  };
}
