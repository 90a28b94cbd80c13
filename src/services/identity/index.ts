/**
 * Identity: who may call the registry. Users and their project roles, service
 * accounts and their `orbsa_` tokens, OIDC trust policies and the exchange that turns a
 * CI job's OIDC token into a short-lived `orbx_` token.
 *
 * Invariants of the domain:
 * - A token's plaintext leaves this domain once, at minting; only its SHA-256 is stored.
 * - Authorization reads one table: every role a principal holds (a user's membership, a
 *   service account's role, an exchanged token's policy role) is a `role_bindings` row,
 *   written in the same batch as the change that grants it.
 * - Only instance admins manage users, OIDC policies and instance-wide settings; project
 *   admins manage their project's members and service accounts.
 * - Every change writes its audit row in the same D1 batch and emits its event after.
 */
export * from "./users";
export * from "./service-accounts";
export * from "./oidc-policies";
export * from "./oidc-exchange";
