/**
 * Scanner reports in their own formats, read into findings: SARIF 2.1.0 (one finding per
 * result, the scanner from its run's tool) and OSV (a list of OSV records, `{vulns: […]}`,
 * or osv-scanner's `{results: [{packages: [{package, vulnerabilities}]}]}`).
 *
 * Invariants:
 * - Reading is total: anything that is not the format is an `InvalidFindingImport` naming
 *   where it broke; a result without an id is skipped, never invented.
 * - Severity comes from the report when it says one (SARIF `security-severity`, an OSV
 *   CVSS v3 vector or its database's severity), else from SARIF's `level`; an OSV record
 *   with no severity at all is `medium` (documented: a scanner that knows better says so).
 */
import { invalid } from "./errors";
import { cvssSeverity } from "./findings";
import { cvss3BaseScore } from "./cvss";
import type { FindingKind, Severity } from "./vocabulary";

export interface ImportedFinding {
  scanner: { name: string; version: string | null };
  identifier: string;
  aliases: string[];
  kind: FindingKind;
  severity: Severity;
  cvssScore: number | null;
  cvssVector: string | null;
  summary: string;
  componentName: string | null;
  componentVersion: string | null;
  path: string | null;
  fixedIn: string[];
  evidence: unknown;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const bad = (where: string, what: string) => invalid("FindingImport", `${where}: ${what}`);
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const SARIF_LEVEL: Record<string, Severity> = { error: "high", warning: "medium", note: "low", none: "info" };

function kindFromTags(tags: unknown[]): FindingKind {
  const t = tags.map((x) => String(x).toLowerCase());
  if (t.includes("malware")) return "malware";
  if (t.includes("secret") || t.includes("secrets")) return "secret";
  if (t.includes("license") || t.includes("licence")) return "license";
  if (t.includes("vulnerability") || t.includes("security") || t.includes("cve")) return "vulnerability";
  return "other";
}

export function readSarif(doc: unknown): ImportedFinding[] {
  if (!isObj(doc) || !Array.isArray(doc.runs)) throw bad("sarif", "not a SARIF log (no `runs` array)");
  if (doc.version !== undefined && doc.version !== "2.1.0") throw bad("sarif.version", `SARIF ${String(doc.version)} is not supported (2.1.0 is)`);
  const out: ImportedFinding[] = [];
  doc.runs.forEach((run, r) => {
    if (!isObj(run) || !isObj(run.tool) || !isObj(run.tool.driver)) throw bad(`sarif.runs[${r}]`, "has no tool.driver");
    const driver = run.tool.driver;
    const name = str(driver.name);
    if (!name) throw bad(`sarif.runs[${r}].tool.driver`, "has no name");
    const scanner = { name, version: str(driver.semanticVersion) ?? str(driver.version) };
    const rules = arr(driver.rules).filter(isObj);
    const ruleById = new Map(rules.map((x) => [str(x.id), x]));
    arr(run.results).forEach((result, i) => {
      if (!isObj(result)) throw bad(`sarif.runs[${r}].results[${i}]`, "is not an object");
      const rule = (typeof result.ruleIndex === "number" ? rules[result.ruleIndex] : undefined) ?? ruleById.get(str(result.ruleId)) ?? {};
      const identifier = str(result.ruleId) ?? str(rule.id);
      if (!identifier) return;
      const props = isObj(rule.properties) ? rule.properties : {};
      const scoreText = str(props["security-severity"]) ?? (typeof props["security-severity"] === "number" ? String(props["security-severity"]) : null);
      const score = scoreText !== null && Number.isFinite(Number(scoreText)) ? Math.min(Math.max(Number(scoreText), 0), 10) : null;
      const level = str(result.level) ?? (isObj(rule.defaultConfiguration) ? str(rule.defaultConfiguration.level) : null) ?? "warning";
      const location = arr(result.locations).find(isObj);
      const physical = location && isObj(location.physicalLocation) ? location.physicalLocation : null;
      const uri = physical && isObj(physical.artifactLocation) ? str(physical.artifactLocation.uri) : null;
      const text = (isObj(result.message) ? str(result.message.text) : null) ?? (isObj(rule.shortDescription) ? str(rule.shortDescription.text) : null) ?? identifier;
      out.push({
        scanner,
        identifier: clip(identifier, 200),
        aliases: [],
        kind: kindFromTags(arr(props.tags)),
        severity: score !== null ? cvssSeverity(score) : (SARIF_LEVEL[level] ?? "medium"),
        cvssScore: score,
        cvssVector: null,
        summary: clip(text.split("\n")[0]!, 500),
        componentName: null,
        componentVersion: null,
        path: uri ? clip(uri, 1000) : null,
        fixedIn: [],
        evidence: { sarif: { ruleId: identifier, level, message: clip(text, 4000) } },
      });
    });
  });
  return out;
}

const OSV_DB_SEVERITY: Record<string, Severity> = { CRITICAL: "critical", HIGH: "high", MODERATE: "medium", MEDIUM: "medium", LOW: "low" };

function osvRecord(v: Obj, where: string, scanner: ImportedFinding["scanner"], pkg: { name: string | null; version: string | null }): ImportedFinding {
  const id = str(v.id);
  if (!id) throw bad(where, "an OSV record needs an `id`");
  const vectors = arr(v.severity).filter(isObj).map((s) => str(s.score)).filter((s): s is string => s !== null);
  const vector = vectors.find((s) => s.startsWith("CVSS:3")) ?? null;
  const score = vector ? cvss3BaseScore(vector) : null;
  const dbSeverity = isObj(v.database_specific) ? str(v.database_specific.severity)?.toUpperCase() : undefined;
  const affected = arr(v.affected).filter(isObj);
  const fixed = affected.flatMap((a) => arr(a.ranges).filter(isObj).flatMap((range) => arr(range.events).filter(isObj).map((e) => str(e.fixed)).filter((f): f is string => f !== null)));
  const affectedName = affected.map((a) => (isObj(a.package) ? str(a.package.name) : null)).find((n) => n !== null) ?? null;
  return {
    scanner,
    identifier: clip(id, 200),
    aliases: arr(v.aliases).map(str).filter((a): a is string => a !== null).slice(0, 20),
    kind: id.startsWith("MAL-") ? "malware" : "vulnerability",
    severity: score !== null ? cvssSeverity(score) : (dbSeverity && OSV_DB_SEVERITY[dbSeverity]) || "medium",
    cvssScore: score,
    cvssVector: vector,
    summary: clip(str(v.summary) ?? str(v.details)?.split("\n")[0] ?? id, 500),
    componentName: pkg.name ?? affectedName,
    componentVersion: pkg.version,
    path: null,
    fixedIn: [...new Set(fixed)].slice(0, 20),
    evidence: { osv: { id, modified: str(v.modified), published: str(v.published) } },
  };
}

/** OSV records (a list, `{vulns}`, or osv-scanner's `{results}`) as findings, reported by `scanner`. */
export function readOsv(doc: unknown, scanner: ImportedFinding["scanner"]): ImportedFinding[] {
  const none = { name: null, version: null };
  if (Array.isArray(doc)) return doc.map((v, i) => (isObj(v) ? osvRecord(v, `osv[${i}]`, scanner, none) : (() => { throw bad(`osv[${i}]`, "is not an object"); })()));
  if (isObj(doc) && Array.isArray(doc.vulns)) return readOsv(doc.vulns, scanner);
  if (isObj(doc) && Array.isArray(doc.results)) {
    return doc.results.filter(isObj).flatMap((result, r) =>
      arr(result.packages).filter(isObj).flatMap((p, j) => {
        const pkg = isObj(p.package) ? { name: str(p.package.name), version: str(p.package.version) } : none;
        return arr(p.vulnerabilities).filter(isObj).map((v, k) => osvRecord(v, `osv.results[${r}].packages[${j}].vulnerabilities[${k}]`, scanner, pkg));
      }),
    );
  }
  throw bad("osv", "expected a list of OSV records, `{vulns: [...]}` or osv-scanner's `{results: [...]}`");
}
