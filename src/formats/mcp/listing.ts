/**
 * `GET v0/servers` over one catalog or over every catalog the caller reads (across.ts):
 * the registry's filters (`search`, `updated_since`, `version`, `include_deleted`), ours
 * (`transport`, `verified`), then a cursor page.
 *
 * Invariants:
 * - Entries are ordered by `key` then publish time, and the cursor is the last entry's
 *   (key, publishedAt): a page never repeats or skips an entry however the catalog
 *   grows. In one catalog the key is the server name (so cursors are the same as
 *   before catalogs could be listed together); across catalogs it is the name and the
 *   catalog.
 * - References are resolved only for entries the page looks at (with the reader's
 *   rights), so `verified=true` may scan further than `limit` to fill a page.
 */
import { invalid } from "../../core/errors";
import { decodeCursor, encodeCursor } from "../../core/pagination";
import type { Scope } from "../../services/scope";
import type { Entry } from "./catalog";
import { referenceState, type Reference } from "./linkage";
import { matches, transportOf, verified } from "./shapes";

/** The registry API's versions, the same routes (`v0` and `v0.1`). */
export const API_VERSIONS = new Set(["v0", "v0.1"]);
const DEFAULT_LIMIT = 30;
const MAX_LIMIT = 100;

export const localHosts = (scope: Scope) => [new URL(scope.baseUrl).host.toLowerCase()];

/** Each package reference of an entry, resolved as this caller sees it. */
export async function resolve(scope: Scope, e: Entry): Promise<Reference[]> {
  return Promise.all((e.server.packages ?? []).map((p, i) => referenceState(scope, p, e.pins[i], localHosts(scope))));
}

export function flag(v: string | undefined): boolean {
  return v !== undefined && v !== "false" && v !== "0";
}

export interface Listed<T> {
  entry: Entry;
  key: string;
  /** What the caller needs back with the entry (its catalog, across catalogs). */
  from: T;
}

/** Filters and pages `listed`, read with the query parameters `q`. */
export async function listPage<T>(scope: Scope, listed: Listed<T>[], q: (k: string) => string | undefined) {
  const since = q("updated_since");
  const sinceMs = since === undefined ? null : Date.parse(since);
  if (sinceMs !== null && Number.isNaN(sinceMs)) throw invalid("Request", "updated_since must be an RFC 3339 date-time", { detail: [{ location: "query.updated_since", message: "must be an RFC 3339 date-time", value: since }] });
  const limitText = q("limit");
  const limit = limitText === undefined ? DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1) throw invalid("Request", "limit must be a positive integer", { detail: [{ location: "query.limit", message: "must be a positive integer", value: limitText }] });
  const after = decodeCursor(q("cursor"));
  // The registry shows deleted versions to incremental syncs (updated_since) so they learn of the deletion.
  const includeDeleted = q("include_deleted") !== undefined ? flag(q("include_deleted")) : sinceMs !== null;
  const version = q("version");
  const search = q("search");
  const transport = q("transport");
  let rows = listed.filter(
    ({ entry: e }) =>
      (includeDeleted || e.status !== "deleted") &&
      (sinceMs === null || e.updatedAt > sinceMs) &&
      (!version || (version === "latest" ? e.isLatest : e.version === version)) &&
      (!search || matches(e, search)) &&
      (!transport || transportOf(e) === transport),
  );
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.entry.publishedAt - b.entry.publishedAt));
  if (after) rows = rows.filter((r) => r.key > after.id || (r.key === after.id && r.entry.publishedAt > after.createdAt));
  const wantVerified = flag(q("verified"));
  const page: (Listed<T> & { refs: Reference[] })[] = [];
  let i = 0;
  for (; i < rows.length && page.length < Math.min(limit, MAX_LIMIT); i++) {
    const refs = await resolve(scope, rows[i]!.entry);
    if (!wantVerified || verified(rows[i]!.entry, refs)) page.push({ ...rows[i]!, refs });
  }
  const last = rows[i - 1];
  const more = i < rows.length && last;
  return { page, nextCursor: more ? encodeCursor({ createdAt: last.entry.publishedAt, id: last.key }) : undefined };
}
