/**
 * The gate's one round trip: before a protocol request is authenticated and its repo
 * opened, everything the isolate does not have cached — the token with its principal,
 * the repo with its project, the principal's grants there, and the one read the format's
 * handler will make (its plan) — is read in ONE D1 batch, the repo's and the principal's
 * ids found by subqueries inside it (by slugs, by token hash). The results go where the
 * usual code looks: the isolate caches (token, repo, grants) and `scope.reads` (the repo,
 * even when missing, and the planned read), so `authenticate`, `openRepo` and the format
 * run unchanged and make no further query.
 *
 * Cost of a protocol read (D1 round trips):
 *   cold (nothing cached)         → 1: the batch, planned read included
 *   warm (token, repo, grants)    → the planned read alone, made by the handler: ≤ 1
 *   warm download of an artifact  → 1: the planned read, for its policy columns (services/policy)
 *   warm by-hash index, key       → 0 (kept in isolate memory: no policy applies to them)
 *
 * Invariants:
 * - Nothing read here is served before the gate checks the caller's right (openRepo):
 *   the batch only moves reads earlier, it decides nothing.
 * - Grants are skipped when the caller is anonymous, when the repo is known to be
 *   public and the method only reads, and when the caller's role does not come from
 *   grants (instance admin, admin users, exchanged tokens): they would be read for
 *   nothing, and alone they would cost a round trip.
 */
import type { Db } from "../db/client";
import { runReads, type Read } from "../db/client";
import { cachedPrincipalOf, pendingTokenRead, type AuthContext, type ResolvedToken } from "../auth/authenticate";
import { acceptGrants, cachedGrants, pendingGrantsRead } from "../auth/access";
import { cachedRepo, pendingRepoRead, type OpenedRepo } from "../services/projects";
import type { PlannedRead } from "../services/artifacts";

/** What a protocol request will touch, read from its URL alone: its repo by slugs, and its format's one read. */
export interface RequestPlan {
  project: string;
  repo: string;
  read: PlannedRead | null;
}

/** Finds the plan of a request (formats/index.ts builds it from the formats' grammars). */
export type Planner = (rawPath: string, method: string, query: URLSearchParams) => RequestPlan | null;

const READ_METHODS = new Set(["GET", "HEAD"]);

/** Runs the plan's pending reads as one batch; returns what the request already read (`scope.reads`). */
export async function prefetch(db: Db, secret: string | null, auth: AuthContext, plan: RequestPlan, method: string): Promise<Map<string, unknown>> {
  const reads = new Map<string, unknown>();
  const token = await pendingTokenRead(secret, auth);
  const cachedRepoRow = cachedRepo(plan.project, plan.repo);
  const pendingRepo = cachedRepoRow ? null : pendingRepoRead({ db }, plan.project, plan.repo);
  const ids = cachedRepoRow ? { repoId: cachedRepoRow.repo.id, projectId: cachedRepoRow.project.id } : pendingRepo!.refs;

  // Decoded in this order after the batch: token, repo, grants, planned read.
  const batch: Read<unknown>[] = [];
  const add = <T>(read: Read<T>, accept: (value: T) => void) => batch.push({ items: read.items, decode: (r) => accept(read.decode(r)) });
  let principal = token ? null : await cachedPrincipalOf(secret, auth);
  let repo: OpenedRepo | null = cachedRepoRow ?? null;

  if (token) add(token.read, (v) => (token.accept(v), (principal = v)));
  if (pendingRepo) add(pendingRepo.read, (v) => (pendingRepo.accept(reads, v), (repo = v)));
  const mayNeedGrants = !(cachedRepoRow?.repo.visibility === "public" && READ_METHODS.has(method));
  const grantsCached = principal && cachedRepoRow && cachedGrants(cachedRepoRow.project.id, cachedRepoRow.repo.id, principal.row.principalType, principal.row.principalId);
  if (mayNeedGrants && (token || (principal && needsGrants(principal) && !grantsCached))) {
    const who = token ? token.principal : { type: principal!.row.principalType, id: principal!.row.principalId };
    add(pendingGrantsRead(db, ids.projectId, ids.repoId, who.type, who.id), (rows) => {
      if (repo && principal && needsGrants(principal)) acceptGrants(repo.project.id, repo.repo.id, principal.row.principalType, principal.row.principalId, rows);
    });
  }
  if (batch.length === 0) return reads; // all cached: the handler makes its own (one) read
  if (plan.read) {
    const planned = plan.read;
    add(planned.read({ db }, ids.repoId) as Read<unknown>, (value) => reads.set(planned.key, value));
  }
  await runReads(db, batch);
  return reads;
}

/** Roles of users and service accounts come from grants, unless the credential carries its own. */
function needsGrants(t: ResolvedToken | null | undefined): t is ResolvedToken {
  return !!t && (t.row.principalType === "user" || t.row.principalType === "service_account") && !t.isAdmin && t.row.role === null;
}
