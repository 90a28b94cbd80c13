/**
 * Quota arithmetic, as Quay defines it: a project has a byte quota and limits at a
 * percentage of it, of type Warning (tell someone) or Reject (refuse the push).
 * Invariants: with a quota but no Reject limit, 100 % rejects; without a quota nothing
 * rejects; a Warning fires once per upward crossing.
 */
export type LimitType = "Warning" | "Reject";

export interface QuotaLimit {
  id: string;
  type: LimitType;
  thresholdPercent: number;
}

export interface QuotaConfig {
  limitBytes: number | null;
  limits: QuotaLimit[];
}

export const NO_QUOTA: QuotaConfig = { limitBytes: null, limits: [] };

const bytesAt = (limitBytes: number, percent: number) => Math.floor((limitBytes * percent) / 100);

/** Largest usage (bytes) a push may bring the project to. */
export function rejectAt(cfg: QuotaConfig): number {
  if (cfg.limitBytes === null) return Number.POSITIVE_INFINITY;
  const rejects = cfg.limits.filter((l) => l.type === "Reject").map((l) => bytesAt(cfg.limitBytes!, l.thresholdPercent));
  return rejects.length ? Math.min(...rejects) : cfg.limitBytes;
}

/** Warning limits crossed going from `before` to `after` bytes of usage. */
export function warningsCrossed(cfg: QuotaConfig, before: number, after: number): QuotaLimit[] {
  if (cfg.limitBytes === null || after <= before) return [];
  return cfg.limits.filter((l) => {
    if (l.type !== "Warning") return false;
    const at = bytesAt(cfg.limitBytes!, l.thresholdPercent);
    return before < at && after >= at;
  });
}
