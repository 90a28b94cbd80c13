/**
 * Cargo registry rules: crate names, sparse-index paths, and the index entry built
 * from `cargo publish` metadata.
 *
 * Invariants:
 * - A crate name is ASCII alphanumeric, `-` or `_`, starts with a letter, ≤ 64 chars.
 *   Two names that differ only in case or `-`/`_` are the same crate (`normalizeCrateName`).
 * - The index path of a crate is computed from its lowercased name alone
 *   (1/{n}, 2/{n}, 3/{c}/{n}, {ab}/{cd}/{n}); a request path that isn't exactly the
 *   path of the name it ends with is not an index file.
 * - An index entry is derived from publish metadata plus the .crate's sha256 only;
 *   `yanked` is filled in when the index file is rendered.
 */
import { invalid } from "../../core/errors";
import { parseSemver, semverMatcher } from "../../core/semver";

const CRATE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

export function assertCrateName(name: unknown): string {
  if (typeof name !== "string" || !CRATE_NAME.test(name)) {
    throw invalid("CrateName", `'${String(name)}' is not a valid crate name: ASCII letters, digits, '-' and '_', starting with a letter, at most 64 characters`);
  }
  return name;
}

export const normalizeCrateName = (name: string) => name.toLowerCase().replace(/-/g, "_");

export function indexPath(name: string): string {
  const n = name.toLowerCase();
  if (n.length === 1) return `1/${n}`;
  if (n.length === 2) return `2/${n}`;
  if (n.length === 3) return `3/${n[0]}/${n}`;
  return `${n.slice(0, 2)}/${n.slice(2, 4)}/${n}`;
}

/** The crate name an index request path names, or null if the path isn't an index file path. */
export function crateOfIndexPath(path: string): string | null {
  const name = path.split("/").pop() ?? "";
  if (!CRATE_NAME.test(name) || name !== name.toLowerCase()) return null;
  return indexPath(name) === path ? name : null;
}

export interface PublishDep {
  name: string;
  version_req: string;
  features?: string[];
  optional?: boolean;
  default_features?: boolean;
  target?: string | null;
  kind?: string;
  registry?: string | null;
  explicit_name_in_toml?: string | null;
}

export interface PublishMetadata {
  name: string;
  vers: string;
  deps: PublishDep[];
  features: Record<string, string[]>;
  description?: string | null;
  links?: string | null;
  rust_version?: string | null;
  [key: string]: unknown;
}

export interface IndexEntry {
  name: string;
  vers: string;
  deps: Record<string, unknown>[];
  cksum: string;
  features: Record<string, string[]>;
  features2?: Record<string, string[]>;
  yanked: boolean;
  links: string | null;
  v: number;
  rust_version?: string;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

/** Checks the JSON half of a publish body; throws `InvalidCrateMetadata` with the first problem. */
export function parsePublishMetadata(json: unknown): PublishMetadata {
  const bad = (why: string) => invalid("CrateMetadata", `invalid publish metadata: ${why}`);
  if (!json || typeof json !== "object" || Array.isArray(json)) throw bad("not a JSON object");
  const m = json as Record<string, unknown>;
  assertCrateName(m.name);
  if (typeof m.vers !== "string" || !parseSemver(m.vers)) throw bad(`'${String(m.vers)}' is not a semver version`);
  if (!Array.isArray(m.deps)) throw bad("deps must be an array");
  for (const d of m.deps as unknown[]) {
    const dep = d as Record<string, unknown>;
    if (!dep || typeof dep !== "object" || typeof dep.name !== "string" || typeof dep.version_req !== "string") {
      throw bad("each dependency needs a name and a version_req");
    }
    assertCrateName(dep.name);
    if (dep.features !== undefined && !isStringArray(dep.features)) throw bad(`features of dependency ${dep.name} must be strings`);
  }
  const features = m.features ?? {};
  if (typeof features !== "object" || Array.isArray(features) || !Object.values(features).every(isStringArray)) {
    throw bad("features must map names to arrays of strings");
  }
  return m as PublishMetadata;
}

/** The sparse-index line for a published version (yanked: false). */
export function indexEntry(meta: PublishMetadata, cksumHex: string): IndexEntry {
  const deps = meta.deps.map((d) => {
    const renamed = d.explicit_name_in_toml ?? null;
    const dep: Record<string, unknown> = {
      name: renamed ?? d.name,
      req: d.version_req,
      features: d.features ?? [],
      optional: d.optional ?? false,
      default_features: d.default_features ?? true,
      target: d.target ?? null,
      kind: d.kind ?? "normal",
    };
    if (d.registry) dep.registry = d.registry;
    if (renamed) dep.package = d.name;
    return dep;
  });
  // Features using `dep:` or `?/` syntax go to features2 (index format v2) so older cargos skip them.
  const features: Record<string, string[]> = {};
  const features2: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(meta.features)) {
    (v.some((f) => f.startsWith("dep:") || f.includes("?/")) ? features2 : features)[k] = v;
  }
  const entry: IndexEntry = { name: meta.name, vers: meta.vers, deps, cksum: cksumHex, features, yanked: false, links: meta.links ?? null, v: 1 };
  if (Object.keys(features2).length) {
    entry.features2 = features2;
    entry.v = 2;
  }
  if (meta.rust_version) entry.rust_version = meta.rust_version;
  return entry;
}

/**
 * A matcher for a crate version spec in Cargo's requirement grammar: a full version
 * matches exactly that version; otherwise comparators separated by commas, where a bare
 * (partial) version means `^` as in Cargo.toml (`1.2` = `^1.2`, `>=1.0, <1.4`, `~1.3`, `*`).
 */
export function cargoVersionMatcher(spec: string): (version: string) => boolean {
  const text = spec.trim();
  const translated = parseSemver(text) ? text : text.split(",").map((c) => c.trim()).map((c) => (/^\d/.test(c) ? `^${c}` : c)).join(" ");
  const match = text && !/\|\|/.test(text) ? semverMatcher(translated) : null;
  if (!match) throw invalid("BlockVersions", `'${spec}' is not a Cargo version or version requirement`);
  return match;
}
