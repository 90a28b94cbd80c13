/**
 * A quota reservation held by one upload, as a handle: reserve → renew while bytes
 * flow → commit (the link takes it over) or release. Nothing else passes reservation
 * ids around.
 *
 * A reservation is a lease (objects/project-quota.ts): it lapses LEASE_MS after it was
 * taken or last renewed, so an upload whose request died (process killed, isolate
 * evicted) frees the project's quota within minutes instead of holding it.
 *
 * Invariants:
 * - The ticket settles once: the first `commit` or `release` wins and every later call
 *   is a no-op, so every error path may release without knowing what happened before.
 * - `renew()` is cheap enough to call per block: it reaches the quota object at most
 *   once per RENEW_EVERY_MS (by the ticket's clock), fire-and-forget; renewals in flight
 *   are awaited before the ticket settles, so none outlives the request or lands after
 *   the release. A failed renewal is logged and ignored: the link re-checks the limit.
 *
 *   t = await reserve(bytes)                 // lease taken (or QuotaExceeded)
 *   stream: for each block: t.renew()        // ≤ 1 call / RENEW_EVERY_MS
 *   ok:     await t.commit((id) => link(id)) // the link consumes the lease
 *   always: await t.release()                // no-op once committed
 */

/** How long a reservation lives without renewal. */
export const LEASE_MS = 2 * 60 * 1000;
/** How often a streaming upload renews its lease: a quarter of it, so three renewals may fail. */
export const RENEW_EVERY_MS = 30 * 1000;

/** What a ticket needs from the quota store. */
export interface LeaseStore {
  renew(id: string): Promise<unknown>;
  release(id: string): Promise<unknown>;
}

export class QuotaTicket {
  private state: "held" | "committed" | "released" = "held";
  private lastRenewal: number;
  private renewing: Promise<unknown> = Promise.resolve();

  /** `id` null: nothing was reserved (a body of unknown length); the ticket is inert. */
  constructor(
    readonly id: string | null,
    private readonly store: LeaseStore,
    private readonly clock: () => number = Date.now,
  ) {
    this.lastRenewal = clock();
  }

  static none(): QuotaTicket {
    return new QuotaTicket(null, { renew: async () => undefined, release: async () => undefined });
  }

  get settled(): boolean {
    return this.state !== "held";
  }

  /** Keeps the lease alive; call it as often as you like (per block). */
  renew = (): void => {
    if (this.state !== "held" || this.id === null) return;
    const now = this.clock();
    if (now - this.lastRenewal < RENEW_EVERY_MS) return;
    this.lastRenewal = now;
    const id = this.id;
    const renewal = this.store.renew(id).catch((e) => console.warn("renewing a quota lease failed", String(e)));
    this.renewing = Promise.all([this.renewing, renewal]);
  };

  /**
   * Hands the reservation to `link` (which consumes it whatever it answers) and settles
   * the ticket. `link` gets undefined when nothing is held (none, or already settled).
   * If `link` throws, the reservation is released too (a release is idempotent).
   */
  async commit<T>(link: (reservationId: string | undefined) => Promise<T>): Promise<T> {
    const id = this.state === "held" ? this.id : null;
    if (this.state === "held") this.state = "committed";
    await this.renewing;
    try {
      return await link(id ?? undefined);
    } catch (e) {
      if (id !== null) await this.store.release(id).catch((err) => console.warn("releasing a quota lease failed", String(err)));
      throw e;
    }
  }

  /** Gives the reservation back; a no-op once settled. Never throws (the lease lapses anyway). */
  async release(): Promise<void> {
    if (this.state !== "held") return;
    this.state = "released";
    await this.renewing;
    if (this.id !== null) await this.store.release(this.id).catch((e) => console.warn("releasing a quota lease failed", String(e)));
  }
}
