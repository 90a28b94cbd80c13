/**
 * Classic Helm chart repository use-cases on the shared package model.
 *
 * Model: package = chart name, version = chart version; files `<name>-<version>.tgz`
 * (with its Chart.yaml, as parsed, in the file's metadata) and optionally
 * `<name>-<version>.tgz.prov`.
 *
 * Invariants:
 * - A chart version holds one archive: the same bytes again are a no-op, other bytes
 *   are refused (409) unless the caller forces (ChartMuseum's `?force`) and holds
 *   `delete` (replacing destroys the old chart).
 * - A chart and its provenance uploaded together land in one publish, or neither does;
 *   a provenance file must name a stored (or accompanying) archive by its sha256.
 * - index.yaml is generated from D1 on read (services/artifacts/repo-indexes.ts), with
 *   relative URLs (`charts/<file>`), which Helm resolves against the repo URL.
 */
import { parse, stringify } from "yaml";
import semver from "semver";
import type { Scope } from "../../services/scope";
import type { OpenedRepo } from "../../services/projects";
import * as packages from "../../services/artifacts";
import { blobReader, ingestBlob, plannedIndexFile, plannedStoredFile, publishVersion, readIndexFile, releaseUnusedBlobs, type PlannedRead, type FileInput, type FileRow, type IndexBuilder, type IngestedBlob } from "../../services/artifacts";
import { conflict, invalid, notFound } from "../../core/errors";
import { trashVersion } from "../../services/lifecycle";
import { chartFileName, readChart, readProvenance, type ChartMetadata } from "./chart";
import { keywordList } from "../../core/keywords";

export const MAX_CHART_BYTES = 20 * 1024 * 1024;
const MAX_PROV_BYTES = 1024 * 1024;
export const CHART_MEDIA_TYPE = "application/gzip";
export const PROV_MEDIA_TYPE = "application/pgp-signature";

interface ChartFileMetadata {
  chart: ChartMetadata;
}

const isChartFile = (f: FileRow): f is FileRow & { metadata: ChartFileMetadata & Record<string, unknown> } =>
  f.name.endsWith(".tgz") && typeof (f.metadata as { chart?: unknown }).chart === "object";

export interface UploadInput {
  chart: { body: ReadableStream<Uint8Array>; length: number | null } | null;
  prov: Uint8Array | null;
  force: boolean;
}

async function ingestChart(scope: Scope, opened: OpenedRepo, body: ReadableStream<Uint8Array>, length: number | null) {
  const blob = await ingestBlob(scope, opened.repo.id, body, { length, maxBytes: MAX_CHART_BYTES, mediaType: CHART_MEDIA_TYPE, contentType: CHART_MEDIA_TYPE });
  try {
    const chart = await readChart(await blobReader(scope, opened.repo.id, blob).read(0, blob.size));
    return { blob, chart };
  } catch (e) {
    await releaseUnusedBlobs(scope, opened.repo.id, [blob.digest]);
    throw e;
  }
}

/** ChartMuseum's `POST /api/charts` (and `/api/prov`): a chart, its provenance, or both. */
export async function upload(scope: Scope, opened: OpenedRepo, input: UploadInput) {
  const ingested: IngestedBlob[] = [];
  try {
    const chartPart = input.chart ? await ingestChart(scope, opened, input.chart.body, input.chart.length) : null;
    if (chartPart) ingested.push(chartPart.blob);
    const prov = input.prov ? readProvenance(new TextDecoder().decode(input.prov)) : null;
    const name = chartPart?.chart.name ?? prov!.name;
    const version = chartPart?.chart.version ?? prov!.version;
    if (prov && (prov.name !== name || prov.version !== version)) throw invalid("Provenance", `the provenance file is for ${prov.name} ${prov.version}, not ${name} ${version}`);
    const archive = chartFileName(name, version);
    const files: FileInput[] = [];
    const existing = await existingArchive(scope, opened, name, version);
    if (chartPart) {
      if (existing && existing.digest !== chartPart.blob.digest) {
        if (!input.force) throw conflict("FileExists", `${archive} already exists with other content`);
        await scope.access.require("delete", { projectId: opened.project.id, repo: opened.repo });
        await removeVersion(scope, opened, name, version);
      }
      files.push({ name: archive, digest: chartPart.blob.digest, size: chartPart.blob.size, mediaType: CHART_MEDIA_TYPE, metadata: { chart: chartPart.chart } });
    }
    if (prov && input.prov) {
      const archiveDigest = chartPart?.blob.digest ?? existing?.digest;
      if (!archiveDigest) throw notFound("Chart", `upload ${archive} before (or with) its provenance file`);
      if (prov.files[archive] !== archiveDigest) throw invalid("Provenance", `the provenance file does not vouch for ${archive} (${archiveDigest})`);
      if (input.prov.byteLength > MAX_PROV_BYTES) throw invalid("Provenance", "the provenance file is too large");
      const blob = await ingestBlob(scope, opened.repo.id, new Blob([input.prov]).stream(), { length: input.prov.byteLength, mediaType: PROV_MEDIA_TYPE, contentType: PROV_MEDIA_TYPE });
      ingested.push(blob);
      files.push({ name: `${archive}.prov`, digest: blob.digest, size: blob.size, mediaType: PROV_MEDIA_TYPE });
    }
    const published = await publishVersion(scope, opened, { name, version, appendToExisting: true, files, packageMetadata: descriptionOf(chartPart?.chart) });
    return { name, version, created: published.files.length > 0 };
  } catch (e) {
    await releaseUnusedBlobs(scope, opened.repo.id, ingested.map((b) => b.digest));
    throw e;
  }
}

const descriptionOf = (chart?: ChartMetadata) => ({
  ...(chart && typeof chart.description === "string" ? { description: chart.description } : {}),
  ...(keywordList(chart?.keywords) ? { keywords: keywordList(chart?.keywords) } : {}),
});

async function versionRow(scope: Scope, opened: OpenedRepo, name: string, version: string) {
  const pkg = await packages.findPackage(scope, opened.repo.id, name);
  const row = pkg && (await packages.findVersion(scope, pkg.id, version));
  return pkg && row ? { pkg, row } : null;
}

async function existingArchive(scope: Scope, opened: OpenedRepo, name: string, version: string) {
  const found = await versionRow(scope, opened, name, version);
  if (!found) return null;
  return (await packages.filesOfVersion(scope, found.row.id)).find(isChartFile) ?? null;
}

export async function removeVersion(scope: Scope, opened: OpenedRepo, name: string, version: string) {
  const found = await versionRow(scope, opened, name, version);
  if (!found) throw notFound("Chart", `no chart ${name} version ${version}`);
  await trashVersion(scope, opened, found.pkg, found.row);
}

/**
 * A chart archive or provenance file with its blob and its version's policy columns, one
 * query (none when the gate read it ahead): 451 when a policy (a block, a quarantine hold)
 * refuses its version.
 */
export async function chartFile(scope: Scope, opened: OpenedRepo, filename: string) {
  const stored = await packages.storedFile(scope, opened.repo.id, { name: filename });
  if (!stored || !(filename.endsWith(".prov") || isChartFile(stored.file))) throw notFound("Chart", `${filename} not found`);
  await packages.enforceStoredFile(scope, opened, stored);
  return stored;
}

/** The one read of each chart-repo read route, for the gate's batch (http/prefetch.ts). */
export function plannedRead(path: string): PlannedRead | null {
  const seg = path.split("/");
  if (path === "index.yaml" || (seg[0] === "api" && seg[1] === "charts")) return plannedIndexFile("index.yaml");
  if (seg[0] === "charts" && seg.length === 2) return plannedStoredFile({ name: seg[1]! });
  return null;
}

export interface ChartVersion extends Record<string, unknown> {
  name: string;
  version: string;
  created: string;
  digest: string;
  urls: string[];
}

const chartVersion = (f: FileRow & { metadata: ChartFileMetadata }): ChartVersion => ({
  ...f.metadata.chart,
  created: new Date(f.createdAt).toISOString(),
  digest: f.digest.slice("sha256:".length),
  urls: [`charts/${f.name}`],
});

/** Every stored chart version by name, newest version first (index.yaml's `entries`). */
function entriesOf(files: (FileRow & { metadata: ChartFileMetadata })[]): Record<string, ChartVersion[]> {
  const entries: Record<string, ChartVersion[]> = {};
  for (const f of files) (entries[f.metadata.chart.name] ??= []).push(chartVersion(f));
  for (const list of Object.values(entries)) list.sort((a, b) => semver.rcompare(a.version, b.version));
  return Object.fromEntries(Object.entries(entries).sort(([a], [b]) => a.localeCompare(b)));
}

const builder: IndexBuilder = async (input) => {
  const charts = input.entries.map((e) => e.file).filter(isChartFile);
  const doc = { apiVersion: "v1", entries: entriesOf(charts), generated: new Date(input.now).toISOString(), serverInfo: {} };
  return { documents: [{ path: "index.yaml", bytes: new TextEncoder().encode(stringify(doc, { lineWidth: 0 })), contentType: "application/x-yaml" }] };
};

export async function indexYaml(scope: Scope, opened: OpenedRepo) {
  return (await readIndexFile(scope, opened.repo.id, "index.yaml", builder))!;
}

/** ChartMuseum's `GET /api/charts[/<name>[/<version>]]`. */
export async function listCharts(scope: Scope, opened: OpenedRepo): Promise<Record<string, ChartVersion[]>> {
  return (await listing(scope, opened)).entries;
}

export async function listChartVersions(scope: Scope, opened: OpenedRepo, name: string): Promise<ChartVersion[]> {
  const versions = (await listing(scope, opened)).entries[name];
  if (!versions) throw notFound("Chart", `chart ${name} not found`);
  return versions;
}

export async function getChartVersion(scope: Scope, opened: OpenedRepo, name: string, version: string) {
  const found = (await listChartVersions(scope, opened, name)).find((v) => v.version === version);
  if (!found) throw notFound("Chart", `chart ${name} version ${version} not found`);
  return found;
}

/** ChartMuseum's listings read the same build as index.yaml: one view of the repo. */
async function listing(scope: Scope, opened: OpenedRepo) {
  const doc = parse(new TextDecoder().decode((await indexYaml(scope, opened)).bytes)) as { entries: Record<string, ChartVersion[]> };
  return { entries: doc.entries ?? {} };
}
