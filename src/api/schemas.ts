/**
 * zod schemas of the governance API: the single source for request validation, the
 * OpenAPI document and response shapes. Field names are snake_case on the wire;
 * timestamps are RFC 3339 strings.
 */
import { z } from "@hono/zod-openapi";
import { REPO_KINDS, REPO_STATES, ROLES, SCOPES, VISIBILITIES, PRINCIPAL_TYPES, TOKEN_PRINCIPAL_TYPES, UPSTREAM_AUTH_TYPES, SEVERITIES, FINDING_STATUSES } from "../core/vocabulary";
import { REPO_FORMATS } from "../formats";
import { DEFAULT_LIMIT, MAX_LIMIT } from "../core/pagination";
import { ERROR_CODES, ERROR_CODE_LIST } from "../core/error-codes";
import { statusOf } from "../core/errors";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODE_LIST).openapi({
        description: "Stable machine-readable code; its prefix is its category (NotFound…, Conflict…, Invalid…, …). New codes may be added; none is renamed or removed.",
        example: "ConflictRepoSlugInUse",
        "x-enumDescriptions": Object.fromEntries(ERROR_CODE_LIST.map((c) => [c, `HTTP ${statusOf(c)}. ${ERROR_CODES[c].description}.`])),
      }),
      message: z.string().openapi({ description: "For humans; may change between releases" }),
      request_id: z.string().openapi({ description: "The request's id (also in `X-Request-Id` and the audit log): quote it when reporting a problem" }),
      detail: z.unknown().optional().openapi({ description: "Structured detail when there is some (e.g. the validation issues of `InvalidRequest`)" }),
    }).openapi({ description: "What went wrong" }),
  })
  .openapi("Error");

export const PageQuery = z.object({
  cursor: z.string().optional().openapi({ description: "Opaque cursor from a previous page's next_cursor" }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .optional()
    .openapi({ description: `Page size (default ${DEFAULT_LIMIT}, max ${MAX_LIMIT})` }),
});

/** A list's `since`/`until` query parameters (RFC 3339), each described as that list means it. */
export const timeWindowQuery = (since: string, until: string) => ({
  since: z.string().datetime().optional().describe(since),
  until: z.string().datetime().optional().describe(until),
});

/** Those parameters as the services' time window (ms; an absent end stays open). */
export const timeWindowIn = (q: { since?: string; until?: string }) => ({
  since: q.since ? Date.parse(q.since) : undefined,
  until: q.until ? Date.parse(q.until) : undefined,
});

export const pageOf = <T extends z.ZodTypeAny>(item: T, name: string) =>
  z
    .object({
      items: z.array(item).describe("This page's items"),
      next_cursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page"),
    })
    .openapi(name);

/** A path parameter with its description. */
export const pathParam = (name: string, description: string) => z.string().openapi({ param: { name, in: "path" }, description });
/** `{id}` of the resource the path names. */
export const idParam = (what: string) => z.object({ id: pathParam("id", `The ${what}'s id`) });

export const Id = (what: string) => z.string().describe(`The ${what}'s id (UUID)`);
export const Timestamp = z.string().openapi({ format: "date-time", example: "2026-11-22T06:00:00.000Z" });
export const At = (what: string) => Timestamp.describe(what);
export const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
const Description = z.string().max(2000).describe("Free text");

// Projects
const ProjectSlug = z.string().min(1).max(64).describe("URL name: 1–64 lowercase letters, digits, '-', '_' or '.'; unique");
export const Project = z
  .object({
    id: Id("project"),
    slug: z.string().describe("URL name, unique (used in protocol paths: `/v2/<project>/…`, `/npm/<project>/…`)"),
    name: z.string().describe("Display name"),
    description: z.string().describe("Free text"),
    created_at: At("Creation time"),
    updated_at: At("Last change"),
  })
  .openapi("Project");
export const ProjectCreate = z
  .object({ slug: ProjectSlug, name: z.string().max(200).optional().describe("Display name (default: the slug)"), description: Description.optional() })
  .openapi("ProjectCreate");
export const ProjectUpdate = ProjectCreate.partial().openapi("ProjectUpdate");

// Repos
const Globs = z.array(z.string().min(1).max(200)).max(100);
const RepoConfig = z
  .object({
    metadata_ttl_seconds: z.number().int().min(0).max(30 * 86400).optional().describe("Upstream: seconds fetched metadata (packuments, index pages, tags, `maven-metadata.xml`) is served before the upstream is asked again (default 300)"),
    negative_ttl_seconds: z.number().int().min(0).max(86400).optional().describe("Upstream: seconds an upstream \"not found\" is remembered (default 60)"),
    upstream_timeout_seconds: z.number().int().min(1).max(300).optional().describe("Upstream: seconds to wait for the upstream's response headers, and between chunks of a body; past it, cached metadata is served stale (default 10)"),
    upstream_auth: z.enum(UPSTREAM_AUTH_TYPES).optional().describe("Upstream: `none` (default), `basic` (`upstream_username` and `upstream_secret` as the password) or `bearer` (`upstream_secret` as the token)"),
    upstream_username: z.string().min(1).max(256).nullable().optional().describe("Upstream: the user name for `basic`"),
    upstream_secret_set: z.boolean().optional().describe("Upstream: whether a secret is stored (read-only; the secret itself is never returned)"),
    deploy_member: z.string().nullable().optional().describe("Virtual: the id of the local member that receives pushes (unset: pushes are refused)"),
    dependency_confusion_protection: z.boolean().optional().describe("Virtual: a package name any local member has is never resolved from an upstream member (default true)"),
  })
  .strict()
  .openapi("RepoConfig", { description: "Settings of an upstream or virtual repository (docs/proxy.md); replaced as a whole on update" });
const RepoFields = {
  description: Description,
  kind: z.enum(REPO_KINDS).describe("`local` (default) stores what is pushed; `upstream` is a pull-through cache of `upstream_url`; `virtual` serves its `virtual_members` through one URL (docs/proxy.md). Fixed at creation"),
  visibility: z.enum(VISIBILITIES).describe("`public`: anyone may read (pull, install); `private` (default): project members only"),
  state: z.enum(REPO_STATES).describe("`normal`, or `read_only`: pushes and deletes are refused"),
  labels: z.record(z.string().max(63), z.string().max(256)).describe("Free-form labels, key → value"),
  allowed_patterns: Globs.describe("Package-name globs that may be published (or, in an upstream repo, fetched); empty: any"),
  blocked_patterns: Globs.describe("Package-name globs that may not be published or fetched (checked after allowed_patterns)"),
  immutable_tags: Globs.describe("Tag globs that can't be overwritten or deleted once pushed (OCI)"),
  upstream_url: z.string().url().nullable().describe("For `kind: upstream`: the registry to proxy (e.g. `https://registry.npmjs.org`, `https://registry-1.docker.io`)"),
  virtual_members: z.array(z.string()).max(50).describe("For `kind: virtual`: ordered ids of its member repositories (same format, local or upstream); reads resolve in this order"),
  config: RepoConfig,
};
const RepoInputFields = {
  upstream_secret: z.string().min(1).max(4096).nullable().describe("Write-only: the password (`basic`) or token (`bearer`) the upstream repository presents to its upstream; null removes it. Never returned"),
};
/** Reference 002's CleanupPolicy (a registry's `cleanupPolicy`), in the API's snake_case. */
export const CleanupPolicy = z
  .object({
    name: z.string().min(1).max(100).describe("Name, unique among the repository's retention policies (it becomes one)"),
    expire_days: z.number().int().min(0).max(36500).describe("Delete versions pushed more than this many days ago"),
    package_prefix: z.array(z.string().min(1).max(200)).max(50).describe("Only packages whose name starts with one of these (empty: every package)"),
    version_prefix: z.array(z.string().min(1).max(200)).max(50).describe("Only versions that start with one of these (empty: every version)"),
  })
  .openapi("CleanupPolicy");
const CleanupPolicies = z
  .array(CleanupPolicy)
  .max(50)
  .describe("Cleanup policies (reference 002's `cleanupPolicy`): each is a delete retention policy of the repository, applied by its scheduled and manual runs, its deletions going to the trash. Setting the list replaces the previous list (policies made through the retention API stay)");
const RepoSlug = z.string().min(1).max(64).describe("URL name within the project: 1–64 lowercase letters, digits, '-', '_' or '.'");
const RepoFormat = z.enum(REPO_FORMATS).describe("Protocol the repository speaks (`docker` and `helm` are OCI); fixed at creation");
export const Repo = z
  .object({
    id: Id("repository"),
    project_id: Id("project"),
    slug: z.string().describe("URL name within the project"),
    format: RepoFormat,
    ...RepoFields,
    cleanup_policy: CleanupPolicies.optional(),
    created_at: At("Creation time"),
    updated_at: At("Last change"),
  })
  .openapi("Repo");
const OptionalRepoFields = z.object({ ...RepoFields, ...RepoInputFields }).partial();
export const RepoCreate = z
  .object({ project_id: Id("project"), slug: RepoSlug, format: RepoFormat })
  .extend(OptionalRepoFields.shape)
  .extend({ cleanup_policy: CleanupPolicies.optional() })
  .openapi("RepoCreate");
export const RepoUpdate = z
  .object({ slug: RepoSlug.optional() })
  .extend(OptionalRepoFields.shape)
  .extend({ cleanup_policy: CleanupPolicies.optional() })
  .openapi("RepoUpdate");

// Service accounts and tokens
const Role = z.enum(ROLES).describe("`reader` (read), `writer` (read, push, delete) or `admin` (also manage the project)");
export const ServiceAccount = z
  .object({
    id: Id("service account"),
    project_id: Id("project"),
    name: z.string().describe("Name, unique in the project"),
    description: z.string().describe("Free text"),
    role: Role,
    created_at: At("Creation time"),
    updated_at: At("Last change"),
  })
  .openapi("ServiceAccount");
export const ServiceAccountCreate = z
  .object({
    name: z.string().min(1).max(64).describe("Name, unique in the project"),
    description: Description.optional(),
    role: Role.optional().describe("Its role in the project (default `reader`)"),
  })
  .openapi("ServiceAccountCreate");
export const ServiceAccountUpdate = ServiceAccountCreate.partial().openapi("ServiceAccountUpdate");

export const Token = z
  .object({
    id: Id("token"),
    name: z.string().describe("Name given when minting"),
    prefix: z.string().openapi({ description: "First characters of the token, to recognise it" }),
    principal_type: z.enum(TOKEN_PRINCIPAL_TYPES).describe("Who the token speaks for: `user`, `service_account` or `oidc` (exchanged)"),
    principal_id: z.string().describe("The user's, service account's or trust policy's id"),
    project_id: z.string().nullable().describe("The project the token is confined to; null for user tokens"),
    scopes: z.array(z.enum(SCOPES)).nullable().describe("Actions the token is narrowed to; null: all its role allows"),
    expires_at: At("Expiry; null: never").nullable(),
    last_used_at: At("Last successful use (updated at most once a minute); null: never used").nullable(),
    revoked_at: At("Revocation time; null: not revoked").nullable(),
    created_at: At("Creation time"),
  })
  .openapi("Token");
export const TokenCreate = z
  .object({
    name: z.string().min(1).max(100).describe("A name to recognise the token by"),
    scopes: z.array(z.enum(SCOPES)).min(1).nullable().optional().openapi({ description: "Narrow the role; omitted: no narrowing" }),
    expires_in: z.number().int().min(60).max(10 * 365 * 86400).nullable().optional().openapi({ description: "Lifetime in seconds" }),
    expires_at: At("Expiry time (instead of `expires_in`); null or omitted with no `expires_in`: never").nullable().optional(),
  })
  .openapi("TokenCreate");
export const TokenCreated = Token.extend({
  token: z.string().openapi({ description: "The secret. Shown once; only its SHA-256 is stored." }),
}).openapi("TokenCreated");

// Users and members
export const User = z
  .object({
    id: Id("user"),
    username: z.string().describe("Unique user name"),
    email: z.string().nullable().describe("E-mail address, if known"),
    is_admin: z.boolean().describe("Whether the user is an instance admin"),
    created_at: At("Creation time"),
    updated_at: At("Last change"),
  })
  .openapi("User");
export const UserCreate = z
  .object({
    username: z.string().min(1).max(64).describe("Unique user name"),
    email: z.string().email().nullable().optional().describe("E-mail address"),
    is_admin: z.boolean().optional().describe("Make the user an instance admin (default false)"),
  })
  .openapi("UserCreate");
const PrincipalType = z.enum(PRINCIPAL_TYPES).describe("`user` or `service_account`");
export const Member = z
  .object({
    principal_type: PrincipalType,
    principal_id: z.string().describe("The user's or service account's id"),
    role: Role,
    created_at: At("When the role was granted"),
  })
  .openapi("Member");
export const MemberSet = z
  .object({ principal_type: PrincipalType, principal_id: z.string().describe("The user's or service account's id"), role: Role })
  .openapi("MemberSet");

// Audit
export const AuditEntry = z
  .object({
    id: Id("entry"),
    created_at: At("When the change happened"),
    actor: z
      .object({
        type: z.string().describe("`user`, `service_account`, `oidc`, `instance_admin` or `anonymous`"),
        id: z.string().nullable().describe("The actor's id"),
        name: z.string().nullable().describe("The actor's name at the time"),
      })
      .describe("Who made the change"),
    action: z.string().openapi({ example: "repo.update", description: "What was done, `<resource>.<verb>`" }),
    resource_type: z.string().describe("Kind of resource changed (`repo`, `token`, …)"),
    resource_id: z.string().nullable().describe("Its id"),
    project_id: z.string().nullable().describe("The project it belongs to; null for instance-level resources"),
    before: z.unknown().nullable().describe("The resource before the change (secrets never included)"),
    after: z.unknown().nullable().describe("The resource after the change (secrets never included)"),
    request_id: z.string().nullable().describe("The request that made it (X-Request-Id)"),
    ip: z.string().nullable().describe("The caller's IP address, when known"),
  })
  .openapi("AuditEntry");
export const AuditQuery = PageQuery.extend({
  project_id: z.string().optional().describe("Only this project's entries (required unless instance admin)"),
  actor_id: z.string().optional().describe("Only this actor's entries"),
  action: z.string().optional().describe("Only this action (e.g. `repo.update`)"),
  resource_type: z.string().optional().describe("Only this kind of resource"),
  resource_id: z.string().optional().describe("Only this resource"),
  ...timeWindowQuery("Entries at or after this RFC 3339 time", "Entries at or before this RFC 3339 time"),
});

// Packages (the shared package model of every language format)
export const PackageFile = z
  .object({
    id: Id("file"),
    name: z.string().openapi({ example: "demo_pkg-1.0.0-py3-none-any.whl", description: "File name (or path, for generic files)" }),
    size: z.number().int().describe("Bytes"),
    digest: z.string().openapi({ example: "sha256:4f1c…", description: "Content digest" }),
    media_type: z.string().nullable().describe("Content type, when known"),
    created_at: At("Upload time"),
  })
  .openapi("PackageFile");
export const Package = z
  .object({
    id: Id("package"),
    repo_id: Id("repository"),
    name: z.string().openapi({ description: "The name as published (e.g. `Demo.Pkg`, `@scope/name`)" }),
    key: z.string().openapi({ description: "The normalized lookup key (PyPI: PEP 503)" }),
    description: z.string().nullable().describe("Summary from the package's metadata"),
    created_at: At("First publish"),
    updated_at: At("Last publish or change"),
  })
  .openapi("Package");
export const PackageVersion = z
  .object({
    id: Id("version"),
    version: z.string().describe("The version as published"),
    yanked: z.string().nullable().openapi({ description: "Yank reason (\"\" when yanked without one), null when not yanked" }),
    deprecated: z.string().nullable().describe("Deprecation message, null when not deprecated"),
    metadata: z.record(z.string(), z.unknown()).describe("Format-specific metadata (npm manifest, PyPI core metadata, …)"),
    files: z.array(PackageFile).describe("The version's files"),
    license: z.string().describe("The licence it declares (an SPDX expression, or the text as declared), or `unknown` when it declares none"),
    policy: z
      .object({
        blocked_by: z.string().nullable().describe("The security block refusing its downloads (451), or null"),
        license_blocked_by: z.string().nullable().describe("The licence policy refusing its downloads (451), or null"),
        held_until: At("End of its quarantine cool-down").nullable().describe("While held: the end of its cool-down, or null with `held: true` until an admin releases it"),
        held: z.boolean().describe("Whether quarantine holds it from ordinary readers now"),
      })
      .describe("What policies do with it (docs/policy.md)"),
    last_downloaded_at: At("Last successful download (from the download log, a few seconds behind)").nullable(),
    created_at: At("Publish time"),
    updated_at: At("Last change"),
  })
  .openapi("PackageVersion");
const counts = <T extends readonly [string, ...string[]]>(keys: T, what: string) =>
  z.object(Object.fromEntries(keys.map((k) => [k, z.number().int().describe(`${what}: ${k}`)])) as Record<T[number], z.ZodNumber>);

export const FindingsSummary = z
  .object({
    total: z.number().int().describe("Every finding reported on it"),
    by_severity: counts(SEVERITIES, "Findings of this severity").describe("Findings by severity, any status"),
    by_status: counts(FINDING_STATUSES, "Findings with this status").describe("Findings by status now (an expired acceptance counts as `open`)"),
    open_by_severity: counts(SEVERITIES, "Open findings of this severity").describe("Open findings by severity: what promotion gates and thresholds count"),
    list_url: z.string().describe("The findings themselves: /api/v1/detection/findings filtered to this artifact"),
  })
  .openapi("FindingsSummary");

export const PackageVersionPage = z
  .object({
    package: Package,
    items: z.array(PackageVersion.extend({ findings: FindingsSummary })).describe("This page's versions, oldest first"),
    next_cursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page"),
  })
  .openapi("PackageVersionPage");
export const PackageVersionUpdate = z
  .object({
    yanked: z.string().max(1000).nullable().optional().openapi({ description: "A reason (\"\" for none) to yank, null to unyank (PEP 592)" }),
    deprecated: z.string().max(1000).nullable().optional().openapi({ description: "A deprecation message, null to undeprecate" }),
  })
  .openapi("PackageVersionUpdate");

// Client set-up
export const ClientSetupSection = z
  .object({
    id: z.string().describe("Stable section id (e.g. `npmrc`, `pip-conf`)"),
    title: z.string().describe("Heading"),
    description: z.string().describe("What the section sets up"),
    filename: z.string().nullable().openapi({ description: "File to create or edit (`~` is the home directory)" }),
    content: z.string().nullable().describe("The file's content, or null when the section is commands only"),
    commands: z.array(z.string()).describe("Shell commands to run"),
  })
  .openapi("ClientSetupSection");
export const ClientSetup = z
  .object({
    repo_id: Id("repository"),
    format: RepoFormat,
    registry_url: z.string().describe("The URL clients use for this repository"),
    anonymous_read: z.boolean().describe("Whether reads work without a token (public repository)"),
    token_placeholder: z.string().describe("The placeholder standing for your token in files and commands"),
    sections: z.array(ClientSetupSection).describe("Set-up steps, in order"),
  })
  .openapi("ClientSetup");
