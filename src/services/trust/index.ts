/**
 * Trust: what the registry vouches for and what it checks before it vouches. Per-repo
 * OpenPGP signing keys for generated indexes (apt, dnf); scan findings and per-project
 * thresholds; promotion gates and promotion (linking an artifact from one repo into
 * another).
 *
 * Invariants of the domain:
 * - Private keys never leave this domain: stored encrypted, never returned, never logged;
 *   callers get signatures and public keys.
 * - A repo's key is made on first use and kept for the repo's lifetime (clients pin it:
 *   apt's `signed-by=`, dnf's `gpgkey=`).
 * - Findings, thresholds and gates change only with their audit row in
 *   the same D1 batch, and emit their event after it.
 * - An artifact is named by an ArtifactRef (subjects.ts) and resolved only after the
 *   caller's right on its repo is checked.
 * - Sigstore verification needs no network: a policy's trusted root is its stored upload;
 *   verdicts are cached per isolate under keys that change with the policy and the
 *   signatures found, so a cached verdict is never stale.
 * - Builds on projects, artifacts, oci and events; nothing below imports trust.
 */
export * from "./repo-keys";
export * from "./subjects";
export * from "./findings";
export * from "./thresholds";
export * from "./gates";
export * from "./promotion";
export * from "./sigstore-policies";
export * from "./sigstore";
export * from "./provenance";
export * from "./summary";
export * from "./sigstore-pull";
