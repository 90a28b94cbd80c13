/**
 * Promotion into a repository and the repository's promotion gates:
 *   POST   /repos/{id}/promote          link an artifact from another repo into this one (gated)
 *   GET    /repos/{id}/promotion_gates  the gates (`read`)
 *   PUT    /repos/{id}/promotion_gates  set them (repo admin; audited)
 *   DELETE /repos/{id}/promotion_gates  remove them (repo admin; audited)
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { d } from "./fields";
import { apiRoute, json, jsonBody } from "./route";
import { Id, idParam } from "./schemas";
import * as trust from "../services/trust";
import { packageKeyOf } from "../formats";
import { SEVERITIES } from "../core/vocabulary";
import { ArtifactRefSchema, refIn } from "./detection";

const tags = ["Promotion"];
export const promotionRoutes = new OpenAPIHono<AppEnv>();
const RepoParam = idParam("repository");

const Gates = z
  .object({
    max_severity: z.enum(SEVERITIES).nullable().describe("Refuse when an open finding is at or above this severity (null: no findings gate)"),
    required_labels: z.array(z.string().min(1).max(300)).max(50).describe("Image labels that must be present: `key` or `key=value`"),
    min_age_seconds: z.number().int().min(0).max(10 * 365 * 86_400).nullable().describe("Cool-down: refuse artifacts pushed less than this long ago (null: none)"),
  })
  .openapi("PromotionGates");
const GatesOut = Gates.extend({ configured: d(z.boolean(), "Whether the repository has gates (false: everything the caller may promote is promoted)") }).openapi("PromotionGatesView");
const gatesOut = (g: trust.Gates | null) => ({ configured: g !== null, max_severity: g?.maxSeverity ?? null, required_labels: g?.requiredLabels ?? [], min_age_seconds: g?.minAgeSeconds ?? null });

const GateResult = z
  .object({ gate: d(z.enum(["findings", "labels", "min_age", "security", "license", "signature"]), "Which gate (`security`: a security block; `license`: the target's licence policies; `signature`: the sigstore trust policies that select it in the target)"), passed: d(z.boolean(), "Its verdict"), reason: d(z.string(), "Why, for humans") })
  .openapi("PromotionGateResult");
const RepoEnd = z.object({ repo_id: Id("repository"), repo: d(z.string(), "Repository slug"), project_id: Id("project") });
const Promoted = z
  .object({
    format: d(z.string(), "Repository format"),
    name: d(z.string(), "Package or image name"),
    version: d(z.string(), "Package version, or the image tag given (else its digest)"),
    digest: d(z.string(), "The image manifest's digest, or the package's first file's"),
    mode: d(z.literal("link"), "Promotion links: the source keeps the artifact, no byte is copied"),
    tag: d(z.string().nullable(), "Tag set in the target (images)"),
    referrers: d(z.number().int(), "Referrers (signatures, SBOMs, attestations) promoted with an image"),
    from: RepoEnd.describe("Source repository"),
    to: RepoEnd.describe("Target repository"),
    gates: d(z.array(GateResult), "Every gate of the target, all passed"),
  })
  .openapi("Promotion");
const PromoteBody = z
  .object({ artifact: ArtifactRefSchema, tag: z.string().regex(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/).optional().describe("Images: a tag to set in the target") })
  .openapi("PromoteRequest");

promotionRoutes.openapi(
  apiRoute({
    method: "post",
    path: "/repos/{id}/promote",
    operationId: "promoteArtifact",
    tags,
    summary: "Promote an artifact (its `repo_id` is the source) into this repository, by linking (`read` on the source, `write` here); 403 ForbiddenPromotionGates lists every gate when one fails",
    request: { params: RepoParam, ...jsonBody(PromoteBody) },
    responses: { 201: json(Promoted, "Promoted") },
  }),
  async (c) => {
    const b = c.req.valid("json");
    return c.json(await trust.promote(c.var.scope, packageKeyOf, { artifact: refIn(b.artifact), targetRepoId: c.req.valid("param").id, tag: b.tag ?? null }), 201);
  },
);

promotionRoutes.openapi(
  apiRoute({ method: "get", path: "/repos/{id}/promotion_gates", operationId: "getPromotionGates", tags, summary: "The repository's promotion gates", request: { params: RepoParam }, responses: { 200: json(GatesOut, "The gates") } }),
  async (c) => c.json(gatesOut(await trust.getGates(c.var.scope, c.req.valid("param").id)), 200),
);
promotionRoutes.openapi(
  apiRoute({ method: "put", path: "/repos/{id}/promotion_gates", operationId: "setPromotionGates", tags, summary: "Set the repository's promotion gates (repository admin; audited)", request: { params: RepoParam, ...jsonBody(Gates) }, responses: { 200: json(GatesOut, "The gates") } }),
  async (c) => {
    const b = c.req.valid("json");
    return c.json(gatesOut(await trust.setGates(c.var.scope, c.req.valid("param").id, { maxSeverity: b.max_severity, requiredLabels: b.required_labels, minAgeSeconds: b.min_age_seconds })), 200);
  },
);
promotionRoutes.openapi(
  apiRoute({ method: "delete", path: "/repos/{id}/promotion_gates", operationId: "deletePromotionGates", tags, summary: "Remove the repository's promotion gates (repository admin; audited)", request: { params: RepoParam }, responses: { 204: { description: "Removed" } } }),
  async (c) => {
    await trust.deleteGates(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);
