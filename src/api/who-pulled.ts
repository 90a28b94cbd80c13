/**
 * /api/v1/security/who-pulled: the download log, by artifact or by principal, for the
 * admins of what it covers (docs/policy.md). Written off the request path: a download
 * appears a few seconds after it was answered.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json } from "./route";
import { At, PageQuery, Timestamp, iso } from "./schemas";
import * as policy from "../services/policy";

const tags = ["Security"];
const opt = (description: string) => z.string().min(1).max(500).optional().describe(description);

const Query = PageQuery.extend({
  repo_id: opt("Downloads from this repository (you administer it)"),
  project_id: opt("Downloads from this project's repositories (you administer it)"),
  package: opt("This package (or image) name, as published"),
  version: opt("This version (or, for images, the reference pulled: a tag or digest)"),
  digest: opt("This file's or manifest's digest (sha256:…)"),
  principal_type: z.enum(["user", "service_account", "oidc", "instance_admin", "anonymous"]).optional().describe("Who pulled: this kind of principal"),
  principal_id: opt("Who pulled: this user, service account or (for `oidc`) trust policy id"),
  token_id: opt("Pulled with this token"),
  since: Timestamp.optional().describe("Downloads at or after this time (RFC 3339)"),
  until: Timestamp.optional().describe("Downloads before this time (RFC 3339)"),
});

const Principal = z
  .object({ type: z.string().describe("`user`, `service_account`, `oidc` (an exchanged CI token), `instance_admin` or `anonymous`"), id: z.string().nullable().describe("Its id (for `oidc`: the trust policy's)"), name: z.string().nullable().describe("Its name") })
  .openapi("Puller");
const Pull = z
  .object({
    id: z.string().describe("The download's id"),
    pulled_at: At("When it was answered"),
    project_id: z.string().describe("The project"),
    repo_id: z.string().describe("The repository"),
    format: z.string().describe("The repository's format"),
    package: z.string().describe("Package or image name"),
    version: z.string().nullable().describe("Version, or the reference an image was pulled by"),
    file: z.string().nullable().describe("The file downloaded (package formats)"),
    digest: z.string().describe("The file's or manifest's digest"),
    principal: Principal,
    token_id: z.string().nullable().describe("The token used (never its secret)"),
    claims: z.record(z.string(), z.string().nullable()).nullable().describe("For an OIDC-exchanged token: the CI run's claims (repository, workflow, ref, sha, run id, …)"),
    ip: z.string().nullable().describe("The client's address"),
    user_agent: z.string().nullable().describe("The client's User-Agent"),
  })
  .openapi("Pull");
const Summary = z
  .object({
    downloads: z.number().int().describe("Downloads matching the filter"),
    first_pulled_at: At("The first").nullable(),
    last_pulled_at: At("The last").nullable(),
    principals: z
      .array(z.object({ principal: Principal, token_id: z.string().nullable().describe("The token"), downloads: z.number().int().describe("How many"), first_pulled_at: At("The first"), last_pulled_at: At("The last") }))
      .describe("Per principal and token (at most 100)"),
  })
  .openapi("WhoPulledSummary");
const WhoPulled = z
  .object({
    items: z.array(Pull).describe("This page's downloads, oldest first"),
    next_cursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page"),
    summary: Summary,
  })
  .openapi("WhoPulled");

const ms = (t: string | undefined) => (t === undefined ? undefined : Date.parse(t));

export const whoPulledRoutes = new OpenAPIHono<AppEnv>();
whoPulledRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/security/who-pulled",
    operationId: "whoPulled",
    tags,
    summary: "Who pulled an artifact (by repository, package, version or digest), or what a principal or token pulled",
    request: { query: Query },
    responses: { 200: json(WhoPulled, "Downloads and a per-principal summary") },
  }),
  async (c) => {
    const qy = c.req.valid("query");
    const { page, summary } = await policy.whoPulled(
      c.var.scope,
      {
        repoId: qy.repo_id,
        projectId: qy.project_id,
        package: qy.package,
        version: qy.version,
        digest: qy.digest,
        principalType: qy.principal_type,
        principalId: qy.principal_id,
        tokenId: qy.token_id,
        since: ms(qy.since),
        until: ms(qy.until),
      },
      qy.cursor,
      qy.limit,
    );
    const who = (r: { principalType: string; principalId: string | null; principalName: string | null }) => ({ type: r.principalType, id: r.principalId, name: r.principalName });
    return c.json(
      {
        items: page.items.map((r) => ({
          id: r.id,
          pulled_at: iso(r.createdAt)!,
          project_id: r.projectId,
          repo_id: r.repoId,
          format: r.format,
          package: r.package,
          version: r.version,
          file: r.file,
          digest: r.digest,
          principal: who(r),
          token_id: r.tokenId,
          claims: r.claims,
          ip: r.ip,
          user_agent: r.userAgent,
        })),
        next_cursor: page.nextCursor,
        summary: {
          downloads: summary.reduce((n, s) => n + s.count, 0),
          first_pulled_at: summary.length ? iso(Math.min(...summary.map((s) => s.firstAt))) : null,
          last_pulled_at: summary.length ? iso(Math.max(...summary.map((s) => s.lastAt))) : null,
          principals: summary.map((s) => ({ principal: who(s), token_id: s.tokenId, downloads: s.count, first_pulled_at: iso(s.firstAt)!, last_pulled_at: iso(s.lastAt)! })),
        },
      },
      200,
    );
  },
);
