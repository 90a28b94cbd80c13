/** Queries over upstream credentials, cached upstream documents, mirrors and project proxy caches. */
import { and, asc, eq, lte, ne, sql } from "drizzle-orm";
import type { Db } from "./client";
import { projectProxyCaches, proxyDocumentParts, proxyDocuments, repoMirrors, upstreamCredentials } from "./schema";

export type ProxyDocumentRow = typeof proxyDocuments.$inferSelect;
export type MirrorRow = typeof repoMirrors.$inferSelect;
export type ProxyCacheRow = typeof projectProxyCaches.$inferSelect;

// --- upstream credentials (write-only secrets) ---

export const findUpstreamSecret = async (db: Db, repoId: string) =>
  (await db.select({ secret: upstreamCredentials.secret }).from(upstreamCredentials).where(eq(upstreamCredentials.repoId, repoId)).get())?.secret ?? null;

export const upsertUpstreamSecret = (db: Db, repoId: string, secret: string, now: number) =>
  db
    .insert(upstreamCredentials)
    .values({ repoId, secret, updatedAt: now })
    .onConflictDoUpdate({ target: upstreamCredentials.repoId, set: { secret, updatedAt: now } });

export const deleteUpstreamSecret = (db: Db, repoId: string) => db.delete(upstreamCredentials).where(eq(upstreamCredentials.repoId, repoId));

// --- cached documents ---

export const findDocument = (db: Db, repoId: string, key: string) =>
  db.select().from(proxyDocuments).where(and(eq(proxyDocuments.repoId, repoId), eq(proxyDocuments.key, key))).get();

export const documentParts = (db: Db, bodyId: string) =>
  db.select({ content: proxyDocumentParts.content }).from(proxyDocumentParts).where(eq(proxyDocumentParts.bodyId, bodyId)).orderBy(asc(proxyDocumentParts.part)).all();

/**
 * The statements that make `row` (with `parts` under its body id) the document: insert
 * the parts, upsert the row, then delete every other body of the same document. In one
 * batch, so concurrent refreshes leave exactly the last writer's body.
 */
export function replaceDocument(db: Db, row: ProxyDocumentRow, parts: Uint8Array[]) {
  const { repoId, key, ...rest } = row;
  return [
    ...parts.map((content, part) => db.insert(proxyDocumentParts).values({ bodyId: row.bodyId!, part, repoId, key, content })),
    db.insert(proxyDocuments).values(row).onConflictDoUpdate({ target: [proxyDocuments.repoId, proxyDocuments.key], set: rest }),
    db
      .delete(proxyDocumentParts)
      .where(
        and(
          eq(proxyDocumentParts.repoId, repoId),
          eq(proxyDocumentParts.key, key),
          sql`${proxyDocumentParts.bodyId} is not (select ${proxyDocuments.bodyId} from ${proxyDocuments} where ${proxyDocuments.repoId} = ${repoId} and ${proxyDocuments.key} = ${key})`,
        ),
      ),
  ] as const;
}

/** Extends a document's freshness after the upstream answered 304 Not Modified. */
export const touchDocument = (db: Db, repoId: string, key: string, fetchedAt: number, expiresAt: number) =>
  db.update(proxyDocuments).set({ fetchedAt, expiresAt }).where(and(eq(proxyDocuments.repoId, repoId), eq(proxyDocuments.key, key)));

export const expireDocument = (db: Db, repoId: string, key: string, now: number) =>
  db.update(proxyDocuments).set({ expiresAt: now }).where(and(eq(proxyDocuments.repoId, repoId), eq(proxyDocuments.key, key)));

// --- mirrors ---

export const findMirror = (db: Db, repoId: string) => db.select().from(repoMirrors).where(eq(repoMirrors.repoId, repoId)).get();
export const insertMirror = (db: Db, row: MirrorRow) => db.insert(repoMirrors).values(row);
export const updateMirror = (db: Db, repoId: string, patch: Partial<MirrorRow>) => db.update(repoMirrors).set(patch).where(eq(repoMirrors.repoId, repoId));
export const deleteMirror = (db: Db, repoId: string) => db.delete(repoMirrors).where(eq(repoMirrors.repoId, repoId));

/**
 * Claims a run: when a sync was requested (SYNC_NOW), or the mirror is enabled and due and
 * not syncing; a SYNCING run that went stale may be taken over. A cancelled request
 * (CANCEL, next start moved ahead) claims nothing.
 */
export const claimMirrorRun = (db: Db, repoId: string, runId: string, now: number, staleBefore: number) =>
  db
    .update(repoMirrors)
    .set({ syncStatus: "SYNCING", syncRunId: runId, syncStartedAt: now, syncedCount: 0, lastError: null, updatedAt: now })
    .where(
      and(
        eq(repoMirrors.repoId, repoId),
        sql`(${repoMirrors.syncStatus} = 'SYNC_NOW'
          or (${repoMirrors.syncStatus} = 'SYNCING' and ${repoMirrors.syncStartedAt} < ${staleBefore})
          or (${repoMirrors.syncStatus} != 'SYNCING' and ${repoMirrors.isEnabled} = 1 and ${repoMirrors.syncStartAt} <= ${now}))`,
      ),
    )
    .returning({ repoId: repoMirrors.repoId });

/** Records a run's progress or end, only while the run still owns the mirror (a cancel takes it away). */
export const updateMirrorRun = (db: Db, repoId: string, runId: string, patch: Partial<MirrorRow>) =>
  db
    .update(repoMirrors)
    .set(patch)
    .where(and(eq(repoMirrors.repoId, repoId), eq(repoMirrors.syncRunId, runId), eq(repoMirrors.syncStatus, "SYNCING")))
    .returning({ repoId: repoMirrors.repoId });

export const dueMirrors = (db: Db, now: number, limit: number) =>
  db
    .select({ repoId: repoMirrors.repoId })
    .from(repoMirrors)
    .where(and(eq(repoMirrors.isEnabled, true), lte(repoMirrors.syncStartAt, now), ne(repoMirrors.syncStatus, "SYNCING")))
    .limit(limit)
    .all();

// --- project proxy caches ---

export const findProxyCache = (db: Db, projectId: string) => db.select().from(projectProxyCaches).where(eq(projectProxyCaches.projectId, projectId)).get();
export const insertProxyCache = (db: Db, row: ProxyCacheRow) => db.insert(projectProxyCaches).values(row);
export const deleteProxyCache = (db: Db, projectId: string) => db.delete(projectProxyCaches).where(eq(projectProxyCaches.projectId, projectId));
