/**
 * The internal API's feed of new artifacts (services/scanner/feed.ts): package versions
 * and OCI manifests of every format, one list in (created_at, id) order, where a
 * manifest's id is `<repo_id>/<image>@<digest>` so the keyset stays total.
 * One statement (a UNION ALL, each side on its created_at index).
 */
import { sql } from "drizzle-orm";
import type { Db } from "./client";
import type { PageKey } from "../core/pagination";

export interface FeedRow {
  kind: "package" | "image";
  id: string;
  createdAt: number;
  projectId: string;
  projectSlug: string;
  repoId: string;
  repoSlug: string;
  format: string;
  name: string;
  version: string;
  digest: string | null;
  mediaType: string | null;
  subjectDigest: string | null;
}

export interface FeedFilter {
  since: number;
  projectId?: string;
  repoId?: string;
}

export async function feedPage(db: Db, f: FeedFilter, after: PageKey | null, limit: number): Promise<FeedRow[]> {
  const where = (createdAt: ReturnType<typeof sql>, id: ReturnType<typeof sql>) => {
    const parts = [sql`${createdAt} >= ${f.since}`];
    if (after) parts.push(sql`(${createdAt} > ${after.createdAt} OR (${createdAt} = ${after.createdAt} AND ${id} > ${after.id}))`);
    if (f.projectId) parts.push(sql`r.project_id = ${f.projectId}`);
    if (f.repoId) parts.push(sql`r.id = ${f.repoId}`);
    return sql.join(parts, sql` AND `);
  };
  const manifestId = sql`(m.repo_id || '/' || m.image || '@' || m.digest)`;
  const rows = await db.all<Record<string, unknown>>(sql`
    SELECT * FROM (
      SELECT 'package' AS kind, v.id AS id, v.created_at AS created_at, r.project_id AS project_id, p.slug AS project_slug, r.id AS repo_id, r.slug AS repo_slug, r.format AS format,
             pk.display_name AS name, v.version AS version,
             (SELECT f.digest FROM files f WHERE f.version_id = v.id ORDER BY f.created_at, f.id LIMIT 1) AS digest, NULL AS media_type, NULL AS subject_digest
        FROM versions v JOIN packages pk ON pk.id = v.package_id JOIN repos r ON r.id = pk.repo_id JOIN projects p ON p.id = r.project_id
       WHERE ${where(sql`v.created_at`, sql`v.id`)}
      UNION ALL
      SELECT 'image', ${manifestId}, m.created_at, r.project_id, p.slug, r.id, r.slug, r.format,
             m.image, m.digest, m.digest, m.media_type, m.subject_digest
        FROM oci_manifests m JOIN repos r ON r.id = m.repo_id JOIN projects p ON p.id = r.project_id
       WHERE ${where(sql`m.created_at`, manifestId)}
    ) ORDER BY created_at, id LIMIT ${limit}`);
  return rows.map((r) => ({
    kind: r.kind as FeedRow["kind"],
    id: String(r.id),
    createdAt: Number(r.created_at),
    projectId: String(r.project_id),
    projectSlug: String(r.project_slug),
    repoId: String(r.repo_id),
    repoSlug: String(r.repo_slug),
    format: String(r.format),
    name: String(r.name),
    version: String(r.version),
    digest: (r.digest as string | null) ?? null,
    mediaType: (r.media_type as string | null) ?? null,
    subjectDigest: (r.subject_digest as string | null) ?? null,
  }));
}
