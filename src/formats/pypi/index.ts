/**
 * The Python package index at `/pypi/<project>/<repo>/`: the simple API under
 * `simple/` (PEP 503/691, negotiated by Accept), files under `files/<filename>` (with
 * `<filename>.metadata` for PEP 658), and the legacy upload API at the repo's root
 * (with or without a trailing slash, never redirected: twine aborts on redirects).
 *
 * Invariants:
 * - Reads need `read` (anonymous on public repos), uploads `write`.
 * - Errors are plain text with the message also in the status line (twine shows the
 *   reason phrase); a 401 carries a Basic challenge, which pip and twine answer.
 * - Project pages are served under the normalized name; other spellings redirect there.
 * - Policies (services/policy): a held version's files are absent from the project page
 *   for ordinary readers; a refused (blocked) version's files stay, yanked (PEP 592) with
 *   the refusal as the reason, so pip never picks them for a range and warns when
 *   pinned to one; every file download of a refused or held version answers 451.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../http/types";
import { whyBlockedText, withHeaders, type ErrorRenderer } from "../../http/errors";
import { sendFile } from "../../http/download";
import { enforceStoredFile, listPackages, packageDocument, plannedPackageDocument, plannedStoredFile, storedFile, type PlannedRead } from "../../services/artifacts";
import { versionsView } from "../../services/policy";
import { notFound } from "../../core/errors";
import type { Action } from "../../auth/principal";
import { normalizeName } from "./names";
import { pep440Matcher } from "./specifiers";
import { negotiate, projectHtml, projectJson, projectListHtml, projectListJson, type SimpleFile } from "./simple";
import { CORE_METADATA_ROLE, uploadDistribution } from "./upload";
import type { Format } from "../format";
import { pypiClientSetup } from "./client-setup";
import { pypiMirror, servePypiUpstream, pypiVirtual } from "./upstream";

export const renderPypiError: ErrorRenderer = (err, c) => {
  const reason = err.message.replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
  const res = new Response(`${err.status} ${err.message}\n${whyBlockedText(err)}`, {
    status: err.status,
    statusText: reason,
    headers: { "Content-Type": "text/plain; charset=utf-8", "X-Request-Id": c.get("requestId") },
  });
  return withHeaders(res, err, err.status === 401 ? { "WWW-Authenticate": 'Basic realm="OrbitalReg"' } : {});
};

type Ctx = Context<AppEnv>;
const params = (c: Ctx) => c.req.param() as { name?: string; filename?: string };
const open = (c: Ctx, action: Action) => c.var.target.open(action);
const repoUrl = (c: Ctx) => c.var.target.url;

export const pypiApp = new Hono<AppEnv>();

async function upload(c: Ctx) {
  const opened = await open(c, "write");
  const result = await uploadDistribution(c.var.scope, opened, c.req.raw);
  return c.text(result === "created" ? "OK\n" : "OK (this file was already uploaded with the same content)\n", 200);
}
for (const path of ["/:project/:repo", "/:project/:repo/", "/:project/:repo/legacy", "/:project/:repo/legacy/"]) pypiApp.post(path, upload);

function respond(c: Ctx, body: { html: () => string; json: () => unknown }) {
  const r = negotiate(c.req.header("accept"), c.req.query("format"));
  const text = r.kind === "json" ? JSON.stringify(body.json()) : body.html();
  return c.body(text, 200, { "Content-Type": r.contentType, Vary: "Accept" });
}

pypiApp.get("/:project/:repo/simple", (c) => c.redirect(`${new URL(c.req.url).pathname}/`, 301));
pypiApp.get("/:project/:repo/simple/", async (c) => {
  const opened = await open(c, "read");
  const projects: { name: string; normalized: string }[] = [];
  let cursor: string | undefined;
  do {
    const page = await listPackages(c.var.scope, opened.repo.id, undefined, cursor, 500);
    for (const p of page.items) projects.push({ name: p.displayName, normalized: p.name });
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  projects.sort((a, b) => (a.normalized < b.normalized ? -1 : 1));
  return respond(c, { html: () => projectListHtml(projects), json: () => projectListJson(projects) });
});

pypiApp.get("/:project/:repo/simple/:name", (c) => c.redirect(`${repoUrl(c)}/simple/${normalizeName(params(c).name!)}/`, 301));
pypiApp.get("/:project/:repo/simple/:name/", async (c) => {
  const opened = await open(c, "read");
  const name = params(c).name!;
  const normalized = normalizeName(name);
  if (name !== normalized) return c.redirect(`${repoUrl(c)}/simple/${normalized}/`, 301);
  const doc = await packageDocument(c.var.scope, opened.repo.id, normalized, { cached: true });
  if (!doc) throw notFound("Package", `no project named '${name}' in this repository`);
  const { pkg } = doc;
  const view = await versionsView(c.var.scope, opened, pkg.displayName, doc.versions, (v) => v.version);
  const versions = view.visible;
  const files: SimpleFile[] = versions.flatMap((v) => {
    const yanked = view.refusal(v)?.message ?? v.version.yanked;
    return v.files
      .filter((f) => f.metadata.role !== CORE_METADATA_ROLE)
      .map((f) => ({
        filename: f.name,
        url: `${repoUrl(c)}/files/${encodeURIComponent(f.name)}`,
        sha256: f.digest.slice("sha256:".length),
        size: f.size,
        uploadTime: f.createdAt,
        requiresPython: (f.metadata.requires_python as string | null) ?? null,
        yanked,
        coreMetadataSha256: (f.metadata.core_metadata_sha256 as string | null) ?? null,
      }));
  });
  const project = { name: pkg.displayName, versions: versions.map((v) => v.version.version), files };
  return respond(c, { html: () => projectHtml(project), json: () => projectJson(project) });
});

pypiApp.on(["GET", "HEAD"], "/:project/:repo/files/:filename", async (c) => {
  const opened = await open(c, "read");
  const filename = params(c).filename!;
  // A file name names the same bytes forever (a re-upload with other content is refused).
  const file = await storedFile(c.var.scope, opened.repo.id, { name: filename });
  if (!file) throw notFound("File", `no file named '${filename}' in this repository`);
  await enforceStoredFile(c.var.scope, opened, file);
  return sendFile(c, opened.repo, file, {
    record: file.file.metadata.role !== CORE_METADATA_ROLE, // a PEP 658 .metadata is resolution, not a download
  });
});

/** The one read of a project page or a file download, for the gate's batch (http/prefetch.ts). */
function planRead(rest: string, method: string): PlannedRead | null {
  if (method !== "GET" && method !== "HEAD") return null;
  const m = /^(simple|files)\/([^/]+)(\/?)$/.exec(rest);
  if (!m) return null;
  let segment: string;
  try {
    segment = decodeURIComponent(m[2]!);
  } catch {
    return null;
  }
  if (m[1] === "files" && !m[3]) return plannedStoredFile({ name: segment });
  if (m[1] === "simple" && m[3] && normalizeName(segment) === segment) return plannedPackageDocument(segment);
  return null;
}

export const pypiFormat: Format = {
  id: "pypi",
  repoFormats: ["pypi"],
  prefix: "/pypi",
  routes: pypiApp,
  planRead,
  renderError: renderPypiError,
  packageKey: normalizeName,
  versionMatcher: pep440Matcher,
  exampleArtifact: "my-package",
  clientSetup: pypiClientSetup,
  upstream: { serve: servePypiUpstream, mirror: pypiMirror, virtual: pypiVirtual },
};
