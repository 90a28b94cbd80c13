/**
 * Audit entries and domain events for governance changes.
 * Invariants: callers put `auditQuery(...)` in the same `db.batch([...])` as the change
 * it records, then call `emitEvent` only after that batch succeeded. Instance admins
 * read every entry; anyone else must name a project they administer.
 */
import type { Scope } from "../scope";
import { insertAudit, listAudit, type AuditFilter, type AuditRow } from "../../db/audit";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import { RegistryError } from "../../core/errors";
import { describe } from "../../auth/principal";
import { newId } from "../../core/ids";
import { clearAllCaches, clearCacheGroup } from "../../core/ttl-cache";
import type { DomainEvent } from "../../core/events";

export type { AuditRow } from "../../db/audit";

export interface AuditInput {
  action: string;
  resourceType: string;
  resourceId: string | null;
  projectId: string | null;
  before?: unknown;
  after?: unknown;
  /** Who to record as the actor when it isn't the request's principal (OIDC exchange). */
  actor?: ReturnType<typeof describe>;
}

/** Who the scope acts as: background work names itself (`scope.actor`), requests their principal. */
export const actorOf = (scope: Scope) => scope.actor ?? describe(scope.access.principal);

export function auditQuery(scope: Scope, input: AuditInput, now = Date.now()) {
  const row: AuditRow = {
    id: newId(),
    createdAt: now,
    ...(input.actor ?? actorOf(scope)),
    action: input.action,
    resourceType: input.resourceType,
    resourceId: input.resourceId,
    projectId: input.projectId,
    before: input.before ?? null,
    after: input.after ?? null,
    requestId: scope.requestId,
    ip: scope.ip,
  };
  return insertAudit(scope.db, row);
}

export type { DomainEvent } from "../../core/events";

/**
 * Enqueues a domain event for fan-out (webhooks, …). Only catalogued types with their
 * own payload compile (core/events.ts). The envelope gets its id and timestamp here so
 * every consumer sees the same ones.
 */
export async function emitEvent(scope: Scope, event: DomainEvent): Promise<void> {
  // Every change ends here: drop what this isolate cached that the change can affect,
  // so it is visible at once (core/ttl-cache.ts).
  if (event.type.startsWith("artifact.")) clearCacheGroup("artifacts");
  else clearAllCaches();
  const envelope = {
    id: newId(),
    occurred_at: new Date().toISOString(),
    actor: actorOf(scope),
    request_id: scope.requestId,
    ...event,
  };
  await scope.env.EVENTS.send(envelope, { contentType: "json" });
}

/** The audit log, oldest first: every entry for instance admins, one administered project's otherwise. */
export async function listAuditEntries(scope: Scope, filter: AuditFilter, cursor?: string, limit?: number) {
  if (!scope.access.isInstanceAdmin) {
    if (!filter.projectId) {
      if (scope.access.principal.type === "anonymous") throw scope.access.denial("admin");
      throw new RegistryError("InvalidAuditProjectRequired", "project_id is required unless you are an instance admin");
    }
    await scope.access.require("admin", { projectId: filter.projectId });
  }
  const n = clampLimit(limit);
  return toPage(await listAudit(scope.db, filter, decodeCursor(cursor), n), n);
}
