/**
 * Repository use-cases, and `openRepo`, the gate every protocol request passes.
 * Invariants:
 * - A repo's format never changes after creation (its stored artifacts assume it).
 * - `openRepo` answers 401 to anonymous callers for repos that don't exist or aren't
 *   public (so clients retry with credentials and learn nothing), 404 to identified
 *   callers for repos that don't exist, 403 for ones they may not touch, and refuses
 *   writes and deletes to `read_only` repos.
 * - The slug lookup is cached per isolate (core/ttl-cache.ts); governance changes clear it.
 */
import { readOnce, type Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { visibleReach } from "./visibility";
import { insertPermissionQuery, permissionsFromPrototypes } from "./repo-defaults";
import * as q from "../../db/projects";
import { isUniqueViolation } from "../../db/errors";
import { confirmAtPrimary } from "../../db/client";
import { assertSlug } from "../../core/names";
import { RegistryError, conflict, invalid, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import type { Action } from "../../auth/principal";
import type { RepoFormat } from "../../core/vocabulary";
import { AUTH_CACHE_TTL_MS, TtlCache } from "../../core/ttl-cache";
import { snakeKeys } from "../../core/event-shapes";

export type { ProjectRow, RepoRow } from "../../db/projects";

/** `project/repo` → repo and project rows, for the gate every protocol request passes. */
const repoBySlugs = new TtlCache<string, OpenedRepo>(AUTH_CACHE_TTL_MS);

export type RepoInput = Pick<q.RepoRow, "slug" | "format"> &
  Partial<
    Pick<
      q.RepoRow,
      | "kind"
      | "visibility"
      | "state"
      | "description"
      | "labels"
      | "allowedPatterns"
      | "blockedPatterns"
      | "immutableTags"
      | "upstreamUrl"
      | "virtualMembers"
    >
  > & { projectId: string };

export type RepoPatch = Partial<Omit<RepoInput, "projectId" | "format">>;

export async function listRepos(
  scope: Scope,
  f: { projectId?: string; slug?: string; format?: string },
  cursor?: string,
  limit?: number,
) {
  const n = clampLimit(limit);
  const reach = await visibleReach(scope);
  const rows = await q.listRepos(scope.db, { ...f, projectIds: reach.projectIds, repoIds: reach.repoIds, orPublic: true }, decodeCursor(cursor), n);
  return toPage(rows, n);
}

export async function getRepo(scope: Scope, id: string) {
  const repo = await q.findRepo(scope.db, id);
  if (!repo) {
    if (scope.access.principal.type === "anonymous") throw scope.access.denial("read");
    throw notFound("Repo", `repository ${id} not found`);
  }
  await scope.access.require("read", { projectId: repo.projectId, repo });
  return repo;
}

/** A repo by id with its project, for callers that need both (client set-up). */
export async function getRepoWithProject(scope: Scope, id: string): Promise<OpenedRepo> {
  const repo = await getRepo(scope, id);
  const project = await q.findProject(scope.db, repo.projectId);
  if (!project) throw notFound("Repo", `repository ${id} not found`);
  return { project, repo };
}

function validate(input: RepoPatch) {
  if (input.slug !== undefined) assertSlug("Repo", input.slug);
  if (input.kind === "upstream" && !input.upstreamUrl) {
    throw invalid("RepoUpstreamUrlRequired", "an upstream repository needs upstream_url");
  }
  if (input.upstreamUrl) {
    try {
      const u = new URL(input.upstreamUrl);
      if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error();
    } catch {
      throw invalid("RepoUpstreamUrl", "upstream_url must be an http(s) URL");
    }
  }
}

export async function createRepo(scope: Scope, input: RepoInput) {
  const project = await q.findProject(scope.db, input.projectId);
  if (!project) {
    // Anonymous callers learn nothing about what exists: they get the 401 any create gets.
    if (scope.access.principal.type === "anonymous") throw scope.access.denial("admin");
    throw invalid("RepoProject", `project ${input.projectId} does not exist`);
  }
  await scope.access.require("admin", { projectId: project.id });
  validate(input);
  const now = Date.now();
  const row: q.RepoRow = {
    id: newId(),
    projectId: project.id,
    slug: input.slug,
    format: input.format,
    kind: input.kind ?? "local",
    visibility: input.visibility ?? "private",
    state: input.state ?? "normal",
    description: input.description ?? "",
    labels: input.labels ?? {},
    allowedPatterns: input.allowedPatterns ?? [],
    blockedPatterns: input.blockedPatterns ?? [],
    immutableTags: input.immutableTags ?? [],
    upstreamUrl: input.upstreamUrl ?? null,
    virtualMembers: input.virtualMembers ?? [],
    createdAt: now,
    updatedAt: now,
  };
  // Default permissions (prototypes) become the new repo's permissions in the same batch.
  const granted = await permissionsFromPrototypes(scope, project.id, row.id, now);
  try {
    await scope.db.batch([
      q.insertRepo(scope.db, row),
      ...granted.map((g) => insertPermissionQuery(scope, g)),
      auditQuery(scope, { action: "repo.create", resourceType: "repo", resourceId: row.id, projectId: project.id, after: granted.length ? { ...row, permissions: granted } : row }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("RepoSlugInUse", `project '${project.slug}' already has a repo '${row.slug}'`);
    throw e;
  }
  await emitEvent(scope, { type: "repo.created", project_id: project.id, data: { repo: snakeKeys(row) } });
  return row;
}

export async function updateRepo(scope: Scope, id: string, patch: RepoPatch) {
  const before = await getRepo(scope, id);
  await scope.access.require("admin", { projectId: before.projectId, repo: before });
  validate({ ...before, ...patch });
  const now = Date.now();
  const after: q.RepoRow = { ...before, ...stripUndefined(patch), updatedAt: now };
  try {
    await scope.db.batch([
      q.updateRepo(scope.db, id, after),
      auditQuery(scope, { action: "repo.update", resourceType: "repo", resourceId: id, projectId: before.projectId, before, after }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("RepoSlugInUse", `the project already has a repo '${after.slug}'`);
    throw e;
  }
  await emitEvent(scope, { type: "repo.updated", project_id: before.projectId, data: { before: snakeKeys(before), after: snakeKeys(after) } });
  return after;
}

export async function deleteRepo(scope: Scope, id: string) {
  const before = await getRepo(scope, id);
  await scope.access.require("admin", { projectId: before.projectId, repo: before });
  await scope.db.batch([
    q.deleteRepo(scope.db, id),
    auditQuery(scope, { action: "repo.delete", resourceType: "repo", resourceId: id, projectId: before.projectId, before }),
  ]);
  await emitEvent(scope, { type: "repo.deleted", project_id: before.projectId, data: { repo: snakeKeys(before) } });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface OpenedRepo {
  project: q.ProjectRow;
  repo: q.RepoRow;
}

const repoReadKey = (projectSlug: string, repoSlug: string) => `repo:${projectSlug}/${repoSlug}`;

/** The repo this isolate has cached under its slugs, if any. */
export const cachedRepo = (projectSlug: string, repoSlug: string) => repoBySlugs.get(`${projectSlug}/${repoSlug}`);

/**
 * The repo lookup for the gate's batch (http/prefetch.ts), with the repo's and its
 * project's ids as subqueries for the other reads of the same batch.
 */
export function pendingRepoRead(scope: Pick<Scope, "db">, projectSlug: string, repoSlug: string) {
  return {
    read: q.repoBySlugsRead(scope.db, projectSlug, repoSlug),
    refs: q.repoRefsBySlugs(projectSlug, repoSlug),
    accept(reads: Map<string, unknown>, found: OpenedRepo | null) {
      if (found) repoBySlugs.set(`${projectSlug}/${repoSlug}`, found);
      reads.set(repoReadKey(projectSlug, repoSlug), found);
    },
  };
}

/**
 * Resolves `/<format>/<project>/<repo>` for a protocol request and checks the caller
 * may perform `action` there. `formats` lists the repo formats this protocol serves.
 */
export async function openRepo(
  scope: Scope,
  projectSlug: string,
  repoSlug: string,
  action: Action,
  formats: readonly RepoFormat[],
): Promise<OpenedRepo> {
  const load = () => repoBySlugs.getOrLoad(`${projectSlug}/${repoSlug}`, () => q.findRepoBySlugs(scope.db, projectSlug, repoSlug));
  // A miss may come from a replica that lags behind the repo's creation: ask the primary.
  const found = await confirmAtPrimary(await readOnce(scope, repoReadKey(projectSlug, repoSlug), load), load);
  const anonymous = scope.access.principal.type === "anonymous";
  if (!found || !formats.includes(found.repo.format)) {
    if (anonymous) throw scope.access.denial(action);
    throw new RegistryError("NotFoundRepo", `repository ${projectSlug}/${repoSlug} not found`);
  }
  await scope.access.require(action, { projectId: found.project.id, repo: found.repo });
  if ((action === "write" || action === "delete") && found.repo.state === "read_only") {
    throw new RegistryError("ForbiddenRepoReadOnly", `repository ${projectSlug}/${repoSlug} is read-only`);
  }
  return found;
}
