/**
 * Small per-isolate caches for the hot read path (credentials, role bindings, repo
 * lookups), so a manifest HEAD costs one D1 query instead of five.
 *
 * Invariants:
 * - An entry lives at most `ttlMs`; a cache holds at most `max` entries (oldest out).
 * - Every change emits a domain event (services/events/audit.ts emitEvent), which clears the
 *   caches it can affect in this isolate: an `artifact.*` event the "artifacts" group
 *   (manifest lookups), any other event every cache. Within one isolate a change is
 *   visible at once; other isolates (other edge locations) see it within the TTL. That
 *   bound is the documented delay for revocations, permission changes and tag moves.
 */
export type CacheGroup = "auth" | "artifacts";
const registry = new Set<TtlCache<unknown, unknown>>();

export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    readonly group: CacheGroup = "auth",
    private readonly max = 10_000,
  ) {
    registry.add(this as TtlCache<unknown, unknown>);
  }

  get(key: K, now = Date.now()): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expires <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.value;
  }

  /** `ttlMs` overrides the cache's own lifetime for this entry (longer for immutable content). */
  set(key: K, value: V, now = Date.now(), ttlMs = this.ttlMs): V {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, { value, expires: now + ttlMs });
    return value;
  }

  /** The cached value, or the loaded one (not cached when the loader returns undefined). */
  async getOrLoad(key: K, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const value = await load();
    if (value !== undefined) this.set(key, value);
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** How long a cached credential, role or repo lookup may be served without D1. */
export const AUTH_CACHE_TTL_MS = 10_000;

/** How long a manifest found by tag may be served without D1 (a tag moved elsewhere shows after this). */
export const TAG_CACHE_TTL_MS = 2_000;

export function clearAllCaches(): void {
  for (const cache of registry) cache.clear();
}

export function clearCacheGroup(group: CacheGroup): void {
  for (const cache of registry) if (cache.group === group) cache.clear();
}
