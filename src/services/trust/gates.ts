/**
 * Promotion gates of a target repo: what an artifact must pass to be promoted into it
 * (core/gates.ts decides; this module reads the facts and keeps the configuration).
 *
 * Invariants:
 * - Reading the gates needs `read` on the repo, changing them `admin`; every change
 *   writes its audit row in the same batch and emits `policy.changed` after it.
 * - A repo without a row has no gates: anything the caller may promote is promoted.
 * - Findings are read from the source repo and the target (a finding filed on the
 *   target's earlier promotion of the same artifact still counts).
 * - Whatever the repo's gates, policy has its say (services/policy judgePromotion): a
 *   blocked artifact fails the `security` gate, one whose licence a licence policy of
 *   the target blocks fails the `license` gate; listed with the repo's gates, so a
 *   refusal names every reason at once.
 * - The sigstore trust policies that select the artifact in the target are the `signature`
 *   gate (sigstore.ts), listed with the rest.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { getRepoWithProject, type OpenedRepo } from "../projects/repos";
import { judgePromotion } from "../policy";
import { LICENSE_ANNOTATION } from "../oci";
import { listLabels } from "../oci/labels";
import { pushedAt, subjectKey, type Subject } from "./subjects";
import { verifySubject } from "./sigstore";
import * as q from "../../db/findings";
import { countBySeverity } from "../../core/findings";
import { evaluateGates, type GateResult, type Gates } from "../../core/gates";

export type { GatesRow } from "../../db/findings";
export type { GateResult, Gates } from "../../core/gates";

const NO_GATES: Gates = { maxSeverity: null, requiredLabels: [], minAgeSeconds: null };
const wire = (g: Gates) => ({ max_severity: g.maxSeverity, required_labels: g.requiredLabels, min_age_seconds: g.minAgeSeconds });
const gatesOf = (row: q.GatesRow | undefined): Gates | null => (row ? { maxSeverity: row.maxSeverity, requiredLabels: row.requiredLabels, minAgeSeconds: row.minAgeSeconds } : null);

/** The repo's gates (null: none configured). */
export async function getGates(scope: Scope, repoId: string): Promise<Gates | null> {
  const { repo } = await getRepoWithProject(scope, repoId);
  return gatesOf(await q.findGates(scope.db, repo.id));
}

export async function setGates(scope: Scope, repoId: string, gates: Gates): Promise<Gates> {
  const { project, repo } = await getRepoWithProject(scope, repoId);
  await scope.access.require("admin", { projectId: project.id, repo });
  const before = gatesOf(await q.findGates(scope.db, repo.id));
  const now = Date.now();
  await scope.db.batch([
    q.upsertGates(scope.db, { repoId: repo.id, ...gates, createdAt: now, updatedAt: now }),
    auditQuery(scope, { action: "promotion_gates.set", resourceType: "repo", resourceId: repo.id, projectId: project.id, before: before && wire(before), after: wire(gates) }, now),
  ]);
  await emitEvent(scope, { type: "policy.changed", project_id: project.id, data: { policy_type: "promotion_gates", change: before ? "updated" : "created", repo_id: repo.id, before: before && wire(before), after: wire(gates) } });
  return gates;
}

export async function deleteGates(scope: Scope, repoId: string): Promise<void> {
  const { project, repo } = await getRepoWithProject(scope, repoId);
  await scope.access.require("admin", { projectId: project.id, repo });
  const before = gatesOf(await q.findGates(scope.db, repo.id));
  if (!before) return;
  const now = Date.now();
  await scope.db.batch([q.deleteGates(scope.db, repo.id), auditQuery(scope, { action: "promotion_gates.delete", resourceType: "repo", resourceId: repo.id, projectId: project.id, before: wire(before), after: null }, now)]);
  await emitEvent(scope, { type: "policy.changed", project_id: project.id, data: { policy_type: "promotion_gates", change: "deleted", repo_id: repo.id, before: wire(before), after: null } });
}

/**
 * The `signature` gate: reported when a sigstore trust policy selects the artifact in the
 * target (whatever its pull `mode`); passes when every such policy does.
 */
async function signatureGate(scope: Scope, subject: Subject, target: OpenedRepo): Promise<GateResult[]> {
  const v = await verifySubject(scope, subject, target);
  if (!v.policies.length) return [];
  const failed = v.policies.filter((p) => !p.passed);
  const reason = failed.length
    ? failed.map((p) => `sigstore policy '${p.policy.name}': ${p.reason}${p.signatures.length ? ` (${p.signatures.filter((s) => !s.passed).map((s) => s.reason).join("; ")})` : ""}`).join("; ")
    : v.policies.map((p) => `sigstore policy '${p.policy.name}': ${p.reason}`).join("; ");
  return [{ gate: "signature", passed: failed.length === 0, reason }];
}

/** Every gate of the target evaluated for the subject, then policy's verdicts (an empty list: nothing to pass). */
export async function evaluatePromotion(scope: Scope, subject: Subject, target: OpenedRepo): Promise<GateResult[]> {
  const targetRepoId = target.repo.id;
  const gates = gatesOf(await q.findGates(scope.db, targetRepoId)) ?? NO_GATES;
  const now = Date.now();
  const { repoId, ...key } = subjectKey(subject);
  const findings = gates.maxSeverity ? await q.findingsOfArtifact(scope.db, [repoId, targetRepoId], key) : [];
  const labels = gates.requiredLabels.length === 0 ? [] : subject.type === "image" ? await listLabels(scope, repoId, subject.manifest.digest) : null;
  const policy = await judgePromotion(
    scope,
    subject.type === "image"
      ? { row: subject.manifest, name: subject.opened.name.image, version: subject.manifest.digest, license: subject.manifest.annotations[LICENSE_ANNOTATION] ?? null }
      : { row: subject.version, name: subject.pkg.name, version: subject.version.version, license: subject.version.license },
    target,
  );
  return [...evaluateGates(gates, { openFindings: countBySeverity(findings, now), labels, pushedAt: pushedAt(subject), now }), ...policy, ...(await signatureGate(scope, subject, target))];
}
