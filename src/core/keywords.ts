/**
 * A package's keywords as the search index reads them (`keywords` in the package's metadata,
 * migration 0013): distinct, trimmed strings from a format's own fields, which may be lists
 * (npm, Cargo, Helm, an MCP server's tools and tags) or one string (PyPI's core metadata,
 * comma-separated when it has a comma, else space-separated).
 *
 * Invariant: at most MAX_KEYWORDS keywords of at most MAX_KEYWORD_CHARS characters each,
 * so no publisher can grow a search document without bound; no keyword is an empty string.
 */
export const MAX_KEYWORDS = 50;
export const MAX_KEYWORD_CHARS = 100;

const split = (source: unknown): unknown[] => {
  if (typeof source === "string") return source.split(source.includes(",") ? "," : /\s+/);
  return Array.isArray(source) ? source : [];
};

/** The keywords of `sources`, in order of first appearance; undefined when there are none. */
export function keywordList(...sources: unknown[]): string[] | undefined {
  const out = new Set<string>();
  for (const source of sources) {
    for (const value of split(source)) {
      if (typeof value !== "string") continue;
      const keyword = value.trim().slice(0, MAX_KEYWORD_CHARS);
      if (keyword) out.add(keyword);
      if (out.size === MAX_KEYWORDS) return [...out];
    }
  }
  return out.size ? [...out] : undefined;
}
