/**
 * The feed of new artifacts since a time (`GET /internal/scanner/feed`), so a scanner
 * polls incrementally: package versions of every format and OCI manifests (index
 * platforms and referrers included), oldest first, keyset-paged on (created_at, id)
 * like every list (core/pagination.ts). A scanner keeps `next_cursor` (or the last
 * `created_at`) and asks again.
 * Invariant: one D1 statement per page (db/scanner-feed.ts).
 */
import type { Scope } from "../scope";
import { feedPage, type FeedRow } from "../../db/scanner-feed";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";

export type { FeedRow };

export async function feed(scope: Scope, f: { since: number; projectId?: string; repoId?: string }, cursor?: string, limit?: number) {
  const n = clampLimit(limit);
  return toPage(await feedPage(scope.db, f, decodeCursor(cursor), n + 1), n);
}
