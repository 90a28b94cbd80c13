/**
 * /api/v1/audit: the audit log, paginated and filterable. Instance admins see every
 * entry; anyone else must name a project they administer (`?project_id=`).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json } from "./route";
import { AuditEntry, AuditQuery, pageOf } from "./schemas";
import { auditOut, page } from "./serialize";
import { listAudit } from "../db/audit";
import { clampLimit, decodeCursor, toPage } from "../core/pagination";
import { RegistryError } from "../core/errors";

export const auditRoutes = new OpenAPIHono<AppEnv>();

auditRoutes.openapi(
  apiRoute({ method: "get", path: "/audit", tags: ["Audit"], summary: "List audit-log entries", request: { query: AuditQuery }, responses: { 200: json(pageOf(AuditEntry, "AuditPage"), "A page of audit entries, oldest first") } }),
  async (c) => {
    const scope = c.var.scope;
    const q = c.req.valid("query");
    if (!scope.access.isInstanceAdmin) {
      if (!q.project_id) {
        if (scope.access.principal.type === "anonymous") throw scope.access.denial("admin");
        throw new RegistryError("InvalidAuditProjectRequired", "project_id is required unless you are an instance admin");
      }
      await scope.access.require("admin", { projectId: q.project_id });
    }
    const n = clampLimit(q.limit);
    const rows = await listAudit(
      scope.db,
      {
        projectId: q.project_id,
        actorId: q.actor_id,
        action: q.action,
        resourceType: q.resource_type,
        resourceId: q.resource_id,
        since: q.since ? Date.parse(q.since) : undefined,
        until: q.until ? Date.parse(q.until) : undefined,
      },
      decodeCursor(q.cursor),
      n,
    );
    return c.json(page(toPage(rows, n), auditOut), 200);
  },
);
