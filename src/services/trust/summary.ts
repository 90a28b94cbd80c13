/**
 * Findings summaries for the version and manifest views of /api/v1 (counts by severity
 * and status, and where the filtered list is).
 * Invariant: one grouped query per package or image, whatever number of versions are
 * shown; the caller has already opened the repo for `read` (the view's own check).
 */
import type { Scope } from "../scope";
import { findingCounts } from "../../db/findings";
import { emptySummary, summarizeCounts, type FindingsSummary } from "../../core/findings";

export type { FindingsSummary };

/** Every version's summary of a package (`name`: its normalized name) or an image (versions are digests). */
export async function findingsSummaries(scope: Scope, repoId: string, type: "package" | "image", name: string) {
  const byVersion = summarizeCounts(await findingCounts(scope.db, repoId, type, name, Date.now()));
  return (version: string) => ({
    ...(byVersion.get(version) ?? emptySummary()),
    list_url: `${scope.baseUrl}/api/v1/detection/findings?${new URLSearchParams({ repo_id: repoId, name, version })}`,
  });
}
