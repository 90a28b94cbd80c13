/**
 * Browser sign-in through an OIDC login provider, and sign-out.
 *
 *   start(provider, return_to):
 *     secrets ← state, nonce, PKCE verifier; insert login_attempts(sha256(state) → …,
 *     10 min); the browser gets the state in a cookie and goes to the provider
 *   finish(code, state, cookie state):
 *     state = cookie state? → take (delete) the attempt → not expired?
 *     → redeem code (PKCE, client secret) → verified ID token with our nonce
 *     → email domain allowed? → user: linked identity, else invited user with the
 *       verified email, else (provisioning auto) a new user
 *     → one batch: identity, user, team memberships from the groups claim, session,
 *       audit `session.login`  → cookie with the session secret
 *
 * Invariants:
 * - An attempt is single use and bound to the browser that started it (state cookie),
 *   so a stolen callback URL or a replayed code signs no one in.
 * - Every failure writes one audit row (`session.login_failed`) with its reason; the
 *   browser sees a plain message.
 * - An external account links to an existing user only through a verified email.
 * - Groups sync only the provider's mapped teams, and only memberships it made itself
 *   (`source = oidc`): a manual membership is never removed by a login.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { snakeKeys } from "../../core/event-shapes";
import * as s from "../../db/sessions";
import * as users from "../../db/principals";
import * as perms from "../../db/permissions";
import { OidcRefusal } from "../../auth/oidc";
import { authorizationUrl, newFlowSecrets, redeemCode } from "../../auth/oidc-login";
import { jwksCache } from "../../auth/jwks";
import { RegistryError } from "../../core/errors";
import { newId, randomSecret, sha256Hex, timingSafeEqual } from "../../core/ids";
import { config } from "../../config";
import { isUniqueViolation } from "../../db/errors";
import { runBatch } from "../../db/client";
import type { BatchItem } from "drizzle-orm/batch";

const ATTEMPT_TTL_MS = 10 * 60_000;
export const LOGIN_ATTEMPT_SECONDS = ATTEMPT_TTL_MS / 1000;

/** A path on this site to come back to after sign-in; anything else becomes `/ui`. */
export function safeReturnTo(raw: string | null | undefined): string {
  if (!raw || !raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\") || /[\r\n]/.test(raw)) return "/ui";
  return raw;
}

export const redirectUriOf = (scope: Scope) => `${scope.baseUrl}/auth/callback`;

async function enabledProvider(scope: Scope, name: string) {
  const provider = await s.findLoginProviderByName(scope.db, name);
  if (!provider?.enabled) throw new RegistryError("NotFoundLoginProvider", `no enabled sign-in provider named '${name}'`);
  return provider;
}

/** Begins a sign-in: returns where to send the browser and the state for its cookie. */
export async function startSignIn(scope: Scope, providerName: string, returnTo: string | null) {
  const provider = await enabledProvider(scope, providerName);
  const secrets = newFlowSecrets();
  const now = Date.now();
  let url: URL;
  try {
    url = await authorizationUrl(jwksCache, provider, redirectUriOf(scope), secrets, config(scope.env).allowPrivateTargets);
  } catch (e) {
    if (!(e instanceof OidcRefusal)) throw e;
    await auditFailure(scope, provider.id, e, now);
    throw new RegistryError("UnavailableLoginProvider", "the sign-in provider could not be reached; try again later");
  }
  await scope.db.batch([
    s.purgeLoginAttempts(scope.db, now),
    s.insertLoginAttempt(scope.db, {
      stateHash: await sha256Hex(secrets.state),
      providerId: provider.id,
      nonce: secrets.nonce,
      codeVerifier: secrets.codeVerifier,
      returnTo: safeReturnTo(returnTo),
      createdAt: now,
      expiresAt: now + ATTEMPT_TTL_MS,
    }),
  ]);
  return { location: url.toString(), state: secrets.state };
}

export interface CallbackInput {
  code?: string;
  state?: string;
  error?: string;
  errorDescription?: string;
  /** The state the browser's login cookie carries. */
  cookieState: string | null;
  userAgent: string | null;
}

/** Completes a sign-in; returns the new session's secret, lifetime and where to go. */
export async function finishSignIn(scope: Scope, input: CallbackInput) {
  const now = Date.now();
  let providerId: string | null = null;
  try {
    if (input.error) throw new OidcRefusal("provider_error", `the provider answered ${input.error}: ${(input.errorDescription ?? "").slice(0, 200)}`);
    if (!input.state || !input.cookieState || !timingSafeEqual(input.state, input.cookieState)) {
      throw new OidcRefusal("state_mismatch", "the state does not match the one this browser started with");
    }
    const attempt = await s.takeLoginAttempt(scope.db, await sha256Hex(input.state));
    if (!attempt) throw new OidcRefusal("state_unknown", "no sign-in is waiting for this state (used already, or never started)");
    providerId = attempt.providerId;
    if (attempt.expiresAt <= now) throw new OidcRefusal("state_expired", "the sign-in took too long; start again");
    const provider = await s.findLoginProvider(scope.db, attempt.providerId);
    if (!provider?.enabled) throw new OidcRefusal("provider_unknown", "the sign-in provider was removed or disabled");
    if (!input.code) throw new OidcRefusal("malformed", "the callback carries no code");
    const claims = await redeemCode(jwksCache, provider, {
      code: input.code,
      redirectUri: redirectUriOf(scope),
      codeVerifier: attempt.codeVerifier,
      nonce: attempt.nonce,
      allowPrivate: config(scope.env).allowPrivateTargets,
      now,
    });
    return await openSession(scope, provider, claims, attempt.returnTo, input.userAgent, now);
  } catch (e) {
    if (!(e instanceof OidcRefusal)) throw e;
    await auditFailure(scope, providerId, e, now);
    throw new RegistryError(e.reason === "issuer_unavailable" ? "UnavailableLoginProvider" : "UnauthorizedSignIn", signInMessage(e));
  }
}

function signInMessage(e: OidcRefusal): string {
  if (e.reason === "email_domain") return "your account's email domain may not sign in here";
  if (e.reason === "email_unverified") return "your account's email address is not verified by the provider";
  if (e.reason === "not_invited") return "sign-in here is by invitation: ask an administrator to add you";
  if (e.reason === "state_expired" || e.reason === "state_unknown" || e.reason === "state_mismatch") return "this sign-in link has expired or was already used: start again";
  if (e.reason === "issuer_unavailable") return "the sign-in provider could not be reached; try again later";
  return "the sign-in was refused (the audit log has the reason)";
}

async function auditFailure(scope: Scope, providerId: string | null, e: OidcRefusal, now: number) {
  await scope.db.batch([
    auditQuery(scope, { action: "session.login_failed", resourceType: "login_provider", resourceId: providerId, projectId: null, after: { reason: e.reason, message: e.message.slice(0, 500) } }, now),
  ]);
}

const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);

function groupsOf(claims: Record<string, unknown>, claim: string | null): string[] {
  if (!claim) return [];
  const v = claims[claim];
  if (typeof v === "string") return [v];
  return Array.isArray(v) ? v.filter((g): g is string => typeof g === "string") : [];
}

async function openSession(scope: Scope, provider: s.LoginProviderRow, claims: Record<string, unknown>, returnTo: string, userAgent: string | null, now: number) {
  const subject = str(claims.sub)!;
  const email = str(claims.email);
  const verified = claims.email_verified === true || claims.email_verified === "true";
  if (provider.allowedEmailDomains.length) {
    if (!email) throw new OidcRefusal("email_domain", "the ID token carries no email to check the domain of");
    if (!verified) throw new OidcRefusal("email_unverified", `email ${email} is not verified`);
    const domain = email.slice(email.lastIndexOf("@") + 1).toLowerCase();
    if (!provider.allowedEmailDomains.map((d) => d.toLowerCase()).includes(domain)) throw new OidcRefusal("email_domain", `domain ${domain} is not allowed`);
  }
  const writes: BatchItem<"sqlite">[] = [];
  const identity = await s.findIdentity(scope.db, provider.id, subject);
  let user = identity ? await users.findUser(scope.db, identity.userId) : undefined;
  let created = false;
  if (!user && email && verified) {
    const matches = await s.usersByEmail(scope.db, email);
    if (matches.length === 1) user = matches[0];
  }
  if (!user) {
    if (provider.provisioning === "invite") throw new OidcRefusal("not_invited", `no user is invited for ${email ?? subject}`);
    user = { id: newId(), username: await freeUsername(scope, claims), email: email && verified ? email : null, isAdmin: false, createdAt: now, updatedAt: now };
    writes.push(users.insertUser(scope.db, user));
    created = true;
  }
  writes.push(s.upsertIdentity(scope.db, { providerId: provider.id, subject, userId: user.id, email, createdAt: now, lastLoginAt: now }));
  const teamChanges = await syncTeams(scope, provider, user.id, groupsOf(claims, provider.groupsClaim), now);
  writes.push(...teamChanges.writes);
  const secret = randomSecret(32);
  const limits = config(scope.env).sessions;
  const session: s.SessionRow = {
    id: newId(),
    tokenHash: await sha256Hex(secret),
    userId: user.id,
    providerId: provider.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + limits.maxMs,
    revokedAt: null,
    ip: scope.ip,
    userAgent: userAgent?.slice(0, 300) ?? null,
  };
  writes.push(s.insertSession(scope.db, session));
  const actor = { actorType: "user", actorId: user.id, actorName: user.username };
  const after = { session_id: session.id, provider: provider.name, subject, email, created_user: created, teams_added: teamChanges.added, teams_removed: teamChanges.removed, expires_at: new Date(session.expiresAt).toISOString() };
  writes.push(auditQuery(scope, { action: "session.login", resourceType: "session", resourceId: session.id, projectId: null, actor, after }, now));
  try {
    await runBatch(scope.db, writes);
  } catch (e) {
    if (created && isUniqueViolation(e)) throw new OidcRefusal("invalid_claims", "a user with this name was created at the same moment; sign in again");
    throw e;
  }
  await emitEvent(scope, { type: "session.created", project_id: null, data: { session: snakeKeys(publicSession(session)), user: { id: user.id, username: user.username }, created_user: created } });
  return { secret, maxAgeSeconds: limits.maxMs / 1000, returnTo, user, session };
}

/** The user name a first login gets: preferred_username or the email's local part, made valid and unique. */
async function freeUsername(scope: Scope, claims: Record<string, unknown>): Promise<string> {
  const raw = str(claims.preferred_username) ?? str(claims.email)?.split("@")[0] ?? str(claims.name) ?? "user";
  let base = raw.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "").slice(0, 48) || "user";
  if (!/^[a-z0-9]/.test(base)) base = `u${base}`;
  for (let i = 0; i < 5; i++) {
    const candidate = i === 0 ? base : `${base}-${randomSecret(3).toLowerCase().replace(/[^a-z0-9]/g, "0")}`;
    if (!(await users.findUserByName(scope.db, candidate))) return candidate;
  }
  return `${base}-${newId().slice(0, 8)}`;
}

async function syncTeams(scope: Scope, provider: s.LoginProviderRow, userId: string, groups: string[], now: number) {
  const mapped = provider.groupMappings;
  const wanted = new Set(mapped.filter((m) => groups.includes(m.group)).map((m) => m.team_id));
  const existing = await perms.membershipsOf(scope.db, userId, [...new Set(mapped.map((m) => m.team_id))]);
  const has = new Map(existing.map((m) => [m.teamId, m]));
  const teamIds = new Set((await perms.findTeamsByIds(scope.db, [...wanted])).map((t) => t.id));
  const added = [...wanted].filter((t) => teamIds.has(t) && !has.has(t));
  const removed = existing.filter((m) => m.source === "oidc" && !wanted.has(m.teamId)).map((m) => m.teamId);
  return {
    added,
    removed,
    writes: [
      ...added.map((teamId) => perms.upsertTeamMember(scope.db, { teamId, userId, source: "oidc", createdAt: now })),
      ...removed.map((teamId) => perms.deleteTeamMember(scope.db, teamId, userId)),
    ],
  };
}

/** Ends the calling browser session. */
export async function signOut(scope: Scope) {
  const sessionId = scope.session?.id;
  if (!sessionId) throw new RegistryError("UnauthorizedCredentialsRequired", "no browser session to sign out of");
  const session = await s.findSession(scope.db, sessionId);
  if (session) await revokeSessionRow(scope, session, "session.logout");
}

/** Revokes a session with its audit row and event (nothing when it was revoked already). */
export async function revokeSessionRow(scope: Scope, session: s.SessionRow, action: "session.logout" | "session.revoke") {
  if (session.revokedAt !== null) return;
  const now = Date.now();
  await scope.db.batch([
    s.revokeSession(scope.db, session.id, now),
    auditQuery(scope, { action, resourceType: "session", resourceId: session.id, projectId: null, before: publicSession(session), after: { revoked_at: new Date(now).toISOString() } }, now),
  ]);
  await emitEvent(scope, { type: "session.revoked", project_id: null, data: { session: snakeKeys({ ...publicSession(session), revokedAt: now }), reason: action === "session.logout" ? "logout" : "revoked" } });
}

/** A session as it may be shown: no hash. */
export function publicSession(row: s.SessionRow) {
  const { tokenHash: _hidden, ...rest } = row;
  return rest;
}
