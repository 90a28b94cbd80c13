/**
 * Upstream metadata (packuments, simple pages, maven-metadata.xml, index files, tag
 * lists, `@v/list`) cached per repo under a key the format chooses, with the repo's TTL.
 *
 *   fresh row (now < expires_at)        → served from D1, upstream not asked   (HIT)
 *   expired or absent → ask upstream (conditional when we hold validators):
 *     200        → store (replacing the old body atomically), serve          (MISS)
 *     304        → extend the row's freshness, serve the stored body         (REVALIDATED)
 *     404/410    → store a negative row for the negative TTL, answer "none"
 *     error, timeout, 5xx, refused credentials:
 *                  a stored body → serve it, marked stale (stale-if-error)   (STALE)
 *                  nothing stored → UnavailableUpstream (503)
 *
 * Invariants:
 * - A fresh negative row answers "none" without asking the upstream.
 * - The body stored is what the format's fetcher returned (already trimmed); URLs in it
 *   are rewritten by the format when it serves, for the request's own base URL.
 * - Concurrent refreshes of one document each write a complete body; the last batch
 *   wins (db/proxy.ts replaceDocument), a reader never sees a mix.
 * - Bodies are capped (MAX_DOCUMENT_BYTES) and read within a deadline.
 */
import type { Scope } from "../scope";
import type { OpenedRepo } from "../projects/repos";
import * as q from "../../db/proxy";
import { runBatch } from "../../db/client";
import { RegistryError, isRegistryError } from "../../core/errors";
import { readCapped } from "../../core/byte-reader";
import { newId } from "../../core/ids";
import { MAX_DOCUMENT_BYTES, upstreamSettings } from "./settings";
import type { UpstreamClient } from "./upstream-client";

const PART_BYTES = 512 * 1024;

export type CacheState = "HIT" | "MISS" | "REVALIDATED" | "STALE";

export interface CachedDocument {
  bytes: Uint8Array<ArrayBuffer>;
  contentType: string | null;
  state: CacheState;
  fetchedAt: number;
}

export type FetchOutcome =
  | { kind: "ok"; bytes: Uint8Array; contentType: string | null; etag?: string | null; lastModified?: string | null }
  | { kind: "not-modified" }
  | { kind: "not-found" };

export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

/** Asks the upstream for the document; throws UnavailableUpstream on anything that is not an answer. */
export type DocumentFetcher = (validators: Validators | null) => Promise<FetchOutcome>;

/** The document, or null when the upstream has none (a fresh negative entry counts). */
export async function cachedDocument(scope: Scope, opened: OpenedRepo, key: string, fetcher: DocumentFetcher): Promise<CachedDocument | null> {
  const repoId = opened.repo.id;
  const settings = upstreamSettings(opened.repo.config);
  const row = await q.findDocument(scope.db, repoId, key);
  const now = Date.now();
  if (row && row.expiresAt > now) return row.status === 200 ? { ...(await bodyOf(scope, row)), state: "HIT" } : null;

  let outcome: FetchOutcome;
  try {
    outcome = await fetcher(row?.status === 200 ? { etag: row.etag, lastModified: row.lastModified } : null);
  } catch (e) {
    if (!isRegistryError(e) || !e.code.startsWith("Unavailable")) throw e;
    if (row?.status === 200) return { ...(await bodyOf(scope, row)), state: "STALE" };
    throw e;
  }
  const fetchedAt = Date.now();
  if (outcome.kind === "not-modified" && row?.status === 200) {
    await q.touchDocument(scope.db, repoId, key, fetchedAt, fetchedAt + settings.metadataTtlMs).run();
    return { ...(await bodyOf(scope, row)), state: "REVALIDATED" };
  }
  if (outcome.kind !== "ok") {
    await storeNegative(scope, repoId, key, fetchedAt, settings.negativeTtlMs);
    return null;
  }
  if (outcome.bytes.byteLength > MAX_DOCUMENT_BYTES) throw tooLarge();
  const parts: Uint8Array[] = [];
  for (let o = 0; o < outcome.bytes.byteLength; o += PART_BYTES) parts.push(outcome.bytes.subarray(o, o + PART_BYTES));
  await runBatch(
    scope.db,
    q.replaceDocument(
      scope.db,
      {
        repoId,
        key,
        status: 200,
        bodyId: newId(),
        contentType: outcome.contentType,
        size: outcome.bytes.byteLength,
        etag: outcome.etag ?? null,
        lastModified: outcome.lastModified ?? null,
        fetchedAt,
        expiresAt: fetchedAt + settings.metadataTtlMs,
      },
      parts,
    ),
  );
  return { bytes: outcome.bytes as Uint8Array<ArrayBuffer>, contentType: outcome.contentType, state: "MISS", fetchedAt };
}

/** Remembers that the upstream has nothing under `key` (artifacts use this too). */
export async function storeNegative(scope: Scope, repoId: string, key: string, now: number, ttlMs: number) {
  await runBatch(
    scope.db,
    q.replaceDocument(scope.db, { repoId, key, status: 404, bodyId: null, contentType: null, size: 0, etag: null, lastModified: null, fetchedAt: now, expiresAt: now + ttlMs }, []),
  );
}

/** Whether a fresh negative entry says the upstream has nothing under `key`. */
export async function knownMissing(scope: Scope, repoId: string, key: string): Promise<boolean> {
  const row = await q.findDocument(scope.db, repoId, key);
  return !!row && row.status !== 200 && row.expiresAt > Date.now();
}

/** Makes the next read of a document ask the upstream (a mirror sync, an admin refresh). */
export const expireDocument = (scope: Scope, repoId: string, key: string) => q.expireDocument(scope.db, repoId, key, Date.now()).run();

async function bodyOf(scope: Scope, row: q.ProxyDocumentRow): Promise<Omit<CachedDocument, "state">> {
  const parts = row.bodyId ? await q.documentParts(scope.db, row.bodyId) : [];
  const bytes = new Uint8Array(row.size);
  let o = 0;
  for (const p of parts) {
    const chunk = new Uint8Array(p.content);
    bytes.set(chunk.subarray(0, Math.min(chunk.byteLength, row.size - o)), o);
    o += chunk.byteLength;
  }
  return { bytes, contentType: row.contentType, fetchedAt: row.fetchedAt };
}

const tooLarge = () => new RegistryError("UnavailableUpstreamInvalid", `the upstream's document is larger than ${MAX_DOCUMENT_BYTES} bytes`);

/**
 * The usual fetcher: GET `path` from the upstream (conditional when validators are
 * given) and classify the answer; `accept` is sent as the Accept header.
 */
export function httpFetcher(client: UpstreamClient, path: string, opts: { accept?: string; headers?: Record<string, string> } = {}): DocumentFetcher {
  return async (validators) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.accept) headers.Accept = opts.accept;
    if (validators?.etag) headers["If-None-Match"] = validators.etag;
    if (validators?.lastModified) headers["If-Modified-Since"] = validators.lastModified;
    const { response, abort } = await client.fetch(path, { headers });
    return classify(response, abort, client.timeoutMs);
  };
}

/** Turns an upstream answer into a fetch outcome, reading the body within a deadline. */
export async function classify(response: Response, abort: (reason?: unknown) => void, timeoutMs: number): Promise<FetchOutcome> {
  const status = response.status;
  if (status === 304) return { kind: "not-modified" };
  if (status === 404 || status === 410) {
    await response.body?.cancel();
    return { kind: "not-found" };
  }
  if (status !== 200) {
    await response.body?.cancel();
    const why = status === 401 || status === 403 ? "refused the repository's credentials" : "answered";
    throw new RegistryError("UnavailableUpstream", `the upstream ${why} (HTTP ${status})`);
  }
  const bytes = await readWithin(response, MAX_DOCUMENT_BYTES, timeoutMs * 3, abort);
  return { kind: "ok", bytes, contentType: response.headers.get("content-type"), etag: response.headers.get("etag"), lastModified: response.headers.get("last-modified") };
}

/** Reads a whole (small) body, capped, within `ms`. */
export async function readWithin(response: Response, max: number, ms: number, abort: (reason?: unknown) => void): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? "NaN");
  if (declared > max) {
    await response.body?.cancel();
    throw tooLarge();
  }
  let timer: ReturnType<typeof setTimeout> | null = null;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new RegistryError("UnavailableUpstream", `the upstream did not send its answer within ${ms} ms`);
      abort(e);
      reject(e);
    }, ms);
  });
  try {
    return await Promise.race([readCapped(response.body, max, tooLarge), deadline]);
  } catch (e) {
    if (isRegistryError(e)) throw e;
    throw new RegistryError("UnavailableUpstream", "the upstream's answer broke off", { cause: e });
  } finally {
    clearTimeout(timer);
  }
}
