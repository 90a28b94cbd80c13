/**
 * Readiness: D1 and R2 answer, and the configuration lets the registry work. Run by
 * /health/ready and (the stores) by the cron trigger, and recorded so /health/backup can
 * say when the stores were last seen healthy.
 */
import type { Db } from "../db/client";
import { pingDb, readHealth, recordHealth } from "../db/audit";
import { probeBlobStore } from "../storage/health";
import { jwtSecretProblem } from "../auth/registry-jwt";
import type { Env } from "../env";

export interface Check {
  ok: boolean;
  latency_ms: number;
  error: string | null;
}

async function timed(fn: () => Promise<unknown>): Promise<Check> {
  const start = Date.now();
  try {
    await fn();
    return { ok: true, latency_ms: Date.now() - start, error: null };
  } catch (e) {
    return { ok: false, latency_ms: Date.now() - start, error: String((e as Error).message ?? e) };
  }
}

export async function checkReadiness(db: Db, blobs: R2Bucket): Promise<{ ok: boolean; d1: Check; r2: Check; record: Promise<unknown> }> {
  const [d1, r2] = await Promise.all([timed(() => pingDb(db)), timed(() => probeBlobStore(blobs))]);
  const ok = d1.ok && r2.ok;
  const record = d1.ok ? recordHealth(db, "ready", ok, ok ? null : `r2: ${r2.error}`, Date.now()).run() : Promise.resolve();
  return { ok, d1, r2, record };
}

/** When readiness last held, and the last error seen since. */
export async function lastReadiness(db: Db): Promise<{ lastOkAt: number | null; lastError: string | null }> {
  const ready = (await readHealth(db)).find((h) => h.name === "ready");
  return { lastOkAt: ready?.lastOkAt ?? null, lastError: ready?.lastError ?? null };
}

/** Configuration the registry cannot work without (today: a key to sign registry tokens with). */
export function checkConfig(env: Env): Check {
  const problem = jwtSecretProblem(env);
  return { ok: problem === null, latency_ms: 0, error: problem };
}
