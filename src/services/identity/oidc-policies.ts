/**
 * OIDC trust policies (instance admin): CRUD.
 * Invariants:
 * - Only instance admins read or change policies.
 * - A policy names an https issuer (http only for private hosts in local dev), at least
 *   one audience, and at least one claim condition with a literal part (a policy that
 *   matches every token of GitHub's issuer would trust every repository on GitHub).
 * - Changing a policy revokes the tokens it already issued, and deleting it deletes
 *   them, in the same batch as the change and its audit row; then `policy.changed`.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import * as q from "../../db/oidc";
import { findProject } from "../../db/projects";
import { deleteTokensOf, revokeTokensOf } from "../../db/principals";
import { isUniqueViolation } from "../../db/errors";
import { conflict, invalid, notFound } from "../../core/errors";
import { newId } from "../../core/ids";
import { checkOutboundUrl } from "../../core/net";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import type { ClaimCondition } from "../../core/claims";
import type { Role } from "../../core/vocabulary";
import { config } from "../../config";

export type { TrustPolicyRow } from "../../db/oidc";

const NAME = /^[a-z0-9](?:[a-z0-9-_.]{0,62}[a-z0-9])?$/;
const TIME_CLAIMS = new Set(["exp", "nbf", "iat"]);
export const DEFAULT_MAX_LIFETIME_SECONDS = 3600;

export interface TrustPolicyInput {
  name: string;
  description?: string;
  issuer: string;
  audiences: string[];
  claim_conditions: ClaimCondition[];
  project_id: string;
  role: Role;
  max_lifetime_seconds?: number;
  enabled?: boolean;
}

export async function listTrustPolicies(scope: Scope, projectId?: string, cursor?: string, limit?: number) {
  scope.access.requireInstanceAdmin();
  const n = clampLimit(limit);
  return toPage(await q.listTrustPolicies(scope.db, projectId, decodeCursor(cursor), n), n);
}

export async function getTrustPolicy(scope: Scope, id: string) {
  scope.access.requireInstanceAdmin();
  const row = await q.findTrustPolicy(scope.db, id);
  if (!row) throw notFound("OidcTrustPolicy", `trust policy ${id} not found`);
  return row;
}

async function validate(scope: Scope, p: TrustPolicyInput) {
  if (!NAME.test(p.name)) throw invalid("OidcTrustPolicyName", "name must be 1–64 lowercase letters, digits, '-', '_' or '.'");
  const url = checkOutboundUrl(p.issuer, "OidcIssuer", { allowPrivate: config(scope.env).allowPrivateTargets, requireHttps: true });
  if (url.search || url.hash) throw invalid("OidcIssuerUrl", "the issuer URL can't carry a query or fragment");
  if (p.claim_conditions.some((c) => TIME_CLAIMS.has(c.claim))) {
    throw invalid("OidcClaimCondition", "exp, nbf and iat are checked on every token and can't be conditions");
  }
  const narrowing = p.claim_conditions.some((c) => c.match === "exact" || c.values.every((v) => /[^*?]/.test(v)));
  if (!narrowing) {
    throw invalid("OidcClaimConditionsTooBroad", "at least one claim condition must be exact or a glob with a literal part");
  }
  if (!(await findProject(scope.db, p.project_id))) throw invalid("OidcTrustPolicyProject", `project ${p.project_id} does not exist`);
}

export async function createTrustPolicy(scope: Scope, input: TrustPolicyInput) {
  scope.access.requireInstanceAdmin();
  await validate(scope, input);
  const now = Date.now();
  const row: q.TrustPolicyRow = {
    id: newId(),
    name: input.name,
    description: input.description ?? "",
    issuer: input.issuer,
    audiences: input.audiences,
    claimConditions: input.claim_conditions,
    projectId: input.project_id,
    role: input.role,
    maxLifetimeSeconds: input.max_lifetime_seconds ?? DEFAULT_MAX_LIFETIME_SECONDS,
    enabled: input.enabled ?? true,
    createdAt: now,
    updatedAt: now,
  };
  await write(scope, [q.insertTrustPolicy(scope.db, row)], { action: "oidc_trust_policy.create", id: row.id, projectId: row.projectId, after: row }, now);
  await emitEvent(scope, { type: "policy.changed", project_id: row.projectId, data: { policy_type: "oidc_trust", change: "created", policy_id: row.id, name: row.name } });
  return row;
}

export async function updateTrustPolicy(scope: Scope, id: string, patch: Partial<TrustPolicyInput>) {
  const before = await getTrustPolicy(scope, id);
  const merged: TrustPolicyInput = {
    name: patch.name ?? before.name,
    description: patch.description ?? before.description,
    issuer: patch.issuer ?? before.issuer,
    audiences: patch.audiences ?? before.audiences,
    claim_conditions: patch.claim_conditions ?? before.claimConditions,
    project_id: patch.project_id ?? before.projectId,
    role: patch.role ?? before.role,
    max_lifetime_seconds: patch.max_lifetime_seconds ?? before.maxLifetimeSeconds,
    enabled: patch.enabled ?? before.enabled,
  };
  await validate(scope, merged);
  const now = Date.now();
  const after: q.TrustPolicyRow = {
    ...before,
    name: merged.name,
    description: merged.description!,
    issuer: merged.issuer,
    audiences: merged.audiences,
    claimConditions: merged.claim_conditions,
    projectId: merged.project_id,
    role: merged.role,
    maxLifetimeSeconds: merged.max_lifetime_seconds!,
    enabled: merged.enabled!,
    updatedAt: now,
  };
  await write(
    scope,
    [q.updateTrustPolicy(scope.db, id, after), revokeTokensOf(scope.db, "oidc", id, now)],
    { action: "oidc_trust_policy.update", id, projectId: after.projectId, before, after },
    now,
  );
  await emitEvent(scope, { type: "policy.changed", project_id: after.projectId, data: { policy_type: "oidc_trust", change: "updated", policy_id: id, name: after.name } });
  return after;
}

export async function deleteTrustPolicy(scope: Scope, id: string) {
  const before = await getTrustPolicy(scope, id);
  await write(
    scope,
    [deleteTokensOf(scope.db, "oidc", id), q.deleteTrustPolicy(scope.db, id)],
    { action: "oidc_trust_policy.delete", id, projectId: before.projectId, before },
  );
  await emitEvent(scope, { type: "policy.changed", project_id: before.projectId, data: { policy_type: "oidc_trust", change: "deleted", policy_id: id, name: before.name } });
}

type Statement = Parameters<Scope["db"]["batch"]>[0][number];

async function write(
  scope: Scope,
  statements: Statement[],
  a: { action: string; id: string; projectId: string; before?: unknown; after?: unknown },
  now = Date.now(),
) {
  const audit = auditQuery(scope, { action: a.action, resourceType: "oidc_trust_policy", resourceId: a.id, projectId: a.projectId, before: a.before, after: a.after }, now);
  try {
    await scope.db.batch([audit, ...statements]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("OidcTrustPolicyNameInUse", "a trust policy with this name already exists");
    throw e;
  }
}
