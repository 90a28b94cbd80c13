/**
 * Download recording, off the hot path: a pull sends one queue message (no D1 write on
 * the request); the DOWNLOADS consumer folds a batch of them into last-download times,
 * one statement per 20 distinct artifacts, keeping the latest time.
 *
 * Invariants:
 * - `recordDownload` is the one call every download path makes (http/download.ts for
 *   package files, the OCI manifest GET for images); it never fails the download: a send
 *   that fails is logged and dropped.
 * - The message is the one place to add what else a download should record (who pulled
 *   it, for the supply-chain policy's pull log): extend `DownloadMessage`, not the call
 *   sites.
 */
import type { Scope } from "../scope";
import type { Db } from "../../db/client";
import { existingRepos, upsertDownloads, type DownloadMark } from "../../db/lifecycle";
import { runBatch } from "../../db/client";
import { slices } from "../../db/paging";
import type { ArtifactKind } from "../../core/vocabulary";

/** What was downloaded: a package version (by id), or an image manifest. */
export type DownloadRef = { repoId: string; kind: "version"; versionId: string } | { repoId: string; kind: "manifest"; image: string; digest: string };

export interface DownloadMessage {
  repo_id: string;
  kind: ArtifactKind;
  /** The version id, or `<image>@<digest>`. */
  ref: string;
  at: number;
}

export function recordDownload(scope: Scope, ref: DownloadRef, at = Date.now()): void {
  const message: DownloadMessage = { repo_id: ref.repoId, kind: ref.kind, ref: ref.kind === "version" ? ref.versionId : `${ref.image}@${ref.digest}`, at };
  scope.waitUntil(scope.env.DOWNLOADS.send(message, { contentType: "json" }).catch((e) => console.warn("recording a download failed", String(e))));
}

const isMessage = (b: unknown): b is DownloadMessage =>
  typeof b === "object" && b !== null && typeof (b as DownloadMessage).repo_id === "string" && typeof (b as DownloadMessage).ref === "string" && typeof (b as DownloadMessage).at === "number" && ((b as DownloadMessage).kind === "version" || (b as DownloadMessage).kind === "manifest");

/** Folds a batch of download messages into last-download times (malformed ones are dropped). */
export async function applyDownloads(db: Db, bodies: unknown[]): Promise<number> {
  const latest = new Map<string, DownloadMark>();
  for (const b of bodies) {
    if (!isMessage(b)) continue;
    const key = `${b.repo_id}|${b.kind}|${b.ref}`;
    const seen = latest.get(key);
    if (!seen || seen.at < b.at) latest.set(key, { repoId: b.repo_id, kind: b.kind, ref: b.ref, at: b.at });
  }
  const live = new Set((await existingRepos(db, [...new Set([...latest.values()].map((m) => m.repoId))])).map((r) => r.id));
  const marks = [...latest.values()].filter((m) => live.has(m.repoId));
  await runBatch(db, slices(marks, 4).map((slice) => upsertDownloads(db, slice)));
  return marks.length;
}
