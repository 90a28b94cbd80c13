/**
 * /api/v1/audit: the audit log, paginated and filterable. Instance admins see every
 * entry; anyone else must name a project they administer (`?project_id=`).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json } from "./route";
import { AuditEntry, AuditQuery, pageOf, timeWindowIn } from "./schemas";
import { auditOut, page } from "./serialize";
import { listAuditEntries } from "../services/events";

export const auditRoutes = new OpenAPIHono<AppEnv>();

auditRoutes.openapi(
  apiRoute({ method: "get", path: "/audit", operationId: "listAuditEntries", tags: ["Audit"], summary: "List audit-log entries", request: { query: AuditQuery }, responses: { 200: json(pageOf(AuditEntry, "AuditPage"), "A page of audit entries, oldest first") } }),
  async (c) => {
    const q = c.req.valid("query");
    const entries = await listAuditEntries(
      c.var.scope,
      {
        projectId: q.project_id,
        actorId: q.actor_id,
        action: q.action,
        resourceType: q.resource_type,
        resourceId: q.resource_id,
        ...timeWindowIn(q),
      },
      q.cursor,
      q.limit,
    );
    return c.json(page(entries, auditOut), 200);
  },
);
