/**
 * Project storage quotas: read at /api/v1/projects/{id}/quota (project members), set
 * by instance admins at /api/admin/projects/{id}/quota and …/quota/limits, with limits
 * of type Warning or Reject at a percentage of the quota (as in Quay).
 * `usage.reserved_bytes` are leases held by uploads in flight (`usage.reservations`):
 * each lapses LEASE_MS after its upload's last bytes arrived.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, jsonBody } from "./route";
import { Id, idParam, iso, pathParam } from "./schemas";
import * as quotas from "../services/artifacts";
import { LIMIT_TYPES, type QuotaConfig, type QuotaLimit } from "../core/quota";
import { LEASE_MS } from "../core/quota-ticket";


const tags = ["Quotas"];
const ProjectParam = idParam("project");
const LimitParam = ProjectParam.extend({ limit_id: pathParam("limit_id", "The limit's id") });
const LimitType = z.enum(LIMIT_TYPES).describe("`Warning`: crossing it sends `quota.exceeded`; `Reject`: pushes past it are refused (413)");
const Percent = z.number().describe("Percentage of the quota where the limit applies");

const Limit = z.object({ id: Id("limit"), type: LimitType, threshold_percent: Percent }).openapi("QuotaLimit");
const Quota = z
  .object({
    project_id: Id("project"),
    limit_bytes: z.number().int().nullable().describe("The quota in bytes; null: unlimited"),
    limits: z.array(Limit).describe("Warning and Reject limits (with a quota and no Reject limit, 100 % rejects)"),
    usage: z
      .object({
        used_bytes: z.number().int().describe("Bytes the project's repositories link (each blob counted once)"),
        reserved_bytes: z.number().int().describe("Bytes held by uploads in flight (leases, see reservations); they count against the Reject limit"),
        blobs: z.number().int().describe("Distinct blobs linked"),
        percent_used: z.number().nullable().describe("used_bytes as a percentage of the quota; null without one"),
        reservations: z
          .object({
            count: z.number().int().describe("Uploads in flight holding a reservation"),
            oldest_started_at: z.string().nullable().describe("When the oldest of them started; null without any"),
            expires_by: z.string().nullable().describe("When the last lease lapses unless its upload sends more bytes; null without any"),
            lease_seconds: z.number().int().describe("A reservation is a lease: it lapses this long after its upload last sent bytes, so a dead upload frees its bytes"),
          })
          .describe("Reservations of uploads in flight (reserved_bytes)")
          .openapi("QuotaReservations"),
      })
      .describe("Current usage"),
  })
  .openapi("Quota");
const QuotaSet = z.object({ limit_bytes: z.number().int().min(0).nullable().describe("The quota in bytes; null: unlimited") }).openapi("QuotaSet");
const LimitCreate = z.object({ type: LimitType, threshold_percent: Percent.gt(0).max(100) }).openapi("QuotaLimitCreate");
const LimitUpdate = LimitCreate.partial().describe("The fields to change (as Quay's changeOrganizationQuotaLimit); the others keep their values").openapi("QuotaLimitUpdate");

const limitOut = (l: QuotaLimit) => ({ id: l.id, type: l.type, threshold_percent: l.thresholdPercent });
const quotaOut = (projectId: string, config: QuotaConfig, usage: quotas.QuotaView["usage"]) => ({
  project_id: projectId,
  limit_bytes: config.limitBytes,
  limits: config.limits.map(limitOut),
  usage: {
    used_bytes: usage.usedBytes,
    reserved_bytes: usage.reservedBytes,
    blobs: usage.blobs,
    percent_used: config.limitBytes ? Math.round((usage.usedBytes / config.limitBytes) * 10000) / 100 : null,
    reservations: {
      count: usage.reservations,
      oldest_started_at: iso(usage.oldestReservationAt),
      expires_by: iso(usage.reservationsExpireBy),
      lease_seconds: LEASE_MS / 1000,
    },
  },
});

export const quotaRoutes = new OpenAPIHono<AppEnv>();
quotaRoutes.openapi(
  apiRoute({ method: "get", path: "/projects/{id}/quota", tags, summary: "A project's quota and usage", request: { params: ProjectParam }, responses: { 200: json(Quota, "Quota and usage") } }),
  async (c) => {
    const id = c.req.valid("param").id;
    const view = await quotas.getQuota(c.var.scope, id);
    return c.json(quotaOut(id, view.config, view.usage), 200);
  },
);

export const adminQuotaRoutes = new OpenAPIHono<AppEnv>();
const reply = async (c: { var: AppEnv["Variables"] }, id: string) => {
  const view = await quotas.getQuota(c.var.scope, id);
  return quotaOut(id, view.config, view.usage);
};

adminQuotaRoutes.openapi(
  apiRoute({ method: "put", path: "/projects/{id}/quota", tags, summary: "Set a project's quota (null: unlimited)", request: { params: ProjectParam, ...jsonBody(QuotaSet) }, responses: { 200: json(Quota, "The quota") } }),
  async (c) => {
    const id = c.req.valid("param").id;
    await quotas.setQuotaLimitBytes(c.var.scope, id, c.req.valid("json").limit_bytes);
    return c.json(await reply(c, id), 200);
  },
);
adminQuotaRoutes.openapi(
  apiRoute({ method: "delete", path: "/projects/{id}/quota", tags, summary: "Remove a project's quota", request: { params: ProjectParam }, responses: { 204: { description: "Removed" } } }),
  async (c) => {
    await quotas.setQuotaLimitBytes(c.var.scope, c.req.valid("param").id, null);
    return c.body(null, 204);
  },
);
adminQuotaRoutes.openapi(
  apiRoute({ method: "post", path: "/projects/{id}/quota/limits", tags, summary: "Add a Warning or Reject limit", request: { params: ProjectParam, ...jsonBody(LimitCreate) }, responses: { 201: json(Limit, "The limit") } }),
  async (c) => {
    const body = c.req.valid("json");
    const { limit } = await quotas.addQuotaLimit(c.var.scope, c.req.valid("param").id, body.type, body.threshold_percent);
    return c.json(limitOut(limit), 201);
  },
);
adminQuotaRoutes.openapi(
  apiRoute({ method: "put", path: "/projects/{id}/quota/limits/{limit_id}", tags, summary: "Change a limit (the fields sent; the others stay)", request: { params: LimitParam, ...jsonBody(LimitUpdate) }, responses: { 200: json(Quota, "The quota") } }),
  async (c) => {
    const { id, limit_id } = c.req.valid("param");
    const body = c.req.valid("json");
    await quotas.updateQuotaLimit(c.var.scope, id, limit_id, { type: body.type, thresholdPercent: body.threshold_percent });
    return c.json(await reply(c, id), 200);
  },
);
adminQuotaRoutes.openapi(
  apiRoute({ method: "delete", path: "/projects/{id}/quota/limits/{limit_id}", tags, summary: "Remove a limit", request: { params: LimitParam }, responses: { 204: { description: "Removed" } } }),
  async (c) => {
    const { id, limit_id } = c.req.valid("param");
    await quotas.deleteQuotaLimit(c.var.scope, id, limit_id);
    return c.body(null, 204);
  },
);
