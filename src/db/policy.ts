/**
 * Queries of the policy domain: security blocks and their hits, quarantine and licence
 * policies, and the policy columns they materialize on `versions` and `oci_manifests`.
 * Invariant: updates of those columns touch at most ID_CHUNK rows per statement (D1
 * caps bound parameters), and only rows a caller named: never a whole table.
 */
import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import { runRead, type Db, type Read } from "./client";
import { blockHits, licensePolicies, ociManifestRefs, ociManifests, ociTags, packages, quarantinePolicies, repos, securityBlocks, versions } from "./schema";
import { keysetPage, pageWhere } from "./paging";
import type { PageKey } from "../core/pagination";
import { globToRegExp } from "../core/names";

export type BlockRow = typeof securityBlocks.$inferSelect;
export type QuarantinePolicyRow = typeof quarantinePolicies.$inferSelect;
export type LicensePolicyRow = typeof licensePolicies.$inferSelect;

export const ID_CHUNK = 90;
export const chunks = <T>(items: readonly T[], size = ID_CHUNK): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** Our globs (`*`, `?`) as an SQLite GLOB pattern: only `[` needs escaping. */
const globPattern = (glob: string) => glob.replace(/\[/g, "[[]");
/** D1 refuses a LIKE or GLOB pattern past 50 bytes (measured: 51 is "pattern too complex"); a block's glob may be longer. */
const D1_MAX_PATTERN_BYTES = 50;
const longGlob = (key: string, glob: boolean) => glob && new TextEncoder().encode(globPattern(key)).byteLength > D1_MAX_PATTERN_BYTES;

/**
 * The names a block's key selects, in SQL: equal, or GLOB; a glob too long for D1 narrows
 * by its literal prefix here and is matched whole by `matchedWhole` on the rows.
 */
const nameMatch = (column: SQL | typeof packages.name | typeof ociManifests.image | typeof ociTags.image, key: string, glob: boolean) => {
  if (!glob) return sql`${column} = ${key}`;
  if (!longGlob(key, glob)) return sql`${column} GLOB ${globPattern(key)}`;
  const prefix = key.slice(0, key.search(/[*?]/) === -1 ? key.length : key.search(/[*?]/));
  return prefix ? sql`instr(${column}, ${prefix}) = 1` : undefined;
};
/** The rows whose name a long glob matches (the rest were matched in SQL already). */
const matchedWhole = <T extends { name: string }>(rows: T[], s: { key: string; glob: boolean }) => {
  if (!longGlob(s.key, s.glob)) return rows;
  const re = globToRegExp(s.key);
  return rows.filter((r) => re.test(r.name));
};

// ---- blocks ----

export const insertBlock = (db: Db, row: BlockRow) => db.insert(securityBlocks).values(row);
export const findBlock = (db: Db, id: string) => db.select().from(securityBlocks).where(eq(securityBlocks.id, id)).get();
export const findBlocks = (db: Db, ids: string[]) => (ids.length ? db.select().from(securityBlocks).where(inArray(securityBlocks.id, ids)).all() : Promise.resolve([] as BlockRow[]));
export const updateBlock = (db: Db, id: string, patch: Partial<BlockRow>) => db.update(securityBlocks).set(patch).where(eq(securityBlocks.id, id));

/** Blocks in force now for these formats (not lifted, not past `blocked_until`). */
export const activeBlocks = (db: Db, formats: string[], now: number) =>
  db
    .select()
    .from(securityBlocks)
    .where(and(inArray(securityBlocks.format, formats), isNull(securityBlocks.liftedAt), or(isNull(securityBlocks.blockedUntil), gt(securityBlocks.blockedUntil, now))))
    .orderBy(asc(securityBlocks.createdAt), asc(securityBlocks.id))
    .all();

/** Blocks whose end passed while their effects are still materialized (the cron clears them). */
export const expiredBlocks = (db: Db, now: number) =>
  db.select().from(securityBlocks).where(and(isNull(securityBlocks.liftedAt), isNotNull(securityBlocks.blockedUntil), lte(securityBlocks.blockedUntil, now))).all();

export type BlockStatus = "active" | "lifted" | "expired";
export const listBlocks = (db: Db, f: { format?: string; status?: BlockStatus }, now: number, after: PageKey | null, limit: number) =>
  db
    .select()
    .from(securityBlocks)
    .where(
      and(
        f.format ? eq(securityBlocks.format, f.format) : undefined,
        f.status === "lifted" ? isNotNull(securityBlocks.liftedAt) : undefined,
        f.status === "active" ? and(isNull(securityBlocks.liftedAt), or(isNull(securityBlocks.blockedUntil), gt(securityBlocks.blockedUntil, now))) : undefined,
        f.status === "expired" ? and(isNull(securityBlocks.liftedAt), lte(securityBlocks.blockedUntil, now)) : undefined,
        pageWhere(securityBlocks, after),
      ),
    )
    .orderBy(securityBlocks.createdAt, securityBlocks.id)
    .limit(limit + 1)
    .all();

/** Counts one refused download in its window; returns the window's count after it. */
export const countHit = (db: Db, blockId: string, windowStart: number, now: number) =>
  db
    .insert(blockHits)
    .values({ blockId, windowStart, count: 1, lastAt: now })
    .onConflictDoUpdate({ target: [blockHits.blockId, blockHits.windowStart], set: { count: sql`${blockHits.count} + 1`, lastAt: now } })
    .returning({ count: blockHits.count })
    .get();

export const hitTotals = (db: Db, blockId: string) =>
  db.select({ count: sql<number>`coalesce(sum(${blockHits.count}), 0)`, lastAt: sql<number | null>`max(${blockHits.lastAt})` }).from(blockHits).where(eq(blockHits.blockId, blockId)).get();

// ---- what a block matches among stored artifacts ----

export interface Scoped {
  formats: string[];
  projectId?: string | null;
  repoId?: string | null;
}
const inScope = (s: Scoped) =>
  and(inArray(repos.format, s.formats), s.projectId ? eq(repos.projectId, s.projectId) : undefined, s.repoId ? eq(repos.id, s.repoId) : undefined);

/** Package versions whose package key is `key` (or matches the glob) in repos of the scope. */
export const versionCandidates = async (db: Db, s: Scoped & { key: string; glob: boolean }) =>
  matchedWhole(
    await db
      .select({ id: versions.id, version: versions.version, blockedBy: versions.blockedBy, repoId: packages.repoId, projectId: repos.projectId, format: repos.format, name: packages.name })
      .from(versions)
      .innerJoin(packages, eq(packages.id, versions.packageId))
      .innerJoin(repos, eq(repos.id, packages.repoId))
      .where(and(inScope(s), nameMatch(packages.name, s.key, s.glob)))
      .all(),
    s,
  );

/** Image manifests whose image is `key` (or matches the glob) in repos of the scope. */
export const manifestCandidates = async (db: Db, s: Scoped & { key: string; glob: boolean }) =>
  matchedWhole(
    await db
      .select({ repoId: ociManifests.repoId, image: ociManifests.image, digest: ociManifests.digest, blockedBy: ociManifests.blockedBy, projectId: repos.projectId, name: ociManifests.image })
      .from(ociManifests)
      .innerJoin(repos, eq(repos.id, ociManifests.repoId))
      .where(and(inScope(s), nameMatch(ociManifests.image, s.key, s.glob)))
      .all(),
    s,
  );

export const setVersionsBlockedBy = (db: Db, ids: string[], blockId: string) =>
  db.update(versions).set({ blockedBy: blockId }).where(and(inArray(versions.id, ids), isNull(versions.blockedBy)));
export const clearVersionsBlockedBy = (db: Db, blockId: string) => db.update(versions).set({ blockedBy: null }).where(eq(versions.blockedBy, blockId));

export interface ManifestKey {
  repoId: string;
  image: string;
  digest: string;
}
/** Sets `blocked_by` on manifests of one repo and image (those not blocked already). */
export const setManifestsBlockedBy = (db: Db, repoId: string, image: string, digests: string[], blockId: string) =>
  db
    .update(ociManifests)
    .set({ blockedBy: blockId })
    .where(and(eq(ociManifests.repoId, repoId), eq(ociManifests.image, image), inArray(ociManifests.digest, digests), isNull(ociManifests.blockedBy)));
export const clearManifestsBlockedBy = (db: Db, blockId: string) => db.update(ociManifests).set({ blockedBy: null }).where(eq(ociManifests.blockedBy, blockId));

export const countBlocked = async (db: Db, blockId: string) => {
  const [v, m] = await Promise.all([
    db.select({ n: sql<number>`count(*)` }).from(versions).where(eq(versions.blockedBy, blockId)).get(),
    db.select({ n: sql<number>`count(*)` }).from(ociManifests).where(eq(ociManifests.blockedBy, blockId)).get(),
  ]);
  return { versions: v?.n ?? 0, manifests: m?.n ?? 0 };
};

// ---- quarantine ----

export const insertQuarantinePolicy = (db: Db, row: QuarantinePolicyRow) => db.insert(quarantinePolicies).values(row);
export const updateQuarantinePolicy = (db: Db, id: string, patch: Partial<QuarantinePolicyRow>) => db.update(quarantinePolicies).set(patch).where(eq(quarantinePolicies.id, id));
export const deleteQuarantinePolicy = (db: Db, id: string) => db.delete(quarantinePolicies).where(eq(quarantinePolicies.id, id));
export const findQuarantinePolicy = (db: Db, id: string) => db.select().from(quarantinePolicies).where(eq(quarantinePolicies.id, id)).get();
export const listQuarantinePolicies = (db: Db, projectId: string | undefined, after: PageKey | null, limit: number) =>
  keysetPage(db, quarantinePolicies, [projectId ? eq(quarantinePolicies.projectId, projectId) : undefined], after, limit);

/** The policy that applies to a repo: its own, else its project's (one query). */
export const quarantinePolicyFor = (db: Db, projectId: string, repoId: string) =>
  db
    .select()
    .from(quarantinePolicies)
    .where(inArray(quarantinePolicies.scopeKey, [repoId, `project:${projectId}`]))
    .orderBy(desc(sql`${quarantinePolicies.repoId} is not null`))
    .limit(1)
    .get();

// ---- licence policies ----

export const insertLicensePolicy = (db: Db, row: LicensePolicyRow) => db.insert(licensePolicies).values(row);
export const updateLicensePolicy = (db: Db, id: string, patch: Partial<LicensePolicyRow>) => db.update(licensePolicies).set(patch).where(eq(licensePolicies.id, id));
export const deleteLicensePolicy = (db: Db, id: string) => db.delete(licensePolicies).where(eq(licensePolicies.id, id));
export const findLicensePolicy = (db: Db, id: string) => db.select().from(licensePolicies).where(eq(licensePolicies.id, id)).get();
export const findLicensePolicies = (db: Db, ids: string[]) =>
  ids.length ? db.select().from(licensePolicies).where(inArray(licensePolicies.id, ids)).all() : Promise.resolve([] as LicensePolicyRow[]);
export const listLicensePolicies = (db: Db, after: PageKey | null, limit: number) => keysetPage(db, licensePolicies, [], after, limit);

/** Enabled licence policies whose scope takes in this repo (of this project). */
const licensePoliciesOfRepo = (projectId: string, repoId: string) =>
  and(
    eq(licensePolicies.enabled, true),
    or(isNull(licensePolicies.projectId), eq(licensePolicies.projectId, projectId)),
    or(isNull(licensePolicies.repoId), eq(licensePolicies.repoId, repoId)),
  );

/** Enabled policies that can apply to a repo of this project and format. */
export const licensePoliciesFor = (db: Db, projectId: string, repoId: string) =>
  db
    .select()
    .from(licensePolicies)
    .where(licensePoliciesOfRepo(projectId, repoId))
    .orderBy(licensePolicies.createdAt, licensePolicies.id)
    .all();

// ---- OCI helpers for blocks: tags to digests, index children ----

/** Tags among `tags` of images matching `key` in the scope, with the digest each points at. */
export const tagsMatching = async (db: Db, s: Scoped & { key: string; glob: boolean }, tags: string[]) => {
  const rows = [];
  // A block names up to 100 tags; with the scope's parameters one statement would pass D1's 100.
  for (const part of chunks(tags, 80)) {
    rows.push(
      ...(await db
        .select({ repoId: ociTags.repoId, image: ociTags.image, digest: ociTags.digest, name: ociTags.image })
        .from(ociTags)
        .innerJoin(repos, eq(repos.id, ociTags.repoId))
        .where(and(inScope(s), nameMatch(ociTags.image, s.key, s.glob), inArray(ociTags.tag, part)))
        .all()),
    );
  }
  return matchedWhole(rows, s);
};

/** Manifests an index (or indexes) of one image references. */
export const childManifests = (db: Db, repoId: string, image: string, parents: string[]) =>
  parents.length === 0
    ? Promise.resolve([] as { digest: string }[])
    : db
        .select({ digest: ociManifestRefs.childDigest })
        .from(ociManifestRefs)
        .where(and(eq(ociManifestRefs.repoId, repoId), eq(ociManifestRefs.image, image), inArray(ociManifestRefs.parentDigest, parents), eq(ociManifestRefs.kind, "manifest")))
        .all();

/**
 * What a publish into a repo must check, read in one round trip: the active blocks of
 * its format, the quarantine policy that applies (the repo's own, else its project's)
 * and the enabled licence policies that can apply.
 */
export interface AdmissionReads {
  blocks: BlockRow[];
  quarantine: QuarantinePolicyRow | null;
  licenses: LicensePolicyRow[];
}

/** What admitting a new version reads (blocks of the format, the quarantine rule, licence policies), as one batchable read. */
export function admissionRead(db: Db, format: string, projectId: string, repoId: string, now: number): Read<AdmissionReads> {
  return {
    items: [
      db
        .select()
        .from(securityBlocks)
        .where(and(eq(securityBlocks.format, format), isNull(securityBlocks.liftedAt), or(isNull(securityBlocks.blockedUntil), gt(securityBlocks.blockedUntil, now))))
        .orderBy(asc(securityBlocks.createdAt), asc(securityBlocks.id)),
      db
        .select()
        .from(quarantinePolicies)
        .where(inArray(quarantinePolicies.scopeKey, [repoId, `project:${projectId}`]))
        .orderBy(desc(sql`${quarantinePolicies.repoId} is not null`))
        .limit(1),
      db.select().from(licensePolicies).where(licensePoliciesOfRepo(projectId, repoId)).orderBy(licensePolicies.createdAt, licensePolicies.id),
    ],
    decode: ([blocks, quarantine, licenses]) => ({
      blocks: blocks as BlockRow[],
      quarantine: (quarantine as QuarantinePolicyRow[])[0] ?? null,
      licenses: licenses as LicensePolicyRow[],
    }),
  };
}

export const admissionReads = (db: Db, format: string, projectId: string, repoId: string, now: number) => runRead(db, admissionRead(db, format, projectId, repoId, now));

// ---- held (quarantined) artifacts ----

export interface HeldFilter {
  projectId?: string;
  repoId?: string;
}

/** Package versions held at `now`, created at or after `since`, oldest first. */
export const heldVersions = (db: Db, f: HeldFilter, now: number, since: number, limit: number) =>
  db
    .select({ version: versions, packageName: packages.displayName, repoId: repos.id, projectId: repos.projectId, format: repos.format })
    .from(versions)
    .innerJoin(packages, eq(packages.id, versions.packageId))
    .innerJoin(repos, eq(repos.id, packages.repoId))
    .where(and(gt(versions.heldUntil, now), sql`${versions.createdAt} >= ${since}`, f.projectId ? eq(repos.projectId, f.projectId) : undefined, f.repoId ? eq(repos.id, f.repoId) : undefined))
    .orderBy(asc(versions.createdAt), asc(versions.id))
    .limit(limit)
    .all();

/** Image manifests held at `now`, created at or after `since`, oldest first. */
export const heldManifests = (db: Db, f: HeldFilter, now: number, since: number, limit: number) =>
  db
    .select({ repoId: ociManifests.repoId, image: ociManifests.image, digest: ociManifests.digest, heldUntil: ociManifests.heldUntil, pushedBy: ociManifests.pushedBy, createdAt: ociManifests.createdAt, projectId: repos.projectId, format: repos.format })
    .from(ociManifests)
    .innerJoin(repos, eq(repos.id, ociManifests.repoId))
    .where(and(gt(ociManifests.heldUntil, now), sql`${ociManifests.createdAt} >= ${since}`, f.projectId ? eq(repos.projectId, f.projectId) : undefined, f.repoId ? eq(repos.id, f.repoId) : undefined))
    .orderBy(asc(ociManifests.createdAt), asc(ociManifests.digest))
    .limit(limit)
    .all();

export const findVersionWithPackage = (db: Db, versionId: string) =>
  db
    .select({ version: versions, packageName: packages.displayName, packageKey: packages.name, repo: repos })
    .from(versions)
    .innerJoin(packages, eq(packages.id, versions.packageId))
    .innerJoin(repos, eq(repos.id, packages.repoId))
    .where(eq(versions.id, versionId))
    .get();

export const findManifestWithRepo = (db: Db, k: ManifestKey) =>
  db
    .select({ heldUntil: ociManifests.heldUntil, createdAt: ociManifests.createdAt, repo: repos })
    .from(ociManifests)
    .innerJoin(repos, eq(repos.id, ociManifests.repoId))
    .where(and(eq(ociManifests.repoId, k.repoId), eq(ociManifests.image, k.image), eq(ociManifests.digest, k.digest)))
    .get();

export const setVersionHeld = (db: Db, id: string, heldUntil: number | null) => db.update(versions).set({ heldUntil }).where(eq(versions.id, id));
export const setManifestHeld = (db: Db, k: ManifestKey, heldUntil: number | null) =>
  db.update(ociManifests).set({ heldUntil }).where(and(eq(ociManifests.repoId, k.repoId), eq(ociManifests.image, k.image), eq(ociManifests.digest, k.digest)));

// ---- licence re-evaluation ----

/** Stored versions (with their licence) of repos in the scope and formats. */
export const versionLicenses = (db: Db, s: Scoped) =>
  db
    .select({ id: versions.id, license: versions.license, licenseBlockedBy: versions.licenseBlockedBy, repoId: repos.id, projectId: repos.projectId, format: repos.format })
    .from(versions)
    .innerJoin(packages, eq(packages.id, versions.packageId))
    .innerJoin(repos, eq(repos.id, packages.repoId))
    .where(inScope(s))
    .all();

/** Stored manifests (with the licence their annotation declares) of repos in the scope and formats. */
export const manifestLicenses = (db: Db, s: Scoped) =>
  db
    .select({
      repoId: ociManifests.repoId,
      image: ociManifests.image,
      digest: ociManifests.digest,
      license: sql<string | null>`json_extract(${ociManifests.annotations}, '$."org.opencontainers.image.licenses"')`,
      licenseBlockedBy: ociManifests.licenseBlockedBy,
      projectId: repos.projectId,
      format: repos.format,
    })
    .from(ociManifests)
    .innerJoin(repos, eq(repos.id, ociManifests.repoId))
    .where(inScope(s))
    .all();

export const setVersionsLicenseBlockedBy = (db: Db, ids: string[], policyId: string | null) => db.update(versions).set({ licenseBlockedBy: policyId }).where(inArray(versions.id, ids));
export const setManifestLicenseBlockedBy = (db: Db, k: ManifestKey, policyId: string | null) =>
  db.update(ociManifests).set({ licenseBlockedBy: policyId }).where(and(eq(ociManifests.repoId, k.repoId), eq(ociManifests.image, k.image), eq(ociManifests.digest, k.digest)));
export const enabledLicensePolicies = (db: Db) => db.select().from(licensePolicies).where(eq(licensePolicies.enabled, true)).orderBy(licensePolicies.createdAt, licensePolicies.id).all();
