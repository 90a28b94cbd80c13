/**
 * Proxy: upstream (pull-through) repos, virtual repos, mirrors and project proxy caches.
 * Format-neutral: each format says how to fetch, verify and rewrite its own documents
 * (formats/<fmt>/upstream.ts, through the Format descriptor's `upstream`); this domain
 * does the caching, the TTLs, the stale answers, the single fetch per artifact, the
 * member order and the schedules.
 *
 * Invariants of the domain:
 * - An upstream repo is a cache: what it holds came from its upstream, verified against
 *   the digests the upstream published, and is stored in the shared model (blobs,
 *   packages → versions → files, OCI rows), so quotas, dedup, events and every policy on
 *   the one read path apply to it as to a local repo. It is never pushed to.
 * - Content-addressed artifacts are immutable once cached; metadata is cached per repo
 *   with a TTL, served stale (and marked so) when the upstream fails, and an upstream
 *   "not found" is remembered for the negative TTL.
 * - Concurrent misses of one artifact fetch it once (objects/fetch-lock.ts).
 * - Upstream secrets are write-only: read only by upstream-client.ts, never returned,
 *   logged, audited or put in an event.
 * - Name patterns (allowed/blocked) are checked before anything is fetched.
 * - A virtual repo reads its members in order, with the caller's own rights on each;
 *   with dependency-confusion protection (the default) a name any local member has is
 *   never resolved from an upstream member.
 */
export * from "./settings";
export * from "./upstream-client";
export * from "./documents";
export * from "./pull";
export * from "./split";
export * from "./support";
export * from "./mirrors";
export * from "./proxy-caches";
