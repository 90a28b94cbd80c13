/**
 * What the policy domain needs to know about each repo format, given to it by the
 * format registry (formats/index.ts, from each Format descriptor) when the Worker
 * starts: whether its artifacts are package versions or image manifests, how a package
 * name becomes its lookup key, and how a version spec in the format's own grammar
 * (exact or a range) matches versions. Services can't import formats (they are above
 * them), so the registry hands the rules down instead.
 * Invariant: a format the registry did not describe is unknown here (`rulesOf` throws
 * InvalidBlockFormat), so a block or policy can only name a format the registry serves.
 */
import { invalid } from "../../core/errors";

export interface FormatRules {
  artifacts: "packages" | "images";
  packageKey: (name: string) => string;
  versionMatcher: (spec: string) => (version: string) => boolean;
  /** Whether its artifacts declare licences (licence policies judge only those). */
  licenses: boolean;
}

const rules = new Map<string, FormatRules>();

export function registerFormatRules(repoFormat: string, r: FormatRules): void {
  rules.set(repoFormat, r);
}

export function rulesOf(repoFormat: string): FormatRules {
  const r = rules.get(repoFormat);
  if (!r) throw invalid("BlockFormat", `'${repoFormat}' is not a repository format (${[...rules.keys()].join(", ")})`);
  return r;
}

export const knownFormats = () => [...rules.keys()];
/** Repo formats whose artifacts declare licences. */
export const licensedFormats = () => [...rules].filter(([, r]) => r.licenses).map(([f]) => f);
/** Repo formats whose artifacts are of this kind. */
export const formatsOf = (kind: FormatRules["artifacts"]) => [...rules].filter(([, r]) => r.artifacts === kind).map(([f]) => f);
