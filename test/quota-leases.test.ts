/**
 * Quota reservations are leases held through a ticket: they free themselves within
 * minutes when their request is gone, renew cheaply while bytes flow, settle exactly
 * once, and show separately on the quota read. Quota limits are stored whole.
 * Time is faked (the ticket's clock, the quota object's test clock), never slept.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { LEASE_MS, QuotaTicket, RENEW_EVERY_MS } from "../src/core/quota-ticket";
import { ingestBlob } from "../src/services/artifacts/blobs";
import { putStream } from "../src/storage/blob-store";
import { reserveBytes } from "../src/services/artifacts/quotas";
import { database } from "../src/db/client";
import { Access } from "../src/auth/access";
import { INSTANCE_ADMIN } from "../src/auth/principal";
import type { Scope } from "../src/services/scope";
import { ADMIN, createProject, createRepo, jsonOf, req } from "./helpers";

function scope(): Scope {
  const db = database(env.DB);
  return { env, db, access: new Access(db, INSTANCE_ADMIN), requestId: "test", ip: null, baseUrl: "http://x", waitUntil: () => {} };
}

const quotaOf = async (projectId: string) => jsonOf(await req(`/api/v1/projects/${projectId}/quota`, { token: ADMIN }), 200);
const quotaObject = (projectId: string) => env.QUOTAS.get(env.QUOTAS.idFromName(projectId));

/** A lease store that records calls. */
function recorder() {
  const calls: string[] = [];
  const store = {
    renew: async (id: string) => void calls.push(`renew ${id}`),
    release: async (id: string) => void calls.push(`release ${id}`),
  };
  return { calls, store };
}

describe("QuotaTicket", () => {
  it("renews at most once per RENEW_EVERY_MS however often it is called", async () => {
    let now = 1_000_000;
    const { calls, store } = recorder();
    const t = new QuotaTicket("r1", store, () => now);
    // 10 minutes of streaming, one block every 100 ms: 6 000 calls.
    for (let i = 0; i < 6000; i++) {
      now += 100;
      t.renew();
    }
    await t.release();
    expect(calls.filter((c) => c.startsWith("renew"))).toHaveLength((6000 * 100) / RENEW_EVERY_MS);
    expect(calls.at(-1)).toBe("release r1");
    expect(RENEW_EVERY_MS * 3).toBeLessThan(LEASE_MS); // three renewals may fail before a live upload loses its lease
  });

  it("settles once: commit hands the id to the link and makes release a no-op; release twice calls once", async () => {
    const a = recorder();
    const committed = new QuotaTicket("c1", a.store);
    expect(await committed.commit(async (id) => `linked with ${id}`)).toBe("linked with c1");
    await committed.release();
    expect(await committed.commit(async (id) => id)).toBeUndefined();
    expect(a.calls).toEqual([]);

    const b = recorder();
    const released = new QuotaTicket("r2", b.store);
    await Promise.all([released.release(), released.release()]);
    await released.release();
    released.renew();
    expect(b.calls).toEqual(["release r2"]);
  });

  it("releases when the link throws, and an inert ticket does nothing", async () => {
    const { calls, store } = recorder();
    const t = new QuotaTicket("l1", store);
    await expect(t.commit(async () => Promise.reject(new Error("link failed")))).rejects.toThrow("link failed");
    expect(calls).toEqual(["release l1"]);
    const none = QuotaTicket.none();
    none.renew();
    await none.release();
    expect(await none.commit(async (id) => id ?? "nothing")).toBe("nothing");
  });

  it("never lets a renewal land after the release", async () => {
    let now = 0;
    const order: string[] = [];
    let finishRenewal!: () => void;
    const store = {
      renew: () => new Promise<void>((resolve) => (finishRenewal = () => (order.push("renewed"), resolve()))),
      release: async () => void order.push("released"),
    };
    const t = new QuotaTicket("o1", store, () => now);
    now += RENEW_EVERY_MS;
    t.renew();
    const releasing = t.release();
    await Promise.resolve();
    expect(order).toEqual([]);
    finishRenewal();
    await releasing;
    expect(order).toEqual(["renewed", "released"]);
  });
});

describe("quota reservations are leases", () => {
  it("the streaming loop calls the ticket's renew once per block read, whatever the body's chunking", async () => {
    const MiB = 1024 * 1024;
    for (const length of [3 * MiB + 5, undefined]) {
      let blocks = 0;
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent >= 3 * MiB + 5) return c.close();
          const n = Math.min(4096, 3 * MiB + 5 - sent);
          c.enqueue(new Uint8Array(n));
          sent += n;
        },
      });
      await putStream(env.BLOBS, `test/renew-${length}`, body, { length, onBlock: () => blocks++ });
      expect(blocks, String(length)).toBe(4); // 1 MiB blocks, not 4 KiB chunks
    }
  });

  it("a reservation whose request died lapses after LEASE_MS; the quota read shows it until then", async () => {
    const project = await createProject();
    await jsonOf(await req(`/api/admin/projects/${project.id}/quota`, { method: "PUT", token: ADMIN, json: { limit_bytes: 1_000_000 } }), 200);
    const before = await quotaOf(project.id);
    expect(before.usage.reservations).toEqual({ count: 0, oldest_started_at: null, expires_by: null, lease_seconds: LEASE_MS / 1000 });

    await reserveBytes(scope(), project.id, 700_000); // the request "dies": nobody releases it
    const held = await quotaOf(project.id);
    expect(held.usage).toMatchObject({ used_bytes: 0, reserved_bytes: 700_000, reservations: { count: 1, lease_seconds: 120 } });
    expect(Date.parse(held.usage.reservations.expires_by) - Date.parse(held.usage.reservations.oldest_started_at)).toBe(LEASE_MS);
    // While it is held, it counts against the limit.
    await expect(reserveBytes(scope(), project.id, 400_000)).rejects.toMatchObject({ code: "QuotaExceededStorage" });

    await quotaObject(project.id).advanceClockForTest(LEASE_MS - 1000);
    expect((await quotaOf(project.id)).usage.reserved_bytes).toBe(700_000);
    await quotaObject(project.id).advanceClockForTest(1000);
    const lapsed = await quotaOf(project.id);
    expect(lapsed.usage).toMatchObject({ reserved_bytes: 0, reservations: { count: 0, oldest_started_at: null, expires_by: null } });
    const ticket = await reserveBytes(scope(), project.id, 400_000); // the bytes are free again
    await ticket.release();
  });

  it("a renewed lease outlives LEASE_MS; one renewed too late stays lapsed", async () => {
    const project = await createProject();
    const quota = quotaObject(project.id);
    const live = await reserveBytes(scope(), project.id, 10);
    const stalled = await reserveBytes(scope(), project.id, 20);
    for (let i = 0; i < 4; i++) {
      await quota.advanceClockForTest(LEASE_MS / 2);
      expect(await quota.renew(live.id!)).toBe(true);
    }
    expect(await quota.renew(stalled.id!)).toBe(false);
    expect((await quotaOf(project.id)).usage).toMatchObject({ reserved_bytes: 10, reservations: { count: 1 } });
    await Promise.all([live.release(), stalled.release()]);
    expect((await quotaOf(project.id)).usage.reservations.count).toBe(0);
  });

  it("an upload holds its lease while its bytes stream and gives it back when it ends", async () => {
    const project = await createProject();
    const repo = await createRepo(project.id, "generic");
    const seen: unknown[] = [];
    let step = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (step++ === 2) seen.push((await quotaOf(project.id)).usage);
        if (step > 4) return c.close();
        c.enqueue(new Uint8Array(250).fill(step));
      },
    });
    await ingestBlob(scope(), repo.id, body, { length: 1000 });
    expect(seen).toEqual([expect.objectContaining({ used_bytes: 0, reserved_bytes: 1000, reservations: expect.objectContaining({ count: 1 }) })]);
    expect((await quotaOf(project.id)).usage).toMatchObject({ used_bytes: 1000, reserved_bytes: 0, reservations: { count: 0 } });
  });
});

describe("quota limits are stored whole", () => {
  const limitsPath = (id: string) => `/api/admin/projects/${id}/quota/limits`;

  it("a PUT changes the fields it sends and keeps the others; an empty one changes nothing; every read matches the schema", async () => {
    const project = await createProject();
    await jsonOf(await req(`/api/admin/projects/${project.id}/quota`, { method: "PUT", token: ADMIN, json: { limit_bytes: 1000 } }), 200);
    const limit = await jsonOf(await req(limitsPath(project.id), { method: "POST", token: ADMIN, json: { type: "Reject", threshold_percent: 90 } }), 201);
    const put = (json: unknown) => req(`${limitsPath(project.id)}/${limit.id}`, { method: "PUT", token: ADMIN, json });

    expect((await jsonOf(await put({}), 200)).limits).toEqual([{ id: limit.id, type: "Reject", threshold_percent: 90 }]);
    expect((await jsonOf(await put({ threshold_percent: 80 }), 200)).limits).toEqual([{ id: limit.id, type: "Reject", threshold_percent: 80 }]);
    expect((await jsonOf(await put({ type: "Warning" }), 200)).limits).toEqual([{ id: limit.id, type: "Warning", threshold_percent: 80 }]);
    for (const bad of [{ type: null }, { type: "Block" }, { threshold_percent: 0 }, { threshold_percent: 101 }, { threshold_percent: "80" }]) {
      expect((await put(bad)).status, JSON.stringify(bad)).toBe(400);
    }
    // A change that would make it a twin of another limit is a conflict, as a create is.
    await jsonOf(await req(limitsPath(project.id), { method: "POST", token: ADMIN, json: { type: "Reject", threshold_percent: 95 } }), 201);
    expect((await put({ type: "Reject", threshold_percent: 95 })).status).toBe(409);

    const read = await quotaOf(project.id);
    for (const l of read.limits) {
      expect(Object.keys(l).sort()).toEqual(["id", "threshold_percent", "type"]);
      expect(["Warning", "Reject"]).toContain(l.type);
      expect(l.threshold_percent).toBeGreaterThan(0);
    }
  });

  it("reads leave out a broken limit stored before limits were validated", async () => {
    const project = await createProject();
    await jsonOf(await req(`/api/admin/projects/${project.id}/quota`, { method: "PUT", token: ADMIN, json: { limit_bytes: 1000 } }), 200);
    const good = await jsonOf(await req(limitsPath(project.id), { method: "POST", token: ADMIN, json: { type: "Warning", threshold_percent: 50 } }), 201);
    await env.DB.prepare("UPDATE project_quotas SET limits = ? WHERE project_id = ?")
      .bind(JSON.stringify([{ id: good.id, type: "Warning", thresholdPercent: 50 }, { id: "broken", thresholdPercent: 70 }]), project.id)
      .run();
    expect((await quotaOf(project.id)).limits).toEqual([{ id: good.id, type: "Warning", threshold_percent: 50 }]);
  });
});
