/**
 * OIDC login providers for browser sign-in (instance admin): CRUD.
 * Invariants:
 * - Only instance admins read or change providers; the sign-in page lists enabled ones
 *   by name and display name only.
 * - The issuer is an https URL (http only for private hosts when the operator allows
 *   private targets) without query or fragment; the client secret is write-only: no
 *   response, audit row or event carries it (`client_secret_set` says whether one is).
 * - Group mappings name teams that exist; deleting a provider deletes its identities
 *   and pending logins (foreign keys) but keeps users, sessions and team memberships.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { snakeKeys } from "../../core/event-shapes";
import * as q from "../../db/sessions";
import { findTeamsByIds } from "../../db/permissions";
import { isUniqueViolation } from "../../db/errors";
import { conflict, invalid, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { checkOutboundUrl } from "../../core/net";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import type { ProvisioningMode } from "../../core/vocabulary";
import { config } from "../../config";

export type { LoginProviderRow } from "../../db/sessions";

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export interface LoginProviderInput {
  name: string;
  display_name?: string;
  issuer: string;
  client_id: string;
  client_secret: string;
  scopes?: string[];
  allowed_email_domains?: string[];
  groups_claim?: string | null;
  group_mappings?: { group: string; team_id: string }[];
  provisioning?: ProvisioningMode;
  enabled?: boolean;
}

/** A provider as it may be shown: the secret replaced by whether one is set. */
export function publicProvider(row: q.LoginProviderRow) {
  const { clientSecret, ...rest } = row;
  return { ...rest, clientSecretSet: clientSecret !== "" };
}

/** A provider as events carry it (snake_case, no secret). */
const providerView = (row: q.LoginProviderRow) => snakeKeys(publicProvider(row));

export async function listLoginProviders(scope: Scope, cursor?: string, limit?: number) {
  scope.access.requireInstanceAdmin();
  const n = clampLimit(limit);
  return toPage(await q.listLoginProviders(scope.db, decodeCursor(cursor), n), n);
}

/** What the sign-in page may show to anyone. */
export async function signInChoices(scope: Scope) {
  return (await q.enabledLoginProviders(scope.db)).map((p) => ({ name: p.name, displayName: p.displayName }));
}

export async function getLoginProvider(scope: Scope, id: string) {
  scope.access.requireInstanceAdmin();
  const row = await q.findLoginProvider(scope.db, id);
  if (!row) throw notFound("LoginProvider", `login provider ${id} not found`);
  return row;
}

async function validate(scope: Scope, p: q.LoginProviderRow) {
  if (!NAME.test(p.name)) throw invalid("LoginProviderName", "name must be 1–32 lowercase letters, digits or '-'");
  const url = checkOutboundUrl(p.issuer, "LoginProviderIssuer", { allowPrivate: config(scope.env).allowPrivateTargets, requireHttps: true });
  if (url.search || url.hash) throw invalid("LoginProviderIssuerUrl", "the issuer URL can't carry a query or fragment");
  if (!p.scopes.includes("openid")) throw invalid("LoginProviderScopes", "scopes must include 'openid'");
  const bad = p.allowedEmailDomains.find((d) => !DOMAIN.test(d));
  if (bad) throw invalid("LoginProviderEmailDomain", `'${bad}' is not a domain name (lowercase, e.g. example.com)`);
  if (p.groupMappings.length && !p.groupsClaim) throw invalid("LoginProviderGroupsClaim", "group_mappings need groups_claim (the ID token claim that lists groups)");
  const teamIds = [...new Set(p.groupMappings.map((m) => m.team_id))];
  const found = new Set((await findTeamsByIds(scope.db, teamIds)).map((t) => t.id));
  const missing = teamIds.find((t) => !found.has(t));
  if (missing) throw invalid("LoginProviderTeam", `team ${missing} does not exist`);
}

export async function createLoginProvider(scope: Scope, input: LoginProviderInput) {
  scope.access.requireInstanceAdmin();
  const now = Date.now();
  const row: q.LoginProviderRow = {
    id: newId(),
    name: input.name,
    displayName: input.display_name ?? input.name,
    issuer: input.issuer,
    clientId: input.client_id,
    clientSecret: input.client_secret,
    scopes: input.scopes ?? ["openid", "email", "profile"],
    allowedEmailDomains: input.allowed_email_domains ?? [],
    groupsClaim: input.groups_claim ?? null,
    groupMappings: input.group_mappings ?? [],
    provisioning: input.provisioning ?? "auto",
    enabled: input.enabled ?? true,
    secretUpdatedAt: now,
    createdAt: now,
    updatedAt: now,
  };
  await validate(scope, row);
  try {
    await scope.db.batch([
      q.insertLoginProvider(scope.db, row),
      auditQuery(scope, { action: "login_provider.create", resourceType: "login_provider", resourceId: row.id, projectId: null, after: publicProvider(row) }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("LoginProviderNameInUse", `a login provider named '${row.name}' already exists`);
    throw e;
  }
  await emitEvent(scope, { type: "login_provider.created", project_id: null, data: { login_provider: providerView(row) } });
  return row;
}

export async function updateLoginProvider(scope: Scope, id: string, patch: Partial<LoginProviderInput>) {
  const before = await getLoginProvider(scope, id);
  const now = Date.now();
  const after: q.LoginProviderRow = {
    ...before,
    name: patch.name ?? before.name,
    displayName: patch.display_name ?? before.displayName,
    issuer: patch.issuer ?? before.issuer,
    clientId: patch.client_id ?? before.clientId,
    clientSecret: patch.client_secret ?? before.clientSecret,
    scopes: patch.scopes ?? before.scopes,
    allowedEmailDomains: patch.allowed_email_domains ?? before.allowedEmailDomains,
    groupsClaim: patch.groups_claim !== undefined ? patch.groups_claim : before.groupsClaim,
    groupMappings: patch.group_mappings ?? before.groupMappings,
    provisioning: patch.provisioning ?? before.provisioning,
    enabled: patch.enabled ?? before.enabled,
    secretUpdatedAt: patch.client_secret !== undefined ? now : before.secretUpdatedAt,
    updatedAt: now,
  };
  await validate(scope, after);
  try {
    await scope.db.batch([
      q.updateLoginProvider(scope.db, id, after),
      auditQuery(scope, { action: "login_provider.update", resourceType: "login_provider", resourceId: id, projectId: null, before: publicProvider(before), after: publicProvider(after) }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("LoginProviderNameInUse", `a login provider named '${after.name}' already exists`);
    throw e;
  }
  await emitEvent(scope, { type: "login_provider.updated", project_id: null, data: { before: providerView(before), after: providerView(after) } });
  return after;
}

export async function deleteLoginProvider(scope: Scope, id: string) {
  const before = await getLoginProvider(scope, id);
  await scope.db.batch([
    q.deleteLoginProvider(scope.db, id),
    auditQuery(scope, { action: "login_provider.delete", resourceType: "login_provider", resourceId: id, projectId: null, before: publicProvider(before) }),
  ]);
  await emitEvent(scope, { type: "login_provider.deleted", project_id: null, data: { login_provider: providerView(before) } });
}
