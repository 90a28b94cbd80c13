/** Queries over projects and repos. */
import { and, eq, sql } from "drizzle-orm";
import { aliased, type Db, type Read } from "./client";
import { projects, repos } from "./schema";
import { inIdList, pageWhere } from "./paging";
import type { PageKey } from "../core/pagination";

export type ProjectRow = typeof projects.$inferSelect;
export type RepoRow = typeof repos.$inferSelect;

export const findProject = (db: Db, id: string) => db.select().from(projects).where(eq(projects.id, id)).get();
export const findProjectBySlug = (db: Db, slug: string) =>
  db.select().from(projects).where(eq(projects.slug, slug)).get();

export const listProjects = (db: Db, onlyIds: string[] | null, after: PageKey | null, limit: number) =>
  db
    .select()
    .from(projects)
    .where(and(onlyIds ? inIdList(projects.id, onlyIds) : undefined, pageWhere(projects, after)))
    .orderBy(projects.createdAt, projects.id)
    .limit(limit + 1)
    .all();

export const insertProject = (db: Db, row: ProjectRow) => db.insert(projects).values(row);
export const updateProject = (db: Db, id: string, patch: Partial<ProjectRow>) =>
  db.update(projects).set(patch).where(eq(projects.id, id));
export const deleteProject = (db: Db, id: string) => db.delete(projects).where(eq(projects.id, id));

export const countRepos = async (db: Db, projectId: string) =>
  (await db.select({ n: sql<number>`count(*)` }).from(repos).where(eq(repos.projectId, projectId)).get())?.n ?? 0;

export const findRepo = (db: Db, id: string) => db.select().from(repos).where(eq(repos.id, id)).get();

/** The lookup every protocol request starts with: `/<format>/<project>/<repo>/…`. */
export const findRepoBySlugs = (db: Db, projectSlug: string, repoSlug: string) =>
  db
    .select({ repo: repos, project: projects })
    .from(repos)
    .innerJoin(projects, eq(repos.projectId, projects.id))
    .where(and(eq(projects.slug, projectSlug), eq(repos.slug, repoSlug)))
    .get();

/** The same lookup as a batchable read. */
export const repoBySlugsRead = (db: Db, projectSlug: string, repoSlug: string): Read<{ repo: RepoRow; project: ProjectRow } | null> => ({
  items: [
    db
      .select({ repo: aliased(repos, "r_"), project: aliased(projects, "p_") })
      .from(repos)
      .innerJoin(projects, eq(repos.projectId, projects.id))
      .where(and(eq(projects.slug, projectSlug), eq(repos.slug, repoSlug)))
      .limit(1),
  ],
  decode: ([rows]) => ((rows as { repo: RepoRow; project: ProjectRow }[])[0] ?? null),
});

/** A repo's id and its project's id found by slugs inside another statement (one round trip instead of two). */
export const repoRefsBySlugs = (projectSlug: string, repoSlug: string) => {
  const where = sql`FROM repos r JOIN projects p ON p.id = r.project_id WHERE p.slug = ${projectSlug} AND r.slug = ${repoSlug}`;
  return { repoId: sql`(SELECT r.id ${where})`, projectId: sql`(SELECT r.project_id ${where})` };
};

export interface RepoFilter {
  projectId?: string;
  slug?: string;
  format?: string;
  /** Restrict to these projects, or (when `orPublic`) public repos elsewhere. */
  projectIds?: string[] | null;
  /** Repos visible one by one (repo permissions), outside `projectIds`. */
  repoIds?: string[];
  orPublic?: boolean;
}

export const listRepos = (db: Db, f: RepoFilter, after: PageKey | null, limit: number) => {
  const inProjects = inIdList(repos.projectId, f.projectIds ?? []);
  const granted = inIdList(repos.id, f.repoIds ?? []);
  const visible =
    f.projectIds == null
      ? undefined
      : f.orPublic
        ? sql`(${inProjects} or ${granted} or ${repos.visibility} = 'public')`
        : sql`(${inProjects} or ${granted})`;
  return db
    .select()
    .from(repos)
    .where(
      and(
        f.projectId ? eq(repos.projectId, f.projectId) : undefined,
        f.slug ? eq(repos.slug, f.slug) : undefined,
        f.format ? eq(repos.format, f.format as RepoRow["format"]) : undefined,
        visible,
        pageWhere(repos, after),
      ),
    )
    .orderBy(repos.createdAt, repos.id)
    .limit(limit + 1)
    .all();
};

export const insertRepo = (db: Db, row: RepoRow) => db.insert(repos).values(row);
export const updateRepo = (db: Db, id: string, patch: Partial<RepoRow>) =>
  db.update(repos).set(patch).where(eq(repos.id, id));
export const deleteRepo = (db: Db, id: string) => db.delete(repos).where(eq(repos.id, id));
