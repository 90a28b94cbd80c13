/**
 * Identity: who may call the registry. Users and their project roles, teams, repo
 * permissions and default permissions for new repos, service accounts and their
 * `orbsa_` tokens, a user's own tokens and stars, OIDC trust policies and the exchange
 * that turns a CI job's OIDC token into a short-lived `orbx_` token.
 *
 * Invariants of the domain:
 * - A token's plaintext leaves this domain once, at minting; only its SHA-256 is stored.
 * - Authorization reads one query: every role a principal holds (its project role
 *   binding, its teams' project roles, repo permissions to it or its teams) comes from
 *   db/permissions.ts `grantsOf`; the effective role is the highest. An exchanged
 *   token carries its policy's role on the token row.
 * - Only instance admins manage users, OIDC policies and instance-wide settings; project
 *   admins manage their project's members and service accounts.
 * - Every change writes its audit row in the same D1 batch and emits its event after.
 */
export * from "./users";
export * from "./service-accounts";
export * from "./oidc-policies";
export * from "./oidc-exchange";
export * from "./self-service";
export * from "./teams";
export * from "./permissions";
