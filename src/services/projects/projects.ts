/**
 * Project use-cases. Invariants: only instance admins create projects; project admins
 * update them; a project with repos can't be deleted (delete its repos first), so a
 * delete never silently drops artifacts. Every change is audited in its own batch.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { visibleProjectIds } from "./visibility";
import * as q from "../../db/projects";
import { isUniqueViolation } from "../../db/errors";
import { assertSlug } from "../../core/names";
import { conflict, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import { snakeKeys } from "../../core/event-shapes";

export interface ProjectInput {
  slug: string;
  name?: string;
  description?: string;
}

export async function listProjects(scope: Scope, cursor?: string, limit?: number) {
  const n = clampLimit(limit);
  const ids = await visibleProjectIds(scope);
  return toPage(await q.listProjects(scope.db, ids, decodeCursor(cursor), n), n);
}

export async function getProject(scope: Scope, id: string) {
  const project = await q.findProject(scope.db, id);
  if (!project) {
    // Anonymous callers learn nothing about what exists.
    if (scope.access.principal.type === "anonymous") throw scope.access.denial("read");
    throw notFound("Project", `project ${id} not found`);
  }
  await scope.access.require("read", { projectId: project.id });
  return project;
}

export async function createProject(scope: Scope, input: ProjectInput) {
  scope.access.requireInstanceAdmin();
  const now = Date.now();
  const row: q.ProjectRow = {
    id: newId(),
    slug: assertSlug("Project", input.slug),
    name: input.name ?? input.slug,
    description: input.description ?? "",
    createdAt: now,
    updatedAt: now,
  };
  try {
    await scope.db.batch([
      q.insertProject(scope.db, row),
      auditQuery(scope, { action: "project.create", resourceType: "project", resourceId: row.id, projectId: row.id, after: row }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("ProjectSlugInUse", `a project with slug '${row.slug}' already exists`);
    throw e;
  }
  await emitEvent(scope, { type: "project.created", project_id: row.id, data: { project: snakeKeys(row) } });
  return row;
}

export async function updateProject(scope: Scope, id: string, patch: Partial<ProjectInput>) {
  const before = await getProject(scope, id);
  await scope.access.require("admin", { projectId: id });
  const now = Date.now();
  const after: q.ProjectRow = {
    ...before,
    slug: patch.slug !== undefined ? assertSlug("Project", patch.slug) : before.slug,
    name: patch.name ?? before.name,
    description: patch.description ?? before.description,
    updatedAt: now,
  };
  try {
    await scope.db.batch([
      q.updateProject(scope.db, id, after),
      auditQuery(scope, { action: "project.update", resourceType: "project", resourceId: id, projectId: id, before, after }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("ProjectSlugInUse", `a project with slug '${after.slug}' already exists`);
    throw e;
  }
  await emitEvent(scope, { type: "project.updated", project_id: id, data: { before: snakeKeys(before), after: snakeKeys(after) } });
  return after;
}

export async function deleteProject(scope: Scope, id: string) {
  const before = await getProject(scope, id);
  scope.access.requireInstanceAdmin();
  if ((await q.countRepos(scope.db, id)) > 0) {
    throw conflict("ProjectNotEmpty", "the project still has repositories; delete them first");
  }
  await scope.db.batch([
    q.deleteProject(scope.db, id),
    auditQuery(scope, { action: "project.delete", resourceType: "project", resourceId: id, projectId: id, before }),
  ]);
  await emitEvent(scope, { type: "project.deleted", project_id: id, data: { project: snakeKeys(before) } });
}
