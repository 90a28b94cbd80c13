/**
 * The webhook event catalog and subscription filters.
 * Invariants: a subscription filter entry is `*`, a catalog event type, or
 * `<category>.*` for a category of the catalog (typos are refused when subscribing);
 * matching itself needs no catalog entry, so `*` also receives event types added later.
 * docs/webhook-events.md documents every type listed here with an example payload.
 */

export const WEBHOOK_EVENTS: Record<string, string> = {
  "artifact.uploaded": "An artifact was pushed: a package version's file, an image manifest or tag, a generic file",
  "artifact.promoted": "An artifact was promoted (copied or moved) from one repository to another",
  "artifact.deleted": "An artifact was removed (by a user, an API call or a protocol DELETE)",
  "finding.created": "A scanner reported a new finding (vulnerability, license, malware) on an artifact",
  "finding.threshold-exceeded": "An artifact's findings crossed a policy threshold (e.g. a critical CVE)",
  "block.created": "A security block was created: matching downloads now answer 451",
  "block.hit": "A download was refused by a security block",
  "retention.deleted": "A retention policy run deleted artifacts",
  "policy.changed": "A policy changed (retention, license, security, OIDC trust, quota)",
  "quota.exceeded": "A push was refused, or a warning raised, because a project quota was reached",
  "project.created": "A project was created",
  "project.updated": "A project was renamed or changed",
  "project.deleted": "A project was deleted",
  "repo.created": "A repository was created",
  "repo.updated": "A repository's settings changed",
  "repo.deleted": "A repository was deleted with its artifacts",
  "service_account.created": "A service account was created",
  "webhook.created": "A webhook subscription was created",
  "webhook.updated": "A webhook subscription was changed",
  "webhook.deleted": "A webhook subscription was deleted",
  ping: "Sent on demand (POST /api/admin/webhooks/{id}/ping) to test a receiver; ignores the event filter",
};

const categories = new Set(Object.keys(WEBHOOK_EVENTS).map((t) => t.split(".")[0]!));

export function isValidEventFilter(entry: string): boolean {
  if (entry === "*" || entry in WEBHOOK_EVENTS) return true;
  return entry.endsWith(".*") && categories.has(entry.slice(0, -2));
}

export function eventMatches(filters: readonly string[], type: string): boolean {
  return filters.some((f) => f === "*" || f === type || (f.endsWith(".*") && type.startsWith(f.slice(0, -1))));
}
