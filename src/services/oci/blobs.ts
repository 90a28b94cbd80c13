/**
 * OCI blob use-cases: read (HEAD/GET with Range), delete, monolithic upload and
 * cross-repo mount. Chunked uploads are in oci-uploads.ts.
 *
 * Invariants:
 * - A blob is readable through an image only when its repo holds a `repo_blobs` link
 *   (blobs are deduplicated across repos; links grant access).
 * - A mount links an existing blob only if the caller may read the source (`from`),
 *   or, without `from`, if the blob is already linked to this repo or readable through
 *   a repo the caller may read; otherwise it falls back to a normal upload session.
 * - Deleting a blob removes this repo's link, never the bytes other repos share, and
 *   never a link a live manifest still needs (ConflictBlobInUse); the collector frees
 *   the bytes once nothing links them.
 * - A pull of a blob that only policy-restricted manifests reference (blocked,
 *   licence-blocked, held) is refused with them (services/policy), in the one query
 *   that finds the blob; blobs no manifest references are served as before.
 */
import { readOnce, type Scope } from "../scope";
import type { OpenedImage } from "./access";
import { mayAccess } from "./access";
import { emitEvent } from "../events/audit";
import { findRepoBlob, ingestBlob, linkExistingBlob, unlinkBlob } from "../artifacts/blobs";
import { blobForPullRead, pendingParents, reposLinking, restrictingParent } from "../../db/oci";
import { runRead } from "../../db/client";
import { enforceDownload, isRestricted } from "../policy";
import { LICENSE_ANNOTATION } from "./manifest-document";
import type { PlannedRead } from "../artifacts/reads";
import { RegistryError } from "../../core/errors";
import { assertSha256Digest } from "../../core/digest";

const blobUnknown = (digest: string) =>
  new RegistryError("NotFoundBlob", `blob ${digest} is not known to this repository`, { detail: { digest } });

export function requireDigest(text: string | undefined | null): string {
  if (!text) throw new RegistryError("InvalidDigest", "a digest is required");
  return assertSha256Digest(text);
}

/**
 * A blob for a pull (HEAD/GET): 404 when the repo has no link, 451 when only restricted
 * manifests use it. One D1 read on every pull, planned into the gate's batch when cold:
 * the link row is not kept in isolate memory, since whether its manifests are blocked
 * can change at any time and a pull must see a block at once (services/policy).
 */
const blobReadKey = (digest: string) => `blob:${digest}`;

/** The blob a pull of `digest` reads, for the gate's batch (http/prefetch.ts). */
export const plannedBlob = (digest: string): PlannedRead => ({ key: blobReadKey(digest), read: (scope, repo) => blobForPullRead(scope.db, repo, digest, Date.now()) });

export async function headBlob(scope: Scope, img: OpenedImage, digest: string) {
  const d = requireDigest(digest);
  const found = await readOnce(scope, blobReadKey(d), () => runRead(scope.db, blobForPullRead(scope.db, img.repo.id, d, Date.now())));
  if (!found) throw blobUnknown(digest);
  if (found.parents > 0 && found.free === 0) {
    const parent = await restrictingParent(scope.db, img.repo.id, d);
    if (parent) {
      await enforceDownload(scope, img, { ...parent, owner: parent.pushedBy }, { package: parent.image, version: parent.digest, digest: d, license: parent.annotations[LICENSE_ANNOTATION] ?? null });
    }
  }
  return found.blob;
}

/**
 * The first pull of a blob an upstream repo has not cached yet, judged as headBlob
 * judges a stored one: 451 when only restricted manifests reference it. The cached
 * manifests' references to it still wait (oci_pending_refs); one D1 read, on a miss only.
 */
export async function enforcePendingBlob(scope: Scope, img: OpenedImage, digest: string): Promise<void> {
  const parents = await pendingParents(scope.db, img.repo.id, digest);
  const now = Date.now();
  if (parents.length === 0 || parents.some((p) => !isRestricted(p, now))) return;
  const parent = parents.find((p) => p.blockedBy) ?? parents.find((p) => p.licenseBlockedBy) ?? parents[0]!;
  await enforceDownload(scope, img, { ...parent, owner: parent.pushedBy }, { package: parent.image, version: parent.digest, digest, license: parent.annotations[LICENSE_ANNOTATION] ?? null });
}

export async function deleteBlob(scope: Scope, img: OpenedImage, digest: string) {
  const blob = await findRepoBlob(scope, img.repo.id, requireDigest(digest));
  if (!blob) throw blobUnknown(digest);
  // A trashed manifest's blob may go (it then can't be restored); a live manifest's may not.
  if (!(await unlinkBlob(scope, img.repo.id, digest, { respectTrash: false }))) {
    throw new RegistryError("ConflictBlobInUse", `a manifest of this repository references ${digest}: delete the manifest first`, { detail: { digest } });
  }
  await emitEvent(scope, {
    type: "artifact.deleted",
    project_id: img.project.id,
    data: { format: img.repo.format, repo_id: img.repo.id, project_id: img.project.id, name: img.name.full, blob: digest, digest, size: blob.size },
  });
}

/** POST …/blobs/uploads/?digest=… with the whole blob as body. */
export async function uploadMonolithic(scope: Scope, img: OpenedImage, digest: string, body: ReadableStream<Uint8Array>, length: number | null) {
  const expected = requireDigest(digest);
  return ingestBlob(scope, img.repo, body, { expectedDigest: expected, length, contentType: "application/octet-stream" });
}

/** Tries to satisfy `?mount=<digest>[&from=<name>]`; null means "start an upload instead". */
export async function tryMount(scope: Scope, img: OpenedImage, digest: string, from: string | null): Promise<string | null> {
  const d = requireDigest(digest);
  if (await findRepoBlob(scope, img.repo.id, d)) return d;
  if (from) {
    const source = await mayAccess(scope, from, "read");
    if (!source || !(await findRepoBlob(scope, source.repo.id, d))) return null;
    return (await linkExistingBlob(scope, img.repo, d)) ? d : null;
  }
  for (const repo of await reposLinking(scope.db, d)) {
    if (await scope.access.can("read", { projectId: repo.projectId, repo })) {
      return (await linkExistingBlob(scope, img.repo, d)) ? d : null;
    }
  }
  return null;
}
