/**
 * SPDX licence expressions, evaluated against allow/deny lists of identifiers.
 *
 * Parsing is `spdx-expression-parse` (jslicense; the SPDX list's own identifiers and
 * exceptions, AND/OR/WITH, `+`, parentheses); free text that isn't an expression goes
 * through `spdx-correct` once ("Apache 2.0" → Apache-2.0, "MIT License" → MIT).
 *
 * Invariants:
 * - An expression is allowed when some way of satisfying it uses only allowed
 *   identifiers: OR needs one side, AND both (`MIT OR GPL-3.0-only` is allowed when MIT
 *   is). An identifier is allowed when no deny glob matches it and (with an allow list)
 *   an allow glob does; `id WITH exception` is judged as written first, then as its
 *   licence alone, so `GPL-2.0-only WITH Classpath-exception-2.0` can be allowed on
 *   its own while GPL-2.0-only is denied. `GPL-2.0+` is the identifier `GPL-2.0+`.
 * - Nothing declared, npm's `UNLICENSED`, `SEE LICENSE IN …`, or text that neither parses
 *   nor corrects is unknown: the policy's rule for unknown licences decides, never a guess.
 */
import parse, { type SpdxNode } from "spdx-expression-parse";
import correct from "spdx-correct";
import { globToRegExp } from "./names";

export type ParsedLicense = { kind: "expression"; expression: string; tree: SpdxNode } | { kind: "unknown"; declared: string | null };

export function parseLicense(declared: string | null | undefined, opts: { correct?: boolean } = {}): ParsedLicense {
  const text = declared?.trim() ?? "";
  if (!text || text.length > 1000) return { kind: "unknown", declared: text || null };
  if (/^UNLICENSED$/i.test(text) || /^SEE LICEN[CS]E IN /i.test(text)) return { kind: "unknown", declared: text };
  for (const candidate of opts.correct === false ? [text] : [text, correct(text)]) {
    if (!candidate) continue;
    try {
      return { kind: "expression", expression: candidate, tree: parse(candidate) };
    } catch {
      // try the corrected form, then give up
    }
  }
  return { kind: "unknown", declared: text };
}

export interface LicenseLists {
  allow: readonly string[];
  deny: readonly string[];
}

export interface Verdict {
  allowed: boolean;
  /** Identifiers the verdict rests on: the refused ones the expression can't do without. */
  refused: string[];
}

function allowedId(id: string, lists: LicenseLists): boolean {
  const hit = (globs: readonly string[]) => globs.some((g) => globToRegExp(g).test(id));
  return !hit(lists.deny) && (lists.allow.length === 0 || hit(lists.allow));
}

function leafAllowed(n: { license: string; plus?: true; exception?: string }, lists: LicenseLists): { ok: boolean; id: string } {
  const id = `${n.license}${n.plus ? "+" : ""}`;
  if (n.exception) {
    const full = `${id} WITH ${n.exception}`;
    const explicit = (globs: readonly string[]) => globs.some((g) => /\bWITH\b/.test(g) && globToRegExp(g).test(full));
    if (explicit(lists.deny)) return { ok: false, id: full };
    if (explicit(lists.allow)) return { ok: true, id: full };
  }
  return { ok: allowedId(id, lists), id };
}

function evaluate(n: SpdxNode, lists: LicenseLists): Verdict {
  if ("license" in n) {
    const { ok, id } = leafAllowed(n, lists);
    return { allowed: ok, refused: ok ? [] : [id] };
  }
  const l = evaluate(n.left, lists);
  const r = evaluate(n.right, lists);
  if (n.conjunction === "or") return l.allowed || r.allowed ? { allowed: true, refused: [] } : { allowed: false, refused: [...l.refused, ...r.refused] };
  return { allowed: l.allowed && r.allowed, refused: [...l.refused, ...r.refused] };
}

/** Whether an expression can be satisfied with allowed identifiers only, and if not, which ones stand in the way. */
export function judgeLicense(license: Extract<ParsedLicense, { kind: "expression" }>, lists: LicenseLists): Verdict {
  const v = evaluate(license.tree, lists);
  return { allowed: v.allowed, refused: [...new Set(v.refused)] };
}

/** Whether a list entry is an SPDX identifier (or a glob of them, or `id WITH exception`). */
export function isLicenseGlob(entry: string): boolean {
  return /^[A-Za-z0-9.*?+-]+(?: WITH [A-Za-z0-9.*?+-]+)?$/.test(entry);
}
