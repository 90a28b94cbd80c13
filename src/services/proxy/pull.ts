/**
 * Pull-through of one content-addressed artifact (a tarball, wheel, jar, crate, module
 * zip, layer, file) into an upstream repo, streamed to the client while it is stored.
 *
 *   cached already?                                  → "cached": the local read path serves it
 *   the upstream said "not found" lately?            → "missing"
 *   serving a client: policy refuses the version?    → 451 before any fetch (a quarantined
 *               one is still cached in the background, so its cool-down starts)
 *   take the artifact's FetchLock (one per repo + key, across isolates):
 *     granted → fetch; reserve the quota (a refusal is answered before any byte);
 *               split the body (split.ts): client ← verified bytes,
 *               store ← ingestBlob (hashed, verified again) → spec.record → release
 *     held by another request → wait for its release, then look again (a hit, normally);
 *               a holder that takes too long: this client is served straight from the
 *               upstream, verified, without storing (it never waits forever)
 *
 * Invariants:
 * - Concurrent misses of one artifact make one upstream fetch (the lease), and every
 *   waiter is then served from the cache.
 * - Nothing unverified is recorded: ingestBlob checks the digests the upstream promised
 *   and deletes the object on a mismatch; `record` (package rows, OCI rows) runs only
 *   after. The client sees a broken transfer on a mismatch (split.ts).
 * - Storing goes through the shared blob model (quotas, dedup, events); once recorded,
 *   the artifact is an ordinary file of the repo, served by the one read path with
 *   every policy that applies to local files.
 * - The lease is released when the store has finished (or failed), in the background
 *   (scope.waitUntil), even when the client went away early.
 * - A miss served to a client passes the same policies as a cached read (services/policy
 *   enforceMiss: blocks, licence policies, quarantine; one D1 round trip more, on a miss
 *   only) and, once its artifact is recorded as a version's file, is logged as that
 *   file's download (recordDownload), like a cached read. Mirroring (cacheArtifact)
 *   serves nobody: it is neither checked nor logged.
 */
import type { Scope } from "../scope";
import type { OpenedRepo } from "../projects/repos";
import { emitEvent } from "../events/audit";
import { ingestBlob, recordDownload, reserveBytes, type ChecksumAlgorithm, type IngestedBlob } from "../artifacts";
import { enforceMiss, type Subject } from "../policy";
import { RegistryError, isRegistryError } from "../../core/errors";
import { newId } from "../../core/ids";
import { config } from "../../config";
import { MAX_ARTIFACT_BYTES, upstreamSettings } from "./settings";
import { knownMissing, storeNegative } from "./documents";
import { splitVerified, type Expected, type SplitOutcome } from "./split";
import type { UpstreamClient } from "./upstream-client";

/** How long a fetch may hold an artifact's lease before others may try. */
const LEASE_MS = 15 * 60_000;
/** How long a request waits for another request's fetch of the same artifact. */
const WAIT_MS = 120_000;

export interface ArtifactSpec {
  /** The artifact's key in the repo: the lease and negative-cache key (e.g. `tarball:left-pad@1.3.0`). */
  key: string;
  /** Where the upstream serves it: a path under upstream_url, or an absolute URL. */
  url: string;
  accept?: string;
  tokenScope?: string;
  /** What the upstream promised about the bytes; every digest given is checked. */
  expect: Expected;
  /** More promises read from the upstream's answer (e.g. its `X-Checksum-Sha256`). */
  expectFromHeaders?: (headers: Headers) => Expected;
  /** The Content-Type the client gets (and the blob's recorded media type). */
  contentType: string;
  /** Extra digests to store with the file (Maven, generic serve them). */
  checksums?: ChecksumAlgorithm[];
  /** Whether the repo holds it already (checked before fetching and after waiting). */
  isCached: () => Promise<boolean>;
  /** The package version the artifact belongs to, as its publish names it: what policy judges before a miss is served. */
  policy?: Subject;
  /** Makes the stored, verified blob part of the repo (package rows, OCI rows); returns the version's file, whose download a served miss is. */
  record: (blob: IngestedBlob) => Promise<RecordedFile | void>;
}

/** A package file the record made (or found): what the download log names. */
export interface RecordedFile {
  versionId: string;
  file: string;
}

/** A miss answered to a client (not a mirror's copy): policy applies and the download is logged. */
export interface Serving {
  userAgent: string | null;
}

export type PullResult =
  | { kind: "cached" }
  | { kind: "missing" }
  | {
      kind: "streaming";
      body: ReadableStream<Uint8Array>;
      size: number | null;
      /** Settles when the artifact is recorded (true) or was not stored (false); never rejects. */
      settled: Promise<boolean>;
    };

const lockOf = (scope: Scope, repoId: string, key: string) => scope.env.FETCH_LOCKS.get(scope.env.FETCH_LOCKS.idFromName(`${repoId}\n${key}`));

export async function pullThrough(scope: Scope, client: UpstreamClient, spec: ArtifactSpec, serving?: Serving): Promise<PullResult> {
  const { opened } = client;
  if (await spec.isCached()) return { kind: "cached" };
  if (await knownMissing(scope, opened.repo.id, spec.key)) return { kind: "missing" };
  if (serving && spec.policy) await enforceMissOrCache(scope, client, spec, spec.policy);
  const lock = lockOf(scope, opened.repo.id, spec.key);
  const holder = newId();
  if (await lock.acquire(holder, LEASE_MS)) {
    const release = () => lock.release(holder);
    try {
      const result = await fetchAndSplit(scope, client, spec, true, release, serving);
      if (result.kind !== "streaming") await release();
      return result;
    } catch (e) {
      await release();
      throw e;
    }
  }
  await lock.wait(WAIT_MS);
  if (await spec.isCached()) return { kind: "cached" };
  if (await knownMissing(scope, opened.repo.id, spec.key)) return { kind: "missing" };
  // The other fetch failed or is still going: answer this client from the upstream without storing.
  return fetchAndSplit(scope, client, spec, false, async () => undefined);
}

/** Policy's answer for a miss; a quarantined version is refused now and cached in the background (its hold starts). */
async function enforceMissOrCache(scope: Scope, client: UpstreamClient, spec: ArtifactSpec, subject: Subject) {
  try {
    await enforceMiss(scope, client.opened, subject, spec.expect.sha256 ? `sha256:${spec.expect.sha256.toLowerCase()}` : null);
  } catch (e) {
    if (isRegistryError(e) && e.code === "BlockedQuarantine") scope.waitUntil(cacheArtifact(scope, client, spec).catch(() => false));
    throw e;
  }
}

async function fetchAndSplit(scope: Scope, client: UpstreamClient, spec: ArtifactSpec, store: boolean, release: () => Promise<void>, serving?: Serving): Promise<PullResult> {
  const { opened } = client;
  const headers: Record<string, string> = spec.accept ? { Accept: spec.accept } : {};
  const { response, abort } = await client.fetch(spec.url, { headers, tokenScope: spec.tokenScope });
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    await storeNegative(scope, opened.repo.id, spec.key, Date.now(), upstreamSettings(opened.repo.config).negativeTtlMs);
    return { kind: "missing" };
  }
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel();
    throw new RegistryError("UnavailableUpstream", `the upstream answered HTTP ${response.status} for ${spec.key}`);
  }
  const expect: Expected = { ...(spec.expectFromHeaders?.(response.headers) ?? {}), ...spec.expect };
  const declared = response.headers.get("content-length");
  const size = declared !== null && /^\d+$/.test(declared) ? Number(declared) : null;
  const bad = size !== null && (size > MAX_ARTIFACT_BYTES || (expect.size !== undefined && size !== expect.size));
  if (bad) {
    abort(new Error("refused"));
    throw new RegistryError("UnavailableUpstreamInvalid", `the upstream offers ${size} bytes for ${spec.key}${expect.size !== undefined ? `, ${expect.size} were expected` : ""}`);
  }
  const ticket = store && size !== null ? await reserveOrAbort(scope, opened, size, abort) : undefined;
  const validator = response.headers.get("etag") ?? response.headers.get("last-modified");
  const split = splitVerified(response.body, {
    size,
    max: MAX_ARTIFACT_BYTES,
    expect,
    idleMs: client.timeoutMs,
    abortSource: abort,
    store,
    resume: store ? (offset) => resumeFrom(client, spec, offset, validator) : undefined,
    storeDeferMs: config(scope.env).upstreamStoreDeferMs,
  });
  if (split.store) {
    const stored: Promise<boolean> = ingestBlob(scope, opened.repo.id, split.store, {
      length: size,
      maxBytes: MAX_ARTIFACT_BYTES,
      expectedDigest: expect.sha256 ? `sha256:${expect.sha256.toLowerCase()}` : undefined,
      expectedChecksums: pick(expect),
      checksums: spec.checksums,
      mediaType: spec.contentType,
      contentType: spec.contentType,
      ticket,
    })
      .then(async (blob) => {
        const file = await spec.record(blob);
        if (serving && file && (await split.done).served) {
          recordDownload(scope, { repo: { id: opened.repo.id, projectId: opened.project.id, format: opened.repo.format }, versionId: file.versionId, file: file.file, digest: blob.digest, userAgent: serving.userAgent });
        }
        return true;
      })
      .catch(async (e) => {
        await reportFailure(scope, opened, spec, e);
        return false;
      })
      .finally(release);
    scope.waitUntil(Promise.all([stored, reported(scope, opened, spec, split.done)]));
    return { kind: "streaming", body: split.client, size, settled: stored };
  }
  const passed = reported(scope, opened, spec, split.done).then(() => false);
  scope.waitUntil(passed);
  return { kind: "streaming", body: split.client, size, settled: passed };
}

/** The split's own verdict: a verification failure it found is reported (the store then only sees its stream aborted). */
const reported = (scope: Scope, opened: OpenedRepo, spec: ArtifactSpec, done: Promise<SplitOutcome>) =>
  done.then((o) => (o.error ? reportFailure(scope, opened, spec, o.error) : undefined));

/**
 * Caches an artifact without a client (mirroring): the same pull-through, its client
 * branch dropped, awaited until the artifact is recorded. True when it is in the repo.
 */
export async function cacheArtifact(scope: Scope, client: UpstreamClient, spec: ArtifactSpec): Promise<boolean> {
  const r = await pullThrough(scope, client, spec);
  if (r.kind === "cached") return true;
  if (r.kind === "missing") return false;
  await r.body.cancel();
  return (await r.settled) || spec.isCached();
}

async function reserveOrAbort(scope: Scope, opened: OpenedRepo, size: number, abort: (reason?: unknown) => void) {
  try {
    return await reserveBytes(scope, opened.project.id, size);
  } catch (e) {
    abort(e);
    throw e;
  }
}

const pick = (e: Expected) => {
  const out: Partial<Record<ChecksumAlgorithm, string>> = {};
  if (e.sha1) out.sha1 = e.sha1;
  if (e.sha512) out.sha512 = e.sha512;
  if (e.md5) out.md5 = e.md5;
  return out;
};

/** The rest of the body for a store that fell behind: a ranged request, guarded by the first answer's validator. */
async function resumeFrom(client: UpstreamClient, spec: ArtifactSpec, offset: number, validator: string | null): Promise<ReadableStream<Uint8Array> | null> {
  const headers: Record<string, string> = { Range: `bytes=${offset}-` };
  if (spec.accept) headers.Accept = spec.accept;
  if (validator) headers["If-Range"] = validator;
  const { response } = await client.fetch(spec.url, { headers, tokenScope: spec.tokenScope });
  if (response.status === 206 && response.body && response.headers.get("content-range")?.startsWith(`bytes ${offset}-`)) return response.body;
  await response.body?.cancel();
  return null;
}

/** A verification failure is a security fact: say so (event), without any secret or header. */
async function reportFailure(scope: Scope, opened: OpenedRepo, spec: ArtifactSpec, e: unknown) {
  if (!isRegistryError(e) || (e.code !== "InvalidDigestMismatch" && e.code !== "UnavailableUpstreamInvalid")) {
    if (!(e instanceof RegistryError && e.code.startsWith("Unavailable"))) console.error("pull-through of", spec.key, "not stored:", e instanceof Error ? e.message : String(e));
    return;
  }
  await emitEvent(scope, {
    type: "upstream.integrity_failed",
    project_id: opened.project.id,
    data: { format: opened.repo.format, repo_id: opened.repo.id, artifact: spec.key, reason: e.message },
  });
}


/**
 * The same one-fetch rule for small artifacts read whole (an OCI manifest by digest):
 * `work` fetches and records; concurrent callers wait for the first and find it done.
 */
export async function fetchOnce(scope: Scope, repoId: string, key: string, isCached: () => Promise<boolean>, work: () => Promise<void>): Promise<void> {
  if (await isCached()) return;
  const lock = lockOf(scope, repoId, key);
  const holder = newId();
  if (await lock.acquire(holder, LEASE_MS)) {
    try {
      return await work();
    } finally {
      await lock.release(holder);
    }
  }
  await lock.wait(WAIT_MS);
  if (!(await isCached())) await work();
}
