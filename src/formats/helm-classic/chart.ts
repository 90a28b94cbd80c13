/**
 * A Helm chart archive (`helm package`'s .tgz) and its provenance file (.prov): the
 * Chart.yaml inside the archive's top directory, and the chart name, version and file
 * digest a .prov vouches for.
 *
 * Invariants:
 * - A chart passes only with a Chart.yaml at `<dir>/Chart.yaml` (one top directory),
 *   `apiVersion` v1 or v2, a name Helm accepts, and a SemVer 2 version (Helm's rule);
 *   decompression stops at MAX_UNPACKED bytes.
 * - What is kept of Chart.yaml is what the index repeats: its fields as parsed (YAML
 *   types), never re-interpreted.
 */
import { parse as parseYaml, parseAllDocuments } from "yaml";
import semver from "semver";
import { gunzip } from "../../core/archive/decompress";
import { readTar } from "../../core/archive/tar";
import { invalid } from "../../core/errors";

export const MAX_UNPACKED = 64 * 1024 * 1024;
const MAX_CHART_YAML = 1024 * 1024;
export const CHART_NAME = /^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/i;

export type ChartMetadata = Record<string, unknown> & { apiVersion: string; name: string; version: string };

const bad = (why: string) => invalid("Chart", `the chart is not valid: ${why}`);

export function parseChartYaml(text: string): ChartMetadata {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw bad(`Chart.yaml is not YAML (${e instanceof Error ? e.message.split("\n")[0] : "parse error"})`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw bad("Chart.yaml is not a mapping");
  const m = doc as Record<string, unknown>;
  if (m.apiVersion !== "v1" && m.apiVersion !== "v2") throw bad(`apiVersion '${String(m.apiVersion)}' is not v1 or v2`);
  if (typeof m.name !== "string" || !CHART_NAME.test(m.name) || m.name.length > 250) throw bad(`name '${String(m.name)}' is not a valid chart name`);
  const version = typeof m.version === "number" ? String(m.version) : m.version;
  if (typeof version !== "string" || !semver.valid(version)) throw bad(`version '${String(m.version)}' is not a SemVer 2 version`);
  return { ...m, apiVersion: m.apiVersion, name: m.name, version } as ChartMetadata;
}

/** Chart.yaml of a packaged chart. */
export async function readChart(tgz: Uint8Array): Promise<ChartMetadata> {
  const entries = readTar(await gunzip(tgz, MAX_UNPACKED, "the chart archive"));
  const candidates = entries.filter((e) => /^[^/]+\/Chart\.yaml$/.test(e.name) && (e.type === "0" || e.type === "7"));
  if (candidates.length !== 1) throw bad(candidates.length ? "more than one top-level Chart.yaml" : "no <chart>/Chart.yaml in the archive");
  const entry = candidates[0]!;
  if (entry.size > MAX_CHART_YAML) throw bad("Chart.yaml is too large");
  const chart = parseChartYaml(new TextDecoder().decode(entry.data));
  if (entry.name.split("/")[0] !== chart.name) throw bad(`the archive's top directory is not named after the chart '${chart.name}'`);
  return chart;
}

export interface Provenance {
  name: string;
  version: string;
  /** Archive file name → `sha256:<hex>`. */
  files: Record<string, string>;
}

/** The signed body of a .prov (Chart.yaml, `...`, the files block); the signature itself is the client's to verify. */
export function readProvenance(text: string): Provenance {
  const m = /^-----BEGIN PGP SIGNED MESSAGE-----\r?\n(?:[^\r\n]+\r?\n)*\r?\n([\s\S]*?)\r?\n-----BEGIN PGP SIGNATURE-----[\s\S]*-----END PGP SIGNATURE-----\s*$/.exec(text);
  if (!m) throw invalid("Provenance", "the provenance file is not an OpenPGP clear-signed message");
  const body = m[1]!.replace(/^- /gm, "");
  let docs: unknown[];
  try {
    docs = parseAllDocuments(body).map((d) => d.toJS());
  } catch {
    throw invalid("Provenance", "the provenance file's body is not YAML");
  }
  const chart = parseChartYaml(JSON.stringify(docs[0] ?? null));
  const files = (docs[1] as { files?: Record<string, string> } | undefined)?.files;
  if (!files || typeof files !== "object") throw invalid("Provenance", "the provenance file lists no files");
  return { name: chart.name, version: chart.version, files };
}

export const chartFileName = (name: string, version: string) => `${name}-${version}.tgz`;
