/**
 * The download log: who pulled what, and each version's last download (the retention
 * rules of issue 13 read `last_downloaded_at`). Every successful download of a package
 * file or an image manifest goes through `recordDownload`, the one function the read
 * paths call (http/download.ts sendFile, formats/oci manifests).
 *
 *   request:  recordDownload → DOWNLOADS.send(message) in waitUntil (no D1 write, the
 *             response does not wait for it)
 *   consumer: storeDownloads(batch) → names of the versions (one query) → one D1 batch:
 *             a `downloads` row per message (id = the message's: a redelivery writes
 *             nothing twice) + last_downloaded_at = max(old, at) per version/manifest
 *   cron:     purgeDownloadLog → rows older than the retention period go
 *
 * Invariants: a row names the principal (type, id, name), the token (by id, never its
 * secret), an OIDC-exchanged token's kept claims, the client's address and user agent;
 * names are copied in, so the log still says what was pulled after a delete.
 */
import type { Scope } from "../scope";
import type { Db } from "../../db/client";
import { runBatch, type Statement } from "../../db/client";
import * as q from "../../db/downloads";
import { newId } from "../../core/ids";

export interface DownloadMessage {
  id: string;
  at: number;
  project_id: string;
  repo_id: string;
  format: string;
  /** Package or image; for a package version file the consumer fills it in from `version_id` when empty. */
  package: string;
  version: string | null;
  version_id: string | null;
  file: string | null;
  digest: string;
  principal: { type: string; id: string | null; name: string | null; token_id: string | null; claims: Record<string, string | null> | null };
  ip: string | null;
  user_agent: string | null;
}

export interface DownloadInput {
  repo: { id: string; projectId: string; format: string };
  /** Package or image name, when the caller knows it. */
  package?: string;
  /** Version, or the reference an image was pulled by. */
  version?: string | null;
  versionId?: string | null;
  file?: string | null;
  digest: string;
  userAgent: string | null;
}

/** Queues one successful download for the log; never delays or fails the download. */
export function recordDownload(scope: Scope, d: DownloadInput): void {
  const p = scope.access.principal;
  const message: DownloadMessage = {
    id: newId(),
    at: Date.now(),
    project_id: d.repo.projectId,
    repo_id: d.repo.id,
    format: d.repo.format,
    package: d.package ?? "",
    version: d.version ?? null,
    version_id: d.versionId ?? null,
    file: d.file ?? null,
    digest: d.digest,
    principal:
      p.type === "anonymous"
        ? { type: "anonymous", id: null, name: null, token_id: null, claims: null }
        : { type: p.type, id: p.id, name: p.name, token_id: p.type === "instance_admin" ? null : p.tokenId, claims: p.type === "instance_admin" ? null : (p.claims ?? null) },
    ip: scope.ip,
    user_agent: d.userAgent?.slice(0, 500) ?? null,
  };
  scope.waitUntil(scope.env.DOWNLOADS.send(message, { contentType: "json" }));
}

const isMessage = (m: unknown): m is DownloadMessage =>
  typeof m === "object" && m !== null && typeof (m as DownloadMessage).id === "string" && typeof (m as DownloadMessage).repo_id === "string" && typeof (m as DownloadMessage).digest === "string";

/** The consumer's work for one batch: log rows and last-downloaded times, in one D1 batch. */
export async function storeDownloads(db: Db, bodies: unknown[]): Promise<void> {
  const messages = bodies.filter(isMessage);
  const names = new Map((await q.versionNames(db, [...new Set(messages.flatMap((m) => (m.version_id ? [m.version_id] : [])))])).map((v) => [v.id, v]));
  const stmts: Statement[] = [];
  const latest = new Map<string, { at: number; touch: (at: number) => Statement }>();
  for (const m of messages) {
    const v = m.version_id ? names.get(m.version_id) : undefined;
    stmts.push(
      q.insertDownload(db, {
        id: m.id,
        createdAt: m.at,
        projectId: m.project_id,
        repoId: m.repo_id,
        format: m.format,
        package: m.package || v?.package || m.file || "",
        version: m.version ?? v?.version ?? null,
        versionId: m.version_id,
        file: m.file,
        digest: m.digest,
        principalType: m.principal.type,
        principalId: m.principal.id,
        principalName: m.principal.name,
        tokenId: m.principal.token_id,
        claims: m.principal.claims,
        ip: m.ip,
        userAgent: m.user_agent,
      }),
    );
    const key = m.version_id ? `v:${m.version_id}` : `m:${m.repo_id}|${m.package}|${m.digest}`;
    const touch = m.version_id ? (at: number) => q.touchVersion(db, m.version_id!, at) : (at: number) => q.touchManifest(db, m.repo_id, m.package, m.digest, at);
    if ((latest.get(key)?.at ?? -1) < m.at) latest.set(key, { at: m.at, touch });
  }
  for (const { at, touch } of latest.values()) stmts.push(touch(at));
  await runBatch(db, stmts);
}

/** Downloads of a package or image of a repo still in the log (an MCP catalog's `pulls`); a count, no names. */
export const downloadCount = (scope: Scope, repoId: string, pkg: string) => q.countDownloads(scope.db, repoId, pkg);

/** Cron: deletes log rows older than the retention period. */
export const purgeDownloadLog = (db: Db, keepMs: number, now = Date.now()) => q.purgeDownloads(db, now - keepMs).run();
