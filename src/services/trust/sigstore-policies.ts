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
import { policyStore } from "../policy";
import * as q from "../../db/sigstore";
import { conflict } from "../../core/errors";
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
  const bad = store.bad;
  store.checkName(p, knownFormats);
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
  await store.checkScope(scope, p);
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

// Every change also recomputes each repo's `sigstore_pull` flag in its batch.
const store = policyStore<q.SigstorePolicyRow>({
  code: "SigstorePolicy",
  label: "sigstore policy",
  resourceType: "sigstore_policy",
  find: q.findSigstorePolicy,
  audited: policySummary,
  inUse: (p) => conflict("SigstorePolicyNameInUse", `a sigstore policy named '${p.name}' exists`),
  event: (change, p) => ({ policy_type: "sigstore", change, policy_id: p.id, name: p.name, mode: p.mode }),
});

export async function createSigstorePolicy(scope: Scope, input: SigstorePolicyInput, knownFormats: readonly string[]) {
  scope.access.requireInstanceAdmin();
  const now = Date.now();
  const row: q.SigstorePolicyRow = {
    ...store.named(input),
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
  await store.change(scope, "created", { after: row, statements: [q.insertSigstorePolicy(scope.db, row), q.recomputeSigstorePull(scope.db)], at: now });
  return row;
}

export const getSigstorePolicy = (scope: Scope, id: string) => store.get(scope, id);

export const listSigstorePolicies = (scope: Scope, cursor?: string, limit?: number) => store.list(scope, q.listSigstorePolicies, cursor, limit);

export async function updateSigstorePolicy(scope: Scope, id: string, patch: Partial<Omit<SigstorePolicyInput, "projectId" | "repoId">>, knownFormats: readonly string[]) {
  const before = await store.get(scope, id);
  // Strictly later than before, so a verdict cached under the old `updated_at` is never reused.
  const now = Math.max(Date.now(), before.updatedAt + 1);
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<q.SigstorePolicyRow>;
  const after: q.SigstorePolicyRow = { ...before, ...defined, updatedAt: now };
  await validate(scope, after, knownFormats);
  await store.change(scope, "updated", { before, after, statements: [q.updateSigstorePolicy(scope.db, id, { ...defined, updatedAt: now }), q.recomputeSigstorePull(scope.db)], at: now });
  return after;
}

export async function deleteSigstorePolicy(scope: Scope, id: string) {
  const before = await store.get(scope, id);
  await store.change(scope, "deleted", { before, statements: [q.deleteSigstorePolicy(scope.db, id), q.recomputeSigstorePull(scope.db)] });
}
