/**
 * Browsing container repos (docker, helm) in the governance API:
 *   GET /api/v1/repos/{id}/images?search=&sort=&cursor=&limit=   images with counts
 *   GET /api/v1/repos/{id}/images/{image}/tags                   tags with sizes and platforms
 *   GET /api/v1/repos/{id}/images/{image}/manifests/{digest}     one manifest in detail
 * `{image}` may contain '/', so it travels URL-encoded (`team%2Fapp`).
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { d, at, pathParam } from "./fields";
import { apiRoute, json } from "./route";
import { FindingsSummary, PageQuery, iso, pageOf } from "./schemas";
import * as oci from "../services/oci";
import { LICENSE_ANNOTATION } from "../services/oci";
import { HELD_UNTIL_RELEASED } from "../services/policy";
import * as lifecycle from "../services/lifecycle";
import * as trust from "../services/trust";

const tags = ["Container images"];
const param = pathParam;
const RepoParam = z.object({ id: param("id", "Repository id") });
const ImageParams = RepoParam.extend({ image: param("image", "Image name inside the repo, URL-encoded (may contain '/')") });

const ImageSummary = z
  .object({
    name: d(z.string(), "Image name inside the repo"),
    tags: d(z.number().int(), "Number of tags"),
    manifests: d(z.number().int(), "Number of manifests (tagged or not)"),
    updated_at: at("Last push or tag move"),
  })
  .openapi("ImageSummary");
const platformFields = { os: d(z.string(), "Operating system"), architecture: d(z.string(), "CPU architecture"), variant: d(z.string().nullable(), "CPU variant (e.g. v8)") };
const Platform = z.object(platformFields).openapi("Platform");
const TagSummary = z
  .object({
    tag: d(z.string(), "Tag name"),
    digest: d(z.string(), "Manifest the tag points at"),
    media_type: d(z.string(), "The manifest's media type (image manifest or index)"),
    artifact_type: d(z.string().nullable(), "Artifact type, when the manifest declares one"),
    size: d(z.number().int(), "Bytes: manifest, config and layers (for an index, every platform's)"),
    platforms: d(z.array(Platform), "Platforms of an index (empty for a single-platform manifest)"),
    created_at: at("When the tag was first set"),
    updated_at: at("When the tag last moved"),
  })
  .openapi("TagSummary");
const Descriptor = z
  .object({ digest: d(z.string(), "Content digest"), size: d(z.number().int(), "Bytes"), media_type: d(z.string(), "Media type") })
  .openapi("Descriptor");
const Referrer = z
  .object({
    digest: d(z.string(), "The referring manifest"),
    media_type: d(z.string(), "Its media type"),
    artifact_type: d(z.string().nullable(), "What it is (signature, SBOM, attestation…)"),
    size: d(z.number().int(), "Manifest bytes"),
    annotations: d(z.record(z.string(), z.string()), "Its annotations"),
  })
  .openapi("Referrer");
const ManifestDetails = z
  .object({
    digest: d(z.string(), "Manifest digest"),
    image: d(z.string(), "Image name"),
    media_type: d(z.string(), "Manifest media type"),
    artifact_type: d(z.string().nullable(), "Artifact type"),
    size: d(z.number().int(), "Manifest bytes"),
    total_size: d(z.number().int(), "Manifest, config and layers"),
    config: d(Descriptor.nullable(), "Config blob"),
    layers: d(z.array(Descriptor), "Layers in order"),
    manifests: d(z.array(Descriptor.extend({ platform: d(z.object(platformFields).nullable(), "The platform the index names for it, or null") })), "Platform manifests of an index"),
    os: d(z.string().nullable(), "From the image config"),
    architecture: d(z.string().nullable(), "From the image config"),
    created: d(z.string().nullable(), "Build time from the image config"),
    config_labels: d(z.record(z.string(), z.string()), "Labels baked into the image config"),
    annotations: d(z.record(z.string(), z.string()), "Manifest annotations"),
    subject: d(z.string().nullable(), "Digest this manifest refers to (signatures, SBOMs)"),
    tags: d(z.array(z.string()), "Tags pointing at this manifest"),
    labels: d(z.array(z.object({ id: d(z.string(), "Label id"), key: d(z.string(), "Key"), value: d(z.string(), "Value"), source: d(z.string(), "manifest (an annotation) or api") })), "Manifest labels (GET|POST …/manifests/{digest}/labels)"),
    referrers: d(z.array(Referrer), "Manifests whose subject is this one"),
    license: d(z.string(), "The licence its `org.opencontainers.image.licenses` annotation declares, or `unknown`"),
    policy: d(
      z.object({
        blocked_by: d(z.string().nullable(), "The security block refusing its pulls (451), or null"),
        license_blocked_by: d(z.string().nullable(), "The licence policy refusing its pulls (451), or null"),
        held: d(z.boolean(), "Whether quarantine holds it from ordinary readers now"),
        held_until: at("End of its cool-down").nullable(),
      }),
      "What policies do with it (docs/policy.md)",
    ),
    last_downloaded_at: at("Last pull of this manifest (from the download log)").nullable(),
    created_at: at("When it was pushed"),
    findings: FindingsSummary,
  })
  .openapi("ManifestDetails");

export const imageRoutes = new OpenAPIHono<AppEnv>();

imageRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/repos/{id}/images",
    operationId: "listImages",
    tags,
    summary: "List the images of a container repository",
    request: {
      params: RepoParam,
      query: PageQuery.extend({
        search: d(z.string().max(200), "Only names containing this").optional(),
        sort: d(z.enum(["name", "-name", "-updated"]), "name (default), -name, or -updated (most recent first)").optional(),
      }),
    },
    responses: { 200: json(pageOf(ImageSummary, "ImageSummaryPage"), "A page of images") },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const page = await oci.listImages(c.var.scope, c.req.valid("param").id, q);
    return c.json({ items: page.items.map((i) => ({ ...i, updated_at: iso(i.updated_at)! })), next_cursor: page.nextCursor }, 200);
  },
);
imageRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/repos/{id}/images/{image}/tags",
    operationId: "listImageTags",
    tags,
    summary: "An image's tags with sizes and platforms",
    request: { params: ImageParams, query: z.object({ limit: d(z.coerce.number().int().min(1).max(200), "At most this many (default 50)").optional() }) },
    responses: { 200: json(z.object({ items: d(z.array(TagSummary), "The list") }).openapi("TagSummaryList"), "Tags, most recently moved first") },
  }),
  async (c) => {
    const p = c.req.valid("param");
    const rows = await oci.imageTags(c.var.scope, p.id, p.image, c.req.valid("query").limit);
    return c.json(
      {
        items: rows.map((t) => ({
          tag: t.tag,
          digest: t.digest,
          media_type: t.mediaType,
          artifact_type: t.artifactType,
          size: t.size,
          platforms: t.platforms,
          created_at: iso(t.createdAt)!,
          updated_at: iso(t.updatedAt)!,
        })),
      },
      200,
    );
  },
);
imageRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/repos/{id}/images/{image}/manifests/{digest}",
    operationId: "getImageManifest",
    tags,
    summary: "One manifest of an image in detail",
    request: { params: ImageParams.extend({ digest: param("digest", "Manifest digest (sha256:…)") }) },
    responses: { 200: json(ManifestDetails, "The manifest") },
  }),
  async (c) => {
    const p = c.req.valid("param");
    // Concurrent: the summary's query waits for nothing, and nothing of it is sent unless the read is allowed.
    const [m, findings] = await Promise.all([oci.manifestDetails(c.var.scope, p.id, p.image, p.digest), trust.findingsSummaries(c.var.scope, p.id, "image", p.image)]);
    const desc = (x: { digest: string; size: number; mediaType: string }) => ({ digest: x.digest, size: x.size, media_type: x.mediaType });
    return c.json(
      {
        digest: m.row.digest,
        image: m.img.name.image,
        media_type: m.row.mediaType,
        artifact_type: m.row.artifactType,
        size: m.row.size,
        total_size: m.totalSize,
        config: m.summary.config && desc(m.summary.config),
        layers: m.summary.layers.map(desc),
        manifests: m.summary.children.map((x) => ({ ...desc(x), platform: x.platform })),
        os: m.config?.os ?? null,
        architecture: m.config?.architecture ?? null,
        created: m.config?.created ?? null,
        config_labels: m.config?.labels ?? {},
        annotations: m.row.annotations,
        subject: m.row.subjectDigest,
        tags: m.tags,
        labels: m.labels.map((l) => ({ id: l.id, key: l.key, value: l.value, source: l.source })),
        referrers: m.referrers.map((r) => ({ digest: r.digest, media_type: r.mediaType, artifact_type: r.artifactType, size: r.size, annotations: r.annotations })),
        license: m.row.annotations[LICENSE_ANNOTATION] ?? "unknown",
        policy: {
          blocked_by: m.row.blockedBy,
          license_blocked_by: m.row.licenseBlockedBy,
          held: m.row.heldUntil !== null && m.row.heldUntil > Date.now(),
          held_until: m.row.heldUntil !== null && m.row.heldUntil < HELD_UNTIL_RELEASED ? iso(m.row.heldUntil) : null,
        },
        last_downloaded_at: iso(m.row.lastDownloadedAt),
        created_at: iso(m.row.createdAt)!,
        findings: findings(m.row.digest),
      },
      200,
    );
  },
);

imageRoutes.openapi(
  apiRoute({
    method: "delete",
    path: "/repos/{id}/images/{image}/manifests/{digest}",
    operationId: "deleteImageManifest",
    tags,
    summary: "Delete a manifest with its tags, signatures and the platform manifests only it lists (delete permission): it moves to the repository's trash",
    request: { params: ImageParams.extend({ digest: param("digest", "Manifest digest (sha256:…)") }) },
    responses: {
      200: json(
        z.object({ trash_id: d(z.string(), "The trash entry it became"), expires_at: at("When the trash entry is purged unless restored; until then its bytes count toward the quota") }).openapi("ManifestDeleted"),
        "In the trash",
      ),
    },
  }),
  async (c) => {
    const p = c.req.valid("param");
    const e = await lifecycle.deleteImageManifest(c.var.scope, p.id, p.image, p.digest);
    return c.json({ trash_id: e.id, expires_at: iso(e.expiresAt)! }, 200);
  },
);
