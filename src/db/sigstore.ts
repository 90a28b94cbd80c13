/**
 * Queries of sigstore trust policies (services/trust/sigstore-policies.ts).
 * Invariant: every list is bounded (pages, or the enabled policies, which admins keep few).
 */
import { and, eq, isNull, or } from "drizzle-orm";
import type { Db } from "./client";
import { sigstorePolicies } from "./schema";
import { pageWhere } from "./paging";
import type { PageKey } from "../core/pagination";

export type SigstorePolicyRow = typeof sigstorePolicies.$inferSelect;
export type { SigstoreIdentity, SigstoreKey } from "./schema/trust";

export const insertSigstorePolicy = (db: Db, row: SigstorePolicyRow) => db.insert(sigstorePolicies).values(row);
export const updateSigstorePolicy = (db: Db, id: string, patch: Partial<SigstorePolicyRow>) => db.update(sigstorePolicies).set(patch).where(eq(sigstorePolicies.id, id));
export const deleteSigstorePolicy = (db: Db, id: string) => db.delete(sigstorePolicies).where(eq(sigstorePolicies.id, id));
export const findSigstorePolicy = (db: Db, id: string) => db.select().from(sigstorePolicies).where(eq(sigstorePolicies.id, id)).get();
export const listSigstorePolicies = (db: Db, after: PageKey | null, limit: number) =>
  db.select().from(sigstorePolicies).where(pageWhere(sigstorePolicies, after)).orderBy(sigstorePolicies.createdAt, sigstorePolicies.id).limit(limit + 1).all();

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
