/**
 * An upstream or virtual repo's settings with their defaults filled in (the repo row's
 * `config` holds only what the admin set), and the limits every upstream request obeys.
 */
import type { RepoConfig } from "../../core/vocabulary";

export const DEFAULT_METADATA_TTL_SECONDS = 300;
export const DEFAULT_NEGATIVE_TTL_SECONDS = 60;
export const DEFAULT_UPSTREAM_TIMEOUT_SECONDS = 10;

/** Metadata documents (packuments, index pages, tag lists) larger than this are refused. */
export const MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;
/** Artifacts (tarballs, layers, jars) larger than this are refused. */
export const MAX_ARTIFACT_BYTES = 20 * 1024 * 1024 * 1024;
/** Redirects an upstream may send before the request fails (blob stores, CDNs). */
export const MAX_REDIRECTS = 5;

export interface UpstreamSettings {
  metadataTtlMs: number;
  negativeTtlMs: number;
  timeoutMs: number;
}

export function upstreamSettings(config: RepoConfig): UpstreamSettings {
  return {
    metadataTtlMs: (config.metadata_ttl_seconds ?? DEFAULT_METADATA_TTL_SECONDS) * 1000,
    negativeTtlMs: (config.negative_ttl_seconds ?? DEFAULT_NEGATIVE_TTL_SECONDS) * 1000,
    timeoutMs: (config.upstream_timeout_seconds ?? DEFAULT_UPSTREAM_TIMEOUT_SECONDS) * 1000,
  };
}

export const protectsFromConfusion = (config: RepoConfig) => config.dependency_confusion_protection !== false;
