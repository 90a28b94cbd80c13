/**
 * Names users choose: project and repo slugs, service-account names, label keys.
 * Invariants: slugs are lowercase DNS-label-like (they appear in every protocol URL,
 * so they must never need escaping); patterns are simple globs matched whole.
 */
import { invalid, type Stem, type Suffix } from "./errors";

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-_.]{0,62}[a-z0-9])?$/;
export const SLUG_RULE =
  "1–64 characters: lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

/** Path prefixes of the URL layout that can't be project slugs without ambiguity. */
const RESERVED = new Set(["api", "health", "v2", "token", "blocked", "_catalog"]);

export function assertSlug(what: Stem<Suffix<"Invalid">, "Slug">, value: string): string {
  if (!SLUG_PATTERN.test(value) || RESERVED.has(value)) {
    throw invalid(`${what}Slug`, `${what.toLowerCase()} slug '${value}' is invalid: ${SLUG_RULE}`);
  }
  return value;
}

/** Glob with `*` (any run of characters) and `?` (one character), anchored at both ends. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}

export function matchesAny(value: string, globs: readonly string[]): boolean {
  return globs.some((g) => globToRegExp(g).test(value));
}

/**
 * Whether a package/image name may live in a repo with these allow/block patterns.
 * Blocked patterns win; an empty allow list allows everything.
 */
export function nameAllowed(name: string, allowed: readonly string[], blocked: readonly string[]): boolean {
  if (matchesAny(name, blocked)) return false;
  return allowed.length === 0 || matchesAny(name, allowed);
}
