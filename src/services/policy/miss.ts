/**
 * Policy on an upstream repo's cache miss, decided before anything is fetched: the
 * answer the stored copy would get from the one read path (restrictions.ts
 * enforceDownload), so the first pull of an artifact is refused, held or served exactly
 * as every later pull of it.
 *
 *   reads (one D1 round trip, the admission's): active blocks of the format, the
 *   quarantine policy of the repo (else its project), the licence policies that apply
 *   the row the artifact would get once stored (admission.ts):
 *     blocked_by         = the first block matching the package and version
 *     license_blocked_by = a licence policy that would refuse the version's licence
 *                          (its publish would be refused, so it would never be stored)
 *     held_until         = now + the quarantine cool-down (or until released)
 *     owner              = none: nobody published it, so only repo admins fetch it held
 *   enforceDownload(that row) → 451 with the why-blocked envelope, or nothing
 *
 * Invariant: a refused miss is answered before any upstream request; the caller still
 * caches a quarantined one (services/proxy/pull.ts), so its cool-down starts.
 */
import type { Scope } from "../scope";
import type { OpenedRepo } from "../projects/repos";
import * as q from "../../db/policy";
import { rulesOf } from "./format-rules";
import { packageBlockFor } from "./blocks";
import { licenseFindings } from "./license-rules";
import { quarantineUntil, type Subject } from "./admission";
import { enforceDownload } from "./restrictions";

/** Answers 451 (throws) when a policy refuses the package version a miss would fetch; `digest` is the file's, when known. */
export async function enforceMiss(scope: Scope, opened: OpenedRepo, s: Subject, digest: string | null): Promise<void> {
  const now = Date.now();
  const reads = await q.admissionReads(scope.db, opened.repo.format, opened.project.id, opened.repo.id, now);
  const rules = rulesOf(opened.repo.format);
  const block = packageBlockFor(reads.blocks, rules, opened.project.id, opened.repo.id, s.name, s.version);
  const judged = s.license !== undefined && rules.licenses;
  const refusal = judged ? licenseFindings(reads.licenses, { projectId: opened.project.id, repoId: opened.repo.id, format: opened.repo.format }, s.license ?? null).find((f) => f.action === "block") : undefined;
  const row = { blockedBy: block?.id ?? null, licenseBlockedBy: refusal?.policy.id ?? null, heldUntil: quarantineUntil(reads.quarantine, now), owner: null };
  await enforceDownload(scope, opened, row, { package: s.displayName, version: s.version, digest, license: s.license ?? null });
}
