/**
 * Generated repository indexes: the documents a package manager reads to learn what a
 * repo holds (apt's dists/…/InRelease and Packages.gz, dnf's repodata/, a chart repo's
 * index.yaml), built by the repo's format from the package model and kept in D1.
 *
 * Why built on read and kept, rather than rebuilt on every upload: a burst of uploads
 * costs one build when a client next reads, not one per upload; documents live in D1 rows
 * (no R2 object per build, so nothing written for one key once a second, nothing to
 * collect); and a client that read a top document (InRelease, repomd.xml) at one
 * revision can still fetch the documents it names by hash after the repo has changed.
 *
 * Invariants:
 * - An index is built from one consistent read (revision and files in one D1 batch) and
 *   stored whole in one batch, labelled with that revision; the newest stored index is
 *   never replaced by one built from an older revision (db/indexes.ts insertIndexIfNewest).
 * - A read serves the newest index when it was built from the current revision, else
 *   builds one first: after an upload's response, the next read sees the upload.
 * - Superseded indexes stay readable (by path and by hash) for RETAIN_MS, then go.
 * - Reading a document costs one D1 round trip (none more when the gate read it ahead:
 *   `plannedIndexFile`, `plannedKeptIndexFile`), unless the index must be built first.
 *   A document named by its hash is content-addressed: a found one is kept in isolate
 *   memory, so a warm read of it costs none.
 *
 *   read(path):
 *     [rev, newest index, its parts for path] ← one batch
 *     if newest.rev ≥ rev: serve the parts
 *     build: [rev', entries] ← one batch; documents ← format.build(entries)
 *            batch [insert index(rev') if none ≥ rev', parts, supersede older, drop expired]
 *            → a concurrent build that stored rev'' ≥ rev' first makes ours roll back:
 *              read again (the winner's index is at least as new)
 */
import { readOnce, type Scope } from "../scope";
import * as q from "../../db/indexes";
import * as pq from "../../db/packages";
import type { FileRow, PackageRow, RestrictedVersion, VersionRow } from "../../db/packages";
import { isForeignKeyViolation } from "../../db/errors";
import { runBatch, runRead, runReads, type Read, type Ref } from "../../db/client";
import { TtlCache } from "../../core/ttl-cache";
import type { PlannedRead } from "./reads";
import { newId, sha256Hex } from "../../core/ids";
import { gunzip } from "../../core/archive/decompress";
import { concatChunks } from "../../core/byte-reader";

export type { IndexManifestEntry } from "../../db/indexes";
export type { RestrictedVersion } from "../../db/packages";

/** How long a superseded index stays readable for clients that read its top document. */
export const RETAIN_MS = 10 * 60 * 1000;
/** D1 rows stay well under its 2 MB value limit. */
const PART_BYTES = 512 * 1024;
const BUILD_ATTEMPTS = 3;
const MAX_GUNZIPPED = 512 * 1024 * 1024;

export interface IndexEntry {
  package: PackageRow;
  version: VersionRow;
  file: FileRow;
}

export interface IndexBuildInput {
  repoId: string;
  rev: number;
  /** Every file of the repo with its version and package, ordered by package name. */
  entries: IndexEntry[];
  now: number;
}

export interface IndexDocument {
  path: string;
  bytes: Uint8Array;
  contentType: string;
}

/** A document served by gunzipping another one (apt's uncompressed `Packages`). */
export interface GunzippedDocument {
  path: string;
  gunzipOf: string;
  bytes: Uint8Array;
  contentType: string;
}

export interface BuiltIndex {
  documents: IndexDocument[];
  gunzipped?: GunzippedDocument[];
}

export type IndexBuilder = (input: IndexBuildInput) => Promise<BuiltIndex>;

export interface IndexFile {
  path: string;
  sha256: string;
  size: number;
  contentType: string;
  bytes: Uint8Array;
  /** When the index holding it was built. */
  builtAt: number;
}

const concat = (parts: { content: Uint8Array }[]) => concatChunks(parts.map((p) => new Uint8Array(p.content)));

/** The document `entry` of `index`; `parts` are what a read already fetched (any paths), else they are read now. */
async function fileOf(scope: Scope, index: q.RepoIndexRow, entry: q.IndexManifestEntry, parts: q.IndexPart[] = []): Promise<IndexFile> {
  const source = entry.gunzipOf ?? entry.path;
  const fetched = parts.filter((p) => p.path === source);
  const stored = fetched.length > 0 ? fetched : await q.partsOf(scope.db, index.id, source);
  const bytes = entry.gunzipOf ? await gunzip(concat(stored), MAX_GUNZIPPED, entry.path) : concat(stored);
  return { path: entry.path, sha256: entry.sha256, size: entry.size, contentType: entry.contentType, bytes, builtAt: index.createdAt };
}

const indexKey = (path: string) => `index:${path}`;
const keptKey = (match: q.KeptMatch) => `kept-index:${match.path ?? ""}|${match.sha256 ?? ""}|${match.under ?? ""}`;

/** `readIndexFile`'s read, for the gate's batch. */
export const plannedIndexFile = (path: string): PlannedRead => ({ key: indexKey(path), read: (scope, repo) => q.currentIndexRead(scope.db, repo, path) });
/** `findKeptIndexFile`'s read, for the gate's batch. */
export const plannedKeptIndexFile = (match: q.KeptMatch): PlannedRead => ({ key: keptKey(match), read: (scope, repo) => q.keptIndexFileRead(scope.db, repo, match) });

/** The document at `path` in the repo's current index (built first when stale), or null. */
export async function readIndexFile(scope: Scope, repoId: string, path: string, build: IndexBuilder): Promise<IndexFile | null> {
  const current = await readOnce(scope, indexKey(path), () => runRead(scope.db, q.currentIndexRead(scope.db, repoId, path)));
  return fromCurrent(scope, repoId, path, build, current);
}

/**
 * `readIndexFile`, and in the same round trip the repo's versions a policy restricts now
 * (blocked, licence-refused, held): for a document that shows its entries' policy state
 * (an MCP catalog), which a block or a hold's end changes without a new revision.
 */
export async function readIndexFileWithRestrictions(scope: Scope, repoId: string, path: string, build: IndexBuilder): Promise<{ file: IndexFile | null; restricted: RestrictedVersion[] }> {
  const { current, restricted } = await readOnce(scope, withRestrictionsKey(path), () => runRead(scope.db, withRestrictionsRead(scope.db, repoId, path)));
  return { file: await fromCurrent(scope, repoId, path, build, current), restricted };
}

/**
 * `readIndexFileWithRestrictions` for several repos at once, their reads in one D1 batch
 * (a view across repos: MCP's catalog of catalogs); a stale index is built per repo.
 */
export async function readIndexFilesWithRestrictions(scope: Scope, repoIds: string[], path: string, build: IndexBuilder): Promise<{ file: IndexFile | null; restricted: RestrictedVersion[] }[]> {
  const reads = (await runReads(scope.db, repoIds.map((id) => withRestrictionsRead(scope.db, id, path)))) as { current: q.CurrentIndexRead; restricted: RestrictedVersion[] }[];
  return Promise.all(reads.map(async ({ current, restricted }, i) => ({ file: await fromCurrent(scope, repoIds[i]!, path, build, current), restricted })));
}

const withRestrictionsKey = (path: string) => `index+restricted:${path}`;

function withRestrictionsRead(db: Scope["db"], repoId: Ref, path: string): Read<{ current: q.CurrentIndexRead; restricted: RestrictedVersion[] }> {
  const index = q.currentIndexRead(db, repoId, path);
  const restricted = pq.restrictedVersionsRead(db, repoId);
  return {
    items: [...index.items, ...restricted.items],
    decode: (r) => ({ current: index.decode(r.slice(0, index.items.length)), restricted: restricted.decode(r.slice(index.items.length)) }),
  };
}

/** `readIndexFileWithRestrictions`' read, for the gate's batch. */
export const plannedIndexFileWithRestrictions = (path: string): PlannedRead => ({ key: withRestrictionsKey(path), read: (scope, repo) => withRestrictionsRead(scope.db, repo, path) });

async function fromCurrent(scope: Scope, repoId: string, path: string, build: IndexBuilder, { rev, latest, parts }: q.CurrentIndexRead): Promise<IndexFile | null> {
  let index = latest;
  let have = parts;
  if (!index || index.rev < rev) ({ index, documents: have } = await buildAndStore(scope, repoId, build));
  const entry = index.manifest.find((e) => e.path === path);
  if (!entry) return null;
  return fileOf(scope, index, entry, have);
}

/** Documents found by their hash (content-addressed, so never stale): small ones stay in isolate memory. */
const KEPT_CACHE_TTL_MS = 60_000;
const keptFiles = new TtlCache<string, IndexFile>(KEPT_CACHE_TTL_MS, "artifacts", 64);
const KEPT_CACHE_MAX_BYTES = 256 * 1024;

/**
 * A document of any index still kept (the current one first), by path or by SHA-256:
 * for names that carry their content's hash (dnf's `<sha256>-primary.xml.gz`, apt's
 * `by-hash/SHA256/<hex>`), which a client may ask for after the index moved on.
 */
export async function findKeptIndexFile(scope: Scope, repoId: string, match: q.KeptMatch): Promise<IndexFile | null> {
  const cacheKey = `${repoId}|${keptKey(match)}`;
  const hit = keptFiles.get(cacheKey);
  if (hit) return hit;
  const { kept, parts } = await readOnce(scope, keptKey(match), () => runRead(scope.db, q.keptIndexFileRead(scope.db, repoId, match)));
  for (const index of kept) {
    const entry = index.manifest.find(
      (e) => (match.path === undefined || e.path === match.path) && (match.sha256 === undefined || e.sha256 === match.sha256) && (match.under === undefined || e.path.startsWith(match.under)),
    );
    if (!entry) continue;
    const file = await fileOf(scope, index, entry, parts.filter((p) => p.indexId === index.id));
    // Never kept past the index's retention: a current index is retained RETAIN_MS after it is superseded.
    const now = Date.now();
    const ttl = Math.min(KEPT_CACHE_TTL_MS, index.supersededAt === null ? KEPT_CACHE_TTL_MS : index.supersededAt + RETAIN_MS - now);
    if (file.bytes.byteLength <= KEPT_CACHE_MAX_BYTES && ttl > 0) keptFiles.set(cacheKey, file, now, ttl);
    return file;
  }
  return null;
}

/** Builds the repo's index from its current revision and stores it (or adopts a concurrent build's). */
export const buildIndex = async (scope: Scope, repoId: string, build: IndexBuilder): Promise<q.RepoIndexRow> => (await buildAndStore(scope, repoId, build)).index;

/**
 * `buildIndex`, and the built documents' bytes, so the read that built them serves one
 * without reading it back (none when a concurrent build's index was adopted).
 */
async function buildAndStore(scope: Scope, repoId: string, build: IndexBuilder): Promise<{ index: q.RepoIndexRow; documents: q.IndexPart[] }> {
  for (let attempt = 1; ; attempt++) {
    const [rev, pkgs, vers, rows] = await scope.db.batch([q.revisionOf(scope.db, repoId), ...q.repoContents(scope.db, repoId)]);
    const current = rev[0]?.rev ?? 0;
    const pkgById = new Map(pkgs.map((p) => [p.id, p]));
    const verById = new Map(vers.map((v) => [v.id, v]));
    const entries = rows.map((file) => {
      const version = verById.get(file.versionId)!;
      return { package: pkgById.get(version.packageId)!, version, file };
    });
    entries.sort((a, b) => (a.package.name < b.package.name ? -1 : a.package.name > b.package.name ? 1 : 0));
    const now = Date.now();
    const built = await build({ repoId, rev: current, entries, now });
    const manifest: q.IndexManifestEntry[] = [];
    const id = newId();
    const statements = [q.insertIndexIfNewest(scope.db, { id, repoId, rev: current, manifest, createdAt: now })];
    for (const d of built.documents) {
      manifest.push({ path: d.path, sha256: await sha256Hex(d.bytes), size: d.bytes.byteLength, contentType: d.contentType });
      for (let part = 0, at = 0; part === 0 || at < d.bytes.byteLength; part++, at += PART_BYTES) {
        statements.push(q.insertIndexPart(scope.db, { indexId: id, path: d.path, part, content: d.bytes.subarray(at, at + PART_BYTES) }) as never);
      }
    }
    for (const g of built.gunzipped ?? []) {
      manifest.push({ path: g.path, sha256: await sha256Hex(g.bytes), size: g.bytes.byteLength, contentType: g.contentType, gunzipOf: g.gunzipOf });
    }
    statements[0] = q.insertIndexIfNewest(scope.db, { id, repoId, rev: current, manifest, createdAt: now });
    try {
      await runBatch(scope.db, [...statements, q.supersedeOlder(scope.db, repoId, current, now), q.deleteExpired(scope.db, repoId, now - RETAIN_MS)]);
      return { index: { id, repoId, rev: current, manifest, createdAt: now, supersededAt: null }, documents: built.documents.map((d) => ({ path: d.path, part: 0, content: d.bytes })) };
    } catch (e) {
      if (!isForeignKeyViolation(e)) throw e;
      // Another build stored an index from this revision or a later one: use it if it is current.
      const [[latest], [after]] = await scope.db.batch([q.latestIndex(scope.db, repoId), q.revisionOf(scope.db, repoId)]);
      if (latest && latest.rev >= (after?.rev ?? 0)) return { index: latest, documents: [] };
      if (attempt >= BUILD_ATTEMPTS) throw e;
    }
  }
}
