/** Recognises constraint failures D1 reports, so services can answer 409 instead of 500. */
export function isUniqueViolation(e: unknown): boolean {
  const text = errorText(e);
  return text.includes("UNIQUE constraint failed") || text.includes("PRIMARY KEY");
}

export function isForeignKeyViolation(e: unknown): boolean {
  return errorText(e).includes("FOREIGN KEY constraint failed");
}

function errorText(e: unknown): string {
  let out = "";
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    out += ` ${String((cur as Error).message ?? cur)}`;
    cur = (cur as { cause?: unknown }).cause;
  }
  return out;
}
