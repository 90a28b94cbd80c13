/**
 * The objects domain events carry in `data`, as receivers get them: snake_case keys,
 * times inside rows as Unix milliseconds. The event catalogue (core/events.ts) builds
 * every payload from these; emitters turn D1 rows into them with `snakeKeys`.
 * Invariant: objects are strict (an unknown key fails validation), so a field added to
 * a row (a secret, say) cannot reach receivers without being added here, documented
 * and reviewed. Each shape has a metadata id: the generated docs describe it once, by name.
 */
import { z } from "zod";
import { PRINCIPAL_TYPES, REPO_KINDS, REPO_STATES, ROLES, SCOPES, TOKEN_PRINCIPAL_TYPES, VISIBILITIES } from "./vocabulary";

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
    upstream_url: z.string().nullable().describe("For `kind: upstream`, the remote registry (stored; not used yet)"),
    virtual_members: z.array(z.string()).describe("For `kind: virtual`, member repository ids (stored; not used yet)"),
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

/** Where a reserved (not yet emitted) event says an artifact is. */
export const ArtifactRef = z
  .strictObject({
    format: Format,
    repo_id: Id("repository"),
    package: z.string().describe("Package or image name"),
    version: z.string().describe("Version or tag"),
    digest: Digest,
  })
  .meta({ id: "ArtifactRef", description: "The artifact concerned" });

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
