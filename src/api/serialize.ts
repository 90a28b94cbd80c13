/** Row → wire shape for the governance API (snake_case, RFC 3339 times, no secrets). */
import { iso } from "./schemas";
import type { ProjectRow, RepoRow } from "../services/projects";
import type { ServiceAccountRow, TokenRow, UserRow } from "../services/identity";
import type { AuditRow } from "../services/events";
import type { FileRow, PackageRow, VersionRow } from "../services/artifacts";
import { HELD_UNTIL_RELEASED } from "../services/policy";

export const projectOut = (p: ProjectRow) => ({
  id: p.id,
  slug: p.slug,
  name: p.name,
  description: p.description,
  created_at: iso(p.createdAt)!,
  updated_at: iso(p.updatedAt)!,
});

export const repoOut = (r: RepoRow) => ({
  id: r.id,
  project_id: r.projectId,
  slug: r.slug,
  format: r.format,
  kind: r.kind,
  visibility: r.visibility,
  state: r.state,
  description: r.description,
  labels: r.labels,
  allowed_patterns: r.allowedPatterns,
  blocked_patterns: r.blockedPatterns,
  immutable_tags: r.immutableTags,
  upstream_url: r.upstreamUrl,
  virtual_members: r.virtualMembers,
  config: r.config,
  created_at: iso(r.createdAt)!,
  updated_at: iso(r.updatedAt)!,
});

/** Wire patch → service patch for repos (only the fields that were sent). */
export function repoPatchIn(body: Record<string, unknown>) {
  const map: Record<string, string> = {
    allowed_patterns: "allowedPatterns",
    blocked_patterns: "blockedPatterns",
    immutable_tags: "immutableTags",
    upstream_url: "upstreamUrl",
    virtual_members: "virtualMembers",
    upstream_secret: "upstreamSecret",
    project_id: "projectId",
  };
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [map[k] ?? k, v]));
}

export const serviceAccountOut = (s: ServiceAccountRow) => ({
  id: s.id,
  project_id: s.projectId,
  name: s.name,
  description: s.description,
  role: s.role,
  created_at: iso(s.createdAt)!,
  updated_at: iso(s.updatedAt)!,
});

export const tokenOut = (t: TokenRow) => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  principal_type: t.principalType,
  principal_id: t.principalId,
  project_id: t.projectId,
  scopes: t.scopes,
  expires_at: iso(t.expiresAt),
  last_used_at: iso(t.lastUsedAt),
  revoked_at: iso(t.revokedAt),
  created_at: iso(t.createdAt)!,
});

export const userOut = (u: UserRow) => ({
  id: u.id,
  username: u.username,
  email: u.email,
  is_admin: u.isAdmin,
  created_at: iso(u.createdAt)!,
  updated_at: iso(u.updatedAt)!,
});

export const auditOut = (a: AuditRow) => ({
  id: a.id,
  created_at: iso(a.createdAt)!,
  actor: { type: a.actorType, id: a.actorId, name: a.actorName },
  action: a.action,
  resource_type: a.resourceType,
  resource_id: a.resourceId,
  project_id: a.projectId,
  before: snakeKeys(a.before),
  after: snakeKeys(a.after),
  request_id: a.requestId,
  ip: a.ip,
});

export const page = <T, U>(p: { items: T[]; nextCursor: string | null }, out: (t: T) => U) => ({
  items: p.items.map(out),
  next_cursor: p.nextCursor,
});

/** Audit snapshots are stored as rows (camelCase); the wire speaks snake_case. */
function snakeKeys(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`), v]),
  );
}

export const packageOut = (p: PackageRow) => {
  const m = p.metadata as { description?: unknown; summary?: unknown };
  const description = typeof m.description === "string" ? m.description : typeof m.summary === "string" ? m.summary : null;
  return { id: p.id, repo_id: p.repoId, name: p.displayName, key: p.name, description, created_at: iso(p.createdAt)!, updated_at: iso(p.updatedAt)! };
};

export const packageFileOut = (f: FileRow) => ({
  id: f.id,
  name: f.name,
  size: f.size,
  digest: f.digest,
  media_type: f.mediaType,
  created_at: iso(f.createdAt)!,
});

export const packageVersionOut = ({ version: v, files }: { version: VersionRow; files: FileRow[] }) => ({
  id: v.id,
  version: v.version,
  yanked: v.yanked,
  deprecated: v.deprecated,
  metadata: v.metadata,
  files: files.map(packageFileOut),
  license: v.license ?? "unknown",
  policy: {
    blocked_by: v.blockedBy,
    license_blocked_by: v.licenseBlockedBy,
    held_until: v.heldUntil !== null && v.heldUntil < HELD_UNTIL_RELEASED ? iso(v.heldUntil) : null,
    held: v.heldUntil !== null && v.heldUntil > Date.now(),
  },
  last_downloaded_at: iso(v.lastDownloadedAt),
  created_at: iso(v.createdAt)!,
  updated_at: iso(v.updatedAt)!,
});
