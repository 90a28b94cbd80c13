/**
 * Authorization: may this principal do this action on this project (and repo)?
 *
 * Rules, in order:
 *   instance admin, or a user flagged admin          → allowed (scopes still narrow)
 *   the internal API's service (`internal`)          → its scopes (read, scan) everywhere
 *   read on a public repo                            → allowed, even anonymously
 *   anonymous                                        → 401 (who are you?)
 *   credential confined to another project           → 403
 *   role ∧ scopes                                    → allowed or 403
 * where role is the credential's own (OIDC exchange), else the highest of: the
 * principal's project role binding, the project role of each team it is in, and on a
 * repo the repo permissions granted to it or to its teams (reference 004 §2.12).
 * Invariant: a denial to an anonymous caller is always 401 and to an identified one
 * always 403, so clients know whether to send credentials or give up.
 * Resolving a role is one D1 query (db/permissions.ts grantsOf), cached per isolate
 * for AUTH_CACHE_TTL_MS (core/ttl-cache.ts) by (project, repo, principal).
 */
import type { Db, Read, Ref } from "../db/client";
import { grantsOf, grantsRead, type GrantRow } from "../db/permissions";
import { RegistryError } from "../core/errors";
import { roleAllows, type Action, type Principal } from "./principal";
import type { Role } from "../core/vocabulary";
import { AUTH_CACHE_TTL_MS, TtlCache } from "../core/ttl-cache";

const grantCache = new TtlCache<string, GrantRow[]>(AUTH_CACHE_TTL_MS);
const grantKey = (projectId: string, repoId: string | null, type: string, id: string) => `${projectId}|${repoId ?? ""}|${type}|${id}`;

/** Grants of a principal on a repo, when this isolate has them. */
export const cachedGrants = (projectId: string, repoId: string, type: string, id: string) => grantCache.get(grantKey(projectId, repoId, type, id));

/** The grants query for the gate's batch (http/prefetch.ts): inputs may be subqueries. */
export const pendingGrantsRead = (db: Db, projectId: Ref, repoId: Ref, type: Ref, id: Ref): Read<GrantRow[]> => grantsRead(db, projectId, repoId, type, id);

/** Puts grants read in the gate's batch into the cache `Access.grants` reads. */
export function acceptGrants(projectId: string, repoId: string, type: string, id: string, rows: GrantRow[]) {
  grantCache.set(grantKey(projectId, repoId, type, id), rows);
}
const RANK: Record<Role, number> = { reader: 1, writer: 2, admin: 3 };

/** The highest role among grants, or null. */
export function highestRole(grants: readonly { role: Role }[]): Role | null {
  let best: Role | null = null;
  for (const g of grants) if (!best || RANK[g.role] > RANK[best]) best = g.role;
  return best;
}

export interface AccessTarget {
  projectId: string;
  /** The repo acted on: its visibility, and its id for repo-level permissions. */
  repo?: { id?: string; visibility: "public" | "private" } | null;
}

export class Access {
  constructor(
    private readonly db: Db,
    readonly principal: Principal,
  ) {}

  /** The principal's role in a project, or on one repo of it (repo permissions included). */
  async roleIn(projectId: string, repoId: string | null = null): Promise<Role | null> {
    const p = this.principal;
    if (p.type === "anonymous") return null;
    if (p.type === "instance_admin") return "admin";
    if (p.projectId !== null && p.projectId !== projectId) return null;
    if (p.isAdmin) return "admin";
    if (p.role) return p.role;
    if (p.type === "oidc" || p.type === "internal") return null;
    return highestRole(await this.grants(projectId, repoId));
  }

  /** Every grant behind `roleIn` (cached): what the transitive-permissions view explains. */
  async grants(projectId: string, repoId: string | null): Promise<GrantRow[]> {
    const p = this.principal;
    if (p.type !== "user" && p.type !== "service_account") return [];
    const key = grantKey(projectId, repoId, p.type, p.id);
    return grantCache.get(key) ?? grantCache.set(key, await grantsOf(this.db, projectId, repoId, p.type, p.id));
  }

  async can(action: Action, target: AccessTarget): Promise<boolean> {
    const p = this.principal;
    if (p.type === "instance_admin") return true;
    if (action === "read" && target.repo?.visibility === "public") return true;
    if (p.type === "anonymous") return false;
    if (p.type === "internal") return p.scopes!.includes(action);
    if (p.isAdmin && (p.scopes === null || p.scopes.includes(action))) return true;
    return roleAllows(await this.roleIn(target.projectId, target.repo?.id ?? null), p.scopes, action);
  }

  async require(action: Action, target: AccessTarget): Promise<void> {
    if (await this.can(action, target)) return;
    throw this.denial(action);
  }

  /** Instance-wide administration (`/api/admin/…`). */
  requireInstanceAdmin(): void {
    const p = this.principal;
    if (p.type === "instance_admin") return;
    if (p.type !== "anonymous" && p.isAdmin && p.projectId === null && (p.scopes === null || p.scopes.includes("admin"))) return;
    throw this.denial("admin");
  }

  get isInstanceAdmin(): boolean {
    try {
      this.requireInstanceAdmin();
      return true;
    } catch {
      return false;
    }
  }

  denial(action: Action): RegistryError {
    if (this.principal.type === "anonymous") {
      return new RegistryError("UnauthorizedCredentialsRequired", "authentication required");
    }
    return new RegistryError("ForbiddenInsufficientPermissions", `the credential does not grant '${action}' here`);
  }
}
