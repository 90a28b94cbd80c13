/**
 * Queries of sigstore trust policies (services/trust/sigstore-policies.ts).
 * Invariant: every list is bounded (pages, or the enabled policies, which admins keep few).
 */
import { and, eq, isNull, or, sql } from "drizzle-orm";
import type { Db } from "./client";
import { repos, sigstorePolicies } from "./schema";
import { keysetPage } from "./paging";
import type { PageKey } from "../core/pagination";

export type SigstorePolicyRow = typeof sigstorePolicies.$inferSelect;
export type { SigstoreIdentity, SigstoreKey } from "./schema/trust";

export const insertSigstorePolicy = (db: Db, row: SigstorePolicyRow) => db.insert(sigstorePolicies).values(row);
export const updateSigstorePolicy = (db: Db, id: string, patch: Partial<SigstorePolicyRow>) => db.update(sigstorePolicies).set(patch).where(eq(sigstorePolicies.id, id));
export const deleteSigstorePolicy = (db: Db, id: string) => db.delete(sigstorePolicies).where(eq(sigstorePolicies.id, id));
export const findSigstorePolicy = (db: Db, id: string) => db.select().from(sigstorePolicies).where(eq(sigstorePolicies.id, id)).get();
export const listSigstorePolicies = (db: Db, after: PageKey | null, limit: number) => keysetPage(db, sigstorePolicies, [], after, limit);

/** Enabled policies whose project and repo scope include this repo (formats and names are judged by the caller). */
export const sigstorePoliciesFor = (db: Db, projectId: string, repoId: string) =>
  db
    .select()
    .from(sigstorePolicies)
    .where(
      and(
        eq(sigstorePolicies.enabled, true),
        or(isNull(sigstorePolicies.projectId), eq(sigstorePolicies.projectId, projectId)),
        or(isNull(sigstorePolicies.repoId), eq(sigstorePolicies.repoId, repoId)),
      ),
    )
    .orderBy(sigstorePolicies.createdAt, sigstorePolicies.id)
    .limit(100)
    .all();

/**
 * Recomputes `repos.sigstore_pull` (the strongest pull mode of the enabled policies whose
 * project, repo and formats include the repo; name globs are judged at pull) for every
 * repo, or one: put in the batch of a policy change or a repo's creation, so the flag
 * and the policies never disagree in D1. Only rows whose flag changes are written.
 */
export function recomputeSigstorePull(db: Db, repoId?: string) {
  const mode = sql`(SELECT CASE WHEN SUM(p.mode = 'enforce') > 0 THEN 'enforce' WHEN COUNT(*) > 0 THEN 'audit' END
    FROM sigstore_policies p
    WHERE p.enabled = 1 AND p.mode IN ('enforce', 'audit')
      AND (p.project_id IS NULL OR p.project_id = repos.project_id)
      AND (p.repo_id IS NULL OR p.repo_id = repos.id)
      AND (json_array_length(p.formats) = 0 OR EXISTS (SELECT 1 FROM json_each(p.formats) f WHERE f.value = repos.format)))`;
  const changed = sql`${repos.sigstorePull} IS NOT ${mode}`;
  return db
    .update(repos)
    .set({ sigstorePull: sql`${mode}` })
    .where(repoId ? and(eq(repos.id, repoId), changed) : changed);
}
