/**
 * Sigstore trust policies (`/api/admin/sigstore/policies`, instance admins): which
 * artifacts a policy selects (project, repo, formats, name globs), what they must carry
 * (trusted keys or Fulcio identities, Rekor, a minimum of valid signers, attested
 * predicate types) and what a failure does at pull (`mode`).
 *
 *   change (create/update/delete) → validate (keys parse, the trusted root parses and names
 *   what the requirements need) → one batch: the row + every repo's `sigstore_pull` flag
 *   recomputed + audit → `policy.changed` (which clears this isolate's repo cache, so the
 *   new flag is read by its next pull; other isolates within AUTH_CACHE_TTL_MS)
 *
 * Invariants: the trusted root is stored as uploaded and never fetched (no network at
 * verify time); the audit row names the root by its sha256, not its text; a policy's
 * `updated_at` changes with every change, so verdicts cached under it die with it.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { findProject, findRepo } from "../../db/projects";
import * as q from "../../db/sigstore";
import { isUniqueViolation } from "../../db/errors";
import { conflict, invalid, notFound } from "../../core/errors";
import { newPublicId } from "../../core/ids";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import type { SigstoreMode, SigstoreRekor } from "../../core/vocabulary";
import { parsePublicKey, parseTrustedRoot, sha256Hex } from "./sigstore-crypto";

export type { SigstorePolicyRow, SigstoreIdentity, SigstoreKey } from "../../db/sigstore";

export interface SigstorePolicyInput {
  name: string;
  description?: string;
  projectId?: string | null;
  repoId?: string | null;
  formats?: string[];
  names?: string[];
  mode: SigstoreMode;
  keys?: q.SigstoreKey[];
  identities?: q.SigstoreIdentity[];
  rekor?: SigstoreRekor;
  trustedRoot?: string | null;
  minSignatures?: number;
  predicateTypes?: string[];
  enabled?: boolean;
}

async function validate(scope: Scope, p: q.SigstorePolicyRow, knownFormats: readonly string[]) {
  const bad = (why: string) => invalid("SigstorePolicy", why);
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(p.name)) throw bad("name must be 1–64 lowercase letters, digits, '.', '_' or '-'");
  const unknown = p.formats.filter((f) => !knownFormats.includes(f));
  if (unknown.length) throw bad(`unknown formats: ${unknown.join(", ")}`);
  if (!p.keys.length && !p.identities.length) throw bad("a policy needs trusted `keys` or keyless `identities`");
  for (const k of p.keys) {
    try {
      parsePublicKey(k.pem);
    } catch (e) {
      throw bad(`key '${k.name}' is not a PEM ECDSA or Ed25519 public key (${e instanceof Error ? e.message : e})`);
    }
  }
  for (const id of p.identities) {
    if ((id.san === null) === (id.sanRegex === null)) throw bad("an identity names its SAN exactly (`san`) or by a regular expression (`san_regex`), one of the two");
    if (id.sanRegex !== null) {
      try {
        new RegExp(id.sanRegex);
      } catch {
        throw bad(`san_regex '${id.sanRegex}' is not a regular expression`);
      }
    }
  }
  const needsRoot = p.identities.length > 0 || p.rekor === "required";
  if (needsRoot && !p.trustedRoot) throw bad("keyless identities and `rekor: required` need a `trusted_root` (a sigstore trusted_root.json)");
  if (p.trustedRoot) {
    let root;
    try {
      root = parseTrustedRoot(p.trustedRoot);
    } catch (e) {
      throw bad(`trusted_root is not a sigstore trusted_root.json: ${e instanceof Error ? e.message : e}`);
    }
    if (p.identities.length && !root.certificateAuthorities.length) throw bad("trusted_root names no certificate authority (Fulcio), which keyless identities need");
    if (needsRoot && !root.tlogs.length) throw bad("trusted_root names no transparency log (Rekor)");
  }
  if (p.projectId && !(await findProject(scope.db, p.projectId))) throw bad(`project ${p.projectId} does not exist`);
  if (p.repoId) {
    const repo = await findRepo(scope.db, p.repoId);
    if (!repo || (p.projectId && repo.projectId !== p.projectId)) throw bad(`repository ${p.repoId} does not exist${p.projectId ? " in that project" : ""}`);
    p.projectId ??= repo.projectId;
  }
}

/** The policy as audit rows and events show it: its root named by digest. */
export const policySummary = (p: q.SigstorePolicyRow) => ({
  id: p.id,
  name: p.name,
  mode: p.mode,
  project_id: p.projectId,
  repo_id: p.repoId,
  formats: p.formats,
  names: p.names,
  keys: p.keys.map((k) => k.name),
  identities: p.identities.map((i) => ({ issuer: i.issuer, san: i.san, san_regex: i.sanRegex })),
  rekor: p.rekor,
  trusted_root_sha256: p.trustedRoot ? sha256Hex(new TextEncoder().encode(p.trustedRoot)) : null,
  min_signatures: p.minSignatures,
  predicate_types: p.predicateTypes,
  enabled: p.enabled,
});

const changed = (scope: Scope, change: "created" | "updated" | "deleted", p: q.SigstorePolicyRow) =>
  emitEvent(scope, { type: "policy.changed", project_id: p.projectId, data: { policy_type: "sigstore", change, policy_id: p.id, name: p.name, mode: p.mode } });

export async function createSigstorePolicy(scope: Scope, input: SigstorePolicyInput, knownFormats: readonly string[]) {
  scope.access.requireInstanceAdmin();
  const now = Date.now();
  const row: q.SigstorePolicyRow = {
    id: newPublicId(),
    name: input.name,
    description: input.description ?? "",
    projectId: input.projectId ?? null,
    repoId: input.repoId ?? null,
    formats: [...new Set(input.formats ?? [])],
    names: [...new Set(input.names ?? [])],
    mode: input.mode,
    keys: input.keys ?? [],
    identities: input.identities ?? [],
    rekor: input.rekor ?? "required",
    trustedRoot: input.trustedRoot ?? null,
    minSignatures: input.minSignatures ?? 1,
    predicateTypes: [...new Set(input.predicateTypes ?? [])],
    enabled: input.enabled ?? true,
    createdAt: now,
    updatedAt: now,
  };
  await validate(scope, row, knownFormats);
  try {
    await scope.db.batch([q.insertSigstorePolicy(scope.db, row), q.recomputeSigstorePull(scope.db), auditQuery(scope, { action: "sigstore_policy.create", resourceType: "sigstore_policy", resourceId: row.id, projectId: row.projectId, after: policySummary(row) }, now)]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("SigstorePolicyNameInUse", `a sigstore policy named '${row.name}' exists`);
    throw e;
  }
  await changed(scope, "created", row);
  return row;
}

async function policyOrThrow(scope: Scope, id: string) {
  scope.access.requireInstanceAdmin();
  const row = await q.findSigstorePolicy(scope.db, id);
  if (!row) throw notFound("SigstorePolicy", `sigstore policy ${id} not found`);
  return row;
}

export const getSigstorePolicy = policyOrThrow;

export async function listSigstorePolicies(scope: Scope, cursor?: string, limit?: number) {
  scope.access.requireInstanceAdmin();
  const n = clampLimit(limit);
  return toPage(await q.listSigstorePolicies(scope.db, decodeCursor(cursor), n), n);
}

export async function updateSigstorePolicy(scope: Scope, id: string, patch: Partial<Omit<SigstorePolicyInput, "projectId" | "repoId">>, knownFormats: readonly string[]) {
  const before = await policyOrThrow(scope, id);
  // Strictly later than before, so a verdict cached under the old `updated_at` is never reused.
  const now = Math.max(Date.now(), before.updatedAt + 1);
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<q.SigstorePolicyRow>;
  const after: q.SigstorePolicyRow = { ...before, ...defined, updatedAt: now };
  await validate(scope, after, knownFormats);
  try {
    await scope.db.batch([
      q.updateSigstorePolicy(scope.db, id, { ...defined, updatedAt: now }),
      q.recomputeSigstorePull(scope.db),
      auditQuery(scope, { action: "sigstore_policy.update", resourceType: "sigstore_policy", resourceId: id, projectId: before.projectId, before: policySummary(before), after: policySummary(after) }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("SigstorePolicyNameInUse", `a sigstore policy named '${after.name}' exists`);
    throw e;
  }
  await changed(scope, "updated", after);
  return after;
}

export async function deleteSigstorePolicy(scope: Scope, id: string) {
  const before = await policyOrThrow(scope, id);
  await scope.db.batch([q.deleteSigstorePolicy(scope.db, id), q.recomputeSigstorePull(scope.db), auditQuery(scope, { action: "sigstore_policy.delete", resourceType: "sigstore_policy", resourceId: id, projectId: before.projectId, before: policySummary(before) })]);
  await changed(scope, "deleted", before);
}
