/**
 * Global messages (reference 004 §2.6): instance-wide notices shown as a banner by the
 * UI and listed in /api/public-config. Anyone may read them; only instance admins
 * create or delete them (audited, `message.*` events). Reads are cached per isolate.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { snakeKeys } from "../../core/event-shapes";
import * as q from "../../db/sessions";
import { notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { AUTH_CACHE_TTL_MS, TtlCache } from "../../core/ttl-cache";
import type { MessageMediaType, MessageSeverity } from "../../core/vocabulary";

export type { GlobalMessageRow } from "../../db/sessions";

const messagesCache = new TtlCache<"all", q.GlobalMessageRow[]>(AUTH_CACHE_TTL_MS);

export async function listMessages(scope: Scope) {
  return messagesCache.get("all") ?? messagesCache.set("all", await q.listGlobalMessages(scope.db));
}

export async function createMessage(scope: Scope, input: { content: string; media_type?: MessageMediaType; severity?: MessageSeverity }) {
  scope.access.requireInstanceAdmin();
  const now = Date.now();
  const row: q.GlobalMessageRow = { id: newId(), content: input.content, mediaType: input.media_type ?? "text/plain", severity: input.severity ?? "info", createdAt: now };
  await scope.db.batch([
    q.insertGlobalMessage(scope.db, row),
    auditQuery(scope, { action: "message.create", resourceType: "global_message", resourceId: row.id, projectId: null, after: row }, now),
  ]);
  await emitEvent(scope, { type: "message.created", project_id: null, data: { message: snakeKeys(row) } });
  return row;
}

export async function deleteMessage(scope: Scope, id: string) {
  scope.access.requireInstanceAdmin();
  const before = await q.findGlobalMessage(scope.db, id);
  if (!before) throw notFound("Message", `message ${id} not found`);
  await scope.db.batch([
    q.deleteGlobalMessage(scope.db, id),
    auditQuery(scope, { action: "message.delete", resourceType: "global_message", resourceId: id, projectId: null, before }),
  ]);
  await emitEvent(scope, { type: "message.deleted", project_id: null, data: { message: snakeKeys(before) } });
}
