/**
 * The instance-admin policy store: what every kind of admin policy (licence and
 * quarantine policies here, sigstore trust policies in trust/) does alike, so each kind
 * writes only what is its own: its validation, its row, extra statements, its event.
 *
 *   get(id)            instance admin → the row, else 404 `<Kind>NotFound` "<label> <id> not found"
 *   list(query)        instance admin → one keyset page (limit clamped, cursor decoded)
 *   named / checkName / checkScope   the common fields and checks of a named policy
 *                      confined to a project or repository (licence, sigstore)
 *   change(what, …)    one D1 batch: the kind's statements + the audit row
 *                      (`<resource>.create|update|delete`, before/after as the kind shows
 *                      them); a unique violation of a create/update → the kind's error
 *                      → `then` (e.g. re-evaluating what the policy judges) → policy.changed
 *
 * Invariants: only instance admins read or change a policy (get and list check it; a
 * create checks it before anything else; an update or delete reads its row through
 * get); a change is audited in its own batch and emits `policy.changed` only after that
 * batch succeeded; a policy keeps its project for life, so the audit row and the event
 * of a change name the project it had.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { findProject, findRepo } from "../../db/projects";
import { runBatch, type Db, type Statement } from "../../db/client";
import { isUniqueViolation } from "../../db/errors";
import { invalid, notFound, type RegistryError, type Suffix } from "../../core/errors";
import { newPublicId } from "../../core/ids";
import { clampLimit, decodeCursor, toPage, type PageKey } from "../../core/pagination";
import type { EventData } from "../../core/events";

export type PolicyChange = "created" | "updated" | "deleted";
const VERB = { created: "create", updated: "update", deleted: "delete" } as const;

export interface PolicyRow {
  id: string;
  projectId: string | null;
  createdAt: number;
}

export interface PolicyKind<Row extends PolicyRow, Extra> {
  /** The stem of its error codes: `<code>NotFound`, `Invalid<code>`. */
  code: Suffix<"NotFound"> & Suffix<"Invalid">;
  /** How messages name it: "licence policy". */
  label: string;
  /** Its audit resource type, and the stem of its audit actions: "license_policy". */
  resourceType: string;
  find: (db: Db, id: string) => Promise<Row | undefined>;
  /** What its audit rows show of it (default: the row). */
  audited?: (row: Row) => unknown;
  /** The error a unique violation of its create or update means. */
  inUse: (row: Row) => RegistryError;
  /** The `policy.changed` data of a change (the row after it, or before a delete). */
  event: (change: PolicyChange, row: Row, extra: Extra) => EventData<"policy.changed">;
}

export interface PolicyWrite<Row, Extra> {
  before?: Row;
  after?: Row;
  /** What changes the policy (and what must change with it), before the audit row. */
  statements: Statement[];
  /** The audit row's time (default: now). */
  at?: number;
  /** Runs after the batch, before the event; its result goes to `kind.event`. */
  then?: () => Promise<Extra>;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function policyStore<Row extends PolicyRow, Extra = undefined>(kind: PolicyKind<Row, Extra>) {
  const bad = (why: string) => invalid(kind.code, why);
  const shown = (row: Row | undefined) => (row && kind.audited ? kind.audited(row) : row);

  return {
    bad,

    async get(scope: Scope, id: string): Promise<Row> {
      scope.access.requireInstanceAdmin();
      const row = await kind.find(scope.db, id);
      if (!row) throw notFound(kind.code, `${kind.label} ${id} not found`);
      return row;
    },

    async list(scope: Scope, query: (db: Db, after: PageKey | null, limit: number) => Promise<Row[]>, cursor?: string, limit?: number) {
      scope.access.requireInstanceAdmin();
      const n = clampLimit(limit);
      return toPage(await query(scope.db, decodeCursor(cursor), n), n);
    },

    /** The fields a named, scoped policy's new row starts with, in the order its rows keep them (audit rows show them so). */
    named(input: { name: string; description?: string; projectId?: string | null; repoId?: string | null; formats?: string[] }) {
      return { id: newPublicId(), name: input.name, description: input.description ?? "", projectId: input.projectId ?? null, repoId: input.repoId ?? null, formats: [...new Set(input.formats ?? [])] };
    },

    /** A named policy's name and formats (checked before anything of its own). */
    checkName(p: { name: string; formats: string[] }, knownFormats: readonly string[]) {
      if (!NAME.test(p.name)) throw bad("name must be 1–64 lowercase letters, digits, '.', '_' or '-'");
      const unknown = p.formats.filter((f) => !knownFormats.includes(f));
      if (unknown.length) throw bad(`unknown formats: ${unknown.join(", ")}`);
    },

    /** The project and repository a policy is confined to exist and agree; a repo's policy gets the repo's project. */
    async checkScope(scope: Scope, p: { projectId: string | null; repoId: string | null }) {
      if (p.projectId && !(await findProject(scope.db, p.projectId))) throw bad(`project ${p.projectId} does not exist`);
      if (p.repoId) {
        const repo = await findRepo(scope.db, p.repoId);
        if (!repo || (p.projectId && repo.projectId !== p.projectId)) throw bad(`repository ${p.repoId} does not exist${p.projectId ? " in that project" : ""}`);
        p.projectId ??= repo.projectId;
      }
    },

    async change(scope: Scope, change: PolicyChange, w: PolicyWrite<Row, Extra>): Promise<void> {
      const was = (w.before ?? w.after)!;
      const audit = auditQuery(scope, { action: `${kind.resourceType}.${VERB[change]}`, resourceType: kind.resourceType, resourceId: was.id, projectId: was.projectId, before: shown(w.before), after: shown(w.after) }, w.at);
      try {
        await runBatch(scope.db, [...w.statements, audit]);
      } catch (e) {
        if (w.after && isUniqueViolation(e)) throw kind.inUse(w.after);
        throw e;
      }
      const extra = (await w.then?.()) as Extra;
      await emitEvent(scope, { type: "policy.changed", project_id: was.projectId, data: kind.event(change, w.after ?? was, extra) });
    },
  };
}
