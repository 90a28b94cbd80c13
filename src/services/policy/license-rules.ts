/**
 * What licence policies say about one declared licence (pure): the policies that apply
 * to a repo and format, and for each whether the licence is refused, warned about or fine.
 * Invariants: a policy applies when enabled and its project, repo and formats (empty:
 * all) include the artifact's; an unknown licence gets the policy's `unknown_action`,
 * a known one its `action` when the allow/deny lists refuse it (core/spdx.ts).
 */
import { judgeLicense, parseLicense } from "../../core/spdx";
import { globToRegExp } from "../../core/names";
import type { LicensePolicyRow } from "../../db/policy";

export interface LicenseFinding {
  policy: LicensePolicyRow;
  action: "warn" | "block";
  reason: string;
}

export function appliesTo(p: LicensePolicyRow, projectId: string, repoId: string, format: string): boolean {
  return p.enabled && (p.projectId === null || p.projectId === projectId) && (p.repoId === null || p.repoId === repoId) && (p.formats.length === 0 || p.formats.includes(format));
}

/** Every applicable policy's finding about `license` (null: none declared), refusals first. */
export function licenseFindings(policies: LicensePolicyRow[], at: { projectId: string; repoId: string; format: string }, license: string | null): LicenseFinding[] {
  const parsed = parseLicense(license);
  const out: LicenseFinding[] = [];
  for (const p of policies) {
    if (!appliesTo(p, at.projectId, at.repoId, at.format)) continue;
    if (parsed.kind === "unknown") {
      if (p.unknownAction !== "allow") out.push({ policy: p, action: p.unknownAction, reason: parsed.declared ? `'${parsed.declared}' is not an SPDX licence expression (unknown licence)` : "no licence is declared (unknown licence)" });
      continue;
    }
    const verdict = judgeLicense(parsed, p);
    if (!verdict.allowed) {
      const why = (id: string) => (p.deny.some((g) => globToRegExp(g).test(id.replace(/ WITH .*/, ""))) ? "denied" : "not allowed");
      out.push({ policy: p, action: p.action, reason: `'${parsed.expression}' relies on ${verdict.refused.map((id) => `${id} (${why(id)})`).join(", ")}` });
    }
  }
  return out.sort((a, b) => (a.action === b.action ? 0 : a.action === "block" ? -1 : 1));
}

/** The policy whose refusal blocks downloads of a stored version with this licence, if any. */
export const blockingPolicy = (policies: LicensePolicyRow[], at: { projectId: string; repoId: string; format: string }, license: string | null) =>
  licenseFindings(policies, at, license).find((f) => f.action === "block")?.policy ?? null;
