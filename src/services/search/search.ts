/**
 * Global search (`/api/v1/search`): projects, repositories, packages, versions, images
 * and tags, by name and description (a package's also by its keywords: migration 0013),
 * across everything the caller may read.
 *
 *   text (2–200 chars, lower-cased) → its trigrams → FTS5 `"t1" OR "t2" OR …` (so a
 *   typo still shares most trigrams with the word meant), or for 2 characters a LIKE on
 *   names → at most CANDIDATES rows the caller may read, best bm25 first → ranked here:
 *   shared trigrams / query trigrams, plus a bonus for the text as a substring of the
 *   name (and more for the whole name), results under MIN_SIMILARITY dropped → a page
 *   (offset cursor) of the ranking.
 *
 * Invariants: visibility is filtered in the query (db/search.ts), before the limit:
 * nothing private reaches another project's token or an anonymous caller, not even as a
 * count; the index is kept by SQL triggers on the source tables, in the statement that
 * changes them, so a search never lags a write.
 */
import type { Scope } from "../scope";
import { visibleReach } from "../projects/visibility";
import { searchDocs, type SearchRow } from "../../db/search";
import { RegistryError } from "../../core/errors";
import { base64url, base64urlDecode } from "../../core/ids";
import { invalid } from "../../core/errors";

export type { SearchRow } from "../../db/search";
export const SEARCH_KINDS = ["project", "repo", "package", "version", "image", "tag"] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

const CANDIDATES = 200;
const MIN_SIMILARITY = 0.3;
const KIND_WEIGHT: Record<SearchKind, number> = { package: 0.3, image: 0.3, repo: 0.2, project: 0.2, tag: 0.1, version: 0 };

export const trigrams = (text: string) => {
  const out = new Set<string>();
  for (let i = 0; i + 3 <= text.length; i++) out.add(text.slice(i, i + 3));
  return [...out];
};

/** How well a document matches: the share of the query's trigrams it has, with bonuses for substring and exact-name matches. */
export function similarity(query: string, row: Pick<SearchRow, "name" | "text">): number {
  const name = row.name.toLowerCase();
  const haystack = `${name} ${row.text.toLowerCase()}`;
  const grams = trigrams(query);
  const shared = grams.length ? grams.filter((g) => haystack.includes(g)).length / grams.length : haystack.includes(query) ? 1 : 0;
  return shared + (name.includes(query) ? 1 : 0) + (name === query ? 1 : 0);
}

export interface SearchHit extends SearchRow {
  score: number;
}

function offsetOf(cursor: string | undefined): number {
  if (!cursor) return 0;
  try {
    const n = Number(new TextDecoder().decode(base64urlDecode(cursor)));
    if (Number.isInteger(n) && n >= 0 && n < CANDIDATES) return n;
  } catch {
    // fall through
  }
  throw invalid("Cursor", "cursor is not one this API issued");
}

export async function search(scope: Scope, text: string, o: { kinds?: SearchKind[]; cursor?: string; limit?: number } = {}) {
  const query = text.trim().toLowerCase();
  if (query.length < 2 || query.length > 200) throw new RegistryError("InvalidSearchQuery", "search text must be 2–200 characters");
  const reach = await visibleReach(scope);
  const grams = trigrams(query);
  const match = grams.map((g) => `"${g.replace(/"/g, '""')}"`).join(" OR ");
  const rows = await searchDocs(scope.db, grams.length ? { match } : { like: query }, reach, o.kinds, CANDIDATES);
  const ranked = rows
    .map((r) => ({ ...r, score: Math.round((similarity(query, r) + KIND_WEIGHT[r.kind]) * 1000) / 1000 }))
    .filter((r) => r.score - KIND_WEIGHT[r.kind] >= MIN_SIMILARITY)
    .sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
  const limit = Math.min(Math.max(o.limit ?? 20, 1), 100);
  const from = offsetOf(o.cursor);
  const items = ranked.slice(from, from + limit);
  const next = from + limit < ranked.length ? base64url(new TextEncoder().encode(String(from + limit))) : null;
  return { items, nextCursor: next, total: ranked.length };
}
