/**
 * /api/admin/oidc/trust-policies (instance admin: CRUD of OIDC trust policies) and
 * /api/v1/oidc/exchange (public: a CI-issued OIDC token in, a short-lived registry
 * token out). The exchange takes JSON or a form (`token` or RFC 8693 `subject_token`).
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, jsonBody } from "./route";
import { At, ErrorSchema, Id, PageQuery, idParam, iso, pageOf } from "./schemas";
import { page } from "./serialize";
import * as policies from "../services/identity";
import { exchangeOidcToken } from "../services/identity";
import { ROLES } from "../core/vocabulary";
import type { TrustPolicyRow } from "../services/identity";
import { invalid } from "../core/errors";
import { limitOidcExchange } from "../http/rate-limit";

const tags = ["OIDC"];
const PolicyParam = idParam("trust policy");

const ClaimCondition = z
  .object({
    claim: z.string().min(1).max(100).openapi({ example: "repository", description: "Name of a claim of the OIDC token (`repository`, `ref`, `environment`, …)" }),
    match: z.enum(["exact", "glob"]).openapi({ description: "glob: `*` within a `/` segment, `**` across segments, `?` one character" }),
    values: z.array(z.string().min(1).max(512)).min(1).max(20).openapi({ example: ["acme/app"], description: "The claim must equal (or match) one of these" }),
  })
  .openapi("OidcClaimCondition");

const PolicyFields = {
  name: z.string().min(1).max(64).describe("Unique name; the exchange may name the policy by it"),
  description: z.string().max(2000).describe("Free text"),
  issuer: z.string().url().max(512).openapi({ example: "https://token.actions.githubusercontent.com", description: "The OIDC issuer (`iss`) whose tokens this policy accepts (https)" }),
  audiences: z.array(z.string().min(1).max(512)).min(1).max(10).openapi({ example: ["https://registry.example.com"], description: "Accepted audiences (`aud`): the token must carry one of them" }),
  claim_conditions: z.array(ClaimCondition).min(1).max(20).describe("Every condition must hold for a token to match"),
  project_id: Id("project").describe("The project exchanged tokens are confined to"),
  role: z.enum(ROLES).describe("The role exchanged tokens carry in that project"),
  max_lifetime_seconds: z.number().int().min(60).max(43200).openapi({ description: "Upper bound of an exchanged token's lifetime (default 3600)" }),
  enabled: z.boolean().describe("Disabled policies match no token (default true)"),
};

const TrustPolicy = z
  .object({ id: Id("trust policy"), ...PolicyFields, created_at: At("Creation time"), updated_at: At("Last change") })
  .openapi("OidcTrustPolicy");
const TrustPolicyCreate = z
  .object(PolicyFields)
  .partial({ description: true, max_lifetime_seconds: true, enabled: true })
  .openapi("OidcTrustPolicyCreate");
const TrustPolicyUpdate = z.object(PolicyFields).partial().openapi("OidcTrustPolicyUpdate");

export const trustPolicyOut = (p: TrustPolicyRow) => ({
  id: p.id,
  name: p.name,
  description: p.description,
  issuer: p.issuer,
  audiences: p.audiences,
  claim_conditions: p.claimConditions,
  project_id: p.projectId,
  role: p.role,
  max_lifetime_seconds: p.maxLifetimeSeconds,
  enabled: p.enabled,
  created_at: iso(p.createdAt)!,
  updated_at: iso(p.updatedAt)!,
});

export const adminOidcRoutes = new OpenAPIHono<AppEnv>();

adminOidcRoutes.openapi(
  apiRoute({ method: "get", path: "/oidc/trust-policies", tags, summary: "List OIDC trust policies", request: { query: PageQuery.extend({ project_id: z.string().optional().describe("Only policies for this project") }) }, responses: { 200: json(pageOf(TrustPolicy, "OidcTrustPolicyPage"), "A page of trust policies") } }),
  async (c) => {
    const q = c.req.valid("query");
    return c.json(page(await policies.listTrustPolicies(c.var.scope, q.project_id, q.cursor, q.limit), trustPolicyOut), 200);
  },
);
adminOidcRoutes.openapi(
  apiRoute({ method: "post", path: "/oidc/trust-policies", tags, summary: "Create an OIDC trust policy", request: jsonBody(TrustPolicyCreate), responses: { 201: json(TrustPolicy, "Created") } }),
  async (c) => c.json(trustPolicyOut(await policies.createTrustPolicy(c.var.scope, c.req.valid("json"))), 201),
);
adminOidcRoutes.openapi(
  apiRoute({ method: "get", path: "/oidc/trust-policies/{id}", tags, summary: "Get an OIDC trust policy", request: { params: PolicyParam }, responses: { 200: json(TrustPolicy, "The trust policy") } }),
  async (c) => c.json(trustPolicyOut(await policies.getTrustPolicy(c.var.scope, c.req.valid("param").id)), 200),
);
adminOidcRoutes.openapi(
  apiRoute({ method: "patch", path: "/oidc/trust-policies/{id}", tags, summary: "Update an OIDC trust policy (revokes the tokens it issued)", request: { params: PolicyParam, ...jsonBody(TrustPolicyUpdate) }, responses: { 200: json(TrustPolicy, "Updated") } }),
  async (c) => c.json(trustPolicyOut(await policies.updateTrustPolicy(c.var.scope, c.req.valid("param").id, c.req.valid("json"))), 200),
);
adminOidcRoutes.openapi(
  apiRoute({ method: "delete", path: "/oidc/trust-policies/{id}", tags, summary: "Delete an OIDC trust policy and the tokens it issued", request: { params: PolicyParam }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    await policies.deleteTrustPolicy(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

const ExchangeRequest = z
  .object({
    token: z.string().max(16384).optional().openapi({ description: "The CI-issued OIDC token (a JWT)" }),
    subject_token: z.string().max(16384).optional().openapi({ description: "Alias of `token` (RFC 8693 form field)" }),
    lifetime_seconds: z.coerce.number().int().min(60).max(43200).optional().openapi({ description: "Requested lifetime; capped by the policy's maximum" }),
    policy: z.string().max(100).optional().openapi({ description: "Id or name of the trust policy, when several could match" }),
  })
  .openapi("OidcExchangeRequest");
const ExchangeResponse = z
  .object({
    token: z.string().openapi({ description: "An `orbx_` bearer token: use it as Bearer, as the Basic password, or with /v2/token" }),
    token_type: z.literal("Bearer").describe("Always `Bearer`"),
    expires_at: At("When the token expires"),
    expires_in: z.number().int().describe("Seconds until it expires"),
    project_id: Id("project").describe("The project the token is confined to"),
    role: z.enum(ROLES).describe("The role it carries there"),
    policy_id: Id("trust policy").describe("The trust policy that matched"),
  })
  .openapi("OidcExchangeResponse");

export const oidcExchangeRoutes = new OpenAPIHono<AppEnv>();
// Every attempt counts against the address's limit, before its body is read.
oidcExchangeRoutes.use("/oidc/exchange", async (c, next) => {
  await limitOidcExchange(c.env.OIDC_EXCHANGES, c.var.scope.ip);
  await next();
});

oidcExchangeRoutes.openapi(
  apiRoute({
    method: "post",
    path: "/oidc/exchange",
    tags,
    operationId: "exchangeOidcToken",
    summary: "Exchange a CI-issued OIDC token for a short-lived registry token",
    security: [],
    request: {
      body: {
        required: false,
        content: { "application/json": { schema: ExchangeRequest }, "application/x-www-form-urlencoded": { schema: ExchangeRequest } },
      },
    },
    responses: {
      200: json(ExchangeResponse, "The registry token (shown once)"),
      429: json(ErrorSchema, "Too many exchanges from this address (TooManyRequestsOidcExchange); wait Retry-After seconds"),
      503: json(ErrorSchema, "The issuer's keys could not be fetched (UnavailableOidcIssuer)"),
    },
  }),
  async (c) => {
    const body = { ...c.req.valid("form"), ...c.req.valid("json") };
    const token = body.token ?? body.subject_token;
    if (!token) throw invalid("OidcTokenRequired", "send the OIDC token as 'token' (JSON or form)");
    const { token: plaintext, row, policy } = await exchangeOidcToken(c.var.scope, { token, lifetime_seconds: body.lifetime_seconds, policy: body.policy });
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        token: plaintext,
        token_type: "Bearer" as const,
        expires_at: iso(row.expiresAt)!,
        expires_in: Math.round((row.expiresAt! - row.createdAt) / 1000),
        project_id: policy.projectId,
        role: policy.role,
        policy_id: policy.id,
      },
      200,
    );
  },
);
