/**
 * Web: what a person in a browser needs. Sign-in through OIDC login providers, browser
 * sessions (cookie + CSRF token), global messages, and the data the UI pages show.
 *
 * Invariants of the domain:
 * - A session is a server-side row (only the hash of its secret is stored); signing
 *   out and admin revocation end it in the same batch as their audit row.
 * - Sign-in never trusts the browser: state is single use and bound to a cookie, the
 *   code is redeemed with PKCE and the client secret, the ID token is verified (keys,
 *   issuer, audience, nonce) before any user is found or made.
 * - The UI has no data path of its own: every page reads and every action writes
 *   through the governance API (`/api/v1`, `/api/admin`) with the session's cookie.
 * - Every login, failed login, logout and revocation is in the audit log.
 */
export * from "./sign-in";
export * from "./sessions";
export * from "./login-providers";
export * from "./messages";
