/**
 * Promotion gates as pure rules: given a target repo's gates and the facts about one
 * artifact, every gate's verdict.
 *
 * Invariants:
 * - Every configured gate is evaluated and reported, passed or not: a refused promotion
 *   names every failed gate, never just the first.
 * - A gate that is not configured is not reported (it neither passes nor fails).
 * - Findings count only when open now (an expired acceptance is open: core/findings.ts).
 * - A required label is `key` (present with any value) or `key=value` (that value).
 */
import { atOrAbove } from "./findings";
import type { Severity } from "./vocabulary";

export interface Gates {
  maxSeverity: Severity | null;
  requiredLabels: string[];
  minAgeSeconds: number | null;
}

export interface GateFacts {
  /** Open findings per severity. */
  openFindings: Record<Severity, number>;
  /** The artifact's labels, or null when its kind has none (packages). */
  labels: { key: string; value: string }[] | null;
  pushedAt: number;
  now: number;
}

/** `security` and `license` come from the policy domain (services/policy/promotion-check.ts), not from the repo's gates. */
export type GateName = "findings" | "labels" | "min_age" | "security" | "license" | "signature";
export interface GateResult {
  gate: GateName;
  passed: boolean;
  reason: string;
}

const human = (seconds: number) =>
  seconds % 86_400 === 0 ? `${seconds / 86_400} day(s)` : seconds % 3_600 === 0 ? `${seconds / 3_600} hour(s)` : `${seconds} second(s)`;

export function evaluateGates(g: Gates, f: GateFacts): GateResult[] {
  const out: GateResult[] = [];
  if (g.maxSeverity) {
    const hits = atOrAbove(g.maxSeverity).filter((s) => f.openFindings[s] > 0);
    out.push(
      hits.length === 0
        ? { gate: "findings", passed: true, reason: `no open finding at or above ${g.maxSeverity}` }
        : { gate: "findings", passed: false, reason: `open findings at or above ${g.maxSeverity}: ${hits.map((s) => `${f.openFindings[s]} ${s}`).join(", ")}` },
    );
  }
  if (g.requiredLabels.length > 0) {
    if (f.labels === null) {
      out.push({ gate: "labels", passed: false, reason: `required labels (${g.requiredLabels.join(", ")}) apply to images; this artifact has no labels` });
    } else {
      const missing = g.requiredLabels.filter((want) => {
        const eq = want.indexOf("=");
        const key = eq < 0 ? want : want.slice(0, eq);
        return !f.labels!.some((l) => l.key === key && (eq < 0 || l.value === want.slice(eq + 1)));
      });
      out.push(missing.length === 0 ? { gate: "labels", passed: true, reason: "every required label is present" } : { gate: "labels", passed: false, reason: `missing labels: ${missing.join(", ")}` });
    }
  }
  if (g.minAgeSeconds !== null) {
    const age = Math.floor((f.now - f.pushedAt) / 1000);
    out.push(
      age >= g.minAgeSeconds
        ? { gate: "min_age", passed: true, reason: `pushed ${human(age)} ago (at least ${human(g.minAgeSeconds)})` }
        : { gate: "min_age", passed: false, reason: `pushed ${human(age)} ago; the target requires at least ${human(g.minAgeSeconds)}` },
    );
  }
  return out;
}
