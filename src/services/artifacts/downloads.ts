/**
 * The download log: who pulled what, and each version's last download (the retention
 * rules of issue 13 read `last_downloaded_at`). Every successful download of a package
 * file or an image manifest goes through `recordDownload`, the one function the read
 * paths call (http/download.ts sendFile, formats/oci manifests). This module is the one
 * place that knows about the DOWNLOADS queue.
 *
 *   request:  recordDownload → message appended to this isolate's buffer (no I/O); the
 *             first message of a window also puts the window's flush in ITS request's
 *             waitUntil; the response waits for neither
 *   flush:    after WINDOW_MS, or at once when the buffer reaches 100 messages or Queues'
 *             256 KB batch limit: take the buffer → DOWNLOADS.sendBatch per ≤100
 *             messages / ≤240 KB (one call for a window of an install's tarballs, where
 *             one `send` per download was ~3 % of a download's Worker CPU)
 *   consumer: storeDownloads(batch) → names of the versions (one query) → one D1 batch:
 *             a `downloads` row per message (id = the message's: a redelivery writes
 *             nothing twice) + last_downloaded_at = max(old, at) per version/manifest,
 *             statements whose SQL is built once per isolate (db/downloads.ts)
 *   cron:     purgeDownloadLog → rows older than the retention period go
 *
 * The buffer, in pseudocode (an isolate runs one piece of JavaScript at a time, so each
 * step below is atomic; only the timer and sendBatch are awaited):
 *
 *   record(scope, m):  if bytes + size(m) > MAX_BYTES: scope.waitUntil(send(take()))
 *                      buffer.push(m)
 *                      if buffer.length = MAX_MESSAGES: scope.waitUntil(send(take()))
 *                      if no window (or its flush is overdue, STALE_MS: its request died):
 *                        open = mine
 *                        scope.waitUntil(wait(WINDOW_MS) → if open = mine: open = none; send(take()))
 *   flushDownloadLog:  open = none; send(take())   (tests: ends a window from their own context)
 *   take():            the buffer's messages; the buffer is empty again
 *
 * Invariants:
 * - No I/O object crosses requests. The buffer holds plain JSON; the window's flush is a
 *   timer and a sendBatch made inside the request that opened the window (its own
 *   waitUntil, its own env), so another request only pushes to an array. No promise of
 *   one request is awaited or resolved by another.
 * - Eviction: waitUntil keeps the opening request's isolate up to 30 s after its
 *   response; the window is 50 ms, so a flush is only lost when the isolate dies
 *   abruptly (crash, CPU-limit kill, deploy) within it, which loses the messages of that
 *   window: the same exposure a `send` in waitUntil had, for up to 50 ms longer. A window
 *   whose flush never ran (its request was killed) is taken over by the next download
 *   after STALE_MS, so the buffer never waits for a dead timer.
 * - A download is never delayed or failed by the log: sendBatch errors are caught and
 *   logged once per flush (console.error with the count); those messages are lost.
 * - At-least-once from the queue on, as before: the consumer keys rows by the message
 *   id, so a redelivered (or re-sent) message writes nothing twice.
 * - A row names the principal (type, id, name), the token (by id, never its secret), an
 *   OIDC-exchanged token's kept claims, the client's address and user agent; names are
 *   copied in, so the log still says what was pulled after a delete.
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
  enqueue(scope, message);
}

/** How long a window collects messages before its flush (see the module comment). */
export const WINDOW_MS = 50;
/** A window not flushed by then lost its request; the next download opens a new one. */
const STALE_MS = 5_000;
/** Queues' limits per sendBatch: 100 messages, 256 KB in all (kept under, with room for each message's envelope). */
export const MAX_MESSAGES = 100;
export const MAX_BYTES = 240_000;
const ENVELOPE_BYTES = 128;

/** A buffered message and its size as Queues counts it (its JSON in UTF-8, plus the envelope). */
interface Buffered {
  body: DownloadMessage;
  size: number;
}
let buffer: Buffered[] = [];
let bufferBytes = 0;
/** The open window: its flush is pending in the waitUntil of the request that opened it. */
let open: { since: number } | null = null;
const utf8 = new TextEncoder();

function enqueue(scope: Scope, message: DownloadMessage): void {
  const size = utf8.encode(JSON.stringify(message)).byteLength + ENVELOPE_BYTES;
  if (buffer.length > 0 && bufferBytes + size > MAX_BYTES) scope.waitUntil(send(scope.env, take()));
  buffer.push({ body: message, size });
  bufferBytes += size;
  if (buffer.length >= MAX_MESSAGES) scope.waitUntil(send(scope.env, take()));
  const now = Date.now();
  if (open && now - open.since < STALE_MS) return;
  const mine = (open = { since: now });
  scope.waitUntil(
    new Promise((resolve) => setTimeout(resolve, WINDOW_MS)).then(() => {
      if (open !== mine) return; // taken over: the buffer is another window's now
      open = null;
      return send(scope.env, take());
    }),
  );
}

function take(): Buffered[] {
  const taken = buffer;
  buffer = [];
  bufferBytes = 0;
  return taken;
}

/**
 * Sends messages in as few sendBatch calls as Queues allows; never rejects (a binding that
 * throws is a rejection here). Every call is made before the first await, so once `send`
 * returns, its messages are with the binding.
 */
async function send(env: Scope["env"], messages: Buffered[]): Promise<void> {
  if (messages.length === 0) return;
  const batches: MessageSendRequest<DownloadMessage>[][] = [[]];
  let bytes = 0;
  for (const { body, size } of messages) {
    let last = batches[batches.length - 1]!;
    if (last.length === MAX_MESSAGES || (last.length > 0 && bytes + size > MAX_BYTES)) batches.push((last = [])), (bytes = 0);
    last.push({ body, contentType: "json" });
    bytes += size;
  }
  const results = await Promise.allSettled(batches.map(async (b) => env.DOWNLOADS.sendBatch(b)));
  const failed = results.flatMap((r, i) => (r.status === "rejected" ? [{ n: batches[i]!.length, why: r.reason }] : []));
  if (failed.length > 0) console.error(`download log: ${failed.reduce((n, f) => n + f.n, 0)} of ${messages.length} downloads not queued: ${String(failed[0]!.why)}`);
}

/**
 * Ends the current window now and sends what the buffer holds from the caller's own
 * context (tests: a deterministic end to a window; its timer then does nothing).
 */
export function flushDownloadLog(env: Scope["env"]): Promise<void> {
  open = null;
  return send(env, take());
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
