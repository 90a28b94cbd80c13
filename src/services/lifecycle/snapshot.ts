/**
 * What a trash entry keeps: the rows its artifact was made of, as JSON split into parts
 * (D1 rows stay well under their size limit), and the statements that write an entry.
 *
 * Invariants:
 * - An entry, its parts, the digests it holds and the removal of the live rows are ONE
 *   batch (with its audit row): the artifact is either live or in the trash, never lost
 *   and never both.
 * - The digests an entry holds keep their repo links (and their quota) until the entry is
 *   purged: deleting moves nothing in R2 and frees nothing yet.
 */
import type { Scope } from "../scope";
import { actorOf, auditQuery } from "../events/audit";
import * as t from "../../db/trash";
import type { FileRow, PackageRow, VersionRow } from "../../db/packages";
import type { LabelRow, ManifestRefRow, ManifestRow, TagRow } from "../../db/oci";
import { config } from "../../config";
import { newId } from "../../core/ids";
import { runBatch } from "../../db/client";
import type { BatchItem } from "drizzle-orm/batch";
import type { TrashKind, TrashReason } from "../../core/vocabulary";

export type { TrashRow } from "../../db/trash";

export interface PackageSnapshot {
  kind: "version" | "package" | "file";
  package: PackageRow;
  versions: VersionRow[];
  files: FileRow[];
}

export interface ManifestSnapshot {
  kind: "manifest";
  image: string;
  /** The manifest first, then what went with it (referrers, platform manifests). */
  manifests: ManifestRow[];
  refs: ManifestRefRow[];
  tags: TagRow[];
  labels: LabelRow[];
}

export type Snapshot = PackageSnapshot | ManifestSnapshot;

/** Why an artifact goes to the trash, and for retention, which run and policy. */
export interface TrashContext {
  reason: TrashReason;
  run?: { id: string; policyName: string } | null;
}

const PART_BYTES = 512 * 1024;

export function encodeSnapshot(s: Snapshot): Uint8Array[] {
  const bytes = new TextEncoder().encode(JSON.stringify(s));
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.byteLength || i === 0; i += PART_BYTES) parts.push(bytes.subarray(i, i + PART_BYTES));
  return parts;
}

export async function readSnapshot(scope: Scope, entryId: string): Promise<Snapshot> {
  const parts = await t.partsOf(scope.db, entryId);
  const whole = new Uint8Array(parts.reduce((n, p) => n + p.content.byteLength, 0));
  let at = 0;
  for (const p of parts) whole.set(new Uint8Array(p.content), at), (at += p.content.byteLength);
  return JSON.parse(new TextDecoder().decode(whole)) as Snapshot;
}

export interface NewEntry {
  repo: { id: string; projectId: string };
  kind: TrashKind;
  name: string;
  ref: string;
  tags: string[];
  /** Every blob it needs, with its size. */
  held: Map<string, number>;
  snapshot: Snapshot;
}

/**
 * Writes the entry and runs `removal` (the live rows' deletion) in the same batch, with
 * the audit row. Returns the entry.
 */
export async function writeEntry(scope: Scope, e: NewEntry, ctx: TrashContext, removal: BatchItem<"sqlite">[]): Promise<t.TrashRow> {
  const now = Date.now();
  const actor = actorOf(scope);
  const parts = encodeSnapshot(e.snapshot);
  const row: t.TrashRow = {
    id: newId(),
    repoId: e.repo.id,
    projectId: e.repo.projectId,
    kind: e.kind,
    name: e.name,
    ref: e.ref,
    tags: e.tags,
    size: [...e.held.values()].reduce((n, s) => n + s, 0),
    reason: ctx.reason,
    runId: ctx.run?.id ?? null,
    policyName: ctx.run?.policyName ?? null,
    actorType: actor.actorType,
    actorName: actor.actorName,
    parts: parts.length,
    deletedAt: now,
    expiresAt: now + config(scope.env).trashMs,
  };
  await runBatch(scope.db, [
    t.insertEntry(scope.db, row),
    ...parts.map((p, i) => t.insertPart(scope.db, row.id, i, p)),
    ...t.insertHeld(scope.db, row.id, e.repo.id, [...e.held.keys()]),
    ...removal,
    auditQuery(
      scope,
      {
        action: ctx.reason === "retention" ? "retention.delete" : "artifact.delete",
        resourceType: "trash_entry",
        resourceId: row.id,
        projectId: e.repo.projectId,
        before: { kind: e.kind, name: e.name, ref: e.ref, tags: e.tags },
        after: { trash_id: row.id, reason: ctx.reason, run_id: row.runId, policy: row.policyName, expires_at: row.expiresAt },
      },
      now,
    ),
  ]);
  return row;
}

export const entryView = (e: t.TrashRow) => ({
  id: e.id,
  repo_id: e.repoId,
  kind: e.kind,
  name: e.name,
  ref: e.ref,
  tags: e.tags,
  size: e.size,
  reason: e.reason,
  run_id: e.runId,
  policy_name: e.policyName,
  actor_type: e.actorType,
  actor_name: e.actorName,
  deleted_at: e.deletedAt,
  expires_at: e.expiresAt,
});
