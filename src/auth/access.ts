/**
 * Authorization: may this principal do this action on this project (and repo)?
 *
 * Rules, in order:
 *   instance admin, or a user flagged admin          → allowed (scopes still narrow)
 *   read on a public repo                            → allowed, even anonymously
 *   anonymous                                        → 401 (who are you?)
 *   credential confined to another project           → 403
 *   role (credential's own, else role binding) ∧ scopes → allowed or 403
 * Invariant: a denial to an anonymous caller is always 401 and to an identified one
 * always 403, so clients know whether to send credentials or give up.
 * Role bindings are cached per isolate for AUTH_CACHE_TTL_MS (core/ttl-cache.ts).
 */
import type { Db } from "../db/client";
import { findRole } from "../db/principals";
import { RegistryError } from "../core/errors";
import { roleAllows, type Action, type Principal } from "./principal";
import type { Role } from "../core/vocabulary";
import { AUTH_CACHE_TTL_MS, TtlCache } from "../core/ttl-cache";

const roleBindings = new TtlCache<string, Role | "none">(AUTH_CACHE_TTL_MS);

export interface AccessTarget {
  projectId: string;
  repo?: { visibility: "public" | "private" } | null;
}

export class Access {
  constructor(
    private readonly db: Db,
    readonly principal: Principal,
  ) {}

  async roleIn(projectId: string): Promise<Role | null> {
    const p = this.principal;
    if (p.type === "anonymous") return null;
    if (p.type === "instance_admin") return "admin";
    if (p.projectId !== null && p.projectId !== projectId) return null;
    if (p.isAdmin) return "admin";
    if (p.role) return p.role;
    if (p.type === "oidc") return null;
    const key = `${projectId}|${p.type}|${p.id}`;
    let role = roleBindings.get(key);
    if (role === undefined) role = roleBindings.set(key, (await findRole(this.db, projectId, p.type, p.id)) ?? "none");
    return role === "none" ? null : role;
  }

  async can(action: Action, target: AccessTarget): Promise<boolean> {
    const p = this.principal;
    if (p.type === "instance_admin") return true;
    if (action === "read" && target.repo?.visibility === "public") return true;
    if (p.type === "anonymous") return false;
    if (p.isAdmin && (p.scopes === null || p.scopes.includes(action))) return true;
    return roleAllows(await this.roleIn(target.projectId), p.scopes, action);
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
