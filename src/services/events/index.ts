/**
 * Events: the audit log, domain events, and their fan-out to webhook subscriptions.
 *
 * Invariants of the domain:
 * - Every governance change writes its audit row in the same D1 batch as the change,
 *   then emits its domain event (`emitEvent`), which also clears the caches it affects.
 * - Delivery is at least once, signed (HMAC-SHA256), retried with backoff and
 *   dead-lettered; a webhook secret is write-only.
 */
export * from "./audit";
export * from "./webhooks";
export * from "./webhook-delivery";
