/**
 * Queries over teams, team members, repo permissions, default permissions (prototypes)
 * and stars, and `grantsOf`: the one query that finds every role a principal holds in a
 * project (and on one repo of it) with where each comes from.
 */
import { and, eq, or, sql } from "drizzle-orm";
import type { Db, Read, Ref } from "./client";
import { permissionPrototypes, repoPermissions, repos, starredRepos, teamMembers, teams, users } from "./schema";
import { inIdList, pageWhere } from "./paging";
import type { PageKey } from "../core/pagination";
import type { DelegateType, PrincipalType, Role, TeamMemberSource } from "../core/vocabulary";

export type TeamRow = typeof teams.$inferSelect;
export type TeamMemberRow = typeof teamMembers.$inferSelect;
export type RepoPermissionRow = typeof repoPermissions.$inferSelect;
export type PrototypeRow = typeof permissionPrototypes.$inferSelect;

/** Where a role comes from: the principal's own binding, a team's project role, or a repo permission. */
export type GrantSource = "project" | "team" | "repo_user" | "repo_team" | "repo_service_account";
export interface GrantRow {
  source: GrantSource;
  role: Role;
  teamId: string | null;
  teamName: string | null;
}

/**
 * Every grant of (type, id) in `projectId`, plus those on `repoId` when given: one D1
 * query (a UNION ALL), so resolving a role costs one round trip whatever its sources.
 */
export async function grantsOf(db: Db, projectId: string, repoId: string | null, type: PrincipalType, id: string): Promise<GrantRow[]> {
  const read = grantsRead(db, projectId, repoId ?? "", type, id);
  return read.decode([await read.items[0]]);
}

/**
 * The same query as a batchable read whose inputs may be subqueries (`Ref`): the repo by
 * its slugs and the principal by its token, so the gate of a protocol request reads the
 * token, the repo and the grants in one round trip (http/prefetch.ts).
 */
export function grantsRead(db: Db, projectId: Ref, repoId: Ref, type: Ref, id: Ref): Read<GrantRow[]> {
  const query = db.all<{ source: GrantSource; role: Role; team_id: string | null; team_name: string | null }>(sql`
    SELECT 'project' AS source, role, NULL AS team_id, NULL AS team_name FROM role_bindings
      WHERE project_id = ${projectId} AND principal_type = ${type} AND principal_id = ${id}
    UNION ALL
    SELECT 'team', t.role, t.id, t.name FROM teams t JOIN team_members m ON m.team_id = t.id
      WHERE ${type} = 'user' AND m.user_id = ${id} AND t.project_id = ${projectId} AND t.role IS NOT NULL
    UNION ALL
    SELECT CASE rp.delegate_type WHEN 'team' THEN 'repo_team' WHEN 'user' THEN 'repo_user' ELSE 'repo_service_account' END,
           rp.role, t.id, t.name
      FROM repo_permissions rp LEFT JOIN teams t ON rp.delegate_type = 'team' AND t.id = rp.delegate_id
      WHERE rp.repo_id = ${repoId} AND (
        (rp.delegate_type = ${type} AND rp.delegate_id = ${id})
        OR (${type} = 'user' AND rp.delegate_type = 'team' AND rp.delegate_id IN (SELECT team_id FROM team_members WHERE user_id = ${id})))`);
  return {
    items: [query],
    decode: ([rows]) =>
      ((rows ?? []) as { source: GrantSource; role: Role; team_id: string | null; team_name: string | null }[]).map((r) => ({
        source: r.source,
        role: r.role,
        teamId: r.team_id,
        teamName: r.team_name,
      })),
  };
}

/** Projects where (type, id) holds a project-wide role (binding or team), and repos granted to it directly or through a team. */
export async function reachOf(db: Db, type: PrincipalType, id: string): Promise<{ projectIds: string[]; repoIds: string[] }> {
  const rows = await db.all<{ kind: "project" | "repo"; id: string }>(sql`
    SELECT 'project' AS kind, project_id AS id FROM role_bindings WHERE principal_type = ${type} AND principal_id = ${id}
    UNION
    SELECT 'project', t.project_id FROM teams t JOIN team_members m ON m.team_id = t.id
      WHERE ${type} = 'user' AND m.user_id = ${id} AND t.role IS NOT NULL
    UNION
    SELECT 'repo', rp.repo_id FROM repo_permissions rp
      WHERE (rp.delegate_type = ${type} AND rp.delegate_id = ${id})
        OR (${type} = 'user' AND rp.delegate_type = 'team' AND rp.delegate_id IN (SELECT team_id FROM team_members WHERE user_id = ${id}))`);
  return {
    projectIds: rows.filter((r) => r.kind === "project").map((r) => r.id),
    repoIds: rows.filter((r) => r.kind === "repo").map((r) => r.id),
  };
}

// Teams
export const findTeam = (db: Db, projectId: string, idOrName: string) =>
  db
    .select()
    .from(teams)
    .where(and(eq(teams.projectId, projectId), or(eq(teams.id, idOrName), eq(teams.name, idOrName))))
    .get();
export const findTeamById = (db: Db, id: string) => db.select().from(teams).where(eq(teams.id, id)).get();
export const findTeamsByIds = (db: Db, ids: string[]) => (ids.length ? db.select().from(teams).where(inIdList(teams.id, ids)).all() : Promise.resolve([] as TeamRow[]));
export const listTeams = (db: Db, projectId: string, after: PageKey | null, limit: number) =>
  db
    .select()
    .from(teams)
    .where(and(eq(teams.projectId, projectId), pageWhere(teams, after)))
    .orderBy(teams.createdAt, teams.id)
    .limit(limit + 1)
    .all();
export const insertTeam = (db: Db, row: TeamRow) => db.insert(teams).values(row);
export const updateTeam = (db: Db, id: string, patch: Partial<TeamRow>) => db.update(teams).set(patch).where(eq(teams.id, id));
export const deleteTeam = (db: Db, id: string) => db.delete(teams).where(eq(teams.id, id));
/** Repo permissions and prototypes naming a team go with it (they reference it by id, not by foreign key). */
export const deleteGrantsOfDelegate = (db: Db, type: DelegateType, id: string) =>
  db.delete(repoPermissions).where(and(eq(repoPermissions.delegateType, type), eq(repoPermissions.delegateId, id)));
export const deletePrototypesOfDelegate = (db: Db, type: DelegateType, id: string) =>
  db.delete(permissionPrototypes).where(and(eq(permissionPrototypes.delegateType, type), eq(permissionPrototypes.delegateId, id)));

export const listTeamMembers = (db: Db, teamId: string) =>
  db
    .select({ member: teamMembers, username: users.username, email: users.email })
    .from(teamMembers)
    .innerJoin(users, eq(users.id, teamMembers.userId))
    .where(eq(teamMembers.teamId, teamId))
    .orderBy(teamMembers.createdAt)
    .all();
export const findTeamMember = (db: Db, teamId: string, userId: string) =>
  db.select().from(teamMembers).where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId))).get();
export const upsertTeamMember = (db: Db, row: { teamId: string; userId: string; source: TeamMemberSource; createdAt: number }) =>
  db.insert(teamMembers).values(row).onConflictDoNothing();
export const deleteTeamMember = (db: Db, teamId: string, userId: string) =>
  db.delete(teamMembers).where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)));
/** The teams a user belongs to among `teamIds`, with how they joined. */
export const membershipsOf = (db: Db, userId: string, teamIds: string[]) =>
  teamIds.length
    ? db.select().from(teamMembers).where(and(eq(teamMembers.userId, userId), inIdList(teamMembers.teamId, teamIds))).all()
    : Promise.resolve([] as TeamMemberRow[]);

// Repo permissions
export const listRepoPermissions = (db: Db, repoId: string) =>
  db.select().from(repoPermissions).where(eq(repoPermissions.repoId, repoId)).orderBy(repoPermissions.createdAt).all();
export const listTeamRepoPermissions = (db: Db, teamId: string) =>
  db
    .select({ permission: repoPermissions, repoSlug: repos.slug })
    .from(repoPermissions)
    .innerJoin(repos, eq(repos.id, repoPermissions.repoId))
    .where(and(eq(repoPermissions.delegateType, "team"), eq(repoPermissions.delegateId, teamId)))
    .all();
export const findRepoPermission = (db: Db, repoId: string, type: DelegateType, id: string) =>
  db
    .select()
    .from(repoPermissions)
    .where(and(eq(repoPermissions.repoId, repoId), eq(repoPermissions.delegateType, type), eq(repoPermissions.delegateId, id)))
    .get();
export const upsertRepoPermission = (db: Db, row: RepoPermissionRow) =>
  db
    .insert(repoPermissions)
    .values(row)
    .onConflictDoUpdate({
      target: [repoPermissions.repoId, repoPermissions.delegateType, repoPermissions.delegateId],
      set: { role: sql`excluded.role`, updatedAt: sql`excluded.updated_at` },
    });
export const deleteRepoPermission = (db: Db, repoId: string, type: DelegateType, id: string) =>
  db
    .delete(repoPermissions)
    .where(and(eq(repoPermissions.repoId, repoId), eq(repoPermissions.delegateType, type), eq(repoPermissions.delegateId, id)));

// Prototypes
export const listPrototypes = (db: Db, projectId: string) =>
  db.select().from(permissionPrototypes).where(eq(permissionPrototypes.projectId, projectId)).orderBy(permissionPrototypes.createdAt, permissionPrototypes.id).all();
export const findPrototype = (db: Db, projectId: string, id: string) =>
  db.select().from(permissionPrototypes).where(and(eq(permissionPrototypes.projectId, projectId), eq(permissionPrototypes.id, id))).get();
export const insertPrototype = (db: Db, row: PrototypeRow) => db.insert(permissionPrototypes).values(row);
export const updatePrototype = (db: Db, id: string, patch: Partial<PrototypeRow>) =>
  db.update(permissionPrototypes).set(patch).where(eq(permissionPrototypes.id, id));
export const deletePrototype = (db: Db, id: string) => db.delete(permissionPrototypes).where(eq(permissionPrototypes.id, id));

// Stars
export const listStars = (db: Db, userId: string) =>
  db
    .select({ repo: repos, starredAt: starredRepos.createdAt })
    .from(starredRepos)
    .innerJoin(repos, eq(repos.id, starredRepos.repoId))
    .where(eq(starredRepos.userId, userId))
    .orderBy(starredRepos.createdAt)
    .all();
export const insertStar = (db: Db, userId: string, repoId: string, at: number) =>
  db.insert(starredRepos).values({ userId, repoId, createdAt: at }).onConflictDoNothing();
export const deleteStar = (db: Db, userId: string, repoId: string) =>
  db.delete(starredRepos).where(and(eq(starredRepos.userId, userId), eq(starredRepos.repoId, repoId)));

