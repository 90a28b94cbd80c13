/**
 * Policies at publish time: what a new package version or image manifest gets before
 * its row is inserted, so the row carries its policy columns from its first moment.
 *
 *   reads (one D1 round trip): active blocks of the format, the quarantine policy of
 *   the repo (else its project), the enabled licence policies that may apply
 *   block      → blocked_by = the first matching block (the publish itself succeeds:
 *                the artifact is kept, and every download answers 451)
 *   licence    → a `block` finding refuses the publish (403 ForbiddenLicensePolicy,
 *                `license.violation` refused); `warn` findings are audited in the
 *                publish's batch and sent as `license.violation` warned
 *   quarantine → held_until = now + cool-down, or HELD_UNTIL_RELEASED with approval;
 *                `quarantine.held` after the publish
 *
 * Invariant: callers put `statements` in the same batch as the new row and call `after`
 * once that batch succeeded (events only for what was stored).
 */
import type { Scope } from "../scope";
import type { OpenedRepo } from "../projects/repos";
import { auditQuery, emitEvent, type DomainEvent } from "../events/audit";
import * as q from "../../db/policy";
import type { Statement } from "../../db/client";
import { RegistryError } from "../../core/errors";
import { rulesOf } from "./format-rules";
import { imageBlockFor, packageBlockFor } from "./blocks";
import { licenseFindings, type LicenseFinding } from "./license-rules";
import { HELD_UNTIL_RELEASED, principalKey } from "./restrictions";

export interface Admission {
  blockedBy: string | null;
  heldUntil: number | null;
  /** `<principal type>:<id>` of the publisher. */
  owner: string | null;
  /** Audit rows for the publish's batch (licence warnings). */
  statements: Statement[];
  /** Emits the admission's events; call after the publish's batch succeeded. */
  after: (held: { heldId: string; digest: string | null }) => Promise<void>;
}

export interface Subject {
  /** Package key or image name. */
  name: string;
  displayName: string;
  /** Version, or for an image the manifest digest. */
  version: string;
  /** Declared licence; undefined: not known yet (a Maven version before its POM), so not judged. */
  license: string | null | undefined;
}

export const quarantineUntil = (p: q.QuarantinePolicyRow | null, now: number): number | null =>
  !p ? null : p.requireApproval ? HELD_UNTIL_RELEASED : p.cooldownHours > 0 ? now + p.cooldownHours * 3_600_000 : null;

function violation(opened: OpenedRepo, s: Subject, f: LicenseFinding, outcome: "warned" | "refused"): DomainEvent {
  return {
    type: "license.violation",
    project_id: opened.project.id,
    data: {
      format: opened.repo.format,
      repo_id: opened.repo.id,
      package: s.displayName,
      version: s.version,
      license: s.license ?? null,
      policy_id: f.policy.id,
      policy_name: f.policy.name,
      action: f.action,
      outcome,
      reason: f.reason,
    },
  };
}

/** Refuses (throws) when a licence policy blocks this licence; returns the warnings otherwise. */
export async function judgeLicenseAtPublish(scope: Scope, opened: OpenedRepo, s: Subject, policies: q.LicensePolicyRow[]): Promise<LicenseFinding[]> {
  if (s.license === undefined || !rulesOf(opened.repo.format).licenses) return [];
  const findings = licenseFindings(policies, { projectId: opened.project.id, repoId: opened.repo.id, format: opened.repo.format }, s.license);
  const refusal = findings.find((f) => f.action === "block");
  if (refusal) {
    await emitEvent(scope, violation(opened, s, refusal, "refused"));
    throw new RegistryError("ForbiddenLicensePolicy", `licence policy '${refusal.policy.name}' refuses ${s.displayName} ${s.version}: ${refusal.reason}`, {
      detail: { policy_id: refusal.policy.id, policy_name: refusal.policy.name, license: s.license, reason: refusal.reason },
    });
  }
  return findings;
}

async function admit(scope: Scope, opened: OpenedRepo, s: Subject, blockedBy: (blocks: q.BlockRow[]) => string | null, reads: q.AdmissionReads): Promise<Admission> {
  const now = Date.now();
  const warnings = await judgeLicenseAtPublish(scope, opened, s, reads.licenses);
  const heldUntil = quarantineUntil(reads.quarantine, now);
  const statements = warnings.map((f) =>
    auditQuery(
      scope,
      { action: "license.warn", resourceType: "license_policy", resourceId: f.policy.id, projectId: opened.project.id, after: { repo_id: opened.repo.id, package: s.displayName, version: s.version, license: s.license ?? null, reason: f.reason } },
      now,
    ),
  );
  return {
    blockedBy: blockedBy(reads.blocks),
    heldUntil,
    // Nobody publishes into an upstream repo: the first puller must not own what it pulled (a held version is then fetched by admins only).
    owner: opened.repo.kind === "upstream" ? null : principalKey(scope.access.principal),
    statements,
    after: async (held) => {
      for (const f of warnings) await emitEvent(scope, violation(opened, s, f, "warned"));
      if (heldUntil === null) return;
      await emitEvent(scope, {
        type: "quarantine.held",
        project_id: opened.project.id,
        data: {
          format: opened.repo.format,
          repo_id: opened.repo.id,
          package: s.displayName,
          version: s.version,
          digest: held.digest,
          held_id: held.heldId,
          held_until: heldUntil >= HELD_UNTIL_RELEASED ? null : new Date(heldUntil).toISOString(),
        },
      });
    },
  };
}

/** What admitting a new version of `opened` reads, as a read a publish batches with its own (services/artifacts readForPublish). */
export const admissionReadOf = (scope: Scope, opened: OpenedRepo) => q.admissionRead(scope.db, opened.repo.format, opened.project.id, opened.repo.id, Date.now());
export type { AdmissionReads } from "../../db/policy";

/** Admission of a new package version (the shared package model: every language format); `read`: its reads, when the caller batched them. */
export async function admitPackageVersion(scope: Scope, opened: OpenedRepo, s: Subject, read?: q.AdmissionReads): Promise<Admission> {
  const reads = read ?? (await q.admissionReads(scope.db, opened.repo.format, opened.project.id, opened.repo.id, Date.now()));
  const rules = rulesOf(opened.repo.format);
  return admit(scope, opened, s, (blocks) => packageBlockFor(blocks, rules, opened.project.id, opened.repo.id, s.name, s.version)?.id ?? null, reads);
}

/** Admission of a new image manifest (`version` is its digest). */
export async function admitManifest(scope: Scope, opened: OpenedRepo, s: Subject): Promise<Admission> {
  const reads = await q.admissionReads(scope.db, opened.repo.format, opened.project.id, opened.repo.id, Date.now());
  return admit(scope, opened, s, (blocks) => imageBlockFor(blocks, opened.project.id, opened.repo.id, s.name, s.version)?.id ?? null, reads);
}

/** The licence policies that may judge a repo's versions (one query): for a licence learnt after the version was created. */
export const licensePoliciesOf = (scope: Scope, opened: OpenedRepo) => q.licensePoliciesFor(scope.db, opened.project.id, opened.repo.id);
