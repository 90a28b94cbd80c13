/** Recognises constraint failures D1 reports, so services can answer 409 instead of 500. */
export function isUniqueViolation(e: unknown): boolean {
  const text = errorText(e);
  return text.includes("UNIQUE constraint failed") || text.includes("PRIMARY KEY");
}

export function isForeignKeyViolation(e: unknown): boolean {
  return errorText(e).includes("FOREIGN KEY constraint failed");
}

/**
 * Which invariant of the garbage-collection protocol (docs/gc.md) a trigger refused a
 * write for, or null: `unlinked` (a file or manifest needs a blob the repo does not
 * link), `condemned` (a link to a blob GC is collecting), `collected` (a blob row naming
 * an R2 key GC is deleting as an orphan).
 */
export function gcRefusal(e: unknown): "unlinked" | "condemned" | "collected" | null {
  const text = errorText(e);
  if (text.includes("orbitalreg: blob not linked")) return "unlinked";
  if (text.includes("orbitalreg: blob condemned")) return "condemned";
  if (text.includes("orbitalreg: key collected")) return "collected";
  return null;
}

function errorText(e: unknown): string {
  let out = "";
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    out += ` ${String((cur as Error).message ?? cur)}`;
    cur = (cur as { cause?: unknown }).cause;
  }
  return out;
}
