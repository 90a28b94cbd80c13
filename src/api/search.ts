/**
 * /api/v1/search: trigram search across projects, repositories, packages, versions,
 * images and tags the caller may read (anonymous callers: public repositories only).
 * docs/policy.md#search.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json } from "./route";
import * as search from "../services/search";

const tags = ["Search"];
const Kind = z.enum(search.SEARCH_KINDS);
const Query = z.object({
  q: z.string().min(2).max(200).describe("What to look for: a substring of names, descriptions and package keywords; typos still match on shared trigrams"),
  kind: z
    .union([Kind, z.array(Kind)])
    .optional()
    .describe("Only these kinds (repeat the parameter for several)"),
  cursor: z.string().optional().describe("Opaque cursor from a previous page's next_cursor"),
  limit: z.coerce.number().int().min(1).max(100).optional().describe("Page size (default 20, max 100)"),
});
const Hit = z
  .object({
    kind: Kind.describe("What was found"),
    name: z.string().describe("Its name: a slug, a package, `package@version`, an image, `image:tag`"),
    description: z.string().describe("The text it was found by besides its name (description, display name, a package's keywords)"),
    project_id: z.string().describe("Its project"),
    project_slug: z.string().describe("Its project's slug"),
    repo_id: z.string().nullable().describe("Its repository (null for a project)"),
    repo_slug: z.string().nullable().describe("Its repository's slug"),
    format: z.string().nullable().describe("Its repository's format"),
    score: z.number().describe("Relevance: the share of the query's trigrams it contains, plus bonuses for a substring and a whole-name match"),
  })
  .openapi("SearchHit");
const Results = z
  .object({
    items: z.array(Hit).describe("This page, best first"),
    next_cursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page"),
    total: z.number().int().describe("How many results the ranking kept (at most 200)"),
  })
  .openapi("SearchResults");

export const searchRoutes = new OpenAPIHono<AppEnv>();
searchRoutes.openapi(
  apiRoute({ method: "get", path: "/search", operationId: "search", tags, summary: "Search everything you may read (projects, repositories, packages, versions, images, tags)", request: { query: Query }, responses: { 200: json(Results, "Results, best first") } }),
  async (c) => {
    const qy = c.req.valid("query");
    const kinds = qy.kind === undefined ? undefined : Array.isArray(qy.kind) ? qy.kind : [qy.kind];
    const r = await search.search(c.var.scope, qy.q, { kinds, cursor: qy.cursor, limit: qy.limit });
    return c.json(
      {
        items: r.items.map((h) => ({ kind: h.kind, name: h.name, description: h.text.trim(), project_id: h.projectId, project_slug: h.projectSlug, repo_id: h.repoId, repo_slug: h.repoSlug, format: h.format, score: h.score })),
        next_cursor: r.nextCursor,
        total: r.total,
      },
      200,
    );
  },
);
