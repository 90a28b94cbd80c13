/**
 * One Durable Object per project holding its storage quota counters.
 * Invariant: reservations and releases of one project are serialized here, so
 * concurrent pushes can't overshoot the quota.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class ProjectQuota extends DurableObject<Env> {
  async usage(): Promise<{ used: number }> {
    return { used: (await this.ctx.storage.get<number>("used")) ?? 0 };
  }
}
