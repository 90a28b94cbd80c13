/**
 * Policy: security blocks, quarantine (release cool-down), licence policies, and the
 * read-side rules every download path applies (docs/policy.md).
 *
 * Invariants of the domain:
 * - What a policy refuses is materialized on the rows downloads read (`blocked_by`,
 *   `license_blocked_by`, `held_until` on `versions` and `oci_manifests`), in the same
 *   D1 batch as the policy change and, for new artifacts, as their insert (admission.ts):
 *   an unrestricted download pays no extra round trip, and a change is seen by every
 *   isolate on its next read of the row.
 * - A refused download answers 451 with the why-blocked envelope in the protocol's own
 *   error format; metadata documents hide held versions from ordinary readers and show
 *   refused ones with the refusal as their deprecation/yank message (each format says
 *   how, in its own folder).
 * - An upstream repo's cache miss gets, before anything is fetched, the answer its stored
 *   copy would get (miss.ts); nothing is published into an upstream repo, so its
 *   versions have no owner and a held one is fetched by repo admins only.
 * - Every policy change is audited in its batch and emits its event; blocks are never
 *   deleted (lifted), and their public page (`/blocked/<id>`) names only what they match.
 * - The domain knows formats only through the rules the format registry registers
 *   (format-rules.ts); it imports the projects and events domains, nothing above.
 */
export * from "./format-rules";
export * from "./restrictions";
export * from "./blocks";
export * from "./admission";
export * from "./license-rules";
export * from "./held-ids";
export * from "./quarantine";
export * from "./admin-store";
export * from "./licenses";
export * from "./who-pulled";
export * from "./promotion-check";
export * from "./miss";
