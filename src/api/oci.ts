/**
 * Container-registry governance on top of the OCI protocol (after Quay's API):
 *   GET  /api/v1/repos/{id}/tag_history?image=&tag=        every move of a tag (retention window)
 *   POST /api/v1/repos/{id}/tags/{tag}/restore              the time machine
 *   GET|POST /api/v1/repos/{id}/manifests/{digest}/labels   manifest labels
 *   GET|DELETE /api/v1/repos/{id}/manifests/{digest}/labels/{label_id}
 * Images may have several path segments, so they travel in `image` (query or body).
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, jsonBody } from "./route";
import { At, Id, idParam, iso, pathParam } from "./schemas";
import * as labels from "../services/oci";
import { restoreTag, tagHistory } from "../services/oci";
import type { LabelRow, TagHistoryRow } from "../services/oci";

const tags = ["Container images"];
export const ociRoutes = new OpenAPIHono<AppEnv>();

const Image = z.string().min(1).max(255).openapi({ description: "Image name inside the repo (may contain '/')", example: "team/app" });

const RepoParam = idParam("repository");
const Digest = z.string().describe("Manifest digest, `sha256:<64 hex digits>`");
const TagEvent = z
  .object({
    id: Id("tag event"),
    image: z.string().describe("Image name inside the repository"),
    tag: z.string().describe("The tag"),
    action: z.enum(["create", "move", "delete", "restore"]).describe("What happened to the tag"),
    digest: z.string().nullable().describe("The manifest the tag points at after the change; null when deleted"),
    previous_digest: z.string().nullable().describe("The manifest it pointed at before; null when created"),
    actor_type: z.string().describe("Who changed it: `user`, `service_account`, `oidc`, `instance_admin`"),
    actor_name: z.string().nullable().describe("Their name at the time"),
    created_at: At("When"),
  })
  .openapi("TagEvent");
const tagEventOut = (r: TagHistoryRow) => ({
  id: r.id,
  image: r.image,
  tag: r.tag,
  action: r.action,
  digest: r.digest,
  previous_digest: r.previousDigest,
  actor_type: r.actorType,
  actor_name: r.actorName,
  created_at: iso(r.createdAt)!,
});

const Label = z
  .object({
    id: Id("label"),
    key: z.string().describe("Label key"),
    value: z.string().describe("Label value"),
    media_type: z.string().describe("`text/plain` or `application/json`"),
    source: z.enum(["manifest", "api"]).describe("`manifest`: from the manifest's annotations (read-only); `api`: added through this API"),
    created_at: At("Creation time"),
  })
  .openapi("ManifestLabel");
const labelOut = (l: LabelRow) => ({ id: l.id, key: l.key, value: l.value, media_type: l.mediaType, source: l.source, created_at: iso(l.createdAt)! });
const LabelCreate = z
  .object({
    key: z.string().min(1).max(255).describe("Label key"),
    value: z.string().max(4096).describe("Label value (JSON text when `media_type` is `application/json`)"),
    media_type: z.enum(labels.LABEL_MEDIA_TYPES).optional().describe("Default `text/plain`"),
  })
  .openapi("ManifestLabelCreate");

ociRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/repos/{id}/tag_history",
    tags,
    summary: "Tag history: every create, move, delete and restore of an image's tags, newest first",
    request: {
      params: RepoParam,
      query: z.object({
        image: Image,
        tag: z.string().optional().describe("Only this tag's history"),
        limit: z.coerce.number().int().min(1).max(500).optional().describe("At most this many events (default 100)"),
      }),
    },
    responses: { 200: json(z.object({ items: z.array(TagEvent).describe("Tag events, newest first") }), "Tag events within the retention window") },
  }),
  async (c) => {
    const { image, tag, limit } = c.req.valid("query");
    const img = await labels.openImageById(c.var.scope, c.req.valid("param").id, image, "read");
    return c.json({ items: (await tagHistory(c.var.scope, img, tag, limit)).map(tagEventOut) }, 200);
  },
);

ociRoutes.openapi(
  apiRoute({
    method: "post",
    path: "/repos/{id}/tags/{tag}/restore",
    tags,
    summary: "Restore a tag to a digest it pointed at within the retention window",
    request: {
      params: RepoParam.extend({ tag: pathParam("tag", "The tag to restore") }),
      ...jsonBody(z.object({ image: Image, manifest_digest: Digest.describe("A digest the tag pointed at within the tag-history window") }).openapi("TagRestore")),
    },
    responses: {
      201: json(
        z.object({
          image: z.string().describe("Image name inside the repository"),
          tag: z.string().describe("The tag"),
          digest: Digest.describe("The manifest the tag points at now"),
          changed: z.boolean().describe("false when the tag already pointed there"),
        }),
        "Restored",
      ),
    },
  }),
  async (c) => {
    const { id, tag } = c.req.valid("param");
    const body = c.req.valid("json");
    const img = await labels.openImageById(c.var.scope, id, body.image, "write");
    const result = await restoreTag(c.var.scope, img, tag, body.manifest_digest);
    return c.json({ image: body.image, ...result }, 201);
  },
);

const ManifestParam = RepoParam.extend({ digest: pathParam("digest", "The manifest's digest, `sha256:<64 hex digits>`") });
const LabelParam = ManifestParam.extend({ label_id: pathParam("label_id", "The label's id") });

ociRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/repos/{id}/manifests/{digest}/labels",
    tags,
    summary: "List a manifest's labels",
    request: { params: ManifestParam, query: z.object({ filter: z.string().optional().openapi({ description: "Only labels whose key starts with this prefix" }) }) },
    responses: { 200: json(z.object({ labels: z.array(Label).describe("The manifest's labels") }), "Labels") },
  }),
  async (c) => {
    const { id, digest } = c.req.valid("param");
    return c.json({ labels: (await labels.listLabels(c.var.scope, id, digest, c.req.valid("query").filter)).map(labelOut) }, 200);
  },
);

ociRoutes.openapi(
  apiRoute({ method: "post", path: "/repos/{id}/manifests/{digest}/labels", tags, summary: "Add a label to a manifest", request: { params: ManifestParam, ...jsonBody(LabelCreate) }, responses: { 201: json(Label, "Created") } }),
  async (c) => {
    const { id, digest } = c.req.valid("param");
    const b = c.req.valid("json");
    return c.json(labelOut(await labels.addLabel(c.var.scope, id, digest, { key: b.key, value: b.value, mediaType: b.media_type })), 201);
  },
);

ociRoutes.openapi(
  apiRoute({ method: "get", path: "/repos/{id}/manifests/{digest}/labels/{label_id}", tags, summary: "Get one label", request: { params: LabelParam }, responses: { 200: json(Label, "The label") } }),
  async (c) => {
    const { id, digest, label_id } = c.req.valid("param");
    return c.json(labelOut(await labels.getLabel(c.var.scope, id, digest, label_id)), 200);
  },
);

ociRoutes.openapi(
  apiRoute({ method: "delete", path: "/repos/{id}/manifests/{digest}/labels/{label_id}", tags, summary: "Delete a label added through the API", request: { params: LabelParam }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    const { id, digest, label_id } = c.req.valid("param");
    await labels.deleteLabel(c.var.scope, id, digest, label_id);
    return c.body(null, 204);
  },
);
