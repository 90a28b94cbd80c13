/**
 * Repository mirroring (reference 004 §2.9, Quay's `…/mirror`): `/api/v1/repos/{id}/mirror`
 * (GET, POST, PUT, DELETE), `…/mirror/sync-now` and `…/mirror/sync-cancel`, repo admins.
 * The mirror is an upstream repository: its upstream and credentials are the repo's.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, jsonBody } from "./route";
import { At, idParam, iso } from "./schemas";
import * as proxy from "../services/proxy";
import { getRepo } from "../services/projects";

const tags = ["Mirroring"];
const RepoParam = idParam("repository");

const RootRule = z
  .object({
    rule_kind: z.literal("tag_glob_csv").describe("How `rule_value` is read: globs (`*`, `?`) of the tags or versions to copy"),
    rule_value: z.array(z.string().min(1).max(128)).max(100).describe("Tag or version globs; empty: every tag or version"),
  })
  .openapi("MirrorRootRule");
const MirrorFields = {
  is_enabled: z.boolean().describe("Whether scheduled syncs run (`sync-now` works either way)"),
  packages: z.array(z.string().min(1).max(255)).min(1).max(100).describe("What to mirror: package names (npm, PyPI, Cargo, Go modules, `group:artifact` for Maven, paths for generic) or image names within the repository (`library/alpine`)"),
  sync_start_date: z.string().datetime().describe("When the next scheduled sync may start (RFC 3339)"),
  sync_interval: z.number().int().min(60).max(365 * 86400).describe("Seconds between scheduled syncs"),
  root_rule: RootRule,
};
const Mirror = z
  .object({
    ...MirrorFields,
    external_reference: z.string().nullable().describe("The upstream mirrored: the repository's `upstream_url`"),
    sync_status: z.enum(["NEVER_RUN", "SYNC_NOW", "SYNCING", "SUCCESS", "FAIL", "CANCEL"]).describe("Where syncing stands"),
    sync_started_at: At("When the last run started").nullable(),
    sync_finished_at: At("When the last run finished").nullable(),
    synced_count: z.number().int().describe("Versions or tags the last run copied (or found cached)"),
    last_error: z.string().nullable().describe("The last run's last failure"),
  })
  .openapi("Mirror");
const MirrorCreate = z.object(MirrorFields).partial().required({ packages: true }).openapi("MirrorCreate");
const MirrorUpdate = z.object(MirrorFields).partial().openapi("MirrorUpdate");

const input = (b: z.infer<typeof MirrorUpdate>): proxy.MirrorInput => ({
  isEnabled: b.is_enabled,
  packages: b.packages,
  rootRule: b.root_rule?.rule_value,
  syncIntervalSeconds: b.sync_interval,
  syncStartAt: b.sync_start_date ? Date.parse(b.sync_start_date) : undefined,
});

const mirrorOut = (m: proxy.MirrorRow, upstreamUrl: string | null) => ({
  is_enabled: m.isEnabled,
  packages: m.packages,
  sync_start_date: iso(m.syncStartAt)!,
  sync_interval: m.syncIntervalSeconds,
  root_rule: { rule_kind: "tag_glob_csv" as const, rule_value: m.rootRule },
  external_reference: upstreamUrl,
  sync_status: m.syncStatus,
  sync_started_at: iso(m.syncStartedAt),
  sync_finished_at: iso(m.syncFinishedAt),
  synced_count: m.syncedCount,
  last_error: m.lastError,
});

export const mirrorRoutes = new OpenAPIHono<AppEnv>();
const out = async (c: { var: AppEnv["Variables"] }, id: string, m: proxy.MirrorRow) => mirrorOut(m, (await getRepo(c.var.scope, id)).upstreamUrl);

mirrorRoutes.openapi(
  apiRoute({ method: "get", path: "/repos/{id}/mirror", tags, summary: "A repository's mirror configuration and sync status (repo admin)", request: { params: RepoParam }, responses: { 200: json(Mirror, "The mirror") } }),
  async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await out(c, id, await proxy.getMirror(c.var.scope, id)), 200);
  },
);

mirrorRoutes.openapi(
  apiRoute({ method: "post", path: "/repos/{id}/mirror", tags, summary: "Make an upstream repository a mirror (repo admin)", request: { params: RepoParam, ...jsonBody(MirrorCreate) }, responses: { 201: json(Mirror, "Created") } }),
  async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await out(c, id, await proxy.createMirror(c.var.scope, id, input(c.req.valid("json")))), 201);
  },
);

mirrorRoutes.openapi(
  apiRoute({ method: "put", path: "/repos/{id}/mirror", tags, summary: "Change a mirror's configuration (repo admin)", request: { params: RepoParam, ...jsonBody(MirrorUpdate) }, responses: { 200: json(Mirror, "Changed") } }),
  async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await out(c, id, await proxy.updateMirror(c.var.scope, id, input(c.req.valid("json")))), 200);
  },
);

mirrorRoutes.openapi(
  apiRoute({ method: "delete", path: "/repos/{id}/mirror", tags, summary: "Stop mirroring (what was copied stays) (repo admin)", request: { params: RepoParam }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    await proxy.deleteMirror(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

mirrorRoutes.openapi(
  apiRoute({ method: "post", path: "/repos/{id}/mirror/sync-now", operationId: "syncRepoMirrorNow", tags, summary: "Start a sync now (repo admin)", request: { params: RepoParam }, responses: { 201: json(Mirror, "Requested: the sync runs in the background") } }),
  async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await out(c, id, await proxy.syncNow(c.var.scope, id)), 201);
  },
);

mirrorRoutes.openapi(
  apiRoute({ method: "post", path: "/repos/{id}/mirror/sync-cancel", operationId: "cancelRepoMirrorSync", tags, summary: "Cancel a requested or running sync (repo admin)", request: { params: RepoParam }, responses: { 201: json(Mirror, "Cancelled: a running sync stops before its next copy") } }),
  async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await out(c, id, await proxy.syncCancel(c.var.scope, id)), 201);
  },
);
