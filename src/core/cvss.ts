/**
 * CVSS v3.0/v3.1 base scores from vector strings (what OSV records carry in `severity`),
 * by the specification's formula (FIRST, CVSS v3.1 §7.1, with its Roundup).
 * Invariant: a vector that is not a complete v3 base vector gives null, never a guess.
 */

const W = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

/** CVSS v3.1 Roundup: the smallest number with one decimal ≥ x, robust to float error. */
function roundup(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

export function cvss3BaseScore(vector: string): number | null {
  const parts = vector.trim().split("/");
  if (!/^CVSS:3\.[01]$/.test(parts[0] ?? "")) return null;
  const m = new Map(parts.slice(1).map((p) => p.split(":") as [string, string]));
  const pick = <T extends Record<string, number>>(table: T, key: string): number | undefined => table[m.get(key) as keyof T] as number | undefined;
  const scope = m.get("S");
  const av = pick(W.AV, "AV");
  const ac = pick(W.AC, "AC");
  const ui = pick(W.UI, "UI");
  const pr = { N: 0.85, L: scope === "C" ? 0.68 : 0.62, H: scope === "C" ? 0.5 : 0.27 }[m.get("PR") as "N" | "L" | "H"];
  const [c, i, a] = ["C", "I", "A"].map((k) => pick(W.CIA, k));
  if (av === undefined || ac === undefined || ui === undefined || pr === undefined || c === undefined || i === undefined || a === undefined) return null;
  if (scope !== "U" && scope !== "C") return null;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === "U" ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15);
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return scope === "U" ? roundup(Math.min(impact + exploitability, 10)) : roundup(Math.min(1.08 * (impact + exploitability), 10));
}
