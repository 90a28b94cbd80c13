/** Per-repo signing keys (schema/trust.ts). Only services/trust/repo-keys.ts calls these. */
import { eq } from "drizzle-orm";
import type { Db, Read, Ref } from "./client";
import { repoSigningKeys } from "./schema";

export type SigningKeyRow = typeof repoSigningKeys.$inferSelect;

export const findSigningKey = (db: Db, repoId: string) => db.select().from(repoSigningKeys).where(eq(repoSigningKeys.repoId, repoId)).get();

/** The same as a read that can join the gate's batch (the repo found by a subquery). */
export const signingKeyRead = (db: Db, repoId: Ref): Read<SigningKeyRow | undefined> => ({
  items: [db.select().from(repoSigningKeys).where(eq(repoSigningKeys.repoId, repoId)).limit(1)],
  decode: ([rows]) => (rows as SigningKeyRow[])[0],
});

/** Inserts the repo's key unless a concurrent request stored one first (that one wins). */
export const insertSigningKeyIfAbsent = (db: Db, row: SigningKeyRow) => db.insert(repoSigningKeys).values(row).onConflictDoNothing().run();
