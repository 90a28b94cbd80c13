/**
 * The OIDC token exchange: a CI-issued OIDC token in, a short-lived `orbx_` registry
 * token out.
 *
 *   peek (unverified) → alg allowed? → enabled policies of that exact `iss`?
 *     → verify signature/iss/exp/nbf against the issuer's JWKS
 *     → policies whose audiences and claim conditions all hold → exactly one?
 *     → mint token(project = policy's, role = policy's,
 *                  lifetime = min(requested, policy max)) + audit, one batch
 *
 * Invariants:
 * - No outbound request happens unless a trust policy names the token's issuer.
 * - Every exchange, accepted or refused, writes one audit row (`oidc.exchange`) with
 *   the claims that decided it (verified ones only after the signature held) and
 *   which condition of which policy failed; the wire gets a plain error.
 * - The minted token is an ordinary token row (principal_type `oidc`, principal_id =
 *   policy id), so it works wherever a token does: Bearer, Basic password, /v2/token.
 *   It keeps the verified claims that name the CI run (KEPT_CLAIMS and the policy's
 *   condition claims, as strings): the download log (who pulled) records them.
 */
import type { Scope } from "../scope";
import { auditQuery } from "../events/audit";
import { enabledPoliciesOfIssuer, type TrustPolicyRow } from "../../db/oidc";
import { insertToken } from "../../db/principals";
import { RegistryError } from "../../core/errors";
import { audienceMatches, claimStrings, firstFailedCondition, truncate, type ConditionFailure } from "../../core/claims";
import { OidcRefusal, peekToken, verifyOidcToken, type PeekedToken, type RefusalReason } from "../../auth/oidc";
import { jwksCache } from "../../auth/jwks";
import { mintToken } from "../../auth/tokens";
import { config } from "../../config";

export interface ExchangeInput {
  token: string;
  lifetime_seconds?: number;
  /** Id or name of the policy to use when several would match. */
  policy?: string;
}

interface Evaluation {
  policy: TrustPolicyRow;
  audienceOk: boolean;
  failed: ConditionFailure | null;
}

const STANDARD_CLAIMS = ["iss", "sub", "aud", "jti", "exp", "nbf", "iat"];
/** Claims GitHub Actions and GitLab CI put in a job's token that say which run it was. */
const KEPT_CLAIMS = ["sub", "repository", "repository_owner", "workflow", "workflow_ref", "job_workflow_ref", "ref", "sha", "run_id", "run_attempt", "environment", "actor", "project_path", "pipeline_id", "job_id"];
const UNAUTHORIZED: RefusalReason[] = ["malformed", "algorithm", "issuer_untrusted", "unknown_key", "signature", "expired", "not_yet_valid", "invalid_claims", "audience"];

export async function exchangeOidcToken(scope: Scope, input: ExchangeInput) {
  const now = Date.now();
  let peeked: PeekedToken | null = null;
  let candidates: TrustPolicyRow[] = [];
  let claims: Record<string, unknown> | null = null;
  let evaluations: Evaluation[] = [];
  try {
    peeked = peekToken(input.token);
    candidates = await enabledPoliciesOfIssuer(scope.db, peeked.iss);
    if (input.policy) candidates = candidates.filter((p) => p.id === input.policy || p.name === input.policy);
    if (candidates.length === 0) {
      throw new OidcRefusal(input.policy ? "policy_not_found" : "issuer_untrusted", "no enabled trust policy names this issuer");
    }
    claims = await verifyOidcToken(input.token, peeked.iss, { cache: jwksCache, allowPrivate: config(scope.env).allowPrivateTargets, now });
    evaluations = candidates.map((policy) => ({
      policy,
      audienceOk: audienceMatches(claims!.aud, policy.audiences),
      failed: firstFailedCondition(policy.claimConditions, claims!),
    }));
    const matched = evaluations.filter((e) => e.audienceOk && !e.failed);
    if (matched.length === 0) {
      const audience = evaluations.every((e) => !e.audienceOk);
      throw new OidcRefusal(audience ? "audience" : "claims_mismatch", audience ? "no policy accepts the token's audience" : "the token's claims satisfy no policy");
    }
    if (matched.length > 1) throw new OidcRefusal("ambiguous_policy", `policies ${matched.map((e) => e.policy.name).join(", ")} all match`);
    return await accept(scope, matched[0]!.policy, claims, evaluations, input, now);
  } catch (e) {
    if (!(e instanceof OidcRefusal)) throw e;
    const projects = new Set(candidates.map((p) => p.projectId));
    await scope.db.batch([
      auditQuery(
        scope,
        {
          action: "oidc.exchange",
          resourceType: "oidc_trust_policy",
          resourceId: candidates.length === 1 ? candidates[0]!.id : null,
          projectId: projects.size === 1 ? [...projects][0]! : null,
          after: { outcome: "refused", reason: e.reason, message: e.message, ...evidence(peeked, claims, evaluations) },
        },
        now,
      ),
    ]);
    throw wireError(e);
  }
}

async function accept(scope: Scope, policy: TrustPolicyRow, claims: Record<string, unknown>, evaluations: Evaluation[], input: ExchangeInput, now: number) {
  const lifetime = Math.min(input.lifetime_seconds ?? policy.maxLifetimeSeconds, policy.maxLifetimeSeconds);
  const sub = typeof claims.sub === "string" ? claims.sub : "";
  const name = truncate(`oidc:${policy.name}:${sub}`, 200);
  const { plaintext, row } = await mintToken(
    { name, principalType: "oidc", principalId: policy.id, projectId: policy.projectId, scopes: null, role: policy.role, expiresAt: now + lifetime * 1000, claims: keptClaims(claims, policy) },
    now,
  );
  await scope.db.batch([
    insertToken(scope.db, row),
    auditQuery(
      scope,
      {
        action: "oidc.exchange",
        resourceType: "oidc_trust_policy",
        resourceId: policy.id,
        projectId: policy.projectId,
        actor: { actorType: "oidc", actorId: policy.id, actorName: name },
        after: { outcome: "accepted", reason: null, token_id: row.id, role: policy.role, expires_at: new Date(row.expiresAt!).toISOString(), ...evidence(null, claims, evaluations) },
      },
      now,
    ),
  ]);
  return { token: plaintext, row, policy };
}

/** What the token keeps of the verified claims: those naming the CI run, present ones only. */
function keptClaims(claims: Record<string, unknown>, policy: TrustPolicyRow): Record<string, string | null> {
  const kept: Record<string, string | null> = {};
  for (const n of new Set([...KEPT_CLAIMS, ...policy.claimConditions.map((c) => c.claim)])) if (claims[n] !== undefined) kept[n] = stringClaim(claims[n]);
  return kept;
}

/** What the audit row keeps: verified claims (or the few unverified header facts). */
function evidence(peeked: PeekedToken | null, claims: Record<string, unknown> | null, evaluations: Evaluation[]) {
  if (!claims) {
    return {
      verified: false,
      unverified: peeked ? { alg: peeked.alg, kid: peeked.kid, iss: truncate(peeked.iss), sub: stringClaim(peeked.claims.sub) } : null,
    };
  }
  const names = new Set([...STANDARD_CLAIMS, ...evaluations.flatMap((e) => e.policy.claimConditions.map((c) => c.claim))]);
  const kept: Record<string, string | null> = {};
  for (const n of names) kept[n] = stringClaim(claims[n]);
  return {
    verified: true,
    claims: kept,
    policies: evaluations.map((e) => ({ id: e.policy.id, name: e.policy.name, audience_ok: e.audienceOk, failed_condition: e.failed })),
  };
}

function stringClaim(v: unknown): string | null {
  const s = claimStrings(v);
  return s ? truncate(s.join(",")) : null;
}

function wireError(e: OidcRefusal): RegistryError {
  if (e.reason === "issuer_unavailable") return new RegistryError("UnavailableOidcIssuer", "the token's issuer could not be reached to check its signature; retry later");
  if (e.reason === "ambiguous_policy") return new RegistryError("ForbiddenOidcPolicyAmbiguous", "several trust policies accept this token: name one with 'policy'");
  if (UNAUTHORIZED.includes(e.reason)) return new RegistryError("UnauthorizedOidcToken", "the OIDC token was refused (the audit log has the reason)");
  return new RegistryError("ForbiddenOidcNoMatchingPolicy", "no trust policy accepts this token's claims (the audit log has the reason)");
}
