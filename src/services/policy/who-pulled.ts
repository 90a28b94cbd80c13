/**
 * Who pulled (`/api/v1/security/who-pulled`): the download log read back, by artifact
 * (repo, package, version, digest) or by principal (type and id, or a token), within a
 * time window, paged oldest first, with a per-principal summary (how many, first, last).
 *
 * Invariants: a repo's log is for the repo's admins (its project's admins, repo admins,
 * instance admins), a project's for the project's admins, the whole instance's for
 * instance admins; an identified caller who names neither gets 400, an anonymous one 401.
 * The log is written off the request path (artifacts/downloads.ts): a pull shows here a
 * few seconds later, when its queue batch is consumed.
 */
import type { Scope } from "../scope";
import { getRepo } from "../projects/repos";
import * as q from "../../db/downloads";
import { RegistryError } from "../../core/errors";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";

export type { DownloadRow } from "../../db/downloads";
export type WhoPulledFilter = q.DownloadFilter;

async function authorize(scope: Scope, f: WhoPulledFilter) {
  if (f.repoId) {
    const repo = await getRepo(scope, f.repoId);
    await scope.access.require("admin", { projectId: repo.projectId, repo });
    return;
  }
  if (f.projectId) return scope.access.require("admin", { projectId: f.projectId });
  if (scope.access.isInstanceAdmin) return;
  if (scope.access.principal.type === "anonymous") throw scope.access.denial("admin");
  throw new RegistryError("InvalidWhoPulledFilter", "name a repo_id or project_id you administer (only instance admins may search the whole log)");
}

export async function whoPulled(scope: Scope, f: WhoPulledFilter, cursor?: string, limit?: number) {
  await authorize(scope, f);
  if (f.since !== undefined && f.until !== undefined && f.since >= f.until) throw new RegistryError("InvalidWhoPulledFilter", "since must be before until");
  const n = clampLimit(limit);
  const [rows, summary] = await Promise.all([q.listDownloads(scope.db, f, decodeCursor(cursor), n), q.downloadSummary(scope.db, f)]);
  return { page: toPage(rows, n), summary };
}
