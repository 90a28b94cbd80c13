/** Queries over users, service accounts, tokens and role bindings. */
import { and, eq, isNull, sql } from "drizzle-orm";
import { aliased, type Db, type Read } from "./client";
import { oidcTrustPolicies, roleBindings, serviceAccounts, tokens, users, type PrincipalType, type Role, type TokenPrincipalType } from "./schema";
import { pageWhere } from "./paging";
import type { PageKey } from "../core/pagination";

export type TokenRow = typeof tokens.$inferSelect;
export type ServiceAccountRow = typeof serviceAccounts.$inferSelect;
export type UserRow = typeof users.$inferSelect;

export const findTokenByHash = (db: Db, tokenHash: string) =>
  db.select().from(tokens).where(eq(tokens.tokenHash, tokenHash)).get();

export const findToken = (db: Db, id: string) => db.select().from(tokens).where(eq(tokens.id, id)).get();

/** A token with what authenticating it needs about its principal; each join is null unless it is that principal's kind. */
export interface TokenWithPrincipal {
  token: TokenRow;
  serviceAccountName: string | null;
  username: string | null;
  userIsAdmin: boolean | null;
  policyEnabled: boolean | null;
}

export type TokenKey = { hash: string } | { id: string };
const tokenWhere = (key: TokenKey) => ("hash" in key ? eq(tokens.tokenHash, key.hash) : eq(tokens.id, key.id));

/** The token and its principal in one statement (it was two sequential queries). */
export const tokenWithPrincipal = (db: Db, key: TokenKey): Read<TokenWithPrincipal | null> => ({
  items: [
    db
      .select({
        token: aliased(tokens, "t_"),
        serviceAccountName: sql`${serviceAccounts.name}`.mapWith(serviceAccounts.name).as("sa_name"),
        username: sql`${users.username}`.mapWith(users.username).as("u_name"),
        userIsAdmin: sql`${users.isAdmin}`.mapWith(users.isAdmin).as("u_admin"),
        policyEnabled: sql`${oidcTrustPolicies.enabled}`.mapWith(oidcTrustPolicies.enabled).as("p_enabled"),
      })
      .from(tokens)
      .leftJoin(serviceAccounts, and(eq(tokens.principalType, "service_account"), eq(serviceAccounts.id, tokens.principalId)))
      .leftJoin(users, and(eq(tokens.principalType, "user"), eq(users.id, tokens.principalId)))
      .leftJoin(oidcTrustPolicies, and(eq(tokens.principalType, "oidc"), eq(oidcTrustPolicies.id, tokens.principalId)))
      .where(tokenWhere(key))
      .limit(1),
  ],
  decode: ([rows]) => ((rows as TokenWithPrincipal[])[0] ?? null),
});

/** The token's principal type and id, as subqueries: grants can be read in the same batch as the token. */
export const tokenPrincipalRefs = (key: TokenKey) => {
  const where = "hash" in key ? sql`token_hash = ${key.hash}` : sql`id = ${key.id}`;
  return { type: sql`(SELECT principal_type FROM tokens WHERE ${where})`, id: sql`(SELECT principal_id FROM tokens WHERE ${where})` };
};

export const insertToken = (db: Db, row: TokenRow) => db.insert(tokens).values(row);

export const revokeToken = (db: Db, id: string, at: number) =>
  db.update(tokens).set({ revokedAt: at }).where(and(eq(tokens.id, id), isNull(tokens.revokedAt)));

export const touchToken = (db: Db, id: string, at: number) =>
  db.update(tokens).set({ lastUsedAt: at }).where(eq(tokens.id, id));

export const listTokens = (db: Db, type: TokenPrincipalType, principalId: string, after: PageKey | null, limit: number) =>
  db
    .select()
    .from(tokens)
    .where(and(eq(tokens.principalType, type), eq(tokens.principalId, principalId), pageWhere(tokens, after)))
    .orderBy(tokens.createdAt, tokens.id)
    .limit(limit + 1)
    .all();

export const findUser = (db: Db, id: string) => db.select().from(users).where(eq(users.id, id)).get();
export const findUserByName = (db: Db, username: string) =>
  db.select().from(users).where(eq(users.username, username)).get();
export const insertUser = (db: Db, row: UserRow) => db.insert(users).values(row);
export const deleteUser = (db: Db, id: string) => db.delete(users).where(eq(users.id, id));
export const listUsers = (db: Db, after: PageKey | null, limit: number) =>
  db.select().from(users).where(pageWhere(users, after)).orderBy(users.createdAt, users.id).limit(limit + 1).all();

export const findServiceAccount = (db: Db, projectId: string, id: string) =>
  db
    .select()
    .from(serviceAccounts)
    .where(and(eq(serviceAccounts.projectId, projectId), eq(serviceAccounts.id, id)))
    .get();

export const findServiceAccountById = (db: Db, id: string) =>
  db.select().from(serviceAccounts).where(eq(serviceAccounts.id, id)).get();

export const listServiceAccounts = (
  db: Db,
  projectId: string,
  name: string | undefined,
  after: PageKey | null,
  limit: number,
) =>
  db
    .select()
    .from(serviceAccounts)
    .where(
      and(
        eq(serviceAccounts.projectId, projectId),
        name ? eq(serviceAccounts.name, name) : undefined,
        pageWhere(serviceAccounts, after),
      ),
    )
    .orderBy(serviceAccounts.createdAt, serviceAccounts.id)
    .limit(limit + 1)
    .all();

export const insertServiceAccount = (db: Db, row: ServiceAccountRow) => db.insert(serviceAccounts).values(row);
export const updateServiceAccount = (db: Db, id: string, patch: Partial<ServiceAccountRow>) =>
  db.update(serviceAccounts).set(patch).where(eq(serviceAccounts.id, id));
export const deleteServiceAccount = (db: Db, id: string) => db.delete(serviceAccounts).where(eq(serviceAccounts.id, id));

/** Deletes a principal's tokens and returns them, so the caller can announce each live one as revoked. */
export const deleteTokensOf = (db: Db, type: TokenPrincipalType, principalId: string) =>
  db.delete(tokens).where(and(eq(tokens.principalType, type), eq(tokens.principalId, principalId))).returning();

export const revokeTokensOf = (db: Db, type: TokenPrincipalType, principalId: string, at: number) =>
  db
    .update(tokens)
    .set({ revokedAt: at })
    .where(and(eq(tokens.principalType, type), eq(tokens.principalId, principalId), isNull(tokens.revokedAt)));

export const findRole = async (db: Db, projectId: string, type: PrincipalType, principalId: string) => {
  const row = await db
    .select({ role: roleBindings.role })
    .from(roleBindings)
    .where(
      and(
        eq(roleBindings.projectId, projectId),
        eq(roleBindings.principalType, type),
        eq(roleBindings.principalId, principalId),
      ),
    )
    .get();
  return row?.role ?? null;
};

export const upsertRoleBinding = (
  db: Db,
  row: { projectId: string; principalType: PrincipalType; principalId: string; role: Role; createdAt: number },
) =>
  db
    .insert(roleBindings)
    .values(row)
    .onConflictDoUpdate({
      target: [roleBindings.projectId, roleBindings.principalType, roleBindings.principalId],
      set: { role: sql`excluded.role` },
    });

export const deleteRoleBinding = (db: Db, projectId: string, type: PrincipalType, principalId: string) =>
  db
    .delete(roleBindings)
    .where(
      and(
        eq(roleBindings.projectId, projectId),
        eq(roleBindings.principalType, type),
        eq(roleBindings.principalId, principalId),
      ),
    );

export const deleteRoleBindingsOf = (db: Db, type: PrincipalType, principalId: string) =>
  db.delete(roleBindings).where(and(eq(roleBindings.principalType, type), eq(roleBindings.principalId, principalId)));

export const listRoleBindings = (db: Db, projectId: string) =>
  db.select().from(roleBindings).where(eq(roleBindings.projectId, projectId)).orderBy(roleBindings.createdAt).all();
