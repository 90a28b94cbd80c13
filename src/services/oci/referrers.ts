/**
 * OCI 1.1 referrers and the catalog.
 * Invariants: the referrers answer is always an image index (empty when nothing
 * refers to the subject, or the subject is unknown); descriptors carry the referrer's
 * artifactType and annotations; the catalog lists only images in repos the caller may
 * read (public repos, or repos of projects the credential can see).
 */
import type { Scope } from "../scope";
import type { OpenedImage } from "./access";
import { visibleProjectIds } from "../projects/visibility";
import * as q from "../../db/oci";
import { MEDIA } from "./manifest-document";
import { requireDigest } from "./blobs";
import { RegistryError } from "../../core/errors";

export async function referrers(scope: Scope, img: OpenedImage, subject: string, artifactType: string | undefined) {
  requireDigest(subject);
  const rows = await q.referrersOf(scope.db, img.repo.id, img.name.image, subject, artifactType || undefined);
  return {
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: rows.map((r) => ({
      mediaType: r.mediaType,
      digest: r.digest,
      size: r.size,
      ...(r.artifactType ? { artifactType: r.artifactType } : {}),
      ...(Object.keys(r.annotations).length ? { annotations: r.annotations } : {}),
    })),
  };
}

export const MAX_CATALOG_PAGE = 1000;

export async function catalog(scope: Scope, n: string | undefined, last: string | undefined) {
  let limit = MAX_CATALOG_PAGE;
  if (n !== undefined && n !== "") {
    if (!/^\d+$/.test(n)) throw new RegistryError("InvalidPageSize", "n must be a non-negative integer");
    limit = Math.min(Number(n), MAX_CATALOG_PAGE);
  }
  if (limit === 0) return { repositories: [] as string[], next: null };
  const projectIds = await visibleProjectIds(scope);
  const rows = await q.catalog(scope.db, { projectIds }, last || undefined, limit + 1);
  const names = rows.slice(0, limit).map((r) => r.name);
  return { repositories: names, next: rows.length > limit ? names[names.length - 1]! : null };
}
