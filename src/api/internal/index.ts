/**
 * The internal API (`/internal/scanner/…`, docs/internal-api.md, reference 001's
 * pattern): what a trusted scanner reads about any artifact, and where it reports.
 *
 *   GET  /internal/scanner/feed                       new versions and manifests since a time (paged)
 *   GET  /internal/scanner/repos/{repo_id}/info       one artifact's facts
 *   GET  /internal/scanner/repos/{repo_id}/archive    its stored parts as one tar.gz stream
 *   GET  /internal/scanner/repos/{repo_id}/changed_paths   NDJSON: entries added/modified/deleted between two versions
 *   POST /internal/scanner/repos/{repo_id}/list_blobs      length-prefixed frames: entries' or parts' bytes
 *   POST /internal/scanner/findings, /internal/scanner/imports   a report, as on /api/v1/detection
 *
 * Invariants:
 * - Authenticated by the service JWT alone, before any route runs (http/context.ts);
 *   with no key configured, every path here answers 404.
 * - Every request is logged with the service's subject (one `internal_api` JSON line);
 *   reports are audited as any report is, naming the subject.
 * - Kept out of the public OpenAPI document: plain Hono routes, validated with zod.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../http/types";
import { RegistryError } from "../../core/errors";
import { FRAME_BYTES_LIMIT_MAX } from "../../core/frames";
import { iso } from "../schemas";
import { packageKeyOf } from "../../formats";
import * as scanner from "../../services/scanner";
import * as trust from "../../services/trust";
import { ImportSchema, ReportSchema, importIn, reportIn, reportOut } from "../detection";

export const internalRoutes = new Hono<AppEnv>();

internalRoutes.use(async (c, next) => {
  const started = Date.now();
  await next();
  const p = c.var.scope.access.principal;
  console.log(JSON.stringify({ internal_api: { subject: p.type === "internal" ? p.id : null, method: c.req.method, path: c.req.path, query: new URL(c.req.url).search, status: c.res.status, ms: Date.now() - started, request_id: c.get("requestId") } }));
});

function valid<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new RegistryError("InvalidRequest", "the request is not valid", { detail: r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message, code: i.code })) });
}

async function jsonOf(c: Context<AppEnv>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new RegistryError("InvalidJson", "the request body is not valid JSON");
  }
}

const Name = z.string().min(1).max(300);
const Version = z.string().min(1).max(200);
/** `version` names a package version, or an image by tag or digest; `digest` one file of a package (or an image manifest). */
const ArtifactQuery = z.object({ name: Name, version: Version.optional(), digest: z.string().max(200).optional() });
const BLANK = /^0*$/;

const refOf = (repoId: string, name: string, version?: string | null, digest?: string | null): trust.ArtifactRef =>
  version?.startsWith("sha256:") && !digest ? { repoId, name, version: null, digest: version } : { repoId, name, version: version ?? null, digest: digest ?? null };

async function opened(c: Context<AppEnv>, q: { name: string; version?: string; digest?: string }) {
  const subject = await scanner.resolveArtifact(c.var.scope, packageKeyOf, refOf(c.req.param("repo_id")!, q.name, q.version, q.digest));
  return { subject, parts: await scanner.partsOf(c.var.scope, subject) };
}

internalRoutes.get("/scanner/repos/:repo_id/info", async (c) => {
  const { subject, parts } = await opened(c, valid(ArtifactQuery, c.req.query()));
  return c.json(scanner.infoOf(subject, parts), 200);
});

const ArchiveQuery = ArtifactQuery.extend({ format: z.enum(["tar.gz", "tar"]).default("tar.gz") });

internalRoutes.get("/scanner/repos/:repo_id/archive", async (c) => {
  const q = valid(ArchiveQuery, c.req.query());
  const { subject, parts } = await opened(c, q);
  const gzip = q.format === "tar.gz";
  const base = `${subject.type === "image" ? subject.opened.name.image : subject.pkg.name}-${subject.type === "image" ? subject.manifest.digest.slice(7, 19) : subject.version.version}`.replace(/[^A-Za-z0-9._-]+/g, "_");
  return new Response(scanner.archiveStream(c.var.scope, subject, parts, { gzip }), {
    headers: { "Content-Type": gzip ? "application/gzip" : "application/x-tar", "Content-Disposition": `attachment; filename="${base}.${q.format}"`, "Cache-Control": "no-store" },
  });
});

const ChangesQuery = z.object({ name: Name, left_version: z.string().max(200).optional(), right_version: Version });

internalRoutes.get("/scanner/repos/:repo_id/changed_paths", async (c) => {
  const q = valid(ChangesQuery, c.req.query());
  const right = await opened(c, { name: q.name, version: q.right_version });
  const left = q.left_version && !BLANK.test(q.left_version) ? await opened(c, { name: q.name, version: q.left_version }) : null;
  const body = await scanner.changedPathsStream(c.var.scope, left && { subject: left.subject, parts: left.parts }, { subject: right.subject, parts: right.parts });
  return new Response(body, { headers: { "Content-Type": "application/x-ndjson; charset=utf-8", "Cache-Control": "no-store" } });
});

const FramesBody = ArtifactQuery.extend({
  paths: z.array(z.string().min(1).max(4096)).max(scanner.MAX_FRAME_ITEMS).default([]),
  digests: z.array(z.string().regex(/^sha256:[0-9a-f]{64}$/, "a sha256 digest")).max(scanner.MAX_FRAME_ITEMS).default([]),
  bytes_limit: z.number().int().min(1).max(FRAME_BYTES_LIMIT_MAX).default(FRAME_BYTES_LIMIT_MAX),
}).refine((b) => b.paths.length + b.digests.length > 0, { message: "name at least one of `paths` or `digests`", path: ["paths"] })
  .refine((b) => b.paths.length + b.digests.length <= scanner.MAX_FRAME_ITEMS, { message: `at most ${scanner.MAX_FRAME_ITEMS} items per request`, path: ["paths"] });

internalRoutes.post("/scanner/repos/:repo_id/list_blobs", async (c) => {
  const b = valid(FramesBody, await jsonOf(c));
  const { subject, parts } = await opened(c, b);
  const body = scanner.framesStream(c.var.scope, subject, parts, { paths: b.paths, digests: b.digests, bytesLimit: b.bytes_limit });
  return new Response(body, { headers: { "Content-Type": "application/octet-stream", "Cache-Control": "no-store" } });
});

const FeedQuery = z.object({
  since: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  project_id: z.string().max(100).optional(),
  repo_id: z.string().max(100).optional(),
});

internalRoutes.get("/scanner/feed", async (c) => {
  const q = valid(FeedQuery, c.req.query());
  const page = await scanner.feed(c.var.scope, { since: q.since ? Date.parse(q.since) : 0, projectId: q.project_id, repoId: q.repo_id }, q.cursor, q.limit);
  return c.json(
    {
      items: page.items.map((r) => ({
        type: r.kind,
        format: r.format,
        project_id: r.projectId,
        project: r.projectSlug,
        repo_id: r.repoId,
        repo: r.repoSlug,
        name: r.name,
        version: r.version,
        digest: r.digest,
        media_type: r.mediaType,
        subject: r.subjectDigest,
        created_at: iso(r.createdAt),
      })),
      next_cursor: page.nextCursor,
    },
    200,
  );
});

internalRoutes.post("/scanner/findings", async (c) => {
  const body = valid(ReportSchema, await jsonOf(c));
  return c.json(reportOut([await trust.reportFindings(c.var.scope, packageKeyOf, reportIn(body))]), 201);
});

internalRoutes.post("/scanner/imports", async (c) => {
  const body = valid(ImportSchema, await jsonOf(c));
  const results = [];
  for (const report of importIn(body)) results.push(await trust.reportFindings(c.var.scope, packageKeyOf, report));
  return c.json(reportOut(results), 201);
});
