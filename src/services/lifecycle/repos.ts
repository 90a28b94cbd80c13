/**
 * Deleting a repository gives its bytes back to the project's quota.
 *
 * Invariant: D1's cascade removes the repo's links (`repo_blobs`) with the repo, and the
 * project's ProjectQuota object is not part of D1: the links are read first and
 * uncharged after the delete succeeded (a link made in between stays charged: usage is
 * over-counted, never under-counted). The blobs nothing else links are the collector's.
 */
import type { Scope } from "../scope";
import { deleteRepo, getRepo } from "../projects/repos";
import { unchargeLinks } from "../artifacts/quotas";
import { linkedDigests } from "../../db/blobs";

export async function deleteRepoAndRelease(scope: Scope, id: string): Promise<void> {
  const repo = await getRepo(scope, id);
  const digests = (await linkedDigests(scope.db, id)).map((l) => l.digest);
  await deleteRepo(scope, id);
  await unchargeLinks(scope, repo.projectId, digests);
}
