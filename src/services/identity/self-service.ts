/**
 * Self-service for a signed-in user (reference 004 §2.2 app-specific tokens, §2.24 user):
 * who am I, my tokens (list, mint, revoke), my starred repos.
 * Invariants:
 * - Only a user principal (browser session or user token) has a self; service
 *   accounts and exchanged tokens get 403.
 * - A token minted here can't do more than the credential minting it: its scopes must
 *   be within the caller's (a session has no narrowing); its plaintext is returned once.
 * - A user only ever sees and revokes their own tokens (another's id answers 404).
 * - Starring needs read access to the repo; a star never grants anything.
 */
import type { Scope } from "../scope";
import { getRepo } from "../projects/repos";
import { visibleReach } from "../projects/visibility";
import { revokeTokenRow, type TokenInput } from "./service-accounts";
import { mintTokenFor } from "./users";
import * as q from "../../db/principals";
import * as perms from "../../db/permissions";
import { identitiesOf } from "../../db/sessions";
import { RegistryError, notFound } from "../../core/errors";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";

/** The calling user's row; 401 for anonymous callers, 403 for anyone who is not a user. */
export async function currentUser(scope: Scope) {
  const p = scope.access.principal;
  if (p.type === "anonymous") throw scope.access.denial("read");
  if (p.type !== "user") throw new RegistryError("ForbiddenNotAUser", "only a signed-in user (a browser session or a user token) has a self");
  const user = await q.findUser(scope.db, p.id);
  if (!user) throw scope.access.denial("read");
  return user;
}

export async function whoAmI(scope: Scope) {
  const user = await currentUser(scope);
  const reach = await visibleReach(scope);
  return { user, logins: await identitiesOf(scope.db, user.id), projectIds: reach.projectIds, canCreateProjects: scope.access.isInstanceAdmin };
}

export async function listMyTokens(scope: Scope, cursor?: string, limit?: number) {
  const user = await currentUser(scope);
  const n = clampLimit(limit);
  return toPage(await q.listTokens(scope.db, "user", user.id, decodeCursor(cursor), n), n);
}

export async function getMyToken(scope: Scope, tokenId: string) {
  const user = await currentUser(scope);
  const token = await q.findToken(scope.db, tokenId);
  if (!token || token.principalType !== "user" || token.principalId !== user.id) throw notFound("Token", `token ${tokenId} not found`);
  return token;
}

export async function mintMyToken(scope: Scope, input: TokenInput) {
  const user = await currentUser(scope);
  const p = scope.access.principal;
  const callerScopes = p.type === "user" ? p.scopes : null;
  const scopes = input.scopes ?? callerScopes;
  if (callerScopes && (scopes === null || scopes.some((s) => !callerScopes.includes(s)))) {
    throw new RegistryError("ForbiddenTokenScopes", `a token can only be minted with scopes the caller holds (${callerScopes.join(", ")})`);
  }
  return mintTokenFor(scope, user, { ...input, scopes: scopes ?? null });
}

export async function revokeMyToken(scope: Scope, tokenId: string) {
  await revokeTokenRow(scope, await getMyToken(scope, tokenId), null);
}

export async function listStarred(scope: Scope) {
  const user = await currentUser(scope);
  const rows = await perms.listStars(scope.db, user.id);
  // A star outlives access: show only repos the user may still read.
  const visible = [];
  for (const r of rows) if (await scope.access.can("read", { projectId: r.repo.projectId, repo: r.repo })) visible.push(r);
  return visible;
}

export async function star(scope: Scope, repoId: string) {
  const user = await currentUser(scope);
  const repo = await getRepo(scope, repoId);
  await perms.insertStar(scope.db, user.id, repo.id, Date.now()).run();
  return repo;
}

export async function unstar(scope: Scope, repoId: string) {
  const user = await currentUser(scope);
  await perms.deleteStar(scope.db, user.id, repoId).run();
}
