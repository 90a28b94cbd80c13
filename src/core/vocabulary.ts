/**
 * The domain's enumerations, shared by every layer: the API validates with them, the
 * database stores them, auth decides with them. They live here, below all of those, so
 * that no layer depends on another's internals to name a role or a repo format.
 * Invariant: values are wire strings (stored in D1, sent in JSON): never rename one.
 */

/**
 * A repo's format (`docker`, `npm`, …). The list is not here: each format's descriptor
 * declares the repo formats it serves, and formats/index.ts derives REPO_FORMATS.
 */
export type RepoFormat = string;
export const REPO_KINDS = ["local", "upstream", "virtual"] as const;
export type RepoKind = (typeof REPO_KINDS)[number];
export const VISIBILITIES = ["public", "private"] as const;
export type Visibility = (typeof VISIBILITIES)[number];
export const REPO_STATES = ["normal", "read_only"] as const;
export type RepoState = (typeof REPO_STATES)[number];

export const ROLES = ["reader", "writer", "admin"] as const;
export type Role = (typeof ROLES)[number];
/** What a token may do, whatever its principal's role allows. */
export const SCOPES = ["read", "write", "delete", "admin"] as const;
export type TokenScope = (typeof SCOPES)[number];
export const PRINCIPAL_TYPES = ["user", "service_account"] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];
/** Who a token speaks for: a user, a service account, or an OIDC trust policy (exchanged tokens). */
export const TOKEN_PRINCIPAL_TYPES = [...PRINCIPAL_TYPES, "oidc"] as const;
export type TokenPrincipalType = (typeof TOKEN_PRINCIPAL_TYPES)[number];

export const DELIVERY_STATUSES = ["pending", "retrying", "succeeded", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
