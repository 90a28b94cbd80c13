/**
 * Scan findings (`/api/v1/detection/findings`, reference 000) and per-project finding
 * thresholds:
 *   GET   /detection/findings               filter by project, repo, artifact, severity, status, kind, scanner, time
 *   POST  /detection/findings               a scanner's report on one artifact (`scan` on its repo)
 *   POST  /detection/imports                the same as a SARIF 2.1.0 log or an OSV list
 *   GET   /detection/findings/{id}          one finding
 *   PATCH /detection/findings/{id}          its status (`write`; audited)
 *   GET|POST /projects/{id}/finding_thresholds, PATCH|DELETE …/{threshold}
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { d, at, pathParam } from "./fields";
import { apiRoute, json, jsonBody } from "./route";
import { Id, PageQuery, idParam, iso, pageOf, timeWindowIn, timeWindowQuery } from "./schemas";
import { page } from "./serialize";
import * as trust from "../services/trust";
import { packageKeyOf } from "../formats";
import { effectiveStatus } from "../core/findings";
import { readOsv, readSarif } from "../core/finding-imports";
import { FINDING_KINDS, FINDING_STATUSES, SEVERITIES } from "../core/vocabulary";
import { invalid } from "../core/errors";

const tags = ["Findings"];
export const detectionRoutes = new OpenAPIHono<AppEnv>();

export const ArtifactRefSchema = z
  .object({
    repo_id: Id("repository"),
    name: z.string().min(1).max(300).describe("Package name as published (or normalized), or image name inside the repository"),
    version: z.string().min(1).max(200).optional().describe("Package version; for an image, a tag (resolved to its digest now)"),
    digest: z.string().max(200).optional().describe("Image manifest digest (`sha256:…`); for a package, one of its files"),
  })
  .openapi("ArtifactRef");

export const refIn = (a: z.infer<typeof ArtifactRefSchema>): trust.ArtifactRef => ({ repoId: a.repo_id, name: a.name, version: a.version ?? null, digest: a.digest ?? null });

const Severity = z.enum(SEVERITIES).describe("`critical`, `high`, `medium`, `low` or `info`");
const Scanner = z.object({ name: z.string().min(1).max(100).describe("Scanner name (`trivy`, `grype`, …)"), version: z.string().max(100).nullish().describe("Scanner version") });

const FindingIn = z
  .object({
    identifier: z.string().min(1).max(200).describe("CVE, GHSA, OSV, malware or rule id"),
    aliases: z.array(z.string().max(200)).max(20).optional().describe("Other ids of the same issue"),
    kind: z.enum(FINDING_KINDS).optional().describe("What was found (default `vulnerability`)"),
    severity: Severity.optional().describe("Severity; default: from `cvss.score`, else `medium`"),
    cvss: z.object({ score: z.number().min(0).max(10).describe("Base score"), vector: z.string().max(200).nullish().describe("Vector string") }).optional().describe("CVSS"),
    summary: z.string().max(2000).optional().describe("One line for humans"),
    component: z.object({ name: z.string().max(300).describe("Affected package inside the artifact"), version: z.string().max(200).nullish().describe("Its version") }).optional().describe("What inside the artifact is affected"),
    path: z.string().max(2000).optional().describe("Path inside the artifact"),
    fixed_in: z.array(z.string().max(200)).max(20).optional().describe("Versions that fix it"),
    evidence: z.unknown().optional().describe("Raw evidence as the scanner gave it (kept up to 16 KiB)"),
  })
  .openapi("FindingReportItem");

export const ReportSchema = z
  .object({ artifact: ArtifactRefSchema, scanner: Scanner.describe("Who reports"), findings: z.array(FindingIn).max(trust.MAX_FINDINGS_PER_REPORT).describe("What it found (reported again: updated)") })
  .openapi("FindingReport");

export const ImportSchema = z
  .object({
    artifact: ArtifactRefSchema,
    format: z.enum(["sarif", "osv"]).describe("`sarif` (SARIF 2.1.0: the scanner is each run's tool) or `osv` (OSV records, `{vulns}` or osv-scanner output)"),
    scanner: Scanner.optional().describe("Who reports (required for `osv`; SARIF names its tool)"),
    document: z.unknown().describe("The SARIF log or the OSV document, as JSON"),
  })
  .openapi("FindingImport");

const Finding = z
  .object({
    id: Id("finding"),
    project_id: Id("project"),
    repo_id: Id("repository"),
    artifact: d(z.object({ type: d(z.enum(["package", "image"]), "Package version or image manifest"), name: d(z.string(), "Package or image name"), version: d(z.string(), "Package version, or the image manifest's digest"), digest: d(z.string().nullable(), "The file or manifest concerned") }), "The artifact"),
    identifier: d(z.string(), "CVE, GHSA, OSV, malware or rule id"),
    aliases: d(z.array(z.string()), "Other ids"),
    kind: d(z.enum(FINDING_KINDS), "What was found"),
    severity: Severity,
    cvss: d(z.object({ score: d(z.number().nullable(), "Base score"), vector: d(z.string().nullable(), "Vector") }).nullable(), "CVSS, when reported"),
    summary: d(z.string(), "One line for humans"),
    component: d(z.object({ name: d(z.string(), "Package"), version: d(z.string().nullable(), "Version") }).nullable(), "Affected component"),
    path: d(z.string().nullable(), "Path inside the artifact"),
    fixed_in: d(z.array(z.string()), "Fixing versions"),
    scanner: d(z.object({ name: d(z.string(), "Name"), version: d(z.string().nullable(), "Version") }), "Who reported it"),
    evidence: d(z.unknown(), "Raw evidence"),
    status: d(z.enum(FINDING_STATUSES), "Status now (an expired acceptance is `open`)"),
    justification: d(z.string().nullable(), "Why it was accepted or dismissed"),
    expires_at: d(z.string().nullable(), "When an acceptance ends"),
    status_updated_at: d(z.string().nullable(), "Last status change"),
    status_updated_by: d(z.string().nullable(), "Who changed it"),
    created_at: at("First reported"),
    last_seen_at: at("Last reported"),
    updated_at: at("Last change"),
  })
  .openapi("Finding");

export const findingOut = (f: trust.FindingRow) => ({
  id: f.id,
  project_id: f.projectId,
  repo_id: f.repoId,
  artifact: { type: f.subjectType, name: f.subjectName, version: f.subjectVersion, digest: f.subjectDigest },
  identifier: f.identifier,
  aliases: f.aliases,
  kind: f.kind,
  severity: f.severity,
  cvss: f.cvssScore !== null || f.cvssVector !== null ? { score: f.cvssScore, vector: f.cvssVector } : null,
  summary: f.summary,
  component: f.componentName ? { name: f.componentName, version: f.componentVersion } : null,
  path: f.path,
  fixed_in: f.fixedIn,
  scanner: { name: f.scannerName, version: f.scannerVersion },
  evidence: f.evidence ?? null,
  status: effectiveStatus(f, Date.now()),
  justification: f.justification,
  expires_at: iso(f.statusExpiresAt),
  status_updated_at: iso(f.statusUpdatedAt),
  status_updated_by: f.statusUpdatedBy,
  created_at: iso(f.createdAt)!,
  last_seen_at: iso(f.lastSeenAt)!,
  updated_at: iso(f.updatedAt)!,
});

const ReportResult = z
  .object({ created: d(z.number().int(), "New findings"), updated: d(z.number().int(), "Findings reported before, updated"), findings: d(z.array(Finding), "Every finding of the report") })
  .openapi("FindingReportResult");

export const reportIn = (body: z.infer<typeof ReportSchema>): trust.Report => ({
  artifact: refIn(body.artifact),
  scanner: { name: body.scanner.name, version: body.scanner.version ?? null },
  findings: body.findings.map((f) => ({
    identifier: f.identifier,
    aliases: f.aliases,
    kind: f.kind,
    severity: f.severity,
    cvssScore: f.cvss?.score ?? null,
    cvssVector: f.cvss?.vector ?? null,
    summary: f.summary,
    componentName: f.component?.name ?? null,
    componentVersion: f.component?.version ?? null,
    path: f.path ?? null,
    fixedIn: f.fixed_in,
    evidence: f.evidence,
  })),
});

/** A SARIF or OSV import as reports, one per scanner (SARIF runs may name several). */
export function importIn(body: z.infer<typeof ImportSchema>): trust.Report[] {
  const scanner = body.scanner ? { name: body.scanner.name, version: body.scanner.version ?? null } : null;
  if (body.format === "osv" && !scanner) throw invalid("FindingImport", "an OSV import needs `scanner` (OSV records don't name who found them)");
  const items = body.format === "sarif" ? readSarif(body.document) : readOsv(body.document, scanner!);
  const byScanner = new Map<string, trust.Report>();
  for (const { scanner: s, ...f } of items) {
    const who = scanner ?? s;
    const key = `${who.name}\u0000${who.version ?? ""}`;
    if (!byScanner.has(key)) byScanner.set(key, { artifact: refIn(body.artifact), scanner: who, findings: [] });
    byScanner.get(key)!.findings.push(f);
  }
  return [...byScanner.values()];
}

export const reportOut = (results: Awaited<ReturnType<typeof trust.reportFindings>>[]) => ({
  created: results.reduce((n, r) => n + r.created.length, 0),
  updated: results.reduce((n, r) => n + r.updated.length, 0),
  findings: results.flatMap((r) => [...r.created, ...r.updated]).map(findingOut),
});

const csv = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z
    .string()
    .transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)))
    .optional()
    .openapi({ type: "string", description: `${what}, comma-separated (${values.join(", ")})` });

const ListQuery = PageQuery.extend({
  project_id: z.string().optional().describe("Only this project's findings"),
  repo_id: z.string().optional().describe("Only this repository's findings"),
  name: z.string().optional().describe("Only this package or image"),
  version: z.string().optional().describe("Only this package version, or image manifest digest"),
  severity: csv(SEVERITIES, "Only these severities"),
  min_severity: Severity.optional().describe("Only findings at or above this severity"),
  status: csv(FINDING_STATUSES, "Only these statuses (`open` includes expired acceptances)"),
  kind: csv(FINDING_KINDS, "Only these kinds"),
  scanner: z.string().optional().describe("Only this scanner's findings"),
  identifier: z.string().optional().describe("Only this CVE/GHSA/OSV/rule id"),
  ...timeWindowQuery("First reported at or after (RFC 3339)", "First reported at or before (RFC 3339)"),
});

detectionRoutes.openapi(
  apiRoute({ method: "get", path: "/detection/findings", operationId: "listFindings", tags, summary: "List findings (name `repo_id` or `project_id` unless instance admin)", request: { query: ListQuery }, responses: { 200: json(pageOf(Finding, "FindingPage"), "A page of findings, oldest first") } }),
  async (c) => {
    const q = c.req.valid("query");
    const result = await trust.listFindings(
      c.var.scope,
      packageKeyOf,
      {
        projectId: q.project_id,
        repoId: q.repo_id,
        subjectName: q.name,
        subjectVersion: q.version,
        severities: q.severity,
        minSeverity: q.min_severity,
        statuses: q.status,
        kinds: q.kind,
        scanner: q.scanner,
        identifier: q.identifier,
        ...timeWindowIn(q),
      },
      q.cursor,
      q.limit,
    );
    return c.json(page(result, findingOut), 200);
  },
);

detectionRoutes.openapi(
  apiRoute({ method: "post", path: "/detection/findings", operationId: "reportFindings", tags, summary: "Report a scanner's findings on one artifact (`scan` on its repository)", request: jsonBody(ReportSchema), responses: { 201: json(ReportResult, "Filed") } }),
  async (c) => c.json(reportOut([await trust.reportFindings(c.var.scope, packageKeyOf, reportIn(c.req.valid("json")))]), 201),
);

detectionRoutes.openapi(
  apiRoute({ method: "post", path: "/detection/imports", operationId: "importFindings", tags, summary: "Report findings as a SARIF 2.1.0 log or an OSV list", request: jsonBody(ImportSchema), responses: { 201: json(ReportResult, "Filed") } }),
  async (c) => {
    const body = c.req.valid("json");
    // The caller's right on the artifact first: a document with nothing in it must not answer differently to strangers.
    await trust.resolveSubject(c.var.scope, packageKeyOf, refIn(body.artifact), "scan");
    const results = [];
    for (const report of importIn(body)) results.push(await trust.reportFindings(c.var.scope, packageKeyOf, report));
    return c.json(reportOut(results), 201);
  },
);

const FindingParam = idParam("finding");
detectionRoutes.openapi(
  apiRoute({ method: "get", path: "/detection/findings/{id}", operationId: "getFinding", tags, summary: "One finding", request: { params: FindingParam }, responses: { 200: json(Finding, "The finding") } }),
  async (c) => c.json(findingOut(await trust.findingForCaller(c.var.scope, c.req.valid("param").id)), 200),
);

const StatusChange = z
  .object({
    status: z.enum(FINDING_STATUSES).describe("`open`, `accepted` (needs `justification`), `false_positive` or `fixed`"),
    justification: z.string().max(2000).nullish().describe("Why (required for `accepted`)"),
    expires_at: z.string().datetime().nullish().describe("When an acceptance ends (then the finding is open again)"),
  })
  .openapi("FindingStatusChange");

detectionRoutes.openapi(
  apiRoute({ method: "patch", path: "/detection/findings/{id}", operationId: "updateFinding", tags, summary: "Change a finding's status (`write` on its repository; audited)", request: { params: FindingParam, ...jsonBody(StatusChange) }, responses: { 200: json(Finding, "The finding") } }),
  async (c) => {
    const body = c.req.valid("json");
    const row = await trust.setFindingStatus(c.var.scope, packageKeyOf, c.req.valid("param").id, { status: body.status, justification: body.justification, expiresAt: body.expires_at ? Date.parse(body.expires_at) : null });
    return c.json(findingOut(row), 200);
  },
);

// Thresholds
const Threshold = z
  .object({ id: Id("threshold"), project_id: Id("project"), name: d(z.string(), "Name, unique in the project"), severity: Severity.describe("Open findings at or above this severity are counted"), max_count: d(z.number().int(), "More than this many exceed the threshold (0: any)"), created_at: at("Creation time"), updated_at: at("Last change") })
  .openapi("FindingThreshold");
const ThresholdFields = { name: z.string().min(1).max(64).describe("Name, unique in the project"), severity: Severity, max_count: z.number().int().min(0).max(100000).describe("Findings allowed (0: any exceeds)") };
const thresholdOut = (t: trust.ThresholdRow) => ({ id: t.id, project_id: t.projectId, name: t.name, severity: t.severity, max_count: t.maxCount, created_at: iso(t.createdAt)!, updated_at: iso(t.updatedAt)! });
const ProjectParam = idParam("project");
const ThresholdParam = ProjectParam.extend({ threshold: pathParam("threshold", "The threshold's id") });
const ttags = ["Findings"];

detectionRoutes.openapi(
  apiRoute({ method: "get", path: "/projects/{id}/finding_thresholds", operationId: "listFindingThresholds", tags: ttags, summary: "A project's finding thresholds", request: { params: ProjectParam }, responses: { 200: json(z.object({ items: z.array(Threshold).describe("Thresholds") }).openapi("FindingThresholdList"), "The thresholds") } }),
  async (c) => c.json({ items: (await trust.listThresholds(c.var.scope, c.req.valid("param").id)).map(thresholdOut) }, 200),
);
detectionRoutes.openapi(
  apiRoute({ method: "post", path: "/projects/{id}/finding_thresholds", operationId: "createFindingThreshold", tags: ttags, summary: "Add a threshold (project admin; audited)", request: { params: ProjectParam, ...jsonBody(z.object(ThresholdFields).openapi("FindingThresholdCreate")) }, responses: { 201: json(Threshold, "Created") } }),
  async (c) => {
    const b = c.req.valid("json");
    return c.json(thresholdOut(await trust.createThreshold(c.var.scope, c.req.valid("param").id, { name: b.name, severity: b.severity, maxCount: b.max_count })), 201);
  },
);
detectionRoutes.openapi(
  apiRoute({ method: "patch", path: "/projects/{id}/finding_thresholds/{threshold}", operationId: "updateFindingThreshold", tags: ttags, summary: "Change a threshold (project admin; audited)", request: { params: ThresholdParam, ...jsonBody(z.object(ThresholdFields).partial().openapi("FindingThresholdUpdate")) }, responses: { 200: json(Threshold, "Updated") } }),
  async (c) => {
    const p = c.req.valid("param");
    const b = c.req.valid("json");
    return c.json(thresholdOut(await trust.updateThreshold(c.var.scope, p.id, p.threshold, { name: b.name, severity: b.severity, maxCount: b.max_count })), 200);
  },
);
detectionRoutes.openapi(
  apiRoute({ method: "delete", path: "/projects/{id}/finding_thresholds/{threshold}", operationId: "deleteFindingThreshold", tags: ttags, summary: "Remove a threshold (project admin; audited)", request: { params: ThresholdParam }, responses: { 204: { description: "Removed" } } }),
  async (c) => {
    const p = c.req.valid("param");
    await trust.deleteThreshold(c.var.scope, p.id, p.threshold);
    return c.body(null, 204);
  },
);
