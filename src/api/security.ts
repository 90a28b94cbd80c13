/**
 * /api/admin/security: security blocks (instance admins). A block refuses every
 * download of what it matches with 451 and the why-blocked envelope; it is lifted,
 * never deleted (its public page, `/blocked/{id}`, keeps explaining it). docs/policy.md.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, jsonBody } from "./route";
import { At, Id, PageQuery, Timestamp, idParam, iso, pageOf } from "./schemas";
import { page } from "./serialize";
import * as policy from "../services/policy";
import type { Scope } from "../services/scope";
import { REPO_FORMATS } from "../formats";

const tags = ["Security"];
const BlockParam = idParam("block");
const Status = z.enum(["active", "lifted", "expired"]).describe("`active` (refusing downloads), `lifted`, or `expired` (past `blocked_until`)");

const Text = (max: number, description: string) => z.string().min(1).max(max).describe(description);
const BlockFields = {
  reason: Text(2000, "Why, in a line (sent to blocked clients in the envelope's `reason`; not shown on the public page)"),
  customer_message: Text(4000, "What blocked clients are told, and what the public page shows"),
  blocked_until: Timestamp.nullable().describe("When the block ends by itself (RFC 3339), or null: until lifted"),
};

const Block = z
  .object({
    id: Id("block"),
    format: z.enum(REPO_FORMATS).describe("The repository format it applies to"),
    package: z.string().describe("Package or image name (in a repository, e.g. `app/api`), exact or a glob with `*` and `?`"),
    versions: z.array(z.string()).describe("Exact versions or ranges in the format's grammar (npm/Cargo semver ranges, PEP 440 specifiers, Maven `[1.0,2.0)`, Go `v1.2.3`), or for images digests and tags; empty: every version"),
    digests: z.array(z.string()).describe("For images: the manifest digests blocked (tags resolved when the block was made, with the manifests an index names)"),
    project_id: z.string().nullable().describe("The only project it applies to, or null"),
    repo_id: z.string().nullable().describe("The only repository it applies to, or null"),
    ...BlockFields,
    public_url: z.string().describe("The unauthenticated page explaining the block"),
    origin: z.enum(["security", "quarantine"]).describe("`security` (made here) or `quarantine` (a held version was rejected)"),
    status: Status,
    created_by: z.object({ type: z.string().describe("Actor type"), name: z.string().nullable().describe("Actor name") }).describe("Who made it"),
    created_at: At("Creation time"),
    updated_at: At("Last change"),
    lifted_at: At("When it was lifted").nullable(),
    affected: z.object({ versions: z.number().int().describe("Stored package versions it refuses"), manifests: z.number().int().describe("Stored image manifests it refuses") }).describe("What it refuses now"),
    hits: z.object({ count: z.number().int().describe("Downloads refused"), last_at: At("The last refusal").nullable() }).optional().describe("Refused downloads (on a single block)"),
  })
  .openapi("SecurityBlock");

const BlockCreate = z
  .object({
    format: z.enum(REPO_FORMATS).describe("The repository format (`npm`, `pypi`, `docker`, …)"),
    package: Text(300, "Package or image name, exact or a glob (`evil-*`), as the format names it"),
    versions: z.array(Text(300, "A version spec")).max(100).optional().describe("Exact versions or ranges in the format's grammar; images: digests or tags (resolved now). Omitted or empty: every version, later ones too"),
    project_id: z.string().nullable().optional().describe("Confine the block to one project"),
    repo_id: z.string().nullable().optional().describe("Confine the block to one repository (of the block's format)"),
    ...BlockFields,
    blocked_until: BlockFields.blocked_until.optional(),
  })
  .openapi("SecurityBlockCreate");
const BlockUpdate = z.object(BlockFields).partial().openapi("SecurityBlockUpdate");

const ms = (t: string | null | undefined) => (t === undefined ? undefined : t === null ? null : Date.parse(t));

function blockOut(scope: Scope, b: policy.BlockRow, affected: { versions: number; manifests: number }, hits?: { count: number; lastAt: number | null }) {
  return {
    id: b.id,
    format: b.format,
    package: b.package,
    versions: b.versions,
    digests: b.digests,
    project_id: b.projectId,
    repo_id: b.repoId,
    reason: b.reason,
    customer_message: b.customerMessage,
    blocked_until: iso(b.blockedUntil),
    public_url: policy.publicUrl(scope, b.id),
    origin: b.origin,
    status: policy.blockStatus(b),
    created_by: { type: b.createdByType, name: b.createdByName },
    created_at: iso(b.createdAt)!,
    updated_at: iso(b.updatedAt)!,
    lifted_at: iso(b.liftedAt),
    affected,
    ...(hits ? { hits: { count: hits.count, last_at: iso(hits.lastAt) } } : {}),
  };
}

export const securityRoutes = new OpenAPIHono<AppEnv>();

securityRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/security",
    operationId: "listSecurityBlocks",
    tags,
    summary: "List security blocks",
    request: { query: PageQuery.extend({ format: z.enum(REPO_FORMATS).optional().describe("Only blocks of this format"), status: Status.optional() }) },
    responses: { 200: json(pageOf(Block, "SecurityBlockPage"), "A page of blocks, oldest first") },
  }),
  async (c) => {
    const { format, status, cursor, limit } = c.req.valid("query");
    const p = await policy.listBlocks(c.var.scope, { format, status }, cursor, limit);
    const counts = await Promise.all(p.items.map((b) => policy.affectedBy(c.var.scope, b.id)));
    return c.json(page({ items: p.items.map((b, i) => ({ b, n: counts[i]! })), nextCursor: p.nextCursor }, ({ b, n }) => blockOut(c.var.scope, b, n)), 200);
  },
);

securityRoutes.openapi(
  apiRoute({
    method: "post",
    path: "/security",
    operationId: "createSecurityBlock",
    tags,
    summary: "Block a package's versions or an image everywhere (downloads answer 451 at once; audited)",
    request: jsonBody(BlockCreate),
    responses: { 201: json(Block, "The block, with what it refuses") },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const { block, affected } = await policy.createBlock(c.var.scope, {
      format: body.format,
      package: body.package,
      versions: body.versions,
      projectId: body.project_id,
      repoId: body.repo_id,
      reason: body.reason,
      customerMessage: body.customer_message,
      blockedUntil: ms(body.blocked_until),
    });
    return c.json(blockOut(c.var.scope, block, affected), 201);
  },
);

securityRoutes.openapi(
  apiRoute({ method: "get", path: "/security/{id}", operationId: "getSecurityBlock", tags, summary: "A security block, with its refused downloads", request: { params: BlockParam }, responses: { 200: json(Block, "The block") } }),
  async (c) => {
    const { block, affected, hits } = await policy.getBlock(c.var.scope, c.req.valid("param").id);
    return c.json(blockOut(c.var.scope, block, affected, hits), 200);
  },
);

securityRoutes.openapi(
  apiRoute({
    method: "patch",
    path: "/security/{id}",
    operationId: "updateSecurityBlock",
    tags,
    summary: "Change a block's reason, message or end (what it matches is fixed: make a new block)",
    request: { params: BlockParam, ...jsonBody(BlockUpdate) },
    responses: { 200: json(Block, "The block") },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const { block, affected } = await policy.updateBlock(c.var.scope, c.req.valid("param").id, {
      reason: body.reason,
      customerMessage: body.customer_message,
      blockedUntil: ms(body.blocked_until),
    });
    return c.json(blockOut(c.var.scope, block, affected), 200);
  },
);

securityRoutes.openapi(
  apiRoute({
    method: "delete",
    path: "/security/{id}",
    operationId: "liftSecurityBlock",
    tags,
    summary: "Lift a block: what it refused downloads again unless another block matches (the block is kept, status `lifted`)",
    request: { params: BlockParam },
    responses: { 200: json(Block, "The lifted block") },
  }),
  async (c) => {
    const { block, affected } = await policy.liftBlock(c.var.scope, c.req.valid("param").id);
    return c.json(blockOut(c.var.scope, block, affected), 200);
  },
);
