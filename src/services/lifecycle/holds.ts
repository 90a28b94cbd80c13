/**
 * Legal holds: a per-version (or per-manifest) "never delete" flag.
 *
 * Invariants:
 * - A held version or manifest is never moved to the trash, by anyone: a protocol
 *   delete, an API delete or a retention run is refused (`ForbiddenLegalHold`); a
 *   retention plan keeps it with `kept_by: legal-hold`. An image delete that would take
 *   a held manifest with it (an index's platform manifest, a signature) is refused too.
 * - Holds are set and lifted by project admins; both are audited in the same batch and
 *   emit `legal_hold.created` / `legal_hold.deleted`.
 * - A hold names its target by repo, kind, name and ref (package name + version, image +
 *   digest), so it survives a version's trip through the trash.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent, actorOf } from "../events/audit";
import type { OpenedRepo } from "../projects/repos";
import * as q from "../../db/lifecycle";
import { isUniqueViolation } from "../../db/errors";
import { RegistryError, conflict, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import type { ArtifactKind } from "../../core/vocabulary";

export type { HoldRow } from "../../db/lifecycle";

export const LEGAL_HOLD = "legal-hold";

/** Refuses when any of `refs` (versions, or digests of one image) is held. */
export async function assertNotHeld(scope: Scope, repoId: string, kind: ArtifactKind, name: string, refs: string[]): Promise<void> {
  const held = await q.holdsOn(scope.db, repoId, kind, name, refs);
  if (held.length) {
    const h = held[0]!;
    throw new RegistryError("ForbiddenLegalHold", `${name}@${h.ref} is under a legal hold (${h.reason}): it can't be deleted until the hold is lifted`, {
      detail: { hold_id: h.id, name, ref: h.ref },
    });
  }
}

export const allHolds = (scope: Scope, repoId: string) => q.allHolds(scope.db, repoId);

export async function listHolds(scope: Scope, opened: OpenedRepo, cursor?: string, limit?: number) {
  const n = clampLimit(limit);
  return toPage(await q.listHolds(scope.db, opened.repo.id, decodeCursor(cursor), n), n);
}

const view = (h: q.HoldRow) => ({ id: h.id, repo_id: h.repoId, kind: h.kind, name: h.name, ref: h.ref, reason: h.reason, created_at: h.createdAt });

/** `exists` says whether the target exists in the repo (a hold on nothing is refused). */
export async function createHold(scope: Scope, opened: OpenedRepo, input: { kind: ArtifactKind; name: string; ref: string; reason: string }, exists: () => Promise<boolean>) {
  await scope.access.require("admin", { projectId: opened.project.id, repo: opened.repo });
  if (!(await exists())) throw notFound(input.kind === "version" ? "Version" : "Manifest", `${input.name}@${input.ref} is not in this repository`);
  const now = Date.now();
  const actor = actorOf(scope);
  const row: q.HoldRow = { id: newId(), repoId: opened.repo.id, ...input, actorType: actor.actorType, actorName: actor.actorName, createdAt: now };
  try {
    await scope.db.batch([
      q.insertHold(scope.db, row),
      auditQuery(scope, { action: "legal_hold.create", resourceType: "legal_hold", resourceId: row.id, projectId: opened.project.id, after: row }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("LegalHoldExists", `${input.name}@${input.ref} is already under a legal hold`);
    throw e;
  }
  await emitEvent(scope, { type: "legal_hold.created", project_id: opened.project.id, data: { hold: view(row) } });
  return row;
}

export async function deleteHold(scope: Scope, opened: OpenedRepo, id: string) {
  await scope.access.require("admin", { projectId: opened.project.id, repo: opened.repo });
  const row = await q.findHold(scope.db, opened.repo.id, id);
  if (!row) throw notFound("LegalHold", `legal hold ${id} not found in this repository`);
  await scope.db.batch([
    q.deleteHold(scope.db, id),
    auditQuery(scope, { action: "legal_hold.delete", resourceType: "legal_hold", resourceId: id, projectId: opened.project.id, before: row }),
  ]);
  await emitEvent(scope, { type: "legal_hold.deleted", project_id: opened.project.id, data: { hold: view(row) } });
}
