/**
 * Who is calling. Resolved once per request by auth/authenticate.ts.
 * Invariant: `anonymous` carries no identity; every other principal carries the
 * token it authenticated with (null only for the instance admin's static secret),
 * its optional project confinement, scopes and role override. An `oidc` principal
 * (a token exchanged from a CI-issued OIDC token) is always confined to one project
 * and always carries its role: it has no role bindings and is never an admin. An
 * `internal` principal (the internal API's service JWT) exists only on `/internal/…`.
 */
import type { Role, TokenScope as Scope } from "../core/vocabulary";

export type Principal =
  | { type: "anonymous" }
  | { type: "instance_admin"; id: "admin"; name: "admin" }
  | {
      /** `internal`: a trusted service's JWT on `/internal/…` (auth/internal-jwt.ts): read and scan everywhere, nothing else. */
      type: "user" | "service_account" | "oidc" | "internal";
      id: string;
      name: string;
      tokenId: string;
      /** The project this credential is confined to, or null (user tokens). */
      projectId: string | null;
      /** null: not narrowed. */
      scopes: Scope[] | null;
      /** Role granted by the credential itself (OIDC exchange); null: use role bindings. */
      role: Role | null;
      /** Instance-wide admin flag of a user. */
      isAdmin: boolean;
      /** Set when a browser session cookie (auth/session.ts) authenticated the request; `tokenId` is then the session's id. */
      sessionId?: string;
      /** An OIDC-exchanged token's kept claims (repository, workflow, ref, …): the download log records them. */
      claims?: Record<string, string | null> | null;
    };

export type Action = Scope; // read | write | delete | admin | scan

export const ANONYMOUS: Principal = { type: "anonymous" };
export const INSTANCE_ADMIN: Principal = { type: "instance_admin", id: "admin", name: "admin" };

const ROLE_ACTIONS: Record<Role, readonly Action[]> = {
  reader: ["read"],
  writer: ["read", "write", "delete", "scan"],
  admin: ["read", "write", "delete", "admin", "scan"],
};

/** Whether a role, narrowed by token scopes, allows an action. */
export function roleAllows(role: Role | null, scopes: Scope[] | null, action: Action): boolean {
  if (!role || !ROLE_ACTIONS[role].includes(action)) return false;
  return scopes === null || scopes.includes(action);
}

export function describe(p: Principal): { actorType: string; actorId: string | null; actorName: string | null } {
  if (p.type === "anonymous") return { actorType: "anonymous", actorId: null, actorName: null };
  return { actorType: p.type, actorId: p.id, actorName: p.name };
}
