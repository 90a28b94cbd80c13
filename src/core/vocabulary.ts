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
/** How an upstream repo authenticates to its upstream (the secret itself is stored apart). */
export const UPSTREAM_AUTH_TYPES = ["none", "basic", "bearer"] as const;
export type UpstreamAuthType = (typeof UPSTREAM_AUTH_TYPES)[number];
/**
 * Settings of an upstream or virtual repo, stored on the repo row as the API shows them.
 * Unset fields take their defaults (services/proxy/settings.ts). Never holds a secret:
 * `upstream_secret_set` only says whether one is stored.
 */
export interface RepoConfig {
  /** Upstream: how long fetched metadata (indexes, tags, packuments) is served before it is refreshed. */
  metadata_ttl_seconds?: number;
  /** Upstream: how long an upstream "not found" is remembered. */
  negative_ttl_seconds?: number;
  /** Upstream: how long to wait for the upstream's response headers (and between body chunks). */
  upstream_timeout_seconds?: number;
  upstream_auth?: UpstreamAuthType;
  upstream_username?: string | null;
  upstream_secret_set?: boolean;
  /** Virtual: the member that receives writes (null: writes are refused). */
  deploy_member?: string | null;
  /** Virtual: a name any local member has is never resolved from an upstream member. */
  dependency_confusion_protection?: boolean;
}
export const VISIBILITIES = ["public", "private"] as const;
export type Visibility = (typeof VISIBILITIES)[number];
export const REPO_STATES = ["normal", "read_only"] as const;
export type RepoState = (typeof REPO_STATES)[number];

export const ROLES = ["reader", "writer", "admin"] as const;
export type Role = (typeof ROLES)[number];
/**
 * What a token may do, whatever its principal's role allows. `scan`: report scan findings
 * (a scanner's token: scopes `read` and `scan` on a writer service account).
 */
export const SCOPES = ["read", "write", "delete", "admin", "scan"] as const;
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
/** Sigstore trust policies: what a failed verification does at pull (`off`: on demand and at promotion only). */
export const SIGSTORE_MODES = ["enforce", "audit", "off"] as const;
export type SigstoreMode = (typeof SIGSTORE_MODES)[number];
/** Whether a signature must be logged in Rekor (`required`) or may be (`optional`: keyed signatures only). */
export const SIGSTORE_REKOR = ["required", "optional"] as const;
export type SigstoreRekor = (typeof SIGSTORE_REKOR)[number];

export const UNKNOWN_LICENSE_ACTIONS = ["allow", "warn", "block"] as const;
export type UnknownLicenseAction = (typeof UNKNOWN_LICENSE_ACTIONS)[number];
// --- lifecycle: retention, trash, legal holds, garbage collection ---
/** A retention policy deletes what it matches, or keeps it (keep wins over delete). */
export const RETENTION_ACTIONS = ["delete", "keep"] as const;
export type RetentionAction = (typeof RETENTION_ACTIONS)[number];
/** OCI tag state a retention condition asks for (`any`: either). */
export const TAG_STATES = ["tagged", "untagged", "any"] as const;
export type TagState = (typeof TAG_STATES)[number];
/** Where a retention policy came from: the retention API, or a repo's `cleanup_policy` (reference 002). */
export const RETENTION_SOURCES = ["api", "cleanup_policy"] as const;
export type RetentionSource = (typeof RETENTION_SOURCES)[number];
export const RUN_TRIGGERS = ["manual", "schedule"] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];
/** A run is `planning` (deciding what to delete), `running` (deleting in batches), then finished. */
export const RUN_STATUSES = ["planning", "running", "succeeded", "failed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/**
 * What one item of a run became: `planned` (a dry-run's deletion: nothing was done),
 * `pending` (still to do), `deleted` (in the trash), `kept`, `skipped` (changed since it
 * was planned: gone, or held), `failed`.
 */
export const RUN_ITEM_STATUSES = ["planned", "pending", "deleted", "kept", "skipped", "failed"] as const;
export type RunItemStatus = (typeof RUN_ITEM_STATUSES)[number];
/** What a retention candidate (and a trash entry, a legal hold) is: a package version or an image manifest. */
export const ARTIFACT_KINDS = ["version", "manifest"] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];
/** What a trash entry holds: one version, a whole package, one file, or an image manifest with what depends on it. */
export const TRASH_KINDS = ["version", "package", "file", "manifest"] as const;
export type TrashKind = (typeof TRASH_KINDS)[number];
/** Why something went to the trash: a delete (user, client or API), a generic overwrite, a retention run. */
export const TRASH_REASONS = ["delete", "overwrite", "retention"] as const;
export type TrashReason = (typeof TRASH_REASONS)[number];
/** A blob row is `live` (links allowed) or `condemned` by GC (no link may be made; its bytes are being deleted). */
export const BLOB_STATES = ["live", "condemned"] as const;
export type BlobState = (typeof BLOB_STATES)[number];
/** Finding severities, most severe first (CVSS v3 qualitative scale, plus `info`). */
export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];
/** What a scanner found. */
export const FINDING_KINDS = ["vulnerability", "malware", "license", "secret", "other"] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];
/** A finding's status: `accepted` carries a justification and may expire (then it counts as open again). */
export const FINDING_STATUSES = ["open", "accepted", "false_positive", "fixed"] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];
