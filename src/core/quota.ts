/**
 * Quota arithmetic, as Quay defines it: a project has a byte quota and limits at a
 * percentage of it, of type Warning (tell someone) or Reject (refuse the push).
 * Invariants: with a quota but no Reject limit, 100 % rejects; without a quota nothing
 * rejects; a Warning fires once per upward crossing. Every stored limit is whole (a
 * type and a threshold in (0, 100]) and no two limits share type and threshold.
 */
export const LIMIT_TYPES = ["Warning", "Reject"] as const;
export type LimitType = (typeof LIMIT_TYPES)[number];

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

/** Whether a (stored or computed) limit is whole. */
export function isValidLimit(l: Partial<QuotaLimit> | null | undefined): l is QuotaLimit {
  return (
    !!l &&
    typeof l.id === "string" &&
    LIMIT_TYPES.includes(l.type as LimitType) &&
    typeof l.thresholdPercent === "number" &&
    l.thresholdPercent > 0 &&
    l.thresholdPercent <= 100
  );
}

/** The limits that are whole: rows written before limits were validated may hold broken ones. */
export const wholeLimits = (limits: readonly Partial<QuotaLimit>[] | null | undefined): QuotaLimit[] => (limits ?? []).filter(isValidLimit);

/** The limit sharing `l`'s type and threshold, other than `l` itself. */
export const duplicateOf = (limits: readonly QuotaLimit[], l: QuotaLimit) =>
  limits.find((o) => o.id !== l.id && o.type === l.type && o.thresholdPercent === l.thresholdPercent);

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
