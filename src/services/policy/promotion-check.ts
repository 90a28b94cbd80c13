/**
 * What policy says about a stored artifact entering another repo by promotion (services/
 * trust links it there, no upload): the `security` and `license` verdicts the promotion
 * lists with its gates.
 *
 *   reads (one D1 round trip, admissionReads): active blocks of the format, the
 *   licence policies that may apply in the target
 *   security → failed when the source row's block is active (the artifact is blocked
 *              where it is), or a block would refuse it in the target (a block confined
 *              to the target's project or repo); reported only when failed
 *   license  → failed when a `block` licence policy of the target refuses its licence
 *              (as a publish into the target would be refused: admission.ts); passed,
 *              with the warnings, when only `warn` policies object or the licence is
 *              fine; reported only when a licence policy applies in the target
 *
 * Invariant: the same rules as admission (blocks.ts, license-rules.ts) so a promotion
 * refuses exactly what publishing the artifact into the target would refuse or block;
 * nothing is written and no event is sent (the promotion's refusal carries the verdicts).
 */
import type { Scope } from "../scope";
import type { OpenedRepo } from "../projects/repos";
import * as q from "../../db/policy";
import { rulesOf } from "./format-rules";
import { imageBlockFor, packageBlockFor } from "./blocks";
import { appliesTo, licenseFindings } from "./license-rules";
import type { PolicyColumns } from "./restrictions";

export interface PolicyVerdict {
  gate: "security" | "license";
  passed: boolean;
  reason: string;
}

export interface StoredArtifact {
  /** The source row's policy columns. */
  row: PolicyColumns;
  /** Package key or image name. */
  name: string;
  /** Version, or for an image the manifest digest. */
  version: string;
  /** Declared licence (null: none declared). */
  license: string | null;
}

export async function judgePromotion(scope: Scope, a: StoredArtifact, target: OpenedRepo): Promise<PolicyVerdict[]> {
  const { project, repo } = target;
  const rules = rulesOf(repo.format);
  const reads = await q.admissionReads(scope.db, repo.format, project.id, repo.id, Date.now());
  const out: PolicyVerdict[] = [];

  const blocked =
    reads.blocks.find((b) => b.id === a.row.blockedBy) ??
    (rules.artifacts === "images" ? imageBlockFor(reads.blocks, project.id, repo.id, a.name, a.version) : packageBlockFor(reads.blocks, rules, project.id, repo.id, a.name, a.version));
  if (blocked) {
    const where = blocked.id === a.row.blockedBy ? "it is blocked" : "a block refuses it in the target";
    out.push({ gate: "security", passed: false, reason: `${where}: security block ${blocked.id} (${blocked.reason})` });
  }

  if (rules.licenses && reads.licenses.some((p) => appliesTo(p, project.id, repo.id, repo.format))) {
    const findings = licenseFindings(reads.licenses, { projectId: project.id, repoId: repo.id, format: repo.format }, a.license);
    const refusal = findings.find((f) => f.action === "block");
    const declared = a.license ?? "no licence declared";
    if (refusal) out.push({ gate: "license", passed: false, reason: `licence policy '${refusal.policy.name}' refuses it: ${refusal.reason}` });
    else if (findings.length) out.push({ gate: "license", passed: true, reason: `${declared}: warned by ${findings.map((f) => `'${f.policy.name}'`).join(", ")} (${findings[0]!.reason})` });
    else out.push({ gate: "license", passed: true, reason: `${declared}: allowed by the target's licence policies` });
  }
  return out;
}
