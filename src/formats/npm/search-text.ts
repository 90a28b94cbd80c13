/**
 * The `text` of npm's search API (`GET /-/v1/search?text=…`, what `npm search` sends) as a
 * package query: plain words are terms, each of which must be found in a package's name,
 * description or keywords; `keywords:a,b` asks for one of those keywords; `scope:acme`
 * for names under `@acme/`. The registry's other qualifiers (`author:`, `maintainer:`,
 * `not:`, `is:`, `boost-exact:`) describe npmjs.com's own data and are ignored, so they
 * never narrow a search to nothing.
 */
import type { PackageQuery } from "../../services/artifacts";

const IGNORED = new Set(["author", "maintainer", "not", "is", "boost-exact"]);

export function parseSearchText(text: string): PackageQuery {
  const query: PackageQuery = { terms: [], keywords: [] };
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const colon = word.indexOf(":");
    const qualifier = colon > 0 ? word.slice(0, colon).toLowerCase() : "";
    const value = colon > 0 ? word.slice(colon + 1) : word;
    if (qualifier === "keywords") query.keywords.push(...value.split(",").filter(Boolean));
    else if (qualifier === "scope") value && query.terms.push(`@${value.replace(/^@/, "")}/`);
    else if (!IGNORED.has(qualifier)) query.terms.push(word);
  }
  return query;
}
