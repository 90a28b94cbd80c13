/** Queries over OIDC trust policies. */
import { and, eq } from "drizzle-orm";
import type { Db } from "./client";
import { oidcTrustPolicies } from "./schema";
import { pageWhere } from "./paging";
import type { PageKey } from "../core/pagination";

export type TrustPolicyRow = typeof oidcTrustPolicies.$inferSelect;

export const findTrustPolicy = (db: Db, id: string) => db.select().from(oidcTrustPolicies).where(eq(oidcTrustPolicies.id, id)).get();

export const findTrustPolicyByName = (db: Db, name: string) =>
  db.select().from(oidcTrustPolicies).where(eq(oidcTrustPolicies.name, name)).get();

export const enabledPoliciesOfIssuer = (db: Db, issuer: string) =>
  db
    .select()
    .from(oidcTrustPolicies)
    .where(and(eq(oidcTrustPolicies.issuer, issuer), eq(oidcTrustPolicies.enabled, true)))
    .orderBy(oidcTrustPolicies.createdAt, oidcTrustPolicies.id)
    .all();

export const listTrustPolicies = (db: Db, projectId: string | undefined, after: PageKey | null, limit: number) =>
  db
    .select()
    .from(oidcTrustPolicies)
    .where(and(projectId ? eq(oidcTrustPolicies.projectId, projectId) : undefined, pageWhere(oidcTrustPolicies, after)))
    .orderBy(oidcTrustPolicies.createdAt, oidcTrustPolicies.id)
    .limit(limit + 1)
    .all();

export const insertTrustPolicy = (db: Db, row: TrustPolicyRow) => db.insert(oidcTrustPolicies).values(row);

export const updateTrustPolicy = (db: Db, id: string, row: Partial<TrustPolicyRow>) =>
  db.update(oidcTrustPolicies).set(row).where(eq(oidcTrustPolicies.id, id));

export const deleteTrustPolicy = (db: Db, id: string) => db.delete(oidcTrustPolicies).where(eq(oidcTrustPolicies.id, id));
