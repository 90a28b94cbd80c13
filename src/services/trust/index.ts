/**
 * Trust: what the registry vouches for with its own keys. Today, per-repo OpenPGP
 * signing keys for generated indexes (apt, dnf).
 *
 * Invariants of the domain:
 * - Private keys never leave this domain: stored encrypted, never returned, never logged;
 *   callers get signatures and public keys.
 * - A repo's key is made on first use and kept for the repo's lifetime (clients pin it:
 *   apt's `signed-by=`, dnf's `gpgkey=`).
 */
export * from "./repo-keys";
