/**
 * Classic Helm chart repositories at `/helm/<project>/<repo>/…` (repo format
 * `helm-classic`; `helm` repos hold charts as OCI artifacts under /v2), with
 * ChartMuseum's API for uploads:
 *   GET index.yaml                          generated from every stored Chart.yaml
 *   GET charts/<name>-<version>.tgz[.prov]  chart archives and provenance (Range, ETag)
 *   POST api/charts                         the .tgz as the body, or multipart `chart` (+ `prov`); `?force`
 *   POST api/prov                           a provenance file alone (body or multipart `prov`)
 *   GET|HEAD api/charts[/<name>[/<version>]]  ChartMuseum's listings
 *   DELETE api/charts/<name>/<version>      removes the version (delete permission)
 * Invariants: errors are ChartMuseum's `{"error": "…"}`; 401 carries a Basic challenge
 * (helm sends --username/--password as Basic auth); multipart bodies are read only up to
 * MAX_CHART_BYTES plus room for the provenance.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../http/types";
import { sendBytes, sendFile } from "../../http/download";
import { withHeaders, type ErrorRenderer } from "../../http/errors";
import { readCapped } from "../../http/body";
import { invalid, notFound } from "../../core/errors";
import type { Format } from "../format";
import { semverMatcher } from "../../core/semver";
import { helmClassicClientSetup } from "./client-setup";
import * as helm from "./repository";

export const renderChartMuseumError: ErrorRenderer = (err, c) => {
  const res = c.json({ error: err.message }, err.status as 400);
  return withHeaders(res, err, err.status === 401 ? { "WWW-Authenticate": 'Basic realm="OrbitalReg"' } : {});
};

const MAX_MULTIPART = helm.MAX_CHART_BYTES + 2 * 1024 * 1024;

function segments(c: Context<AppEnv>): string[] {
  try {
    return c.var.target.rest.split("/").map(decodeURIComponent);
  } catch {
    throw invalid("Path", "invalid percent-encoding");
  }
}

const isMultipart = (c: Context<AppEnv>) => (c.req.header("content-type") ?? "").toLowerCase().startsWith("multipart/form-data");

async function formParts(c: Context<AppEnv>) {
  const bytes = await readCapped(c.req.raw, MAX_MULTIPART);
  let form: FormData;
  try {
    form = await new Response(bytes, { headers: { "Content-Type": c.req.header("content-type")! } }).formData();
  } catch {
    throw invalid("Multipart", "the multipart body can't be parsed");
  }
  const file = async (name: string) => {
    const v = form.get(name) as unknown;
    if (v === null) return null;
    return typeof v === "string" ? new TextEncoder().encode(v) : new Uint8Array(await (v as Blob).arrayBuffer());
  };
  return { chart: await file("chart"), prov: await file("prov") };
}

const force = (c: Context<AppEnv>) => {
  const f = c.req.query("force");
  return f !== undefined && f !== "false" && f !== "0";
};

export const helmClassicApp = new Hono<AppEnv>();

helmClassicApp.post("/:project/:repo/*", async (c) => {
  const opened = await c.var.target.open("write");
  const path = segments(c).join("/");
  if (path !== "api/charts" && path !== "api/prov") throw notFound("Route", `POST ${path} is not an upload route (api/charts, api/prov)`);
  const scope = c.var.scope;
  let input: helm.UploadInput;
  if (isMultipart(c)) {
    const parts = await formParts(c);
    if (!parts.chart && !parts.prov) throw invalid("Multipart", "the upload has no chart or prov field");
    input = { chart: parts.chart ? { body: new Blob([parts.chart]).stream(), length: parts.chart.byteLength } : null, prov: parts.prov, force: force(c) };
  } else if (path === "api/prov") {
    input = { chart: null, prov: await readCapped(c.req.raw, 1024 * 1024), force: false };
  } else {
    const length = c.req.header("content-length");
    input = { chart: { body: c.req.raw.body ?? new ReadableStream({ start: (ctl) => ctl.close() }), length: length === undefined ? null : Number(length) }, prov: null, force: force(c) };
  }
  const result = await helm.upload(scope, opened, input);
  return c.json({ saved: true, name: result.name, version: result.version }, result.created ? 201 : 200);
});

helmClassicApp.get("/:project/:repo/*", async (c) => {
  const opened = await c.var.target.open("read");
  const scope = c.var.scope;
  const seg = segments(c);
  const path = seg.join("/");
  if (path === "index.yaml") {
    const doc = await helm.indexYaml(scope, opened);
    return sendBytes(c, doc, { contentType: doc.contentType, headers: { "Cache-Control": "no-cache" } });
  }
  if (seg[0] === "charts" && seg.length === 2) {
    const file = await helm.chartFile(scope, opened, seg[1]!);
    // `?force` may give a chart's name other bytes: not immutable (the bytes are still cached by digest).
    return sendFile(c, opened.repo, file, { contentType: file.file.name.endsWith(".prov") ? helm.PROV_MEDIA_TYPE : helm.CHART_MEDIA_TYPE, mutable: true });
  }
  if (seg[0] === "api" && seg[1] === "charts" && seg.length <= 4) {
    if (seg.length === 4) return c.json(await helm.getChartVersion(scope, opened, seg[2]!, seg[3]!));
    if (seg.length === 3) return c.json(await helm.listChartVersions(scope, opened, seg[2]!));
    return c.json(await helm.listCharts(scope, opened));
  }
  throw notFound("Route", `${path} not found`);
});

helmClassicApp.delete("/:project/:repo/*", async (c) => {
  const opened = await c.var.target.open("delete");
  const seg = segments(c);
  if (seg[0] !== "api" || seg[1] !== "charts" || seg.length !== 4) throw notFound("Route", "DELETE api/charts/<name>/<version>");
  await helm.removeVersion(c.var.scope, opened, seg[2]!, seg[3]!);
  return c.json({ deleted: true });
});

export const helmClassicFormat: Format = {
  id: "helm-classic",
  repoFormats: ["helm-classic"],
  prefix: "/helm",
  routes: helmClassicApp,
  planRead: (rest, method) => (method === "GET" || method === "HEAD" ? helm.plannedRead(decodeURIComponent(rest)) : null),
  renderError: renderChartMuseumError,
  // Chart versions are SemVer 2 (checked at upload), so blocks take semver ranges.
  versionMatcher: (spec) => {
    const match = semverMatcher(spec);
    if (!match) throw invalid("BlockVersions", `'${spec}' is not a chart version or semver range`);
    return match;
  },
  // Chart.yaml has no licence field.
  declaresLicenses: false,
  exampleArtifact: "my-chart",
  clientSetup: helmClassicClientSetup,
};
