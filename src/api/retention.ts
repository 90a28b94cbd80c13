/**
 * Retention (reference 000: `/api/v1/repos/{id}/retention/…`, plus an admin mount):
 *   GET|POST /repos/{id}/retention/policies            policies (read | project admin)
 *   GET|PATCH|DELETE /repos/{id}/retention/policies/{policy_id}
 *   POST /repos/{id}/retention/dry-run                 what a run would delete, and why
 *   GET|POST /repos/{id}/retention/runs                history | start a run (project admin)
 *   GET /repos/{id}/retention/runs/{run_id}[/items]    one run, its decisions
 *   GET|POST /repos/{id}/retention/holds, DELETE …/holds/{hold_id}   legal holds
 *   GET /api/admin/retention/runs                      every repo's runs (instance admin)
 * Thin: the lifecycle domain decides (services/lifecycle).
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { d, at, pathParam } from "./fields";
import { apiRoute, json, jsonBody } from "./route";
import { PageQuery, iso, pageOf } from "./schemas";
import { page } from "./serialize";
import * as lifecycle from "../services/lifecycle";
import { getRepoWithProject } from "../services/projects";
import { findPackage, findVersion } from "../services/artifacts";
import { manifestExists } from "../services/oci";
import { packageKeyOf } from "../formats";
import { RETENTION_ACTIONS, TAG_STATES, RUN_ITEM_STATUSES, RUN_STATUSES, RUN_TRIGGERS, RETENTION_SOURCES } from "../core/vocabulary";
import type { RetentionCondition } from "../core/retention";

const tags = ["Retention"];
const RepoParam = z.object({ id: pathParam("id", "Repository id") });
const PolicyParams = RepoParam.extend({ policy_id: pathParam("policy_id", "Retention policy id") });
const RunParams = RepoParam.extend({ run_id: pathParam("run_id", "Retention run id") });
const HoldParams = RepoParam.extend({ hold_id: pathParam("hold_id", "Legal hold id") });

const Patterns = (what: string) =>
  d(z.array(z.string().min(1).max(200)).max(50), `${what}: globs (\`*\`, \`?\`, matched whole) or, between slashes, regular expressions (\`/^v\\d+$/\`); any may match`);
const Days = (what: string) => d(z.number().min(0).max(36500), what);
const Condition = z
  .object({
    package_patterns: Patterns("Package or image names (npm as published, PyPI normalized, Maven `group:artifact`, Go module paths, generic paths, image names inside the repo)").optional(),
    version_patterns: Patterns("Version strings, or manifest digests for images").optional(),
    tag_patterns: Patterns("Tags (images) or dist-tags (npm): matches when any of the artifact's tags matches").optional(),
    tag_state: d(z.enum(TAG_STATES), "`tagged`, `untagged` or `any` (default): images by their tags, npm versions by their dist-tags").optional(),
    older_than_days: Days("Pushed more than this many days ago (fractions allowed)").optional(),
    newer_than_days: Days("Pushed less than this many days ago").optional(),
    not_downloaded_for_days: Days("Not downloaded for this many days (never downloaded: counted from the push)").optional(),
    keep_most_recent: d(z.number().int().min(1).max(10000), "Keep policies only: keep the N most recently pushed versions (images: manifests) per package or image, among those the other conditions match").optional(),
  })
  .openapi("RetentionCondition");
const Policy = z
  .object({
    id: d(z.string(), "Policy id"),
    repo_id: d(z.string(), "Repository"),
    name: d(z.string(), "Name, unique in the repository"),
    description: d(z.string(), "Free text"),
    action: d(z.enum(RETENTION_ACTIONS), "`delete`: what it matches is deleted; `keep`: what it matches is kept, whatever delete policies say"),
    condition: Condition,
    enabled: d(z.boolean(), "Disabled policies are not applied by runs (a dry-run may still name them)"),
    source: d(z.enum(RETENTION_SOURCES), "`api`, or `cleanup_policy` (made from the repository's cleanup_policy)"),
    created_at: at("Creation time"),
    updated_at: at("Last change"),
  })
  .openapi("RetentionPolicy");
const PolicyCreate = z
  .object({
    name: d(z.string().min(1).max(100), "Name, unique in the repository"),
    description: d(z.string().max(2000), "Free text").optional(),
    action: d(z.enum(RETENTION_ACTIONS), "`delete` or `keep`"),
    condition: Condition,
    enabled: d(z.boolean(), "Default true").optional(),
  })
  .openapi("RetentionPolicyCreate");
const PolicyUpdate = PolicyCreate.partial().describe("The fields to change; the others keep their values").openapi("RetentionPolicyUpdate");

const camel: Record<string, keyof RetentionCondition> = {
  package_patterns: "packagePatterns",
  version_patterns: "versionPatterns",
  tag_patterns: "tagPatterns",
  tag_state: "tagState",
  older_than_days: "olderThanDays",
  newer_than_days: "newerThanDays",
  not_downloaded_for_days: "notDownloadedForDays",
  keep_most_recent: "keepMostRecent",
};
const conditionIn = (c: z.infer<typeof Condition>): RetentionCondition => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined).map(([k, v]) => [camel[k], v]));
const conditionOut = (c: RetentionCondition) => Object.fromEntries(Object.entries(camel).flatMap(([wire, key]) => (c[key] === undefined ? [] : [[wire, c[key]]])));
const policyOut = (p: lifecycle.PolicyRow) => ({
  id: p.id,
  repo_id: p.repoId,
  name: p.name,
  description: p.description,
  action: p.action,
  condition: conditionOut(p.condition),
  enabled: p.enabled,
  source: p.source,
  created_at: iso(p.createdAt)!,
  updated_at: iso(p.updatedAt)!,
});
const policyIn = (b: Partial<z.infer<typeof PolicyCreate>>) => ({ ...b, condition: b.condition && conditionIn(b.condition) });

const Run = z
  .object({
    id: d(z.string(), "Run id"),
    repo_id: d(z.string(), "Repository"),
    trigger: d(z.enum(RUN_TRIGGERS), "`manual` (the API) or `schedule` (daily, for repositories with enabled policies)"),
    dry_run: d(z.boolean(), "A dry-run decides and deletes nothing"),
    status: d(z.enum(RUN_STATUSES), "`planning`, `running` (deleting in batches of 25), `succeeded` or `failed`"),
    policies: d(z.array(z.object({ id: d(z.string(), "Policy id"), name: d(z.string(), "Name"), action: d(z.enum(RETENTION_ACTIONS), "delete or keep") })), "The policies applied"),
    examined: d(z.number().int(), "Artifacts looked at (package versions, or top-level image manifests)"),
    planned: d(z.number().int(), "Artifacts the plan deletes"),
    deleted: d(z.number().int(), "Artifacts moved to the trash so far"),
    kept: d(z.number().int(), "Artifacts kept (by a keep policy, a protection, or no delete policy)"),
    skipped: d(z.number().int(), "Planned deletions left alone: gone, or held, since the plan"),
    failed: d(z.number().int(), "Planned deletions that failed (see errors)"),
    planned_bytes: d(z.number().int(), "Bytes the planned deletions free once purged from the trash, after deduplication"),
    deleted_bytes: d(z.number().int(), "The same for what was deleted so far"),
    errors: d(z.array(z.string()), "The first errors"),
    started_by: d(z.object({ type: d(z.string(), "Actor type"), name: d(z.string().nullable(), "Actor name") }), "Who started it"),
    created_at: at("When it started"),
    finished_at: d(z.string().nullable(), "When it finished; null while it runs"),
  })
  .openapi("RetentionRun");
const runOut = (r: lifecycle.RunRow) => ({
  id: r.id,
  repo_id: r.repoId,
  trigger: r.trigger,
  dry_run: r.dryRun,
  status: r.status,
  policies: r.policies,
  examined: r.examined,
  planned: r.planned,
  deleted: r.deleted,
  kept: r.kept,
  skipped: r.skipped,
  failed: r.failed,
  planned_bytes: r.plannedBytes,
  deleted_bytes: r.deletedBytes,
  errors: r.errors,
  started_by: { type: r.actorType, name: r.actorName },
  created_at: iso(r.createdAt)!,
  finished_at: iso(r.finishedAt),
});
const RunItem = z
  .object({
    seq: d(z.number().int(), "Position in the plan (the order deletions run in)"),
    kind: d(z.enum(["version", "manifest"]), "A package version, or an image manifest (with its signatures and the platform manifests only it lists)"),
    package: d(z.string(), "Package or image"),
    version: d(z.string(), "Version, or manifest digest"),
    tags: d(z.array(z.string()), "Its tags (images) or dist-tags (npm)"),
    pushed_at: at("Push time"),
    last_download_at: d(z.string().nullable(), "Last download; null when never downloaded (or not recorded)"),
    size: d(z.number().int(), "Bytes it holds"),
    freed: d(z.number().int(), "Bytes its deletion frees once purged, after deduplication (0 when kept)"),
    decision: d(z.enum(["delete", "keep"]), "What the plan decided"),
    policy: d(z.string().nullable(), "delete: the policy that decided; keep: the delete policy that matched but was overridden (or null)"),
    kept_by: d(z.string().nullable(), "keep: the keep policy's name, or a protection (`legal-hold`, `immutable-tag`, `tag-history`, `needed-by-index`), or `no-delete-policy`"),
    status: d(z.enum(RUN_ITEM_STATUSES), "`planned` (dry-run), `pending`, `deleted`, `kept`, `skipped` or `failed`"),
    detail: d(z.string().nullable(), "Why it was skipped or failed"),
    trash_id: d(z.string().nullable(), "The trash entry it became"),
  })
  .openapi("RetentionRunItem");
const itemOut = (i: lifecycle.RunItemRow) => ({
  seq: i.seq,
  kind: i.kind,
  package: i.package,
  version: i.version,
  tags: i.tags,
  pushed_at: iso(i.pushedAt)!,
  last_download_at: iso(i.lastDownloadAt),
  size: i.size,
  freed: i.freed,
  decision: i.decision,
  policy: i.policyName,
  kept_by: i.keptBy,
  status: i.status,
  detail: i.detail,
  trash_id: i.trashId,
});
const DryRun = z
  .object({
    run: Run,
    freed_bytes: d(z.number().int(), "Bytes the deletions free once purged, after deduplication (a blob something kept, another repository or an older trash entry uses counts for nothing)"),
    delete: d(z.array(RunItem), "Exactly what a run would delete now, in the order it would, each with the policy that decided"),
    keep: d(z.array(RunItem), "Everything else, each with what kept it"),
  })
  .openapi("RetentionDryRun");
const RunRequest = z
  .object({
    policy_ids: d(z.array(z.string()).max(100), "Apply only these policies (enabled or not); default: every enabled policy").optional(),
    wait: d(z.boolean(), "Run inside this request (up to about 20 seconds) and answer when done; what is left continues in the background").optional(),
  })
  .openapi("RetentionRunRequest");

const Hold = z
  .object({
    id: d(z.string(), "Hold id"),
    kind: d(z.enum(["version", "manifest"]), "A package version or an image manifest"),
    name: d(z.string(), "Package (normalized) or image name"),
    ref: d(z.string(), "Version, or manifest digest"),
    reason: d(z.string(), "Why it is held"),
    created_by: d(z.object({ type: d(z.string(), "Actor type"), name: d(z.string().nullable(), "Actor name") }), "Who set it"),
    created_at: at("When it was set"),
  })
  .openapi("LegalHold");
const HoldCreate = z
  .object({
    package: d(z.string().min(1).max(512), "Package name (as published, or normalized); with `version`").optional(),
    version: d(z.string().min(1).max(256), "The version to hold").optional(),
    image: d(z.string().min(1).max(255), "Image name inside the repository; with `digest`").optional(),
    digest: d(z.string().regex(/^sha256:[0-9a-f]{64}$/), "The manifest digest to hold").optional(),
    reason: d(z.string().min(1).max(2000), "Why (shown when a delete is refused)"),
  })
  .refine((b) => (b.package && b.version && !b.image && !b.digest) || (b.image && b.digest && !b.package && !b.version), { message: "name a package and version, or an image and digest" })
  .openapi("LegalHoldCreate");
const holdOut = (h: lifecycle.HoldRow) => ({ id: h.id, kind: h.kind, name: h.name, ref: h.ref, reason: h.reason, created_by: { type: h.actorType, name: h.actorName }, created_at: iso(h.createdAt)! });

export const retentionRoutes = new OpenAPIHono<AppEnv>();
const open = (c: { var: AppEnv["Variables"] }, id: string) => getRepoWithProject(c.var.scope, id);

retentionRoutes.openapi(
  apiRoute({ method: "get", path: "/repos/{id}/retention/policies", operationId: "listRetentionPolicies", tags, summary: "A repository's retention policies", request: { params: RepoParam }, responses: { 200: json(z.object({ items: d(z.array(Policy), "Oldest first") }).openapi("RetentionPolicyList"), "The policies") } }),
  async (c) => c.json({ items: (await lifecycle.listPolicies(c.var.scope, await open(c, c.req.valid("param").id))).map(policyOut) }, 200),
);
retentionRoutes.openapi(
  apiRoute({ method: "post", path: "/repos/{id}/retention/policies", operationId: "createRetentionPolicy", tags, summary: "Add a retention policy (project admin; audited)", request: { params: RepoParam, ...jsonBody(PolicyCreate) }, responses: { 201: json(Policy, "The policy") } }),
  async (c) => {
    const body = c.req.valid("json");
    const row = await lifecycle.createPolicy(c.var.scope, await open(c, c.req.valid("param").id), { ...body, condition: conditionIn(body.condition) });
    return c.json(policyOut(row), 201);
  },
);
retentionRoutes.openapi(
  apiRoute({ method: "get", path: "/repos/{id}/retention/policies/{policy_id}", operationId: "getRetentionPolicy", tags, summary: "One retention policy", request: { params: PolicyParams }, responses: { 200: json(Policy, "The policy") } }),
  async (c) => {
    const p = c.req.valid("param");
    return c.json(policyOut(await lifecycle.getPolicy(c.var.scope, await open(c, p.id), p.policy_id)), 200);
  },
);
retentionRoutes.openapi(
  apiRoute({ method: "patch", path: "/repos/{id}/retention/policies/{policy_id}", operationId: "updateRetentionPolicy", tags, summary: "Change a retention policy (project admin; audited)", request: { params: PolicyParams, ...jsonBody(PolicyUpdate) }, responses: { 200: json(Policy, "The policy") } }),
  async (c) => {
    const p = c.req.valid("param");
    const row = await lifecycle.updatePolicy(c.var.scope, await open(c, p.id), p.policy_id, policyIn(c.req.valid("json")));
    return c.json(policyOut(row), 200);
  },
);
retentionRoutes.openapi(
  apiRoute({ method: "delete", path: "/repos/{id}/retention/policies/{policy_id}", operationId: "deleteRetentionPolicy", tags, summary: "Remove a retention policy (project admin; audited)", request: { params: PolicyParams }, responses: { 204: { description: "Removed" } } }),
  async (c) => {
    const p = c.req.valid("param");
    await lifecycle.deletePolicy(c.var.scope, await open(c, p.id), p.policy_id);
    return c.body(null, 204);
  },
);

retentionRoutes.openapi(
  apiRoute({
    method: "post",
    path: "/repos/{id}/retention/dry-run",
    operationId: "dryRunRetention",
    tags,
    summary: "What a retention run would delete now, which policy decided each deletion, what kept the rest, and the bytes freed (read; nothing is deleted)",
    request: { params: RepoParam, ...jsonBody(RunRequest.pick({ policy_ids: true }).openapi("RetentionDryRunRequest")) },
    responses: { 200: json(DryRun, "The plan (also kept in the run history)") },
  }),
  async (c) => {
    const result = await lifecycle.dryRun(c.var.scope, await open(c, c.req.valid("param").id), c.req.valid("json").policy_ids);
    const items = result.items.map(itemOut);
    return c.json({ run: runOut(result.run), freed_bytes: result.run.plannedBytes, delete: items.filter((i) => i.decision === "delete"), keep: items.filter((i) => i.decision === "keep") }, 200);
  },
);
retentionRoutes.openapi(
  apiRoute({
    method: "post",
    path: "/repos/{id}/retention/runs",
    operationId: "startRetentionRun",
    tags,
    summary: "Start a retention run (project admin): deletions go to the trash in batches; one run per repository at a time",
    request: { params: RepoParam, ...jsonBody(RunRequest) },
    responses: { 200: json(Run, "The run, finished (`wait`)"), 202: json(Run, "The run, started") },
  }),
  async (c) => {
    const scope = c.var.scope;
    const opened = await open(c, c.req.valid("param").id);
    const body = c.req.valid("json");
    if (!body.wait) return c.json(runOut(await lifecycle.startRun(scope, opened, "manual", lifecycle.queueJobs(scope), body.policy_ids)), 202);
    let runId = "";
    await lifecycle.runInline(scope.env, async (jobs) => (runId = (await lifecycle.startRun(scope, opened, "manual", jobs, body.policy_ids)).id));
    return c.json(runOut(await lifecycle.getRun(scope, opened.repo.id, runId)), 200);
  },
);
retentionRoutes.openapi(
  apiRoute({ method: "get", path: "/repos/{id}/retention/runs", operationId: "listRetentionRuns", tags, summary: "A repository's run history (dry-runs included), oldest first", request: { params: RepoParam, query: PageQuery }, responses: { 200: json(pageOf(Run, "RetentionRunPage"), "A page of runs") } }),
  async (c) => {
    const opened = await open(c, c.req.valid("param").id);
    const { cursor, limit } = c.req.valid("query");
    return c.json(page(await lifecycle.listRuns(c.var.scope, opened.repo.id, cursor, limit), runOut), 200);
  },
);
retentionRoutes.openapi(
  apiRoute({ method: "get", path: "/repos/{id}/retention/runs/{run_id}", operationId: "getRetentionRun", tags, summary: "One run: counts, bytes, errors", request: { params: RunParams }, responses: { 200: json(Run, "The run") } }),
  async (c) => {
    const p = c.req.valid("param");
    const opened = await open(c, p.id);
    return c.json(runOut(await lifecycle.getRun(c.var.scope, opened.repo.id, p.run_id)), 200);
  },
);
retentionRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/repos/{id}/retention/runs/{run_id}/items",
    operationId: "listRetentionRunItems",
    tags,
    summary: "A run's decisions in plan order: what it deleted (or would), and what kept the rest",
    request: { params: RunParams, query: PageQuery.extend({ decision: d(z.enum(["delete", "keep"]), "Only deletions, or only kept artifacts").optional() }) },
    responses: { 200: json(pageOf(RunItem, "RetentionRunItemPage"), "A page of items") },
  }),
  async (c) => {
    const p = c.req.valid("param");
    const q = c.req.valid("query");
    const opened = await open(c, p.id);
    const run = await lifecycle.getRun(c.var.scope, opened.repo.id, p.run_id);
    const result = await lifecycle.runItems(c.var.scope, run.id, q.decision, q.cursor, q.limit);
    return c.json({ items: result.items.map(itemOut), next_cursor: result.nextCursor }, 200);
  },
);

retentionRoutes.openapi(
  apiRoute({ method: "get", path: "/repos/{id}/retention/holds", operationId: "listLegalHolds", tags, summary: "Legal holds of a repository", request: { params: RepoParam, query: PageQuery }, responses: { 200: json(pageOf(Hold, "LegalHoldPage"), "A page of holds") } }),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(page(await lifecycle.listHolds(c.var.scope, await open(c, c.req.valid("param").id), cursor, limit), holdOut), 200);
  },
);
retentionRoutes.openapi(
  apiRoute({
    method: "post",
    path: "/repos/{id}/retention/holds",
    operationId: "createLegalHold",
    tags,
    summary: "Put a version or manifest under a legal hold: it is never deleted while the hold stands (project admin; audited)",
    request: { params: RepoParam, ...jsonBody(HoldCreate) },
    responses: { 201: json(Hold, "The hold") },
  }),
  async (c) => {
    const scope = c.var.scope;
    const opened = await open(c, c.req.valid("param").id);
    const b = c.req.valid("json");
    const hold = b.package
      ? await (async () => {
          const pkg = (await findPackage(scope, opened.repo.id, b.package!)) ?? (await findPackage(scope, opened.repo.id, packageKeyOf(opened.repo.format, b.package!)));
          return lifecycle.createHold(scope, opened, { kind: "version", name: pkg?.name ?? b.package!, ref: b.version!, reason: b.reason }, async () => !!pkg && !!(await findVersion(scope, pkg.id, b.version!)));
        })()
      : await lifecycle.createHold(scope, opened, { kind: "manifest", name: b.image!, ref: b.digest!, reason: b.reason }, () => manifestExists(scope, opened.repo.id, b.image!, b.digest!));
    return c.json(holdOut(hold), 201);
  },
);
retentionRoutes.openapi(
  apiRoute({ method: "delete", path: "/repos/{id}/retention/holds/{hold_id}", operationId: "deleteLegalHold", tags, summary: "Lift a legal hold (project admin; audited)", request: { params: HoldParams }, responses: { 204: { description: "Lifted" } } }),
  async (c) => {
    const p = c.req.valid("param");
    await lifecycle.deleteHold(c.var.scope, await open(c, p.id), p.hold_id);
    return c.body(null, 204);
  },
);

export const adminRetentionRoutes = new OpenAPIHono<AppEnv>();
adminRetentionRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/retention/runs",
    operationId: "listAllRetentionRuns",
    tags,
    summary: "Retention runs of every repository, oldest first (instance admin)",
    request: { query: PageQuery },
    responses: { 200: json(pageOf(Run, "RetentionRunPageAll"), "A page of runs") },
  }),
  async (c) => {
    c.var.scope.access.requireInstanceAdmin();
    const { cursor, limit } = c.req.valid("query");
    return c.json(page(await lifecycle.listRuns(c.var.scope, null, cursor, limit), runOut), 200);
  },
);
