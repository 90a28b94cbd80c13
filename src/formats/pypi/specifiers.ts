/**
 * PEP 440 ordering and version specifiers (`>=1.0,<2.0`, `==1.4.*`, `~=1.4.2`, `!=1.5`,
 * `===x`), as pure functions: what a security block on a PyPI project names.
 *
 * Invariants:
 * - Order follows packaging's `Version` key: epoch, release (trailing zeros ignored),
 *   then dev-only < pre-releases (a < b < rc) < final < post-releases, dev before what
 *   it develops, local versions after their public version.
 * - A bare version means `==`; clauses separated by commas must all hold.
 * - Exclusive `<V`/`>V` don't admit V's own pre-/post-releases unless V is one (PEP 440);
 *   otherwise pre-releases are matched like any version: a block must not let `1.5rc1`
 *   through `<2.0`.
 */
import { invalid } from "../../core/errors";

const PEP440 =
  /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;
const PRE_RANK: Record<string, number> = { alpha: 0, a: 0, beta: 1, b: 1, c: 2, pre: 2, preview: 2, rc: 2 };

export interface Pep440 {
  epoch: number;
  release: number[];
  pre: [number, number] | null;
  post: number | null;
  dev: number | null;
  local: (number | string)[] | null;
}

export function parsePep440(text: string): Pep440 | null {
  const m = PEP440.exec(text);
  if (!m) return null;
  const [, epoch, release, pre, preN, postDash, post, postN, dev, devN, local] = m;
  return {
    epoch: Number(epoch ?? 0),
    release: release!.split(".").map(Number),
    pre: pre ? [PRE_RANK[pre.toLowerCase()]!, Number(preN ?? 0)] : null,
    post: postDash !== undefined ? Number(postDash) : post ? Number(postN ?? 0) : null,
    dev: dev ? Number(devN ?? 0) : null,
    local: local ? local.toLowerCase().split(/[-_.]/).map((s) => (/^\d+$/.test(s) ? Number(s) : s)) : null,
  };
}

function compareReleases(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** packaging's comparison key pieces, with ±Infinity for the absent parts. */
function keyOf(v: Pep440): number[] {
  const pre = v.pre ? v.pre : v.post === null && v.dev !== null ? [-Infinity, 0] : [Infinity, 0];
  return [...pre, v.post ?? -Infinity, v.dev ?? Infinity];
}

function compareLocal(a: Pep440["local"], b: Pep440["local"]): number {
  if (!a || !b) return (a ? 1 : 0) - (b ? 1 : 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    if (typeof x !== typeof y) return typeof x === "number" ? 1 : -1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function comparePep440(a: Pep440, b: Pep440, withLocal = true): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  const r = compareReleases(a.release, b.release);
  if (r !== 0) return r;
  const ka = keyOf(a);
  const kb = keyOf(b);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  return withLocal ? compareLocal(a.local, b.local) : 0;
}

const CLAUSE = /^(~=|===|==|!=|<=|>=|<|>)?\s*(.+?)\s*$/;
const sameRelease = (a: Pep440, b: Pep440) => a.epoch === b.epoch && compareReleases(a.release, b.release) === 0;

function clause(text: string): (v: Pep440, raw: string) => boolean {
  const bad = () => invalid("BlockVersions", `'${text}' is not a PEP 440 version or specifier`);
  const m = CLAUSE.exec(text);
  if (!m) throw bad();
  const op = m[1] ?? "==";
  const target = m[2]!;
  if (op === "===") return (_v, raw) => raw.trim().toLowerCase() === target.toLowerCase();
  if ((op === "==" || op === "!=") && target.endsWith(".*")) {
    const prefix = parsePep440(target.slice(0, -2));
    if (!prefix || prefix.pre || prefix.post !== null || prefix.dev !== null || prefix.local) throw bad();
    const matches = (v: Pep440) => v.epoch === prefix.epoch && prefix.release.every((n, i) => (v.release[i] ?? 0) === n);
    return op === "==" ? matches : (v) => !matches(v);
  }
  const t = parsePep440(target);
  if (!t || (t.local && op !== "==" && op !== "!=")) throw bad();
  const cmp = (v: Pep440) => comparePep440(v, t, t.local !== null);
  switch (op) {
    case "==":
      return (v) => cmp(v) === 0;
    case "!=":
      return (v) => cmp(v) !== 0;
    case "<=":
      return (v) => cmp(v) <= 0;
    case ">=":
      return (v) => cmp(v) >= 0;
    case "<":
      return (v) => cmp(v) < 0 && !(!t.pre && t.dev === null && (v.pre || v.dev !== null) && sameRelease(v, t));
    case ">":
      return (v) => cmp(v) > 0 && !(t.post === null && v.post !== null && sameRelease(v, t)) && !(v.local && comparePep440(v, t, false) === 0);
    case "~=": {
      if (t.release.length < 2) throw bad();
      const prefix = t.release.slice(0, -1);
      return (v) => cmp(v) >= 0 && v.epoch === t.epoch && prefix.every((n, i) => (v.release[i] ?? 0) === n);
    }
  }
  throw bad();
}

/** A matcher for a PEP 440 specifier set (comma-separated clauses, all must hold). */
export function pep440Matcher(spec: string): (version: string) => boolean {
  const clauses = spec.split(",").map((c) => c.trim());
  if (clauses.some((c) => c === "")) throw invalid("BlockVersions", `'${spec}' is not a PEP 440 specifier set`);
  const checks = clauses.map(clause);
  return (version) => {
    const v = parsePep440(version);
    if (!v) return checks.length === 1 && clauses[0] === version;
    return checks.every((check) => check(v, version));
  };
}
