/**
 * One Durable Object per (upstream repo, artifact): the serialization point that makes
 * concurrent cache misses for the same artifact fetch it from the upstream once,
 * whichever isolates (or edge locations) the requests land on. It holds no bytes; it is
 * a lease with waiters (the idea of nginx's `proxy_cache_lock`).
 *
 *   acquire(holder, ttl):  free or expired → lease = {holder, until: now + ttl}; granted
 *                          else → not granted (someone else is fetching)
 *   release(holder):       lease held by holder → free; wake every waiter
 *   wait(ms):              free → return at once; else resolve when released (or the
 *                          lease expires, or `ms` passes), whichever comes first
 *
 * Invariants:
 * - At most one unexpired lease at a time; only its holder releases it.
 * - A holder that dies (its isolate evicted mid-fetch) blocks others only until its
 *   lease expires: waiters then find the lease expired and one of them acquires it.
 * - The lease lives in memory only: the object is pinned in memory while any request
 *   waits on it, and an object that lost its memory has no waiters to wake; a lease
 *   forgotten that way costs at most one extra upstream fetch, never a wrong answer
 *   (what is cached is verified and content-addressed).
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

interface Lease {
  holder: string;
  until: number;
}

export class FetchLock extends DurableObject<Env> {
  private lease: Lease | null = null;
  private waiters = new Set<() => void>();

  private current(now = Date.now()): Lease | null {
    if (this.lease && this.lease.until <= now) this.wake((this.lease = null));
    return this.lease;
  }

  async acquire(holder: string, ttlMs: number): Promise<boolean> {
    if (this.current()) return false;
    this.lease = { holder, until: Date.now() + ttlMs };
    return true;
  }

  async release(holder: string): Promise<void> {
    if (this.lease?.holder !== holder) return;
    this.lease = null;
    this.wake(null);
  }

  /** Resolves true once the lease is free (released or expired), false after `ms`. */
  async wait(ms: number): Promise<boolean> {
    const lease = this.current();
    if (!lease) return true;
    const until = Math.min(lease.until, Date.now() + ms);
    return new Promise<boolean>((resolve) => {
      const done = (free: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(free);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(this.current() === null), Math.max(0, until - Date.now()));
      this.waiters.add(wake);
    });
  }

  private wake(_: null) {
    const all = [...this.waiters];
    this.waiters.clear();
    for (const w of all) w();
  }
}
