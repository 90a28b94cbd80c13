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
import type { RepoConfig, RepoFormat } from "../../core/vocabulary";
import { checkOutboundUrl } from "../../core/net";
import { config } from "../../config";
import { deleteUpstreamSecret, upsertUpstreamSecret } from "../../db/proxy";
import { recomputeSigstorePull } from "../../db/sigstore";
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
      | "config"
    >
  > & {
    projectId: string;
    /** Write-only: the password or token an upstream repo presents (null removes it). */
    upstreamSecret?: string | null;
  };

/** A repo as events show it: without the derived sigstore flag (the policies' events carry that). */
const repoShape = ({ sigstorePull: _, ...row }: q.RepoRow) => snakeKeys(row);

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

/**
 * Every repo of `format` the caller may read, with its project, oldest first, at most
 * `max` (`truncated` says when there were more): for a view across repos (an MCP
 * catalog of catalogs). Listing visibility first, then the same read check `openRepo`
 * makes, so a repo reached only through its listing's public flag is never overreached.
 */
export async function readableReposOf(scope: Scope, format: RepoFormat, max: number): Promise<{ repos: OpenedRepo[]; truncated: boolean }> {
  const reach = await visibleReach(scope);
  const rows = await q.listRepos(scope.db, { format, projectIds: reach.projectIds, repoIds: reach.repoIds, orPublic: true }, null, max);
  const listed = rows.slice(0, max);
  const projectIds = [...new Set(listed.map((r) => r.projectId))];
  const projects = projectIds.length ? await q.listProjects(scope.db, projectIds, null, projectIds.length) : [];
  const byId = new Map(projects.map((p) => [p.id, p]));
  const repos: OpenedRepo[] = [];
  for (const repo of listed) {
    const project = byId.get(repo.projectId);
    if (project && (await scope.access.can("read", { projectId: project.id, repo }))) repos.push({ project, repo });
  }
  return { repos, truncated: rows.length > max };
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

function validate(scope: Scope, input: RepoPatch) {
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
    if (input.kind === "upstream") {
      checkOutboundUrl(input.upstreamUrl, "RepoUpstream", { allowPrivate: config(scope.env).allowPrivateUpstreams, setting: "ORBITALREG_ALLOW_PRIVATE_UPSTREAMS" });
    }
  }
  validateKindConfig(input);
}

/** `proxyable`: whether the format serves upstream and virtual repos (the format registry knows). */
export async function createRepo(scope: Scope, input: RepoInput, opts: { proxyable?: boolean } = {}) {
  const project = await q.findProject(scope.db, input.projectId);
  if (!project) {
    // Anonymous callers learn nothing about what exists: they get the 401 any create gets.
    if (scope.access.principal.type === "anonymous") throw scope.access.denial("admin");
    throw invalid("RepoProject", `project ${input.projectId} does not exist`);
  }
  await scope.access.require("admin", { projectId: project.id });
  if (input.kind && input.kind !== "local" && opts.proxyable === false) {
    throw invalid("RepoConfig", `${input.format} repositories can only be local: the format has no upstream or virtual support`);
  }
  validate(scope, input);
  await validateMembers(scope, { id: null, format: input.format, projectId: project.id }, input);
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
    config: withSecretFlag(input.config ?? {}, input.upstreamSecret, false),
    sigstorePull: null,
    createdAt: now,
    updatedAt: now,
  };
  // Default permissions (prototypes) become the new repo's permissions in the same batch.
  const granted = await permissionsFromPrototypes(scope, project.id, row.id, now);
  try {
    await scope.db.batch([
      q.insertRepo(scope.db, row),
      // Sigstore policies of its project (or every project) may already select it.
      recomputeSigstorePull(scope.db, row.id),
      ...secretStatements(scope, row.id, input.upstreamSecret, now),
      ...granted.map((g) => insertPermissionQuery(scope, g)),
      auditQuery(scope, { action: "repo.create", resourceType: "repo", resourceId: row.id, projectId: project.id, after: granted.length ? { ...row, permissions: granted } : row }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("RepoSlugInUse", `project '${project.slug}' already has a repo '${row.slug}'`);
    throw e;
  }
  await emitEvent(scope, { type: "repo.created", project_id: project.id, data: { repo: repoShape(row) } });
  return row;
}

export async function updateRepo(scope: Scope, id: string, patch: RepoPatch) {
  const before = await getRepo(scope, id);
  await scope.access.require("admin", { projectId: before.projectId, repo: before });
  const { upstreamSecret, ...fields } = patch;
  if (fields.kind !== undefined && fields.kind !== before.kind) throw invalid("RepoConfig", `a repository's kind can't change (it is ${before.kind})`);
  const merged = { ...before, ...stripUndefined(fields) };
  validate(scope, { ...merged, upstreamSecret });
  await validateMembers(scope, before, merged);
  const now = Date.now();
  const after: q.RepoRow = { ...merged, config: withSecretFlag(merged.config, upstreamSecret, before.config.upstream_secret_set === true), updatedAt: now };
  try {
    await scope.db.batch([
      // The sigstore flag is the policies' to write (a concurrent policy change must not be undone).
      q.updateRepo(scope.db, id, { ...after, sigstorePull: undefined }),
      ...secretStatements(scope, id, upstreamSecret, now),
      auditQuery(scope, { action: "repo.update", resourceType: "repo", resourceId: id, projectId: before.projectId, before, after }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("RepoSlugInUse", `the project already has a repo '${after.slug}'`);
    throw e;
  }
  await emitEvent(scope, { type: "repo.updated", project_id: before.projectId, data: { before: repoShape(before), after: repoShape(after) } });
  return after;
}

export async function deleteRepo(scope: Scope, id: string) {
  const before = await getRepo(scope, id);
  await scope.access.require("admin", { projectId: before.projectId, repo: before });
  await scope.db.batch([
    q.deleteRepo(scope.db, id),
    auditQuery(scope, { action: "repo.delete", resourceType: "repo", resourceId: id, projectId: before.projectId, before }),
  ]);
  await emitEvent(scope, { type: "repo.deleted", project_id: before.projectId, data: { repo: repoShape(before) } });
}

/** What each kind may configure (the rest of `config` must be unset). */
const UPSTREAM_KEYS = ["metadata_ttl_seconds", "negative_ttl_seconds", "upstream_timeout_seconds", "upstream_auth", "upstream_username", "upstream_secret_set"];
const VIRTUAL_KEYS = ["deploy_member", "dependency_confusion_protection"];

function validateKindConfig(input: RepoPatch) {
  const c = input.config ?? {};
  const allowed = input.kind === "upstream" ? UPSTREAM_KEYS : input.kind === "virtual" ? VIRTUAL_KEYS : [];
  const stray = Object.keys(c).filter((k) => !allowed.includes(k));
  if (stray.length) throw invalid("RepoConfig", `config.${stray[0]} does not apply to a repository of kind ${input.kind ?? "local"}`);
  if (input.upstreamSecret !== undefined && input.kind !== "upstream") throw invalid("RepoConfig", "upstream_secret applies to upstream repositories only");
  if (input.upstreamSecret && (c.upstream_auth ?? "none") === "none") throw invalid("RepoConfig", "upstream_secret needs config.upstream_auth basic or bearer");
  if (c.upstream_auth === "basic" && !c.upstream_username) throw invalid("RepoConfig", "config.upstream_auth basic needs config.upstream_username");
  if ((input.virtualMembers?.length ?? 0) > 0 && input.kind !== "virtual") throw invalid("RepoConfig", "virtual_members applies to virtual repositories only");
}

/** A virtual repo's members exist, share its format and are not virtual; the deploy member is a local one of them. */
async function validateMembers(scope: Scope, self: { id: string | null; format: string; projectId: string }, input: RepoPatch) {
  if (input.kind !== "virtual") return;
  const ids = input.virtualMembers ?? [];
  if (new Set(ids).size !== ids.length) throw invalid("RepoVirtualMembers", "a member is listed twice");
  const members = [];
  for (const memberId of ids) {
    const m = memberId === self.id ? null : await q.findRepo(scope.db, memberId);
    if (!m || m.format !== self.format || m.kind === "virtual") {
      throw invalid("RepoVirtualMembers", `member ${memberId} is not a ${self.format} repository that is local or upstream`);
    }
    // Whoever assembles a virtual repo must be able to read each member themselves.
    await scope.access.require("read", { projectId: m.projectId, repo: m });
    members.push(m);
  }
  const deploy = input.config?.deploy_member;
  if (deploy && !members.some((m) => m.id === deploy && m.kind === "local")) throw invalid("RepoConfig", "config.deploy_member must be one of the local members");
}

const withSecretFlag = (c: RepoConfig, secret: string | null | undefined, had: boolean): RepoConfig => {
  const set = secret === undefined ? had : secret !== null;
  const { upstream_secret_set: _, ...rest } = c;
  return set ? { ...rest, upstream_secret_set: true } : rest;
};

function secretStatements(scope: Scope, repoId: string, secret: string | null | undefined, now: number) {
  if (secret === undefined) return [];
  return [secret === null ? deleteUpstreamSecret(scope.db, repoId) : upsertUpstreamSecret(scope.db, repoId, secret, now)];
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
 * The repo a protocol path names, without any access check: for routing only (is it an
 * upstream or a virtual repo?). Whatever the caller then does goes through `openRepo`.
 */
export async function routedRepo(scope: Scope, projectSlug: string, repoSlug: string, formats: readonly RepoFormat[]): Promise<OpenedRepo | null> {
  const found = await repoBySlugs.getOrLoad(`${projectSlug}/${repoSlug}`, () => q.findRepoBySlugs(scope.db, projectSlug, repoSlug));
  return found && formats.includes(found.repo.format) ? found : null;
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
