/**
 * The global search query over `search_fts` (FTS5, trigram tokenizer) and `search_docs`,
 * filtered in SQL by what the caller may read: public repositories, the projects and
 * repositories of their reach (services/projects visibility), or everything.
 * Invariant: the caller's visibility is applied before ranking and the limit, so a
 * result the caller may not read can't push out one they may, nor be counted.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "./client";
import { inIdList } from "./paging";

export interface SearchRow {
  kind: "project" | "repo" | "package" | "version" | "image" | "tag";
  key: string;
  name: string;
  text: string;
  projectId: string;
  projectSlug: string;
  repoId: string | null;
  repoSlug: string | null;
  format: string | null;
}

export interface SearchVisibility {
  /** null: everything (instance admins). */
  projectIds: string[] | null;
  repoIds: string[];
}

const list = (ids: string[]) => (ids.length ? sql.join(ids.map((id) => sql`${id}`), sql`, `) : sql`NULL`);

function visible(v: SearchVisibility): SQL {
  if (v.projectIds === null) return sql`1`;
  return sql`((d.repo_id IS NOT NULL AND (r.visibility = 'public' OR ${inIdList(sql`r.project_id`, v.projectIds)} OR ${inIdList(sql`r.id`, v.repoIds)}))
    OR (d.repo_id IS NULL AND ${inIdList(sql`d.project_id`, v.projectIds)}))`;
}

const kinds = (k: string[] | undefined) => (k?.length ? sql`AND d.kind IN (${list(k)})` : sql``);

/** Documents matching an FTS5 query (`match`), best bm25 first; or, for `like`, whose name contains the text. */
export async function searchDocs(db: Db, q: { match: string } | { like: string }, v: SearchVisibility, kindFilter: string[] | undefined, limit: number): Promise<SearchRow[]> {
  const select = sql`SELECT d.kind AS kind, d.key AS key, d.name AS name, d.text AS text, d.project_id AS projectId, p.slug AS projectSlug,
      d.repo_id AS repoId, r.slug AS repoSlug, r.format AS format`;
  const joins = sql`JOIN projects p ON p.id = d.project_id LEFT JOIN repos r ON r.id = d.repo_id`;
  const query =
    "match" in q
      ? sql`${select} FROM search_fts JOIN search_docs d ON d.rowid = search_fts.rowid ${joins}
          WHERE search_fts MATCH ${q.match} AND ${visible(v)} ${kinds(kindFilter)} ORDER BY bm25(search_fts) LIMIT ${limit}`
      : sql`${select} FROM search_docs d ${joins}
          WHERE d.name LIKE ${`%${q.like.replace(/[%_\\]/g, (c) => `\\${c}`)}%`} ESCAPE '\\' AND ${visible(v)} ${kinds(kindFilter)} ORDER BY length(d.name) LIMIT ${limit}`;
  return (await db.all(query)) as SearchRow[];
}
