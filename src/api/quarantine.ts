/**
 * /api/admin/quarantine (instance admins): release cool-down policies per repo or
 * project, what they hold now, and release/reject (reject = a block of exactly that
 * version). docs/policy.md.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, jsonBody } from "./route";
import { At, Id, PageQuery, idParam, iso, pageOf } from "./schemas";
import { page } from "./serialize";
import * as policy from "../services/policy";

const tags = ["Quarantine"];

const Policy = z
  .object({
    id: Id("quarantine policy"),
    project_id: Id("project"),
    repo_id: z.string().nullable().describe("The repository, or null: every repository of the project without a policy of its own"),
    cooldown_hours: z.number().int().describe("New versions are held this many hours after publish"),
    require_approval: z.boolean().describe("New versions are held until an admin releases them"),
    created_at: At("Creation time"),
    updated_at: At("Last change"),
  })
  .openapi("QuarantinePolicy");
const Fields = {
  cooldown_hours: z.number().int().min(0).max(8760).describe("Hours a new version is held after publish (0: no cool-down)"),
  require_approval: z.boolean().describe("Hold new versions until an admin releases them"),
};
const PolicyCreate = z
  .object({ project_id: Id("project"), repo_id: z.string().nullable().optional().describe("One repository of the project; omitted: the whole project"), ...Fields })
  .partial({ cooldown_hours: true, require_approval: true })
  .openapi("QuarantinePolicyCreate");
const PolicyUpdate = z.object(Fields).partial().openapi("QuarantinePolicyUpdate");

const Held = z
  .object({
    id: z.string().describe("Release or reject it by this id"),
    kind: z.enum(["version", "manifest"]).describe("A package version or an image manifest"),
    project_id: Id("project"),
    repo_id: Id("repository"),
    format: z.string().describe("The repository's format"),
    package: z.string().describe("Package or image name"),
    version: z.string().describe("Version, or the manifest's digest"),
    digest: z.string().nullable().describe("The manifest's digest; null for a package version"),
    held_until: At("When its cool-down ends").nullable().describe("When its cool-down ends; null: until an admin releases it"),
    published_by: z.string().nullable().describe("Who published it (`<principal type>:<id>`): may fetch it meanwhile"),
    created_at: At("Publish time"),
  })
  .openapi("HeldArtifact");
const Reject = z.object({ reason: z.string().min(1).max(2000).describe("Why (the block's reason)"), customer_message: z.string().min(1).max(4000).describe("What clients are told (the block's message)") }).openapi("QuarantineReject");
const Released = z.object({ id: z.string().describe("The released artifact's id"), released: z.literal(true).describe("Always true") }).openapi("QuarantineReleased");
const Rejected = z.object({ id: z.string().describe("The rejected artifact's id"), block_id: Id("block") }).openapi("QuarantineRejected");

const policyOut = (p: policy.QuarantinePolicyRow) => ({
  id: p.id,
  project_id: p.projectId,
  repo_id: p.repoId,
  cooldown_hours: p.cooldownHours,
  require_approval: p.requireApproval,
  created_at: iso(p.createdAt)!,
  updated_at: iso(p.updatedAt)!,
});
const heldOut = (h: policy.HeldItem) => ({
  id: h.id,
  kind: h.kind,
  project_id: h.projectId,
  repo_id: h.repoId,
  format: h.format,
  package: h.package,
  version: h.version,
  digest: h.digest,
  held_until: policy.isHeldUntilReleased(h.heldUntil) ? null : iso(h.heldUntil),
  published_by: h.publishedBy,
  created_at: iso(h.createdAt)!,
});

const PolicyParam = idParam("quarantine policy");
const HeldParam = idParam("held artifact");

export const quarantineRoutes = new OpenAPIHono<AppEnv>();

quarantineRoutes.openapi(
  apiRoute({ method: "get", path: "/quarantine/policies", tags, summary: "List quarantine policies", request: { query: PageQuery.extend({ project_id: z.string().optional().describe("Only this project's") }) }, responses: { 200: json(pageOf(Policy, "QuarantinePolicyPage"), "A page of policies") } }),
  async (c) => {
    const { project_id, cursor, limit } = c.req.valid("query");
    return c.json(page(await policy.listQuarantinePolicies(c.var.scope, project_id, cursor, limit), policyOut), 200);
  },
);
quarantineRoutes.openapi(
  apiRoute({ method: "post", path: "/quarantine/policies", tags, summary: "Hold new versions of a repository (or project) for a cool-down and/or until released (audited)", request: jsonBody(PolicyCreate), responses: { 201: json(Policy, "The policy") } }),
  async (c) => {
    const b = c.req.valid("json");
    const row = await policy.createQuarantinePolicy(c.var.scope, { projectId: b.project_id, repoId: b.repo_id, cooldownHours: b.cooldown_hours, requireApproval: b.require_approval });
    return c.json(policyOut(row), 201);
  },
);
quarantineRoutes.openapi(
  apiRoute({ method: "get", path: "/quarantine/policies/{id}", tags, summary: "A quarantine policy", request: { params: PolicyParam }, responses: { 200: json(Policy, "The policy") } }),
  async (c) => c.json(policyOut(await policy.getQuarantinePolicy(c.var.scope, c.req.valid("param").id)), 200),
);
quarantineRoutes.openapi(
  apiRoute({ method: "patch", path: "/quarantine/policies/{id}", tags, summary: "Change a quarantine policy (applies to what is published next)", request: { params: PolicyParam, ...jsonBody(PolicyUpdate) }, responses: { 200: json(Policy, "The policy") } }),
  async (c) => {
    const b = c.req.valid("json");
    return c.json(policyOut(await policy.updateQuarantinePolicy(c.var.scope, c.req.valid("param").id, { cooldownHours: b.cooldown_hours, requireApproval: b.require_approval })), 200);
  },
);
quarantineRoutes.openapi(
  apiRoute({ method: "delete", path: "/quarantine/policies/{id}", tags, summary: "Remove a quarantine policy (what it holds stays held: release it)", request: { params: PolicyParam }, responses: { 204: { description: "Removed" } } }),
  async (c) => {
    await policy.deleteQuarantinePolicy(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);
quarantineRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/quarantine/held",
    operationId: "listHeldArtifacts",
    tags,
    summary: "What quarantine holds now (package versions and image manifests)",
    request: { query: PageQuery.extend({ project_id: z.string().optional().describe("Only this project's"), repo_id: z.string().optional().describe("Only this repository's") }) },
    responses: { 200: json(pageOf(Held, "HeldArtifactPage"), "A page of held artifacts, oldest first") },
  }),
  async (c) => {
    const { project_id, repo_id, cursor, limit } = c.req.valid("query");
    return c.json(page(await policy.listHeld(c.var.scope, { projectId: project_id, repoId: repo_id }, cursor, limit), heldOut), 200);
  },
);
quarantineRoutes.openapi(
  apiRoute({ method: "post", path: "/quarantine/held/{id}/release", operationId: "releaseHeldArtifact", tags, summary: "Release a held version: ordinary readers see it at once (audited)", request: { params: HeldParam }, responses: { 200: json(Released, "Released") } }),
  async (c) => {
    const id = c.req.valid("param").id;
    await policy.releaseHeld(c.var.scope, id);
    return c.json({ id, released: true as const }, 200);
  },
);
quarantineRoutes.openapi(
  apiRoute({ method: "post", path: "/quarantine/held/{id}/reject", operationId: "rejectHeldArtifact", tags, summary: "Reject a held version: it is blocked (a security block of exactly that version; audited)", request: { params: HeldParam, ...jsonBody(Reject) }, responses: { 200: json(Rejected, "Rejected") } }),
  async (c) => {
    const id = c.req.valid("param").id;
    const b = c.req.valid("json");
    const { block } = await policy.rejectHeld(c.var.scope, id, { reason: b.reason, customerMessage: b.customer_message });
    return c.json({ id, block_id: block.id }, 200);
  },
);
