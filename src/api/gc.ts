/**
 * Garbage collection, instance admins only (docs/gc.md):
 *   GET  /api/admin/gc                 status: the run in progress, the last run, the graces
 *   POST /api/admin/gc/dry-run         what a run would collect now (nothing is deleted)
 *   GET|POST /api/admin/gc/runs        history | start a run (one at a time)
 *   GET  /api/admin/gc/runs/{run_id}   one run
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { d, at, pathParam } from "./fields";
import { apiRoute, json, jsonBody } from "./route";
import { PageQuery, iso, pageOf } from "./schemas";
import { page } from "./serialize";
import * as lifecycle from "../services/lifecycle";
import { config } from "../config";
import { RUN_STATUSES, RUN_TRIGGERS } from "../core/vocabulary";

const tags = ["Garbage collection"];

const Graces = z
  .object({
    link_grace_seconds: d(z.number().int().min(0).max(365 * 86400), "Drop a repository's link to a blob nothing in the repository has needed for this long (an OCI blob pushed without its manifest)").optional(),
    blob_grace_seconds: d(z.number().int().min(0).max(365 * 86400), "Delete a blob no repository has linked for this long; 0 is safe (the protocol, not the delay, protects concurrent pushes)").optional(),
    orphan_grace_seconds: d(z.number().int().min(0).max(365 * 86400), "Delete a stored object no blob names once it is this old; below the upload-session lifetime (24 h), an upload in progress may fail (it is told to upload again; nothing stored is lost)").optional(),
  })
  .openapi("GcGraces");
const GraceValues = z
  .object({
    link_grace_seconds: d(z.number().int(), "Grace of unused links"),
    blob_grace_seconds: d(z.number().int(), "Grace of unlinked blobs"),
    orphan_grace_seconds: d(z.number().int(), "Grace of orphan objects"),
  })
  .openapi("GcGraceValues");
const Counts = z
  .object({
    links_dropped: d(z.number().int(), "Links nothing in their repository needed, dropped (their bytes left the project's quota)"),
    blobs_condemned: d(z.number().int(), "Blobs nothing linked, condemned"),
    blobs_deleted: d(z.number().int(), "Condemned blobs deleted with their bytes (one revived by a push meanwhile is not)"),
    blob_bytes: d(z.number().int(), "Bytes of those blobs"),
    orphans_deleted: d(z.number().int(), "Stored objects no blob named, deleted"),
    orphan_bytes: d(z.number().int(), "Bytes of those objects"),
    objects_listed: d(z.number().int(), "Stored objects looked at"),
    tombstones_pruned: d(z.number().int(), "Old records of deleted orphan keys forgotten"),
  })
  .openapi("GcCounts");
const GcRun = z
  .object({
    id: d(z.string(), "Run id"),
    trigger: d(z.enum(RUN_TRIGGERS), "`manual` or `schedule` (daily)"),
    status: d(z.enum(RUN_STATUSES), "`running`, `succeeded` or `failed`"),
    phase: d(z.string(), "`links`, `blobs`, `orphans`, `tombstones`, then `done`"),
    graces: GraceValues,
    counts: Counts,
    bytes_freed: d(z.number().int(), "Bytes deleted from storage (blobs and orphans)"),
    errors: d(z.array(z.string()), "What went wrong, if anything"),
    started_by: d(z.object({ type: d(z.string(), "Actor type"), name: d(z.string().nullable(), "Actor name") }), "Who started it"),
    created_at: at("When it started"),
    finished_at: d(z.string().nullable(), "When it finished; null while it runs"),
  })
  .openapi("GcRun");
const runOut = (r: lifecycle.GcRunRow) => ({
  id: r.id,
  trigger: r.trigger,
  status: r.status,
  phase: r.phase,
  graces: { link_grace_seconds: r.linkGraceMs / 1000, blob_grace_seconds: r.blobGraceMs / 1000, orphan_grace_seconds: r.orphanGraceMs / 1000 },
  counts: {
    links_dropped: r.counts.linksDropped,
    blobs_condemned: r.counts.blobsCondemned,
    blobs_deleted: r.counts.blobsDeleted,
    blob_bytes: r.counts.blobBytes,
    orphans_deleted: r.counts.orphansDeleted,
    orphan_bytes: r.counts.orphanBytes,
    objects_listed: r.counts.objectsListed,
    tombstones_pruned: r.counts.tombstonesPruned,
  },
  bytes_freed: r.counts.blobBytes + r.counts.orphanBytes,
  errors: r.errors,
  started_by: { type: r.actorType, name: r.actorName },
  created_at: iso(r.createdAt)!,
  finished_at: iso(r.finishedAt),
});
const graceMs = (g: z.infer<typeof Graces>) => ({
  ...(g.link_grace_seconds !== undefined ? { linkGraceMs: g.link_grace_seconds * 1000 } : {}),
  ...(g.blob_grace_seconds !== undefined ? { blobGraceMs: g.blob_grace_seconds * 1000 } : {}),
  ...(g.orphan_grace_seconds !== undefined ? { orphanGraceMs: g.orphan_grace_seconds * 1000 } : {}),
});
const gracesOut = (g: lifecycle.GcGraces) => ({ link_grace_seconds: g.linkGraceMs / 1000, blob_grace_seconds: g.blobGraceMs / 1000, orphan_grace_seconds: g.orphanGraceMs / 1000 });

const Status = z
  .object({
    // A union, not `.nullable()`: on a registered schema the generator drops `null` (and the description).
    running: d(z.union([GcRun, z.null()]), "The run in progress, or null"),
    last: d(z.union([GcRun, z.null()]), "The most recent run, or null"),
    defaults: GraceValues, // the graces runs use unless told otherwise (configuration)
  })
  .openapi("GcStatus");
const DryRun = z
  .object({
    graces: GraceValues,
    links: d(z.array(z.object({ repo_id: d(z.string(), "Repository"), digest: d(z.string(), "Blob") })), "Links a run would drop"),
    blobs: d(z.array(z.object({ digest: d(z.string(), "Blob"), size: d(z.number().int(), "Bytes"), idle_since: at("Unlinked (or stored) since") })), "Blobs a run would delete"),
    orphans: d(z.array(z.object({ key: d(z.string(), "Storage key"), size: d(z.number().int(), "Bytes"), uploaded: at("Stored at") })), "Stored objects no blob names that a run would delete"),
    bytes: d(z.number().int(), "Bytes those blobs and objects hold"),
    objects_listed: d(z.number().int(), "Stored objects looked at"),
    truncated: d(z.boolean(), "True when a list was cut at 1000 entries (or the listing at 10,000 objects)"),
  })
  .openapi("GcDryRun");
const Start = Graces.extend({ wait: d(z.boolean(), "Run inside this request (up to about 20 seconds) and answer when done; the rest continues in the background").optional() }).openapi("GcRunRequest");

export const adminGcRoutes = new OpenAPIHono<AppEnv>();
adminGcRoutes.openapi(
  apiRoute({ method: "get", path: "/gc", operationId: "getGcStatus", tags, summary: "Garbage collection: the run in progress, the last run, the default graces", responses: { 200: json(Status, "Status") } }),
  async (c) => {
    const scope = c.var.scope;
    scope.access.requireInstanceAdmin();
    const [running, last] = await Promise.all([lifecycle.activeGc(scope), lifecycle.lastGc(scope)]);
    return c.json({ running: running ? runOut(running) : null, last: last ? runOut(last) : null, defaults: gracesOut(config(scope.env).gc) }, 200);
  },
);
adminGcRoutes.openapi(
  apiRoute({ method: "post", path: "/gc/dry-run", operationId: "dryRunGc", tags, summary: "What a garbage-collection run would collect now (nothing is deleted)", request: jsonBody(Graces), responses: { 200: json(DryRun, "What would go") } }),
  async (c) => {
    const scope = c.var.scope;
    scope.access.requireInstanceAdmin();
    const r = await lifecycle.gcDryRun(scope, graceMs(c.req.valid("json")));
    return c.json(
      {
        graces: gracesOut(r.graces),
        links: r.links.map((l) => ({ repo_id: l.repoId, digest: l.digest })),
        blobs: r.blobs.map((b) => ({ digest: b.digest, size: b.size, idle_since: iso(b.idleSince)! })),
        orphans: r.orphans.map((o) => ({ key: o.key, size: o.size, uploaded: iso(o.uploaded)! })),
        bytes: r.bytes,
        objects_listed: r.objectsListed,
        truncated: r.truncated,
      },
      200,
    );
  },
);
adminGcRoutes.openapi(
  apiRoute({
    method: "post",
    path: "/gc/runs",
    operationId: "startGcRun",
    tags,
    summary: "Start a garbage-collection run (one at a time; safe while pushes run)",
    request: jsonBody(Start),
    responses: { 200: json(GcRun, "The run, finished (`wait`)"), 202: json(GcRun, "The run, started") },
  }),
  async (c) => {
    const scope = c.var.scope;
    scope.access.requireInstanceAdmin();
    const body = c.req.valid("json");
    if (!body.wait) return c.json(runOut(await lifecycle.startGc(scope, "manual", lifecycle.queueJobs(scope), graceMs(body))), 202);
    let id = "";
    await lifecycle.runInline(scope.env, async (jobs) => (id = (await lifecycle.startGc(scope, "manual", jobs, graceMs(body))).id));
    return c.json(runOut(await lifecycle.getGcRun(scope, id)), 200);
  },
);
adminGcRoutes.openapi(
  apiRoute({ method: "get", path: "/gc/runs", operationId: "listGcRuns", tags, summary: "Garbage-collection runs, oldest first", request: { query: PageQuery }, responses: { 200: json(pageOf(GcRun, "GcRunPage"), "A page of runs") } }),
  async (c) => {
    const scope = c.var.scope;
    scope.access.requireInstanceAdmin();
    const { cursor, limit } = c.req.valid("query");
    return c.json(page(await lifecycle.listGcRuns(scope, cursor, limit), runOut), 200);
  },
);
adminGcRoutes.openapi(
  apiRoute({ method: "get", path: "/gc/runs/{run_id}", operationId: "getGcRun", tags, summary: "One garbage-collection run", request: { params: z.object({ run_id: pathParam("run_id", "Run id") }) }, responses: { 200: json(GcRun, "The run") } }),
  async (c) => {
    const scope = c.var.scope;
    scope.access.requireInstanceAdmin();
    return c.json(runOut(await lifecycle.getGcRun(scope, c.req.valid("param").run_id)), 200);
  },
);
