/**
 * Lifecycle: retention policies and runs, the trash, legal holds, last-download times
 * and garbage collection. Built on artifacts, oci, projects and events.
 *
 * Invariants of the domain:
 * - Nothing is destroyed by a delete: every deletion path (protocol, API, generic
 *   overwrite, retention) moves the artifact to its repo's trash in one batch with the
 *   removal of its live rows; it stops resolving at once and counts toward the quota
 *   until it is purged (trash.ts, restore.ts).
 * - Retention keeps what any keep policy or protection keeps (legal holds, immutable
 *   tags, the tag-history window, what a kept index lists); a dry-run and a real run plan
 *   with the same function (plan.ts); a run deletes in bounded, claimed batches and
 *   never runs twice at once in a repo (runs.ts).
 * - Bytes leave R2 only through the collector (gc.ts), whose every decision is one
 *   conditional D1 statement made before the R2 delete; triggers keep pushes from
 *   naming what it collects (docs/gc.md).
 */
export * from "./holds";
export * from "./trash";
export * from "./restore";
export * from "./policies";
export * from "./runs";
export * from "./gc";
export * from "./jobs";
export * from "./repos";
export * from "./deletes";
export { entryView, type TrashRow } from "./snapshot";
export type { Plan, PlanItem } from "./plan";
