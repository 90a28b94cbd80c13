/**
 * `/v2/<name>/referrers/<digest>?artifactType=`: an image index of the manifests whose
 * `subject` is <digest>; `OCI-Filters-Applied: artifactType` when the filter was used.
 */
import type { Ctx } from "./http";
import type { OciRoute } from "../../services/oci";
import { MEDIA, openImage, referrers } from "../../services/oci";

type ReferrersRoute = Extract<OciRoute, { kind: "referrers" }>;

export const referrersRoute = {
  GET: async (c: Ctx, r: ReferrersRoute) => {
    const img = await openImage(c.var.scope, r.name, "read");
    const artifactType = c.req.query("artifactType") || undefined;
    const index = await referrers(c.var.scope, img, r.digest, artifactType);
    const headers: Record<string, string> = { "Content-Type": MEDIA.ociIndex };
    if (artifactType) headers["OCI-Filters-Applied"] = "artifactType";
    return new Response(JSON.stringify(index), { status: 200, headers });
  },
};
