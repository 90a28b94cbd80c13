/**
 * The objects domain events carry in `data`, as receivers get them: snake_case keys,
 * times inside rows as Unix milliseconds. The event catalogue (core/events.ts) builds
 * every payload from these; emitters turn D1 rows into them with `snakeKeys`.
 * Invariant: objects are strict (an unknown key fails validation), so a field added to
 * a row (a secret, say) cannot reach receivers without being added here, documented
 * and reviewed. Each shape has a metadata id: the generated docs describe it once, by name.
 */
import { z } from "zod";
import { ARTIFACT_KINDS, PRINCIPAL_TYPES, REPO_KINDS, REPO_STATES, ROLES, SCOPES, TOKEN_PRINCIPAL_TYPES, TRASH_KINDS, TRASH_REASONS, VISIBILITIES } from "./vocabulary";

export const Id = (what: string) => z.string().describe(`The ${what}'s id (UUID)`);
export const Millis = (what: string) => z.number().int().describe(`${what} (Unix milliseconds)`);
export const Digest = z.string().describe("Content digest, `sha256:<64 hex digits>`");
/** The list of formats lives with the format descriptors (formats/index.ts), above core/. */
export const Format = z.string().describe("The repository's format (`docker`, `helm`, `npm`, `pypi`, `maven`, `cargo`, `go`, `generic`, …)");

export const ProjectShape = z
  .strictObject({
    id: Id("project"),
    slug: z.string().describe("URL name of the project"),
    name: z.string().describe("Display name"),
    description: z.string().describe("Free text"),
    created_at: Millis("Creation time"),
    updated_at: Millis("Last change"),
  })
  .meta({ id: "Project", description: "A project" });

export const RepoConfigShape = z
  .strictObject({
    metadata_ttl_seconds: z.number().int().optional().describe("Upstream: metadata TTL in seconds"),
    negative_ttl_seconds: z.number().int().optional().describe("Upstream: how long a \"not found\" is remembered, in seconds"),
    upstream_timeout_seconds: z.number().int().optional().describe("Upstream: timeout in seconds"),
    upstream_auth: z.enum(["none", "basic", "bearer"]).optional().describe("Upstream: how it authenticates"),
    upstream_username: z.string().nullable().optional().describe("Upstream: user name for basic"),
    upstream_secret_set: z.boolean().optional().describe("Upstream: whether a secret is stored (never the secret)"),
    deploy_member: z.string().nullable().optional().describe("Virtual: the member pushes go to"),
    dependency_confusion_protection: z.boolean().optional().describe("Virtual: local names shadow upstream members"),
  })
  .describe("Upstream or virtual settings (`{}` for a local repository)");

export const RepoShape = z
  .strictObject({
    id: Id("repository"),
    project_id: Id("project"),
    slug: z.string().describe("URL name of the repository within its project"),
    format: Format,
    kind: z.enum(REPO_KINDS).describe("`local`, `upstream` or `virtual`"),
    visibility: z.enum(VISIBILITIES).describe("`public` (anonymous reads) or `private`"),
    state: z.enum(REPO_STATES).describe("`normal` or `read_only`"),
    description: z.string().describe("Free text"),
    labels: z.record(z.string(), z.string()).describe("User labels, key → value (keys as the user wrote them)"),
    allowed_patterns: z.array(z.string()).describe("Package-name globs that may be published (empty: any)"),
    blocked_patterns: z.array(z.string()).describe("Package-name globs that may not be published"),
    immutable_tags: z.array(z.string()).describe("Tag globs that can't be overwritten or deleted (OCI)"),
    upstream_url: z.string().nullable().describe("For `kind: upstream`, the registry it proxies"),
    virtual_members: z.array(z.string()).describe("For `kind: virtual`, its member repository ids, in resolution order"),
    config: RepoConfigShape,
    created_at: Millis("Creation time"),
    updated_at: Millis("Last change"),
  })
  .meta({ id: "Repo", description: "A repository" });

export const ServiceAccountShape = z
  .strictObject({
    id: Id("service account"),
    project_id: Id("project"),
    name: z.string().describe("Name, unique in the project"),
    description: z.string().describe("Free text"),
    role: z.enum(ROLES).describe("Its role in the project"),
    created_at: Millis("Creation time"),
    updated_at: Millis("Last change"),
  })
  .meta({ id: "ServiceAccount", description: "A service account" });

export const UserShape = z
  .strictObject({
    id: Id("user"),
    username: z.string().describe("Unique user name"),
    email: z.string().nullable().describe("E-mail address, if known"),
    is_admin: z.boolean().describe("Whether the user is an instance admin"),
    created_at: Millis("Creation time"),
    updated_at: Millis("Last change"),
  })
  .meta({ id: "User", description: "A user" });

export const TokenShape = z
  .strictObject({
    id: Id("token"),
    prefix: z.string().describe("First characters of the token, to recognise it (never the secret)"),
    name: z.string().describe("Name given when minting"),
    principal_type: z.enum(TOKEN_PRINCIPAL_TYPES).describe("Who the token speaks for"),
    principal_id: z.string().describe("The user's, service account's or OIDC trust policy's id"),
    project_id: z.string().nullable().describe("The project the token is confined to, or null (user tokens)"),
    scopes: z.array(z.enum(SCOPES)).nullable().describe("Actions the token is narrowed to; null: not narrowed"),
    role: z.enum(ROLES).nullable().describe("Role carried by the token itself (OIDC-exchanged tokens); null otherwise"),
    expires_at: Millis("Expiry").nullable(),
    last_used_at: Millis("Last use").nullable(),
    revoked_at: Millis("Revocation time").nullable(),
    created_at: Millis("Creation time"),
  })
  .meta({ id: "Token", description: "A token, without its secret or hash" });

export const MemberShape = z
  .strictObject({
    project_id: Id("project"),
    principal_type: z.enum(PRINCIPAL_TYPES).describe("`user` or `service_account`"),
    principal_id: z.string().describe("The user's or service account's id"),
    role: z.enum(ROLES).describe("The role granted"),
    created_at: Millis("When the role was granted"),
  })
  .meta({ id: "Member", description: "A role binding" });

export const LabelShape = z
  .strictObject({
    id: Id("label"),
    repo_id: Id("repository"),
    digest: Digest,
    key: z.string().describe("Label key"),
    value: z.string().describe("Label value"),
    media_type: z.string().describe("`text/plain` or `application/json`"),
    source: z.enum(["manifest", "api"]).describe("`manifest` (from its annotations) or `api` (added by a user)"),
    created_at: Millis("Creation time"),
  })
  .meta({ id: "Label", description: "A manifest label" });

export const WebhookView = z
  .strictObject({
    id: Id("subscription"),
    name: z.string().describe("Subscription name"),
    url_host: z.string().describe("The receiver's host only: a full URL may embed a token"),
    events: z.array(z.string()).describe("The subscription's event filter"),
    project_id: z.string().nullable().describe("The only project whose events it receives, or null: all"),
    enabled: z.boolean().describe("Whether deliveries are sent"),
  })
  .meta({ id: "Webhook", description: "A webhook subscription as events show it (no secret, no full URL)" });

export const QuotaConfigShape = z
  .strictObject({
    limit_bytes: z.number().int().nullable().describe("The project's quota in bytes; null: unlimited"),
    limits: z
      .array(
        z.strictObject({
          id: Id("limit"),
          type: z.enum(["Warning", "Reject"]).describe("`Warning` raises `quota.exceeded`; `Reject` refuses pushes"),
          threshold_percent: z.number().describe("Percentage of the quota where the limit applies"),
        }),
      )
      .describe("Warning and Reject limits"),
  })
  .meta({ id: "QuotaConfig", description: "A project's quota configuration" });

export const SeverityName = z.enum(["critical", "high", "medium", "low", "info"]).describe("Severity (CVSS v3 qualitative scale, plus `info`)");

export const ThresholdShape = z
  .strictObject({ threshold_id: Id("threshold"), name: z.string().describe("Name, unique in the project"), severity: SeverityName, max_count: z.number().int().describe("Open findings at or above the severity allowed") })
  .meta({ id: "FindingThreshold", description: "A project's finding threshold" });

export const GatesShape = z
  .strictObject({
    max_severity: SeverityName.nullable().describe("Open findings at or above this severity refuse a promotion; null: no findings gate"),
    required_labels: z.array(z.string()).describe("Manifest labels (`key` or `key=value`) that must be present"),
    min_age_seconds: z.number().int().nullable().describe("Cool-down: the artifact must have been pushed at least this long ago"),
  })
  .meta({ id: "PromotionGates", description: "The gates an artifact must pass to be promoted into a repository" });

export const GateResult = z
  .strictObject({
    gate: z.enum(["findings", "labels", "min_age", "security", "license", "signature"]).describe("Which gate (`security` and `license`: the policy domain's blocks and licence policies; `signature`: sigstore trust policies)"),
    passed: z.boolean().describe("Its verdict"),
    reason: z.string().describe("Why, for humans"),
  })
  .meta({ id: "GateResult", description: "One promotion gate's verdict" });

/** Where an artifact event says an artifact is. */
export const ArtifactRef = z
  .strictObject({
    format: Format,
    repo_id: Id("repository"),
    package: z.string().describe("Package or image name"),
    version: z.string().describe("Version or tag"),
    digest: Digest,
  })
  .meta({ id: "ArtifactRef", description: "The artifact concerned" });

export const BlockView = z
  .strictObject({
    block_id: Id("block"),
    reason: z.string().describe("Why (shown to blocked clients in the envelope)"),
    customer_message: z.string().describe("What a blocked client is told"),
    blocked_until: z.string().nullable().describe("RFC 3339 end of the block, or null: until lifted"),
    public_url: z.string().describe("Unauthenticated page explaining the block (`/blocked/<id>`)"),
    origin: z.enum(["security", "quarantine"]).describe("`security` (made by an admin) or `quarantine` (a held version was rejected)"),
    match: z
      .strictObject({
        format: Format,
        package: z.string().describe("Package or image name, exact or a glob"),
        versions: z.array(z.string()).describe("Version specs (exact or ranges in the format's grammar); empty: every version"),
        digests: z.array(Digest).describe("Image manifest digests (tags are resolved when the block is made)"),
        project_id: z.string().nullable().describe("The only project it applies to, or null: every project"),
        repo_id: z.string().nullable().describe("The only repository it applies to, or null"),
      })
      .describe("What the block matches"),
    affected: z
      .strictObject({ versions: z.number().int().describe("Stored package versions"), manifests: z.number().int().describe("Stored image manifests") })
      .describe("What the change affected among stored artifacts"),
  })
  .meta({ id: "Block", description: "A security block" });

export const QuarantinePolicyShape = z
  .strictObject({
    id: Id("quarantine policy"),
    project_id: Id("project"),
    repo_id: z.string().nullable().describe("The repository, or null: every repository of the project without its own policy"),
    cooldown_hours: z.number().int().describe("New versions are held this many hours"),
    require_approval: z.boolean().describe("New versions are held until an admin releases them"),
    created_at: Millis("Creation time"),
    updated_at: Millis("Last change"),
  })
  .meta({ id: "QuarantinePolicy", description: "A quarantine (release cool-down) policy" });

export const LicensePolicyShape = z
  .strictObject({
    id: Id("licence policy"),
    name: z.string().describe("Unique name"),
    description: z.string().describe("Free text"),
    project_id: z.string().nullable().describe("The only project it applies to, or null: every project"),
    repo_id: z.string().nullable().describe("The only repository it applies to, or null"),
    formats: z.array(z.string()).describe("Repository formats it applies to; empty: all"),
    allow: z.array(z.string()).describe("SPDX identifiers (globs) a licence may rely on; empty: any not denied"),
    deny: z.array(z.string()).describe("SPDX identifiers (globs) a licence may not rely on"),
    action: z.enum(["warn", "block"]).describe("`warn`: record and send `license.violation`; `block`: refuse publishes, 451 on stored versions"),
    unknown_action: z.enum(["allow", "warn", "block"]).describe("What an undeclared or unparseable licence gets"),
    enabled: z.boolean().describe("Whether it applies"),
    created_at: Millis("Creation time"),
    updated_at: Millis("Last change"),
  })
  .meta({ id: "LicensePolicy", description: "A licence policy" });

type SnakeKey<S extends string> = S extends `${infer H}${infer T}` ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeKey<T>}` : S;
/** A row's type with its top-level keys in snake_case (values untouched). */
export type SnakeKeys<T> = { [K in keyof T as K extends string ? SnakeKey<K> : K]: T[K] };

/**
 * A D1 row's top-level camelCase keys as snake_case, for event payloads. Only the top
 * level: values (repo labels, metadata) keep the keys their author wrote.
 */
export function snakeKeys<T extends object>(row: T): SnakeKeys<T> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`), v])) as SnakeKeys<T>;
}

// People (teams, permissions) and browser sign-in (docs/web-ui.md).
const RoleName = z.enum(ROLES).describe("`reader`, `writer` or `admin`");

export const TeamShape = z
  .strictObject({
    id: Id("team"),
    project_id: Id("project"),
    name: z.string().describe("Name, unique in the project"),
    description: z.string().describe("Free text"),
    role: RoleName.nullable().describe("The project role every member holds, or null (only what repository permissions grant)"),
    created_at: Millis("Creation time"),
    updated_at: Millis("Last change"),
  })
  .meta({ id: "Team", description: "A team of a project" });

export const RepoPermissionView = z
  .strictObject({
    repo_id: Id("repository"),
    delegate_type: z.enum(["user", "team", "service_account"]).describe("Who is granted"),
    delegate_id: z.string().describe("The user's, team's or service account's id"),
    role: z.enum(["read", "write", "admin"]).describe("The role on the repository"),
  })
  .meta({ id: "RepoPermission", description: "A repository permission" });

export const PrototypeShape = z
  .strictObject({
    id: Id("default permission"),
    project_id: Id("project"),
    activating_user_id: z.string().nullable().describe("Applies only to repositories this user creates; null: every new repository"),
    delegate_type: z.enum(["user", "team", "service_account"]).describe("Who is granted"),
    delegate_id: z.string().describe("The user's, team's or service account's id"),
    role: RoleName,
    created_at: Millis("Creation time"),
    updated_at: Millis("Last change"),
  })
  .meta({ id: "Prototype", description: "A default permission for new repositories" });

export const SessionShape = z
  .strictObject({
    id: Id("session"),
    user_id: Id("user"),
    provider_id: z.string().nullable().describe("The login provider used"),
    created_at: Millis("Sign-in time"),
    last_seen_at: Millis("Last request"),
    expires_at: Millis("Absolute end"),
    revoked_at: z.number().int().nullable().describe("When it was ended early (Unix milliseconds), or null"),
    ip: z.string().nullable().describe("Client address at sign-in"),
    user_agent: z.string().nullable().describe("Browser at sign-in"),
  })
  .meta({ id: "Session", description: "A browser session (never its secret)" });

export const LoginProviderView = z
  .strictObject({
    id: Id("login provider"),
    name: z.string().describe("Slug in `/auth/login?provider=`"),
    display_name: z.string().describe("Shown on the sign-in button"),
    issuer: z.string().describe("The provider's issuer URL"),
    client_id: z.string().describe("OAuth client id"),
    client_secret_set: z.boolean().describe("Whether a client secret is stored (the secret is never sent)"),
    scopes: z.array(z.string()).describe("Scopes asked for"),
    allowed_email_domains: z.array(z.string()).describe("Domains whose verified emails may sign in (empty: any)"),
    groups_claim: z.string().nullable().describe("ID token claim listing groups"),
    group_mappings: z.array(z.strictObject({ group: z.string().describe("Group"), team_id: Id("team") })).describe("Groups that join teams"),
    provisioning: z.enum(["auto", "invite"]).describe("`auto` creates users at first sign-in; `invite` admits existing users only"),
    enabled: z.boolean().describe("Offered on the sign-in page"),
    secret_updated_at: Millis("When the client secret was last set"),
    created_at: Millis("Creation time"),
    updated_at: Millis("Last change"),
  })
  .meta({ id: "LoginProvider", description: "An OIDC login provider for browser sign-in" });

export const MessageShape = z
  .strictObject({
    id: Id("message"),
    content: z.string().describe("The text"),
    media_type: z.enum(["text/plain", "text/markdown"]).describe("How to render it"),
    severity: z.enum(["info", "warning", "error"]).describe("How loud"),
    created_at: Millis("Creation time"),
  })
  .meta({ id: "GlobalMessage", description: "A global message (banner)" });

export const TrashEntryShape = z
  .strictObject({
    id: Id("trash entry"),
    repo_id: Id("repository"),
    kind: z.enum(TRASH_KINDS).describe("`version`, `package`, `file`, or `manifest` (an image manifest with its signatures and the platform manifests only it lists)"),
    name: z.string().describe("Package or image name"),
    ref: z.string().describe("Version, file path or manifest digest"),
    tags: z.array(z.string()).describe("Tags (OCI) or dist-tags (npm) it carried, put back on restore"),
    size: z.number().int().describe("Bytes of the blobs it holds (each counted once); they count toward the project's quota until the entry is purged"),
    reason: z.enum(TRASH_REASONS).describe("`delete` (a user, client or API delete), `overwrite` (a generic file replaced), `retention` (a retention run)"),
    run_id: z.string().nullable().describe("The retention run that deleted it, or null"),
    policy_name: z.string().nullable().describe("The retention policy that decided, or null"),
    actor_type: z.string().describe("Who deleted it: `user`, `service_account`, `oidc`, `instance_admin`, `anonymous` or `system`"),
    actor_name: z.string().nullable().describe("Their name at the time"),
    deleted_at: Millis("When it was deleted"),
    expires_at: Millis("When it is purged unless restored"),
  })
  .meta({ id: "TrashEntry", description: "An artifact in a repository's trash" });

export const LegalHoldShape = z
  .strictObject({
    id: Id("legal hold"),
    repo_id: Id("repository"),
    kind: z.enum(ARTIFACT_KINDS).describe("`version` (a package version) or `manifest` (an image manifest)"),
    name: z.string().describe("Package name (normalized) or image name"),
    ref: z.string().describe("The version, or the manifest digest"),
    reason: z.string().describe("Why it is held"),
    created_at: Millis("When the hold was set"),
  })
  .meta({ id: "LegalHold", description: "A legal hold: the version or manifest is never deleted while it stands" });
