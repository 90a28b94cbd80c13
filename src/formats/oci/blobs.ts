/**
 * `/v2/<name>/blobs/<digest>`: HEAD, GET (streamed from R2, with Range and
 * If-None-Match, through the one read path http/download.ts) and DELETE.
 * Invariant: every blob response carries Content-Type, Docker-Content-Digest and ETag
 * (wrangler dev gzips responses that lack a Content-Type, which ruins pull speed).
 */
import type { Ctx } from "./http";
import { empty } from "./http";
import type { OciRoute } from "../../services/oci";
import { openImage, deleteBlob, headBlob } from "../../services/oci";
import { openBytes } from "../../services/artifacts";
import { immutableCacheControl, sendStored } from "../../http/download";

type BlobRoute = Extract<OciRoute, { kind: "blob" }>;

/** Blobs through the one read path (http/download.ts), with the digest header clients check. */
async function sendBlob(c: Ctx, r: BlobRoute) {
  const img = await openImage(c.var.scope, r.name, "read");
  const b = await headBlob(c.var.scope, img, r.digest);
  return sendStored(c, b, {
    contentType: "application/octet-stream",
    headers: { "Docker-Content-Digest": b.digest, "Cache-Control": immutableCacheControl(img.repo) },
    open: (range) => openBytes(c.var.scope, b, range),
  });
}

export const blob = {
  HEAD: sendBlob,
  GET: sendBlob,
  DELETE: async (c: Ctx, r: BlobRoute) => {
    const img = await openImage(c.var.scope, r.name, "delete");
    await deleteBlob(c.var.scope, img, r.digest);
    return empty(202, {});
  },
};
