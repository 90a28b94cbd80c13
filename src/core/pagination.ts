/**
 * Keyset pagination on (created_at, id).
 * Invariants: a cursor is opaque base64url JSON of the last row's key; pages are
 * ordered by created_at then id ascending; `limit` defaults to 50 and is capped at 500,
 * so a page is never unbounded. A page of `limit` rows carries `next_cursor`; a short
 * page carries null.
 */
import { base64url, base64urlDecode } from "./ids";
import { invalid } from "./errors";

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export interface PageKey {
  createdAt: number;
  id: string;
}

export function encodeCursor(key: PageKey): string {
  return base64url(new TextEncoder().encode(JSON.stringify([key.createdAt, key.id])));
}

export function decodeCursor(cursor: string | undefined | null): PageKey | null {
  if (!cursor) return null;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(base64urlDecode(cursor)));
    if (Array.isArray(parsed) && typeof parsed[0] === "number" && typeof parsed[1] === "string") {
      return { createdAt: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw invalid("Cursor", "cursor is not one this API issued");
}

export function clampLimit(limit: number | undefined): number {
  if (limit === undefined || Number.isNaN(limit)) return DEFAULT_LIMIT;
  return Math.min(Math.max(1, Math.trunc(limit)), MAX_LIMIT);
}

/** Given rows fetched with limit+1, returns the page and the cursor for the next one. */
export function toPage<T extends { createdAt: number; id: string }>(
  rows: T[],
  limit: number,
): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1]!;
  return { items, nextCursor: encodeCursor({ createdAt: last.createdAt, id: last.id }) };
}
