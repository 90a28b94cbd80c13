/**
 * zod schemas of the governance API: the single source for request validation, the
 * OpenAPI document and response shapes. Field names are snake_case on the wire;
 * timestamps are RFC 3339 strings.
 */
import { z } from "@hono/zod-openapi";
import { REPO_KINDS, REPO_STATES, ROLES, SCOPES, VISIBILITIES, PRINCIPAL_TYPES, TOKEN_PRINCIPAL_TYPES } from "../core/vocabulary";
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

export const pageOf = <T extends z.ZodTypeAny>(item: T, name: string) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() }).openapi(name);

export const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

const Timestamp = z.string().openapi({ format: "date-time", example: "2026-11-22T06:00:00.000Z" });
export const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

// Projects
export const Project = z
  .object({ id: z.string(), slug: z.string(), name: z.string(), description: z.string(), created_at: Timestamp, updated_at: Timestamp })
  .openapi("Project");
export const ProjectCreate = z
  .object({ slug: z.string().min(1).max(64), name: z.string().max(200).optional(), description: z.string().max(2000).optional() })
  .openapi("ProjectCreate");
export const ProjectUpdate = ProjectCreate.partial().openapi("ProjectUpdate");

// Repos
const Globs = z.array(z.string().min(1).max(200)).max(100);
const RepoFields = {
  description: z.string().max(2000),
  kind: z.enum(REPO_KINDS),
  visibility: z.enum(VISIBILITIES),
  state: z.enum(REPO_STATES),
  labels: z.record(z.string().max(63), z.string().max(256)),
  allowed_patterns: Globs,
  blocked_patterns: Globs,
  immutable_tags: Globs,
  upstream_url: z.string().url().nullable(),
  virtual_members: z.array(z.string()).max(50),
};
export const Repo = z
  .object({
    id: z.string(),
    project_id: z.string(),
    slug: z.string(),
    format: z.enum(REPO_FORMATS),
    ...RepoFields,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Repo");
const OptionalRepoFields = z.object(RepoFields).partial();
export const RepoCreate = z
  .object({ project_id: z.string(), slug: z.string().min(1).max(64), format: z.enum(REPO_FORMATS) })
  .extend(OptionalRepoFields.shape)
  .openapi("RepoCreate");
export const RepoUpdate = z
  .object({ slug: z.string().min(1).max(64).optional() })
  .extend(OptionalRepoFields.shape)
  .openapi("RepoUpdate");

// Service accounts and tokens
export const ServiceAccount = z
  .object({
    id: z.string(),
    project_id: z.string(),
    name: z.string(),
    description: z.string(),
    role: z.enum(ROLES),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("ServiceAccount");
export const ServiceAccountCreate = z
  .object({ name: z.string().min(1).max(64), description: z.string().max(2000).optional(), role: z.enum(ROLES).optional() })
  .openapi("ServiceAccountCreate");
export const ServiceAccountUpdate = ServiceAccountCreate.partial().openapi("ServiceAccountUpdate");

export const Token = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: "First characters of the token, to recognise it" }),
    principal_type: z.enum(TOKEN_PRINCIPAL_TYPES),
    principal_id: z.string(),
    project_id: z.string().nullable(),
    scopes: z.array(z.enum(SCOPES)).nullable(),
    expires_at: Timestamp.nullable(),
    last_used_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable(),
    created_at: Timestamp,
  })
  .openapi("Token");
export const TokenCreate = z
  .object({
    name: z.string().min(1).max(100),
    scopes: z.array(z.enum(SCOPES)).min(1).nullable().optional().openapi({ description: "Narrow the role; omitted: no narrowing" }),
    expires_in: z.number().int().min(60).max(10 * 365 * 86400).nullable().optional().openapi({ description: "Lifetime in seconds" }),
    expires_at: Timestamp.nullable().optional(),
  })
  .openapi("TokenCreate");
export const TokenCreated = Token.extend({
  token: z.string().openapi({ description: "The secret. Shown once; only its SHA-256 is stored." }),
}).openapi("TokenCreated");

// Users and members
export const User = z
  .object({ id: z.string(), username: z.string(), email: z.string().nullable(), is_admin: z.boolean(), created_at: Timestamp, updated_at: Timestamp })
  .openapi("User");
export const UserCreate = z
  .object({ username: z.string().min(1).max(64), email: z.string().email().nullable().optional(), is_admin: z.boolean().optional() })
  .openapi("UserCreate");
export const Member = z
  .object({ principal_type: z.enum(PRINCIPAL_TYPES), principal_id: z.string(), role: z.enum(ROLES), created_at: Timestamp })
  .openapi("Member");
export const MemberSet = z
  .object({ principal_type: z.enum(PRINCIPAL_TYPES), principal_id: z.string(), role: z.enum(ROLES) })
  .openapi("MemberSet");

// Audit
export const AuditEntry = z
  .object({
    id: z.string(),
    created_at: Timestamp,
    actor: z.object({ type: z.string(), id: z.string().nullable(), name: z.string().nullable() }),
    action: z.string().openapi({ example: "repo.update" }),
    resource_type: z.string(),
    resource_id: z.string().nullable(),
    project_id: z.string().nullable(),
    before: z.unknown().nullable(),
    after: z.unknown().nullable(),
    request_id: z.string().nullable(),
    ip: z.string().nullable(),
  })
  .openapi("AuditEntry");
export const AuditQuery = PageQuery.extend({
  project_id: z.string().optional(),
  actor_id: z.string().optional(),
  action: z.string().optional(),
  resource_type: z.string().optional(),
  resource_id: z.string().optional(),
  since: z.string().datetime().optional(),
  until: z.string().datetime().optional(),
});

// Packages (the shared package model of every language format)
export const PackageFile = z
  .object({
    id: z.string(),
    name: z.string().openapi({ example: "demo_pkg-1.0.0-py3-none-any.whl" }),
    size: z.number().int(),
    digest: z.string().openapi({ example: "sha256:4f1c…" }),
    media_type: z.string().nullable(),
    created_at: Timestamp,
  })
  .openapi("PackageFile");
export const Package = z
  .object({
    id: z.string(),
    repo_id: z.string(),
    name: z.string().openapi({ description: "The name as published (e.g. `Demo.Pkg`, `@scope/name`)" }),
    key: z.string().openapi({ description: "The normalized lookup key (PyPI: PEP 503)" }),
    description: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Package");
export const PackageVersion = z
  .object({
    id: z.string(),
    version: z.string(),
    yanked: z.string().nullable().openapi({ description: "Yank reason (\"\" when yanked without one), null when not yanked" }),
    deprecated: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    files: z.array(PackageFile),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("PackageVersion");
export const PackageVersionPage = z
  .object({ package: Package, items: z.array(PackageVersion), next_cursor: z.string().nullable() })
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
    id: z.string(),
    title: z.string(),
    description: z.string(),
    filename: z.string().nullable().openapi({ description: "File to create or edit (`~` is the home directory)" }),
    content: z.string().nullable(),
    commands: z.array(z.string()),
  })
  .openapi("ClientSetupSection");
export const ClientSetup = z
  .object({
    repo_id: z.string(),
    format: z.enum(REPO_FORMATS),
    registry_url: z.string(),
    anonymous_read: z.boolean(),
    token_placeholder: z.string(),
    sections: z.array(ClientSetupSection),
  })
  .openapi("ClientSetup");
