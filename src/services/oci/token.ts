/**
 * The Docker token flow (`/v2/token`): the caller's credential (Basic with a token
 * as password, or none) in, a short-lived registry JWT out.
 *
 * Invariants:
 * - The JWT names the token row it was minted from (`tid`), so revoking the token kills
 *   the JWT; an anonymous caller gets `tid: "anonymous"`, which authenticates as the
 *   anonymous principal again (public pulls only) — it can never grant more.
 * - The `access` claim lists, per requested scope, only the actions the caller holds
 *   right now; authorization is still decided per request, so the claim is informative.
 */
import type { Scope } from "../scope";
import { mayAccess } from "./access";
import { signRegistryJwt, signingSecretOf, REGISTRY_JWT_TTL_SECONDS, type RegistryAccess } from "../../auth/registry-jwt";
import { parseScope } from "./names";
import type { Action } from "../../auth/principal";

export const ANONYMOUS_TID = "anonymous";

const ACTION_OF: Record<string, Action> = { pull: "read", push: "write", delete: "delete" };

async function granted(scope: Scope, requested: string): Promise<RegistryAccess | null> {
  const s = parseScope(requested);
  if (!s) return null;
  if (s.type === "registry" && s.name === "catalog") {
    return { type: s.type, name: s.name, actions: scope.access.principal.type === "anonymous" ? [] : s.actions.filter((a) => a === "*") };
  }
  if (s.type !== "repository") return null;
  const wanted = s.actions.includes("*") ? ["pull", "push", "delete"] : s.actions;
  const actions: string[] = [];
  for (const a of wanted) {
    const action = ACTION_OF[a];
    if (action && (await mayAccess(scope, s.name, action))) actions.push(a);
  }
  return { type: s.type, name: s.name, actions };
}

export async function issueRegistryToken(scope: Scope, scopes: string[]) {
  const p = scope.access.principal;
  const tid = p.type === "anonymous" ? ANONYMOUS_TID : p.type === "instance_admin" ? "admin" : p.tokenId;
  const sub = p.type === "anonymous" ? "anonymous" : p.name;
  const access = (await Promise.all(scopes.flatMap((s) => s.split(" ")).filter(Boolean).map((s) => granted(scope, s)))).filter((a): a is RegistryAccess => a !== null);
  const now = Date.now();
  const token = await signRegistryJwt({ tid, sub, access }, await signingSecretOf(scope.env), now);
  return { token, access_token: token, expires_in: REGISTRY_JWT_TTL_SECONDS, issued_at: new Date(now).toISOString() };
}
