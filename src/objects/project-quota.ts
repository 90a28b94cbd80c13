/**
 * One Durable Object per project: the project's storage usage and in-flight
 * reservations. Every method runs its reads and writes synchronously after the one
 * await that loads the quota configuration, so concurrent uploads of a project are
 * serialized here and can't overshoot the Reject limit.
 *
 *   reserve(id, bytes):  used + reserved + bytes ≤ rejectAt  → a lease on bytes for `id`
 *   renew(id):  the lease lives LEASE_MS from now (false if it had lapsed)
 *   link(digest, size, id?):  refs[digest]++; the first ref charges `size` (the
 *       reservation `id`, if any, is consumed, even when refused); refused if that
 *       would pass rejectAt
 *   unlink(digest):  refs[digest]--; the last ref frees `size` (unlinkMany: one per digest)
 *   release(id):  drop a reservation (failed or finished upload); idempotent
 *
 * Usage counts each digest once per project however many repos link it. A reservation
 * is a lease (core/quota-ticket.ts): it stops counting LEASE_MS after it was taken or
 * last renewed, so the reservation of a request that died frees the quota within
 * minutes. A lapsed lease only loses the early refusal: `link` still enforces the limit.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { database } from "../db/client";
import { findQuota } from "../db/quotas";
import { NO_QUOTA, rejectAt, warningsCrossed, type QuotaConfig, type QuotaLimit } from "../core/quota";
import { LEASE_MS } from "../core/quota-ticket";

export interface QuotaUsage {
  usedBytes: number;
  reservedBytes: number;
  blobs: number;
  /** Live reservations (leases of uploads in flight). */
  reservations: number;
  /** When the oldest live reservation was taken (ms), or null. */
  oldestReservationAt: number | null;
  /** When the last live lease lapses unless renewed (ms), or null. */
  reservationsExpireBy: number | null;
}

export type QuotaVerdict =
  | { ok: true; usage: QuotaUsage; crossed: QuotaLimit[]; charged: boolean }
  | { ok: false; usage: QuotaUsage; rejectAtBytes: number; limitBytes: number | null };

export class ProjectQuota extends DurableObject<Env> {
  private config: QuotaConfig | null = null;
  private readonly sql: SqlStorage;
  /** Added to the clock by tests (advanceClockForTest) to let leases lapse without waiting. */
  private skew = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS charged (digest TEXT PRIMARY KEY, size INTEGER NOT NULL, refs INTEGER NOT NULL);
      -- reservations: the pre-lease table (6 h expiry); its rows would never be renewed.
      DROP TABLE IF EXISTS reservations;
      CREATE TABLE IF NOT EXISTS leases (id TEXT PRIMARY KEY, bytes INTEGER NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS totals (k INTEGER PRIMARY KEY CHECK (k = 0), used INTEGER NOT NULL, blobs INTEGER NOT NULL);
      INSERT OR IGNORE INTO totals (k, used, blobs) VALUES (0, 0, 0);
    `);
  }

  private async loadConfig(projectId: string): Promise<QuotaConfig> {
    if (!this.config) {
      const row = await findQuota(database(this.env.DB), projectId);
      this.config = row ? { limitBytes: row.limitBytes, limits: row.limits } : NO_QUOTA;
    }
    return this.config;
  }

  /** Called after the configuration changed in D1. */
  async reloadConfig(): Promise<void> {
    this.config = null;
  }

  private now(): number {
    return Date.now() + this.skew;
  }

  private usageNow(): QuotaUsage {
    this.sql.exec("DELETE FROM leases WHERE expires_at <= ?", this.now());
    const t = this.sql.exec<{ used: number; blobs: number }>("SELECT used, blobs FROM totals WHERE k = 0").one();
    const r = this.sql
      .exec<{ n: number; s: number | null; oldest: number | null; last: number | null }>("SELECT COUNT(*) AS n, SUM(bytes) AS s, MIN(created_at) AS oldest, MAX(expires_at) AS last FROM leases")
      .one();
    return { usedBytes: t.used, reservedBytes: r.s ?? 0, blobs: t.blobs, reservations: r.n, oldestReservationAt: r.oldest, reservationsExpireBy: r.last };
  }

  async usage(): Promise<QuotaUsage> {
    return this.usageNow();
  }

  async reserve(projectId: string, id: string, bytes: number): Promise<QuotaVerdict> {
    const cfg = await this.loadConfig(projectId);
    const usage = this.usageNow();
    const limit = rejectAt(cfg);
    if (usage.usedBytes + usage.reservedBytes + bytes > limit) return { ok: false, usage, rejectAtBytes: limit, limitBytes: cfg.limitBytes };
    const now = this.now();
    this.sql.exec("INSERT OR REPLACE INTO leases (id, bytes, created_at, expires_at) VALUES (?, ?, ?, ?)", id, bytes, now, now + LEASE_MS);
    return { ok: true, usage: this.usageNow(), crossed: [], charged: false };
  }

  /** Extends a live lease; false when it had already lapsed (or was released). */
  async renew(id: string): Promise<boolean> {
    const now = this.now();
    return this.sql.exec("UPDATE leases SET expires_at = ? WHERE id = ? AND expires_at > ?", now + LEASE_MS, id, now).rowsWritten > 0;
  }

  async release(id: string): Promise<void> {
    this.sql.exec("DELETE FROM leases WHERE id = ?", id);
  }

  /** Test hook: moves this object's clock forward (leases lapse as if `ms` had passed). */
  async advanceClockForTest(ms: number): Promise<void> {
    this.skew += ms;
  }

  async link(projectId: string, digest: string, size: number, reservationId?: string): Promise<QuotaVerdict> {
    const cfg = await this.loadConfig(projectId);
    const existing = this.sql.exec<{ refs: number }>("SELECT refs FROM charged WHERE digest = ?", digest).toArray()[0];
    if (reservationId) this.sql.exec("DELETE FROM leases WHERE id = ?", reservationId);
    if (existing) {
      this.sql.exec("UPDATE charged SET refs = refs + 1 WHERE digest = ?", digest);
      return { ok: true, usage: this.usageNow(), crossed: [], charged: false };
    }
    const before = this.usageNow();
    const limit = rejectAt(cfg);
    if (before.usedBytes + before.reservedBytes + size > limit) return { ok: false, usage: before, rejectAtBytes: limit, limitBytes: cfg.limitBytes };
    this.sql.exec("INSERT INTO charged (digest, size, refs) VALUES (?, ?, 1)", digest, size);
    this.sql.exec("UPDATE totals SET used = used + ?, blobs = blobs + 1 WHERE k = 0", size);
    const after = this.usageNow();
    return { ok: true, usage: after, crossed: warningsCrossed(cfg, before.usedBytes, after.usedBytes), charged: true };
  }

  async unlink(digest: string): Promise<QuotaUsage> {
    this.unlinkOne(digest);
    return this.usageNow();
  }

  /** One unlink per digest (a deleted repo's links), in one call. */
  async unlinkMany(digests: string[]): Promise<QuotaUsage> {
    for (const digest of digests) this.unlinkOne(digest);
    return this.usageNow();
  }

  private unlinkOne(digest: string): void {
    const row = this.sql.exec<{ refs: number; size: number }>("SELECT refs, size FROM charged WHERE digest = ?", digest).toArray()[0];
    if (row && row.refs <= 1) {
      this.sql.exec("DELETE FROM charged WHERE digest = ?", digest);
      this.sql.exec("UPDATE totals SET used = used - ?, blobs = blobs - 1 WHERE k = 0", row.size);
    } else if (row) {
      this.sql.exec("UPDATE charged SET refs = refs - 1 WHERE digest = ?", digest);
    }
  }
}
