/**
 * Retention rules as small composable pure functions, and the evaluation that decides,
 * for every artifact of a repo, whether a run deletes it and *which rule decided* (as in
 * zot's retention: the record of what kept each artifact is what makes a dry-run
 * trustworthy). The same function plans a dry-run and a real run, so both produce the
 * same list from the same state.
 *
 * Invariants:
 * - A policy's condition is the AND of its parts; an absent part matches everything.
 *   A pattern is a glob (`*`, `?`, anchored) or, between slashes, a regular expression
 *   (`/^v\d+$/`). A tag pattern matches when any of the artifact's tags matches.
 * - An artifact is deleted only when at least one delete policy matches it, no keep
 *   policy matches it and nothing protects it (keep wins, as in Google Artifact
 *   Registry). Protections (legal hold, immutable tag, the tag-history window, a kept
 *   index that still needs it) are decided by the caller and always win.
 * - `keepMostRecent: N` (keep policies only) keeps, per package or image, the N most
 *   recently pushed artifacts among those its other conditions match.
 * - Decisions are deterministic: policies are applied in name order, artifacts in their
 *   given order; the deciding delete policy is the first (by name) that matches.
 */
import { globToRegExp } from "./names";
import type { RetentionAction, TagState } from "./vocabulary";

export const DAY_MS = 86_400_000;
/** Longest pattern a policy may hold (regular expressions run on every candidate). */
export const MAX_PATTERN_LENGTH = 200;

export interface RetentionCondition {
  /** Package or image names. */
  packagePatterns?: string[];
  /** Version strings (package formats) or manifest digests (images). */
  versionPatterns?: string[];
  /** OCI tags, npm dist-tags: matches when any tag matches. */
  tagPatterns?: string[];
  tagState?: TagState;
  /** Pushed more than this many days ago. */
  olderThanDays?: number;
  /** Pushed less than this many days ago. */
  newerThanDays?: number;
  /** Not downloaded (or, if never downloaded, not pushed) for this many days. */
  notDownloadedForDays?: number;
  /** Keep policies only: the N most recent artifacts per package or image among the matches. */
  keepMostRecent?: number;
}

export interface RetentionPolicy {
  id: string;
  name: string;
  action: RetentionAction;
  condition: RetentionCondition;
}

/** One artifact a run may delete: a package version, or an image manifest (with what depends on it). */
export interface Candidate {
  /** Unique within the plan (`v:<version id>`, `m:<image>@<digest>`). */
  key: string;
  package: string;
  /** The version string, or the manifest digest. */
  version: string;
  tags: string[];
  /** Push time (ms). */
  createdAt: number;
  /** Last download (ms), or null when never downloaded (or not recorded). */
  lastDownloadAt: number | null;
  /** Why it is always kept, whatever the policies say (legal-hold, immutable-tag, …); empty: nothing. */
  protections: string[];
}

/**
 * A delete names the deciding delete policy. A keep names what kept it (`keptBy`: a
 * keep policy's name, a protection, or NO_DELETE_POLICY), the keep policy if one did
 * (`keeper`), and the delete policy it escaped, if one matched (`escaped`).
 */
export type Decision =
  | { key: string; decision: "delete"; policy: RetentionPolicy }
  | { key: string; decision: "keep"; keptBy: string; keeper: RetentionPolicy | null; escaped: RetentionPolicy | null };

/** Why an artifact no delete policy matched is kept. */
export const NO_DELETE_POLICY = "no-delete-policy";

// ---- patterns ----

export function compilePattern(pattern: string): RegExp {
  if (pattern.length > 2 && pattern.startsWith("/") && pattern.endsWith("/")) return new RegExp(pattern.slice(1, -1));
  return globToRegExp(pattern);
}

/** Null when the pattern is usable; otherwise why not (for a 400). */
export function patternProblem(pattern: string): string | null {
  if (pattern.length === 0) return "a pattern can't be empty";
  if (pattern.length > MAX_PATTERN_LENGTH) return `a pattern may be at most ${MAX_PATTERN_LENGTH} characters`;
  try {
    compilePattern(pattern);
    return null;
  } catch (e) {
    return `'${pattern}' is not a valid regular expression: ${(e as Error).message}`;
  }
}

/** Null when the condition is usable for this action; otherwise why not. */
export function conditionProblem(action: RetentionAction, c: RetentionCondition): string | null {
  for (const p of [...(c.packagePatterns ?? []), ...(c.versionPatterns ?? []), ...(c.tagPatterns ?? [])]) {
    const problem = patternProblem(p);
    if (problem) return problem;
  }
  if (c.keepMostRecent !== undefined && action !== "keep") return "keep_most_recent belongs to a keep policy (a delete policy of 'all but the N most recent' is a keep policy)";
  if (c.olderThanDays !== undefined && c.newerThanDays !== undefined && c.newerThanDays <= c.olderThanDays) {
    return "newer_than_days must be greater than older_than_days, or nothing matches";
  }
  if (c.tagState === "untagged" && c.tagPatterns?.length) return "tag_patterns can't match an untagged artifact";
  if (action === "delete" && Object.values(c).every((v) => v === undefined || (Array.isArray(v) && v.length === 0))) {
    return "a delete policy needs at least one condition (it would delete everything)";
  }
  return null;
}

// ---- conditions: one predicate each ----

type Predicate = (c: Candidate, now: number) => boolean;

const anyOf = (patterns: string[]) => {
  const res = patterns.map(compilePattern);
  return (value: string) => res.some((r) => r.test(value));
};

const PREDICATES: { [K in keyof RetentionCondition]-?: (value: NonNullable<RetentionCondition[K]>) => Predicate | null } = {
  packagePatterns: (p) => (p.length ? ((m) => (c) => m(c.package))(anyOf(p)) : null),
  versionPatterns: (p) => (p.length ? ((m) => (c) => m(c.version))(anyOf(p)) : null),
  tagPatterns: (p) => (p.length ? ((m) => (c) => c.tags.some(m))(anyOf(p)) : null),
  tagState: (s) => (s === "any" ? null : (c) => (c.tags.length > 0) === (s === "tagged")),
  olderThanDays: (d) => (c, now) => now - c.createdAt > d * DAY_MS,
  newerThanDays: (d) => (c, now) => now - c.createdAt < d * DAY_MS,
  notDownloadedForDays: (d) => (c, now) => now - (c.lastDownloadAt ?? c.createdAt) > d * DAY_MS,
  keepMostRecent: () => null, // ranked across candidates, not per candidate: see evaluate
};

/** The condition as one predicate: every part that is set must hold. */
export function compileCondition(condition: RetentionCondition): Predicate {
  const parts = (Object.keys(PREDICATES) as (keyof RetentionCondition)[])
    .filter((k) => condition[k] !== undefined)
    .map((k) => (PREDICATES[k] as (v: unknown) => Predicate | null)(condition[k]))
    .filter((p): p is Predicate => p !== null);
  return (c, now) => parts.every((p) => p(c, now));
}

/** Keys of the N most recently pushed candidates per package among `matching`. */
function mostRecent(matching: Candidate[], n: number): Set<string> {
  const byPackage = new Map<string, Candidate[]>();
  for (const c of matching) byPackage.set(c.package, [...(byPackage.get(c.package) ?? []), c]);
  const kept = new Set<string>();
  for (const list of byPackage.values()) {
    const newestFirst = [...list].sort((a, b) => b.createdAt - a.createdAt || (a.version < b.version ? 1 : a.version > b.version ? -1 : 0));
    for (const c of newestFirst.slice(0, n)) kept.add(c.key);
  }
  return kept;
}

/** What each policy matches, as a predicate over candidates (keep-most-recent ranked once). */
function matchersOf(policies: RetentionPolicy[], candidates: Candidate[], now: number): Map<string, (c: Candidate) => boolean> {
  const out = new Map<string, (c: Candidate) => boolean>();
  for (const p of policies) {
    const base = compileCondition(p.condition);
    if (p.condition.keepMostRecent === undefined) {
      out.set(p.id, (c) => base(c, now));
      continue;
    }
    const kept = mostRecent(candidates.filter((c) => base(c, now)), p.condition.keepMostRecent);
    out.set(p.id, (c) => kept.has(c.key));
  }
  return out;
}

const byName = (a: RetentionPolicy, b: RetentionPolicy) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Decides every candidate. Protections first (they always keep), then keep policies,
 * then delete policies; a candidate no policy matches is kept with NO_DELETE_POLICY.
 */
export function evaluate(policies: RetentionPolicy[], candidates: Candidate[], now: number): Decision[] {
  const sorted = [...policies].sort(byName);
  const keeps = sorted.filter((p) => p.action === "keep");
  const deletes = sorted.filter((p) => p.action === "delete");
  const match = matchersOf(sorted, candidates, now);
  return candidates.map((c): Decision => {
    const deleter = deletes.find((p) => match.get(p.id)!(c)) ?? null;
    if (c.protections.length) return { key: c.key, decision: "keep", keptBy: c.protections[0]!, keeper: null, escaped: deleter };
    const keeper = keeps.find((p) => match.get(p.id)!(c)) ?? null;
    if (keeper) return { key: c.key, decision: "keep", keptBy: keeper.name, keeper, escaped: deleter };
    if (deleter) return { key: c.key, decision: "delete", policy: deleter };
    return { key: c.key, decision: "keep", keptBy: NO_DELETE_POLICY, keeper: null, escaped: null };
  });
}

/**
 * Bytes a set of deletions frees once purged, after deduplication: a blob counts once,
 * and only when nothing that stays still uses it. `held` lists what each candidate
 * holds (digest → size); `stillUsed` says whether a digest is used by something outside
 * the deleted set (a kept artifact, another repo, an earlier trash entry).
 */
export function freedBytes(deleted: { key: string; held: Map<string, number> }[], stillUsed: (digest: string) => boolean): { total: number; perItem: Map<string, number> } {
  const seen = new Set<string>();
  const perItem = new Map<string, number>();
  let total = 0;
  for (const d of deleted) {
    let mine = 0;
    for (const [digest, size] of d.held) {
      if (seen.has(digest) || stillUsed(digest)) continue;
      seen.add(digest);
      mine += size;
    }
    perItem.set(d.key, mine);
    total += mine;
  }
  return { total, perItem };
}

/** Why an artifact a kept index still lists is kept. */
export const NEEDED_BY_INDEX = "needed-by-index";

/**
 * Keeps what a kept artifact still needs: `neededBy` maps a candidate to the candidates
 * that reference it (an index and its platform manifests). Repeated until nothing
 * changes, so a chain of indexes is followed whole.
 */
export function keepNeeded(decisions: Decision[], neededBy: Map<string, string[]>): Decision[] {
  const byKey = new Map(decisions.map((d) => [d.key, d]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const [key, parents] of neededBy) {
      const d = byKey.get(key);
      if (d?.decision !== "delete") continue;
      if (parents.some((p) => byKey.get(p)?.decision === "keep")) {
        byKey.set(key, { key, decision: "keep", keptBy: NEEDED_BY_INDEX, keeper: null, escaped: d.policy });
        changed = true;
      }
    }
  }
  return decisions.map((d) => byKey.get(d.key)!);
}
