/**
 * Teams, repo-level permissions, default permissions (prototypes) and stars.
 * Invariants:
 * - A team belongs to one project (deleted with it); its name is unique there. Its
 *   `role` (nullable) is a project-wide role every member holds; null: the team only
 *   holds what repo permissions grant it.
 * - A repo permission grants one delegate (user, team, service account) one role on
 *   one repo, on top of project roles: the effective role is the highest of all.
 * - A prototype is copied into repo permissions when a repo is created in its project
 *   (by `activating_user_id` only, when set); later changes to it touch no repo.
 */
import { sqliteTable, text, integer, uniqueIndex, index, primaryKey } from "drizzle-orm/sqlite-core";
import { projects, repos } from "./projects";
import { users } from "./principals";
import { DELEGATE_TYPES, ROLES, TEAM_MEMBER_SOURCES } from "../../core/vocabulary";

export const teams = sqliteTable(
  "teams",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    role: text("role", { enum: ROLES }),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("teams_project_name_uq").on(t.projectId, t.name), index("teams_page_idx").on(t.projectId, t.createdAt, t.id)],
);

export const teamMembers = sqliteTable(
  "team_members",
  {
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    source: text("source", { enum: TEAM_MEMBER_SOURCES }).notNull().default("manual"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index("team_members_user_idx").on(t.userId)],
);

export const repoPermissions = sqliteTable(
  "repo_permissions",
  {
    repoId: text("repo_id")
      .notNull()
      .references(() => repos.id, { onDelete: "cascade" }),
    delegateType: text("delegate_type", { enum: DELEGATE_TYPES }).notNull(),
    delegateId: text("delegate_id").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repoId, t.delegateType, t.delegateId] }),
    index("repo_permissions_delegate_idx").on(t.delegateType, t.delegateId),
  ],
);

export const permissionPrototypes = sqliteTable(
  "permission_prototypes",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /** Only repos created by this user get the permission; null: every new repo. */
    activatingUserId: text("activating_user_id").references(() => users.id, { onDelete: "cascade" }),
    delegateType: text("delegate_type", { enum: DELEGATE_TYPES }).notNull(),
    delegateId: text("delegate_id").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("permission_prototypes_project_idx").on(t.projectId, t.createdAt, t.id)],
);

export const starredRepos = sqliteTable(
  "starred_repos",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    repoId: text("repo_id")
      .notNull()
      .references(() => repos.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.repoId] })],
);
