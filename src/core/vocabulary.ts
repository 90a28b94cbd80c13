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

/** Who a repo permission or a default permission (prototype) grants to. */
export const DELEGATE_TYPES = ["user", "team", "service_account"] as const;
export type DelegateType = (typeof DELEGATE_TYPES)[number];
/** Repo-level permission names (reference 004 §2.12); each maps onto a project role. */
export const REPO_PERMISSIONS = ["read", "write", "admin"] as const;
export type RepoPermission = (typeof REPO_PERMISSIONS)[number];
/** Where a team membership came from: an admin (`manual`) or a login's groups claim (`oidc`). */
export const TEAM_MEMBER_SOURCES = ["manual", "oidc"] as const;
export type TeamMemberSource = (typeof TEAM_MEMBER_SOURCES)[number];
/** `auto`: a first login creates the user; `invite`: only users that already exist may sign in. */
export const PROVISIONING_MODES = ["auto", "invite"] as const;
export type ProvisioningMode = (typeof PROVISIONING_MODES)[number];
export const MESSAGE_SEVERITIES = ["info", "warning", "error"] as const;
export type MessageSeverity = (typeof MESSAGE_SEVERITIES)[number];
export const MESSAGE_MEDIA_TYPES = ["text/plain", "text/markdown"] as const;
export type MessageMediaType = (typeof MESSAGE_MEDIA_TYPES)[number];

/** What a licence policy does with a licence it refuses: record and tell (`warn`), or refuse (`block`). */
export const LICENSE_ACTIONS = ["warn", "block"] as const;
export type LicenseAction = (typeof LICENSE_ACTIONS)[number];
/** What a licence policy does with an undeclared or unparseable licence. */
export const UNKNOWN_LICENSE_ACTIONS = ["allow", "warn", "block"] as const;
export type UnknownLicenseAction = (typeof UNKNOWN_LICENSE_ACTIONS)[number];
