/**
 * The hot reads of the language formats, each at most one D1 round trip:
 * - a package document (package, versions, files: one batch of three statements);
 * - a stored file (the file joined with its version and its blob through the repo's
 *   link: one statement, where a download used to read package, versions, files and
 *   blob one after another).
 *
 * Invariants:
 * - Every read here can also be *planned*: a format names, from the URL alone, the one
 *   read its handler will make (`plannedPackageDocument`, `plannedStoredFile`), and the
 *   request's gate runs it in the same batch as the token, repo and grants
 *   (http/prefetch.ts), with the repo found by its slugs in a subquery. The handler then
 *   finds the value in `scope.reads` under the same key and makes no query. Nothing read
 *   this way is served before the gate has checked the caller's right to read the repo.
 * - A stored file's row is never kept in isolate memory on its own. A download reads it
 *   from D1 (the gate's batch when cold, `storedFile` when warm) with its version's
 *   policy columns (services/policy), unless the package document this isolate read
 *   within its window (below) holds the version and the file, and the file's bytes are
 *   in isolate memory (`recentStoredFile`): then the policy columns are the document's,
 *   and the download makes no D1 round trip. That is npm's install (packument, then
 *   its tarball a moment later) and Go's and Cargo's. So a block, a licence refusal or
 *   a quarantine hold stops the next download in the isolate that made it at once
 *   (every change clears the window there), and on every other isolate within the
 *   window (TAG_CACHE_TTL_MS), as it already hides or marks the version in the
 *   documents those isolates serve. `enforceStoredFile` adds no round trip either way.
 * - A read route may take a package document from isolate memory (`cached`): like a tag,
 *   it is at most TAG_CACHE_TTL_MS stale in other isolates, and every change to a package
 *   in this isolate clears it (an `artifact.*` event, or `clearCacheGroup` in the writes
 *   that emit none). Writes never read it: a read-modify-write reads D1.
 */
import { readOnce, type Scope } from "../scope";
import { runRead, type Read, type Ref } from "../../db/client";
import * as q from "../../db/packages";
import { TAG_CACHE_TTL_MS, TtlCache } from "../../core/ttl-cache";
import { enforceVersion } from "../policy";
import { smallBytesInMemory } from "./blobs";
import type { OpenedRepo } from "../projects/repos";

export type { PackageDocument } from "../../db/packages";

/** A file a download serves; `bytes` when it was found in isolate memory instead of D1 (`recentStoredFile`). */
export interface StoredFile extends q.StoredFile {
  bytes?: Uint8Array;
}

/** A repo as a read names it: its id, or (inside the gate's batch) a subquery finding it by slugs. */
export type RepoKey = Ref;

/** A read a format plans from the URL, for the gate's batch: its key in `scope.reads` and the read itself. */
export interface PlannedRead {
  key: string;
  read: (scope: Pick<Scope, "db">, repo: RepoKey) => Read<unknown>;
}

export interface FileLookup {
  name?: string;
  packageName?: string;
  version?: string;
}

const documentKey = (name: string) => `doc:${name}`;
const fileKey = (by: FileLookup) => `file:${by.packageName ?? ""}|${by.version ?? ""}|${by.name ?? ""}`;

export const plannedPackageDocument = (name: string): PlannedRead => ({ key: documentKey(name), read: (scope, repo) => q.packageDocumentRead(scope.db, repo, name) });
export const plannedStoredFile = (by: FileLookup): PlannedRead => ({ key: fileKey(by), read: (scope, repo) => q.storedFileRead(scope.db, repo, by) });

const documents = new TtlCache<string, q.PackageDocument | null>(TAG_CACHE_TTL_MS, "artifacts", 1_000);
/** Documents with more versions are not kept in memory (an isolate has 128 MB). */
const CACHED_VERSIONS_MAX = 100;

/**
 * A package with all its versions and files, or null: one round trip (none when the
 * gate read it); none at all for a read route (`cached`) that read it a moment ago.
 */
export async function packageDocument(scope: Scope, repoId: string, name: string, opts: { cached?: boolean } = {}): Promise<q.PackageDocument | null> {
  const key = `${repoId}|${name}`;
  const hit = opts.cached ? documents.get(key) : undefined;
  if (hit !== undefined) return hit;
  const doc = await readOnce(scope, documentKey(name), () => runRead(scope.db, q.packageDocumentRead(scope.db, repoId, name)));
  if (opts.cached && (doc?.versions.length ?? 0) <= CACHED_VERSIONS_MAX) documents.set(key, doc);
  return doc;
}

/**
 * A file the repo may read, with its blob's R2 key and its version's policy columns, or
 * null: one round trip (none when the gate read it, or when `recentStoredFile` finds it).
 */
export async function storedFile(scope: Scope, repoId: string, by: FileLookup): Promise<StoredFile | null> {
  const key = fileKey(by);
  if (!scope.reads?.has(key)) {
    const recent = recentStoredFile(repoId, by);
    if (recent) return recent;
  }
  return readOnce(scope, key, () => runRead(scope.db, q.storedFileRead(scope.db, repoId, by)));
}

/**
 * A download's file from the package document this isolate read within its window (a
 * packument, a Go version list, a Cargo index file just served), when the file's bytes
 * are in isolate memory: no D1 round trip, and no R2 key needed. Only a lookup by
 * package, version and file name can be answered so; anything else reads D1.
 */
function recentStoredFile(repoId: string, by: FileLookup): StoredFile | null {
  if (by.packageName === undefined || by.version === undefined || by.name === undefined) return null;
  const doc = documents.get(`${repoId}|${by.packageName}`);
  const entry = doc?.versions.find((v) => v.version.version === by.version);
  const file = entry?.files.find((f) => f.name === by.name);
  const bytes = file && smallBytesInMemory(file.digest, file.size);
  if (!doc || !entry || !file || !bytes) return null;
  const v = entry.version;
  return {
    file,
    r2Key: "",
    bytes,
    version: v.version,
    versionMetadata: v.metadata,
    packageDisplayName: doc.pkg.displayName,
    policy: q.policyOf(v),
  };
}

/**
 * Answers 451 (throws) when a policy refuses the stored file's version: its policy
 * columns came with the file in the same read (services/policy enforceVersion), so an
 * unrestricted download pays nothing more.
 */
export const enforceStoredFile = (scope: Scope, opened: OpenedRepo, stored: q.StoredFile) =>
  enforceVersion(scope, opened, stored.packageDisplayName, stored.policy, stored.file.digest);
