/** Queries over the shared package model: packages → versions → files. */
import { and, asc, eq, inArray, like } from "drizzle-orm";
import type { Db } from "./client";
import { files, packages, versions } from "./schema";
import { pageWhere } from "./paging";
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
    .where(and(eq(packages.repoId, repoId), search ? like(packages.name, `%${search.replace(/[%_]/g, "")}%`) : undefined, pageWhere(packages, after)))
    .orderBy(packages.createdAt, packages.id)
    .limit(limit + 1)
    .all();

export const insertPackage = (db: Db, row: PackageRow) => db.insert(packages).values(row).onConflictDoNothing();
export const updatePackage = (db: Db, id: string, patch: Partial<PackageRow>) => db.update(packages).set(patch).where(eq(packages.id, id));
export const deletePackage = (db: Db, id: string) => db.delete(packages).where(eq(packages.id, id));

export const findVersion = (db: Db, packageId: string, version: string) =>
  db.select().from(versions).where(and(eq(versions.packageId, packageId), eq(versions.version, version))).get();

export const findVersionById = (db: Db, id: string) => db.select().from(versions).where(eq(versions.id, id)).get();

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
