/**
 * Queries over login providers, linked identities, login attempts, sessions and
 * global messages. `findSessionByHash` is the one query a cookie-authenticated
 * request costs (session and user in one join).
 */
import { and, eq, isNull, lt, sql } from "drizzle-orm";
import type { Db } from "./client";
import { globalMessages, loginAttempts, loginProviders, sessions, userIdentities, users } from "./schema";
import { pageWhere } from "./paging";
import type { PageKey } from "../core/pagination";

export type LoginProviderRow = typeof loginProviders.$inferSelect;
export type UserIdentityRow = typeof userIdentities.$inferSelect;
export type LoginAttemptRow = typeof loginAttempts.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type GlobalMessageRow = typeof globalMessages.$inferSelect;
export type { GroupMapping } from "./schema";

// Providers
export const listLoginProviders = (db: Db, after: PageKey | null, limit: number) =>
  db.select().from(loginProviders).where(pageWhere(loginProviders, after)).orderBy(loginProviders.createdAt, loginProviders.id).limit(limit + 1).all();
export const enabledLoginProviders = (db: Db) =>
  db.select().from(loginProviders).where(eq(loginProviders.enabled, true)).orderBy(loginProviders.createdAt).all();
export const findLoginProvider = (db: Db, id: string) => db.select().from(loginProviders).where(eq(loginProviders.id, id)).get();
export const findLoginProviderByName = (db: Db, name: string) =>
  db.select().from(loginProviders).where(eq(loginProviders.name, name)).get();
export const insertLoginProvider = (db: Db, row: LoginProviderRow) => db.insert(loginProviders).values(row);
export const updateLoginProvider = (db: Db, id: string, patch: Partial<LoginProviderRow>) =>
  db.update(loginProviders).set(patch).where(eq(loginProviders.id, id));
export const deleteLoginProvider = (db: Db, id: string) => db.delete(loginProviders).where(eq(loginProviders.id, id));

// Identities
export const findIdentity = (db: Db, providerId: string, subject: string) =>
  db.select().from(userIdentities).where(and(eq(userIdentities.providerId, providerId), eq(userIdentities.subject, subject))).get();
export const upsertIdentity = (db: Db, row: UserIdentityRow) =>
  db
    .insert(userIdentities)
    .values(row)
    .onConflictDoUpdate({ target: [userIdentities.providerId, userIdentities.subject], set: { email: row.email, lastLoginAt: row.lastLoginAt } });
export const identitiesOf = (db: Db, userId: string) => db.select().from(userIdentities).where(eq(userIdentities.userId, userId)).all();
/** Users with this email (compared case-insensitively), for linking a first login to an invited user. */
export const usersByEmail = (db: Db, email: string) =>
  db.select().from(users).where(sql`lower(${users.email}) = ${email.toLowerCase()}`).all();

// Login attempts
export const insertLoginAttempt = (db: Db, row: LoginAttemptRow) => db.insert(loginAttempts).values(row);
/** Takes the attempt out (single use): two callbacks with the same state can't both find it. */
export const takeLoginAttempt = async (db: Db, stateHash: string) =>
  (await db.delete(loginAttempts).where(eq(loginAttempts.stateHash, stateHash)).returning().all())[0];
export const purgeLoginAttempts = (db: Db, now: number) => db.delete(loginAttempts).where(lt(loginAttempts.expiresAt, now));

// Sessions
export const findSessionByHash = (db: Db, tokenHash: string) =>
  db
    .select({ session: sessions, username: users.username, isAdmin: users.isAdmin })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.tokenHash, tokenHash))
    .get();
export const findSession = (db: Db, id: string) => db.select().from(sessions).where(eq(sessions.id, id)).get();
export const insertSession = (db: Db, row: SessionRow) => db.insert(sessions).values(row);
export const touchSession = (db: Db, id: string, at: number) => db.update(sessions).set({ lastSeenAt: at }).where(eq(sessions.id, id));
export const revokeSession = (db: Db, id: string, at: number) =>
  db.update(sessions).set({ revokedAt: at }).where(and(eq(sessions.id, id), isNull(sessions.revokedAt)));
export const revokeSessionsOf = (db: Db, userId: string, at: number) =>
  db.update(sessions).set({ revokedAt: at }).where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)));
/** A user's sessions that are not revoked and not past their absolute expiry. */
export const listSessions = (db: Db, userId: string | undefined, now: number, after: PageKey | null, limit: number) =>
  db
    .select()
    .from(sessions)
    .where(and(userId ? eq(sessions.userId, userId) : undefined, isNull(sessions.revokedAt), sql`${sessions.expiresAt} > ${now}`, pageWhere(sessions, after)))
    .orderBy(sessions.createdAt, sessions.id)
    .limit(limit + 1)
    .all();

// Global messages
export const listGlobalMessages = (db: Db) => db.select().from(globalMessages).orderBy(globalMessages.createdAt, globalMessages.id).limit(100).all();
export const findGlobalMessage = (db: Db, id: string) => db.select().from(globalMessages).where(eq(globalMessages.id, id)).get();
export const insertGlobalMessage = (db: Db, row: GlobalMessageRow) => db.insert(globalMessages).values(row);
export const deleteGlobalMessage = (db: Db, id: string) => db.delete(globalMessages).where(eq(globalMessages.id, id));
