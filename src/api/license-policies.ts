/**
 * /api/admin/license-policies (instance admins): allow/deny lists of SPDX identifiers,
 * judged as SPDX expressions at publish (and on stored versions when a policy changes).
 * docs/policy.md.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, jsonBody } from "./route";
import { At, Id, PageQuery, idParam, iso, pageOf } from "./schemas";
import { page } from "./serialize";
import * as policy from "../services/policy";
import { LICENSE_ACTIONS, UNKNOWN_LICENSE_ACTIONS } from "../core/vocabulary";
import { REPO_FORMATS } from "../formats";

const tags = ["Licence policies"];
const Ids = (what: string) => z.array(z.string().min(1).max(100)).max(200).describe(what);
const Fields = {
  name: z.string().min(1).max(64).describe("Unique name: lowercase letters, digits, '.', '_' or '-'"),
  description: z.string().max(4000).describe("What blocked clients are told (the envelope's customer_message)"),
  formats: z.array(z.enum(REPO_FORMATS)).describe("Repository formats it judges; empty: every format whose packages declare a licence (not Go modules nor generic files)"),
  allow: Ids("SPDX identifiers (globs: `BSD-*`) a licence may rely on; empty: any not denied"),
  deny: Ids("SPDX identifiers (globs: `GPL-*`, `AGPL-*`) a licence may not rely on"),
  action: z.enum(LICENSE_ACTIONS).describe("`warn`: publish, audit and send `license.violation`; `block`: refuse the publish (403), and stored versions answer 451"),
  unknown_action: z.enum(UNKNOWN_LICENSE_ACTIONS).describe("For an undeclared or unparseable licence: `allow` (default), `warn` or `block`"),
  enabled: z.boolean().describe("Whether it applies (default true)"),
};
const LicensePolicy = z
  .object({
    id: Id("licence policy"),
    ...Fields,
    project_id: z.string().nullable().describe("The only project it applies to, or null: every project"),
    repo_id: z.string().nullable().describe("The only repository it applies to, or null"),
    created_at: At("Creation time"),
    updated_at: At("Last change"),
  })
  .openapi("LicensePolicy");
const LicensePolicyCreate = z
  .object({ ...Fields, project_id: z.string().nullable().optional().describe("Confine it to one project"), repo_id: z.string().nullable().optional().describe("Confine it to one repository") })
  .partial({ description: true, formats: true, allow: true, deny: true, unknown_action: true, enabled: true })
  .openapi("LicensePolicyCreate");
const LicensePolicyUpdate = z.object(Fields).partial().openapi("LicensePolicyUpdate");
const PolicyParam = idParam("licence policy");

const out = (p: policy.LicensePolicyRow) => ({
  id: p.id,
  name: p.name,
  description: p.description,
  project_id: p.projectId,
  repo_id: p.repoId,
  formats: p.formats,
  allow: p.allow,
  deny: p.deny,
  action: p.action,
  unknown_action: p.unknownAction,
  enabled: p.enabled,
  created_at: iso(p.createdAt)!,
  updated_at: iso(p.updatedAt)!,
});

const input = (b: Partial<z.infer<typeof LicensePolicyCreate>>) => ({
  name: b.name,
  description: b.description,
  formats: b.formats,
  allow: b.allow,
  deny: b.deny,
  action: b.action,
  unknownAction: b.unknown_action,
  enabled: b.enabled,
});

export const licensePolicyRoutes = new OpenAPIHono<AppEnv>();

licensePolicyRoutes.openapi(
  apiRoute({ method: "get", path: "/license-policies", operationId: "listLicensePolicies", tags, summary: "List licence policies", request: { query: PageQuery }, responses: { 200: json(pageOf(LicensePolicy, "LicensePolicyPage"), "A page of policies") } }),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(page(await policy.listLicensePolicies(c.var.scope, cursor, limit), out), 200);
  },
);
licensePolicyRoutes.openapi(
  apiRoute({ method: "post", path: "/license-policies", operationId: "createLicensePolicy", tags, summary: "Create a licence policy (stored versions it refuses answer 451 at once; audited)", request: jsonBody(LicensePolicyCreate), responses: { 201: json(LicensePolicy, "The policy") } }),
  async (c) => {
    const b = c.req.valid("json");
    const row = await policy.createLicensePolicy(c.var.scope, { ...input(b), name: b.name, action: b.action, projectId: b.project_id, repoId: b.repo_id });
    return c.json(out(row), 201);
  },
);
licensePolicyRoutes.openapi(
  apiRoute({ method: "get", path: "/license-policies/{id}", operationId: "getLicensePolicy", tags, summary: "A licence policy", request: { params: PolicyParam }, responses: { 200: json(LicensePolicy, "The policy") } }),
  async (c) => c.json(out(await policy.getLicensePolicy(c.var.scope, c.req.valid("param").id)), 200),
);
licensePolicyRoutes.openapi(
  apiRoute({ method: "patch", path: "/license-policies/{id}", operationId: "updateLicensePolicy", tags, summary: "Change a licence policy (stored versions are judged again)", request: { params: PolicyParam, ...jsonBody(LicensePolicyUpdate) }, responses: { 200: json(LicensePolicy, "The policy") } }),
  async (c) => c.json(out(await policy.updateLicensePolicy(c.var.scope, c.req.valid("param").id, input(c.req.valid("json")))), 200),
);
licensePolicyRoutes.openapi(
  apiRoute({ method: "delete", path: "/license-policies/{id}", operationId: "deleteLicensePolicy", tags, summary: "Delete a licence policy (what it refused is judged again)", request: { params: PolicyParam }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    await policy.deleteLicensePolicy(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);
