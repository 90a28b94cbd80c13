/**
 * OIDC trust-policy matching: does a verified token's claim set satisfy a policy?
 *
 * Invariants:
 * - Every condition must hold (AND); a condition holds when the claim equals, or
 *   matches as a glob, any one of its values (OR).
 * - A missing claim, or one that is an object, never matches. Booleans and numbers are
 *   compared by their JSON text (GitLab's `ref_protected` is "true"); an array claim
 *   matches when one of its elements does.
 * - Globs follow GitHub's branch-pattern rules: `*` matches within one `/`-separated
 *   segment, `**` matches across segments, `?` matches one non-`/` character; the
 *   pattern is anchored at both ends. `refs/heads/*` therefore does not match
 *   `refs/heads/feature/x`; write `refs/heads/**` for that.
 * - Audiences: the token's `aud` (string or array) must contain one of the policy's.
 */

export type ClaimMatch = "exact" | "glob";

export interface ClaimCondition {
  claim: string;
  match: ClaimMatch;
  values: string[];
}

export type Claims = Record<string, unknown>;

export interface ConditionFailure {
  claim: string;
  /** The claim's value as the token carried it (truncated), or null when absent. */
  actual: string | null;
}

export function claimStrings(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return [value];
  if (typeof value === "number" || typeof value === "boolean") return [String(value)];
  if (Array.isArray(value)) {
    const out = value.filter((v) => ["string", "number", "boolean"].includes(typeof v)).map(String);
    return out.length === value.length ? out : null;
  }
  return null;
}

const cache = new Map<string, RegExp>();

/** Compiles a claim glob (see module comment) into an anchored RegExp. */
export function claimGlob(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "*" && pattern[i + 1] === "*") {
      out += ".*";
      i++;
    } else if (ch === "*") out += "[^/]*";
    else if (ch === "?") out += "[^/]";
    else out += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  re = new RegExp(`^${out}$`, "s");
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, re);
  return re;
}

function conditionHolds(cond: ClaimCondition, actual: string[]): boolean {
  return actual.some((a) => cond.values.some((v) => (cond.match === "exact" ? a === v : claimGlob(v).test(a))));
}

/** The first condition the claims fail, or null when all hold. */
export function firstFailedCondition(conditions: readonly ClaimCondition[], claims: Claims): ConditionFailure | null {
  for (const cond of conditions) {
    const actual = claimStrings(claims[cond.claim]);
    if (!actual || !conditionHolds(cond, actual)) {
      return { claim: cond.claim, actual: actual ? truncate(actual.join(",")) : null };
    }
  }
  return null;
}

export function audienceMatches(tokenAud: unknown, accepted: readonly string[]): boolean {
  const auds = claimStrings(tokenAud);
  return auds !== null && auds.some((a) => accepted.includes(a));
}

export const truncate = (s: string, max = 256) => (s.length > max ? `${s.slice(0, max)}…` : s);
