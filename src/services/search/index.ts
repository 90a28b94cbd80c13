/**
 * Search: the global, trigram-backed search over what the caller may read.
 *
 * Invariants of the domain:
 * - The index (`search_docs`, `search_fts`) is written only by SQL triggers on the
 *   source tables (projects, repos, packages, versions, oci_manifests, oci_tags): no
 *   code maintains it, so it can't miss a write path.
 * - Visibility is the projects domain's (`visibleReach`), applied inside the query.
 */
export * from "./search";
