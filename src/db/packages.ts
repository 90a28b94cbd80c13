/** Queries over the shared package model: packages → versions → files. */
import { and, asc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { aliased, templateItem, type Db, type Read, type Ref } from "./client";
import { blobs, files, packages, repoBlobs, versions } from "./schema";
import { contains, inSlices, pageWhere } from "./paging";
import type { PageKey } from "../core/pagination";

export type PackageRow = typeof packages.$inferSelect;
export type VersionRow = typeof versions.$inferSelect;
export type FileRow = typeof files.$inferSelect;

export const findPackage = (db: Db, repoId: string, name: string) =>
  db.select().from(packages).where(and(eq(packages.repoId, repoId), eq(packages.name, name))).get();

export const findPackageById = (db: Db, id: string) => db.select().from(packages).where(eq(packages.id, id)).get();

export const listPackages = (db: Db, repoId: string, search: string | undefined, after: PageKey | null, limit: number) =>
  db
    .select()
    .from(packages)
    .where(and(eq(packages.repoId, repoId), search ? contains(packages.name, search) : undefined, pageWhere(packages, after)))
    .orderBy(packages.createdAt, packages.id)
    .limit(limit + 1)
    .all();

/** What a format's own search asks of one repository's packages (services/artifacts searchPackages). */
export interface PackageQuery {
  /** Each must be found, case-insensitively, in the name, the description (or summary) or a keyword. */
  terms: string[];
  /** When any: one of them must equal one of the package's keywords, case-insensitively. */
  keywords: string[];
}

const description = sql`coalesce(json_extract(${packages.metadata}, '$.description'), json_extract(${packages.metadata}, '$.summary'), '')`;
const keywordWhere = (condition: SQL) => sql`EXISTS (SELECT 1 FROM json_each(${packages.metadata}, '$.keywords') k WHERE k.type = 'text' AND ${condition})`;

/** At most `limit` of a repository's packages matching `q`: names that contain the first term first, then by name. One query; each term binds 4 parameters. */
export function searchRepoPackages(db: Db, repoId: string, q: PackageQuery, limit: number) {
  const termWhere = (term: string) =>
    sql`(${contains(packages.name, term)} OR ${contains(packages.displayName, term)} OR ${contains(description, term)} OR ${keywordWhere(contains(sql`k.value`, term))})`;
  const keywords = q.keywords;
  const first = q.terms[0] ?? q.keywords[0] ?? "";
  return db
    .select()
    .from(packages)
    .where(and(eq(packages.repoId, repoId), ...q.terms.map(termWhere), keywords.length ? keywordWhere(sql`lower(k.value) IN (${sql.join(keywords.map((k) => sql`lower(${k})`), sql`, `)})`) : undefined))
    .orderBy(sql`${contains(packages.displayName, first)} DESC`, packages.name)
    .limit(limit)
    .all();
}

export const insertPackage = (db: Db, row: PackageRow) => db.insert(packages).values(row).onConflictDoNothing();
export const updatePackage = (db: Db, id: string, patch: Partial<PackageRow>) => db.update(packages).set(patch).where(eq(packages.id, id));
export const deletePackage = (db: Db, id: string) => db.delete(packages).where(eq(packages.id, id));

export const findVersion = (db: Db, packageId: string, version: string) =>
  db.select().from(versions).where(and(eq(versions.packageId, packageId), eq(versions.version, version))).get();

export const findVersionById = (db: Db, id: string) => db.select().from(versions).where(eq(versions.id, id)).get();

/** Every version number (with its yank) of these packages, in slices of D1's parameter limit: one query per 90 packages. */
export const versionNumbersOf = (db: Db, packageIds: string[]) =>
  inSlices(packageIds, (ids) => db.select({ packageId: versions.packageId, version: versions.version, yanked: versions.yanked }).from(versions).where(inArray(versions.packageId, ids)).all());

export const listVersions = (db: Db, packageId: string) =>
  db.select().from(versions).where(eq(versions.packageId, packageId)).orderBy(asc(versions.createdAt), asc(versions.id)).all();

/** One keyset page of a package's versions, oldest first (limit+1 rows, see core/pagination). */
export const listVersionsPage = (db: Db, packageId: string, after: PageKey | null, limit: number) =>
  db
    .select()
    .from(versions)
    .where(and(eq(versions.packageId, packageId), pageWhere(versions, after)))
    .orderBy(asc(versions.createdAt), asc(versions.id))
    .limit(limit + 1)
    .all();

export const insertVersion = (db: Db, row: VersionRow) => db.insert(versions).values(row);
export const updateVersion = (db: Db, id: string, patch: Partial<VersionRow>) => db.update(versions).set(patch).where(eq(versions.id, id));
export const deleteVersion = (db: Db, id: string) => db.delete(versions).where(eq(versions.id, id));

export const filesOfVersions = (db: Db, versionIds: string[]) =>
  versionIds.length === 0
    ? Promise.resolve([] as FileRow[])
    : db.select().from(files).where(inArray(files.versionId, versionIds)).orderBy(files.createdAt, files.id).all();

export const findFileInVersion = (db: Db, versionId: string, name: string) =>
  db.select().from(files).where(and(eq(files.versionId, versionId), eq(files.name, name))).get();

/** A file by its name anywhere in the repo (tarball, wheel, crate, Maven path, generic path). */
export const findFileByName = (db: Db, repoId: string, name: string) =>
  db.select().from(files).where(and(eq(files.repoId, repoId), eq(files.name, name))).get();

/** A file by name with its version and package, for a download (one query): the version carries the policy columns. */
export const findFileForDownload = (db: Db, repoId: string, name: string) =>
  db
    .select({ file: files, version: versions, packageName: packages.displayName })
    .from(files)
    .innerJoin(versions, eq(versions.id, files.versionId))
    .innerJoin(packages, eq(packages.id, versions.packageId))
    .where(and(eq(files.repoId, repoId), eq(files.name, name)))
    .get();

export const insertFile = (db: Db, row: FileRow) => db.insert(files).values(row);
export const deleteFile = (db: Db, id: string) => db.delete(files).where(eq(files.id, id));


// A whole repo at once (retention plans every version of every package).
export const packagesOfRepo = (db: Db, repoId: string) => db.select().from(packages).where(eq(packages.repoId, repoId)).all();
export const versionsOfRepo = (db: Db, repoId: string) =>
  db
    .select({ version: versions })
    .from(versions)
    .innerJoin(packages, eq(packages.id, versions.packageId))
    .where(eq(packages.repoId, repoId))
    .all()
    .then((rows) => rows.map((r) => r.version));
export const filesOfRepo = (db: Db, repoId: string) => db.select().from(files).where(eq(files.repoId, repoId)).all();

/** A version a policy column restricts (blocked, licence-refused or held), with what a refusal message names. */
/** The version columns a download's policy check reads (services/policy enforceVersion). */
const POLICY_FIELDS = ["version", "blockedBy", "licenseBlockedBy", "heldUntil", "publishedBy", "license"] as const;
export type VersionPolicy = Pick<VersionRow, (typeof POLICY_FIELDS)[number]>;

/** A version's policy columns, from its row. */
export const policyOf = (v: VersionRow): VersionPolicy => Object.fromEntries(POLICY_FIELDS.map((f) => [f, v[f]])) as VersionPolicy;

/** The policy columns selected under unique aliases (`<prefix><field>`), decoded as the columns are. */
const policyColumns = (prefix: string) =>
  Object.fromEntries(POLICY_FIELDS.map((f) => [f, sql`${versions[f]}`.mapWith(versions[f]).as(`${prefix}${f}`)])) as { [K in keyof VersionPolicy]: SQL.Aliased<VersionPolicy[K]> };

export interface RestrictedVersion extends VersionPolicy {
  packageName: string;
}

/** The repo's versions that carry a policy column: usually none, so this read is cheap beside a generated index. */
export function restrictedVersionsRead(db: Db, repoId: Ref): Read<RestrictedVersion[]> {
  const item = db
    .select({
      packageName: sql<string>`${packages.displayName}`.as("r_package"),
      ...policyColumns("r_"),
    })
    .from(versions)
    .innerJoin(packages, eq(packages.id, versions.packageId))
    .where(and(eq(packages.repoId, repoId), sql`(${versions.blockedBy} is not null or ${versions.licenseBlockedBy} is not null or ${versions.heldUntil} is not null)`));
  return { items: [item], decode: ([rows]) => rows as RestrictedVersion[] };
}
/** A package with every version and its files, oldest first. */
export interface PackageDocument {
  pkg: PackageRow;
  versions: { version: VersionRow; files: FileRow[] }[];
}

/**
 * A package document as one batch of three statements (one round trip, where it was
 * three sequential queries); `repoId` may be a subquery (the repo by its slugs), so the
 * gate can read it in its own batch. Null when the package does not exist.
 */
export function packageDocumentRead(db: Db, repoId: Ref, name: string): Read<PackageDocument | null> {
  // A read route's every request (2 s cache aside): with a repo id, the statements' text
  // is built once per isolate (templateItem); inside the gate's batch the repo is a subquery.
  const items =
    typeof repoId === "string"
      ? packageDocumentQueries(db, sql.placeholder("repo"), sql.placeholder("name")).map((build, i) => templateItem(db, `packageDocument|${i}`, build, { repo: repoId, name }))
      : packageDocumentQueries(db, repoId, name).map((build) => build());
  return {
    items,
    decode: ([p, v, f]) => {
      const pkg = (p as PackageRow[])[0];
      if (!pkg) return null;
      const all = f as FileRow[];
      return { pkg, versions: (v as VersionRow[]).map((version) => ({ version, files: all.filter((x) => x.versionId === version.id) })) };
    },
  };
}

/** The package document's three statements (package, versions, files), each built on demand. */
function packageDocumentQueries(db: Db, repoId: Param, name: Param) {
  const pkgId = sql`(SELECT id FROM packages WHERE repo_id = ${repoId} AND name = ${name})`;
  return [
    () => db.select().from(packages).where(and(eq(packages.repoId, repoId), eq(packages.name, name))).limit(1),
    () => db.select().from(versions).where(eq(versions.packageId, pkgId)).orderBy(asc(versions.createdAt), asc(versions.id)),
    () =>
      db
        .select()
        .from(files)
        .where(sql`${files.versionId} IN (SELECT id FROM versions WHERE package_id = ${pkgId})`)
        .orderBy(files.createdAt, files.id),
  ];
}

/** A file the repo may read, with what serving it needs: its blob's R2 key and its version. */
export interface StoredFile {
  file: FileRow;
  r2Key: string;
  version: string;
  versionMetadata: Record<string, unknown>;
  packageDisplayName: string;
  /** The version's policy columns, read fresh with the file on every download (services/policy enforceVersion). */
  policy: VersionPolicy;
}

/**
 * A file by name and/or by its package and version, joined with its blob (through the
 * repo's link, so no link means no file): one statement where a download used to read
 * the package, its versions, its files and then the blob. Null when there is none.
 */
export function storedFileRead(db: Db, repoId: Ref, by: { name?: string; packageName?: string; version?: string }): Read<StoredFile | null> {
  const decode = ([rows]: unknown[]) => ((rows as StoredFile[])[0] ?? null);
  if (typeof repoId !== "string") return { items: [storedFileQuery(db, repoId, by)], decode };
  // A download's every request: the statement's text is built once per isolate and shape.
  const shape = `storedFile|${by.name !== undefined}|${by.packageName !== undefined}|${by.version !== undefined}`;
  const placeholders = {
    name: by.name !== undefined ? sql.placeholder("name") : undefined,
    packageName: by.packageName !== undefined ? sql.placeholder("packageName") : undefined,
    version: by.version !== undefined ? sql.placeholder("version") : undefined,
  };
  return { items: [templateItem(db, shape, () => storedFileQuery(db, sql.placeholder("repo"), placeholders), { repo: repoId, ...by })], decode };
}

type Param = Ref | ReturnType<typeof sql.placeholder>;

function storedFileQuery(db: Db, repoId: Param, by: { name?: Param; packageName?: Param; version?: Param }) {
  return db
    .select({
      file: aliased(files, "f_"),
      r2Key: sql`${blobs.r2Key}`.mapWith(blobs.r2Key).as("b_key"),
      version: sql`${versions.version}`.mapWith(versions.version).as("v_version"),
      versionMetadata: sql`${versions.metadata}`.mapWith(versions.metadata).as("v_metadata"),
      packageDisplayName: sql`${packages.displayName}`.mapWith(packages.displayName).as("p_display"),
      policy: policyColumns("vp_"),
    })
    .from(files)
    .innerJoin(repoBlobs, and(eq(repoBlobs.repoId, files.repoId), eq(repoBlobs.digest, files.digest)))
    .innerJoin(blobs, eq(blobs.digest, files.digest))
    .innerJoin(versions, eq(versions.id, files.versionId))
    .innerJoin(packages, eq(packages.id, versions.packageId))
    .where(
      and(
        eq(files.repoId, repoId),
        by.name !== undefined ? eq(files.name, by.name) : undefined,
        by.packageName !== undefined ? eq(packages.name, by.packageName) : undefined,
        by.version !== undefined ? eq(versions.version, by.version) : undefined,
      ),
    )
    .orderBy(files.createdAt, files.id)
    .limit(1);
}

/** A package and one of its versions (either may be missing), one batch: what a publish checks first. */
export function packageAndVersionRead(db: Db, repoId: string, name: string, version: string): Read<{ pkg: PackageRow | undefined; version: VersionRow | undefined }> {
  return {
    items: [
      db.select().from(packages).where(and(eq(packages.repoId, repoId), eq(packages.name, name))).limit(1),
      db
        .select()
        .from(versions)
        .where(and(eq(versions.packageId, sql`(SELECT id FROM packages WHERE repo_id = ${repoId} AND name = ${name})`), eq(versions.version, version)))
        .limit(1),
    ],
    decode: ([p, v]) => ({ pkg: (p as PackageRow[])[0], version: (v as VersionRow[])[0] }),
  };
}
