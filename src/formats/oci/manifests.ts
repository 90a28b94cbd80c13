/**
 * `/v2/<name>/manifests/<reference>`: GET/HEAD by tag or digest (honouring Accept),
 * PUT (201 with Location, Docker-Content-Digest and OCI-Subject), DELETE (202).
 * Invariants: the body served is byte for byte what was pushed, with its own media type;
 * a GET that serves one is a pull for the download log (recordDownload). In a repo a
 * sigstore policy in `enforce` or `audit` mode may select (`repo.sigstore_pull`), a HEAD
 * or GET is judged after the policy check and before anything is served
 * (services/trust enforceSignaturesAtPull); other repos pay nothing for it.
 */
import type { Ctx } from "./http";
import { contentLength, empty, manifestUrl } from "./http";
import type { OciRoute } from "../../services/oci";
import { openImage, deleteTag, getManifest, lookupReference, putManifest, readManifestBody } from "../../services/oci";
import { recordDownload } from "../../services/artifacts";
import { trashManifest } from "../../services/lifecycle";
import { enforceSignaturesAtPull } from "../../services/trust";

type ManifestRoute = Extract<OciRoute, { kind: "manifest" }>;

async function fetchManifest(c: Ctx, r: ManifestRoute, withBody: boolean) {
  const img = await openImage(c.var.scope, r.name, "read");
  const { meta, body } = await getManifest(c.var.scope, img, r.reference, withBody, c.req.header("accept") ?? null);
  if (img.repo.sigstorePull) {
    const tag = r.reference.includes(":") ? null : r.reference;
    await enforceSignaturesAtPull(c.var.scope, { type: "image", opened: img, manifest: meta, tag }, { package: img.name.image, version: r.reference, digest: meta.digest }).catch(async (e) => {
      if (body instanceof ReadableStream) await body.cancel();
      throw e;
    });
  }
  // An image pull is its manifest GET (HEADs only check; blobs follow the manifest).
  if (withBody) recordDownload(c.var.scope, { repo: img.repo, package: img.name.image, version: r.reference, digest: meta.digest, userAgent: c.req.header("user-agent") ?? null });
  const headers = {
    "Content-Type": meta.mediaType,
    "Content-Length": String(meta.size),
    "Docker-Content-Digest": meta.digest,
    ETag: `"${meta.digest}"`,
  };
  return new Response(body, { status: 200, headers });
}

export const manifest = {
  HEAD: (c: Ctx, r: ManifestRoute) => fetchManifest(c, r, false),
  GET: (c: Ctx, r: ManifestRoute) => fetchManifest(c, r, true),
  PUT: async (c: Ctx, r: ManifestRoute) => {
    const img = await openImage(c.var.scope, r.name, "write");
    const bytes = await readManifestBody(c.req.raw.body, contentLength(c));
    const result = await putManifest(c.var.scope, img, {
      reference: r.reference,
      contentType: c.req.header("content-type") ?? null,
      bytes,
      tags: c.req.queries("tag") ?? [],
    });
    const headers: Record<string, string> = { Location: manifestUrl(r.name, result.digest), "Docker-Content-Digest": result.digest };
    if (result.subject) headers["OCI-Subject"] = result.subject;
    return empty(201, headers);
  },
  DELETE: async (c: Ctx, r: ManifestRoute) => {
    const img = await openImage(c.var.scope, r.name, "delete");
    const ref = lookupReference(r.reference);
    if ("tag" in ref) await deleteTag(c.var.scope, img, ref.tag);
    else await trashManifest(c.var.scope, img, ref.digest);
    return empty(202, {});
  },
};
