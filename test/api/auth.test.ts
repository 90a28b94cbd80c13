/**
 * The shared security matrix every governance route runs (no credentials, malformed,
 * unknown, expired and revoked tokens, a token of another project, a token missing the
 * scope the route needs), the credential forms clients send, request ids, and the
 * OpenAPI document's completeness.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { buildApi } from "../../src/api";
import {
  ADMIN,
  basic,
  createProject,
  createRepo,
  createServiceAccount,
  createUser,
  expectError,
  expireToken,
  jsonOf,
  mintTokenFull,
  mintUserToken,
  req,
  setMember,
  sha256Hex,
  unique,
} from "../helpers";
import { pushImage } from "../oci-helpers";

/**
 * What a route needs: a read or admin grant in the fixture project, the instance admin,
 * nothing (filtered lists), or a user principal acting on itself (`self`).
 */
/** A P-256 public key for the sigstore policies the matrix creates (verification never uses it). */
const P256_PEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEXcRYS1mFd5XocV66v7hRvfrcfMCK\n3S+lx8cTEFh7sD5/8EoIqHej/Nck2a16/5PXNtnmWlbk04v8OZHjS9iBOA==\n-----END PUBLIC KEY-----\n";

type Need = "read" | "write" | "delete" | "admin" | "instance" | "list" | "self";

interface Fixtures {
  project: { id: string; slug: string };
  repo: { id: string };
  /** A docker repo with one pushed image (`app:v1`) whose manifest carries one label. */
  ociRepo: { id: string };
  manifestDigest: string;
  labelId: string;
  /** A finding reported on that image. */
  findingId: string;
  /** An OIDC trust policy and a webhook subscription with one (ping) delivery. */
  policyId: string;
  webhookId: string;
  deliveryId: string;
  /** A generic repo holding one file, `docs/a.txt` (package `docs/a.txt`, version `current`). */
  genericRepo: { id: string };
  sa: { id: string };
  saToken: { id: string };
  user: { id: string };
  userToken: { id: string };
  /** The plaintext of `userToken` (the fixture user's own token). */
  userTokenSecret: string;
  loginProviderId: string;
  /** A team of the project, a default permission naming it, and a repo permission of `user` on `repo`. */
  teamId: string;
  prototypeId: string;
  /** An upstream npm repo with a mirror, and a proxy cache on the project (services/proxy). */
  upstreamRepo: { id: string };
  /** Full-power credential for positive controls: an admin SA of the project. */
  projectAdmin: string;
  /** A security block, a quarantine policy (on the npm repo) and a licence policy. */
  blockId: string;
  quarantineId: string;
  licensePolicyId: string;
  sigstorePolicyId: string;
  otherProject: string;
  /** Tokens of the project's admin SA lacking exactly one scope. */
  withoutRead: string;
  withoutAdmin: string;
  withoutWrite: string;
  withoutDelete: string;
  /** An admin user's token without the admin scope. */
  adminUserWithoutAdmin: string;
  expired: string;
  revoked: string;
  retentionPolicyId: string;
  retentionRunId: string;
  holdId: string;
  trashEntryId: string;
  gcRunId: string;
}

interface RouteCase {
  method: string;
  path: string;
  need: Need;
  url: (f: Fixtures) => string;
  body?: (f: Fixtures) => unknown;
}

const v1 = (p: string) => `/api/v1${p}`;
const ROUTES: RouteCase[] = [
  { method: "GET", path: v1("/projects"), need: "list", url: () => v1("/projects") },
  { method: "POST", path: v1("/projects"), need: "instance", url: () => v1("/projects"), body: () => ({ slug: unique("m") }) },
  { method: "GET", path: v1("/projects/{id}"), need: "read", url: (f) => v1(`/projects/${f.project.id}`) },
  { method: "PATCH", path: v1("/projects/{id}"), need: "admin", url: (f) => v1(`/projects/${f.project.id}`), body: () => ({ description: "x" }) },
  { method: "DELETE", path: v1("/projects/{id}"), need: "instance", url: (f) => v1(`/projects/${f.project.id}`) },
  { method: "GET", path: v1("/repos"), need: "list", url: () => v1("/repos") },
  { method: "POST", path: v1("/repos"), need: "admin", url: () => v1("/repos"), body: (f) => ({ project_id: f.project.id, slug: unique("m"), format: "npm" }) },
  { method: "GET", path: v1("/repos/{id}"), need: "read", url: (f) => v1(`/repos/${f.repo.id}`) },
  { method: "PATCH", path: v1("/repos/{id}"), need: "admin", url: (f) => v1(`/repos/${f.repo.id}`), body: () => ({ description: "x" }) },
  { method: "DELETE", path: v1("/repos/{id}"), need: "admin", url: (f) => v1(`/repos/${f.repo.id}`) },
  { method: "GET", path: v1("/projects/{id}/service_accounts"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/service_accounts`) },
  { method: "POST", path: v1("/projects/{id}/service_accounts"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/service_accounts`), body: () => ({ name: unique("m") }) },
  { method: "GET", path: v1("/projects/{id}/service_accounts/{sa}"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/service_accounts/${f.sa.id}`) },
  { method: "PATCH", path: v1("/projects/{id}/service_accounts/{sa}"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/service_accounts/${f.sa.id}`), body: () => ({ role: "admin" }) },
  { method: "DELETE", path: v1("/projects/{id}/service_accounts/{sa}"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/service_accounts/${f.sa.id}`) },
  { method: "POST", path: v1("/projects/{id}/service_accounts/{sa}/tokens"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/service_accounts/${f.sa.id}/tokens`), body: () => ({ name: "m" }) },
  { method: "GET", path: v1("/projects/{id}/service_accounts/{sa}/tokens"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/service_accounts/${f.sa.id}/tokens`) },
  { method: "DELETE", path: v1("/projects/{id}/service_accounts/{sa}/tokens/{token}"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/service_accounts/${f.sa.id}/tokens/${f.saToken.id}`) },
  { method: "GET", path: v1("/audit"), need: "admin", url: (f) => v1(`/audit?project_id=${f.project.id}`) },
  { method: "GET", path: v1("/projects/{id}/members"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/members`) },
  { method: "PUT", path: v1("/projects/{id}/members"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/members`), body: (f) => ({ principal_type: "user", principal_id: f.user.id, role: "admin" }) },
  { method: "DELETE", path: v1("/projects/{id}/members/{type}/{principal}"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/members/user/${f.user.id}`) },
  { method: "GET", path: "/api/admin/users", need: "instance", url: () => "/api/admin/users" },
  { method: "POST", path: "/api/admin/users", need: "instance", url: () => "/api/admin/users", body: () => ({ username: unique("m") }) },
  { method: "GET", path: "/api/admin/users/{id}", need: "instance", url: (f) => `/api/admin/users/${f.user.id}` },
  { method: "DELETE", path: "/api/admin/users/{id}", need: "instance", url: (f) => `/api/admin/users/${f.user.id}` },
  { method: "POST", path: "/api/admin/users/{id}/tokens", need: "instance", url: (f) => `/api/admin/users/${f.user.id}/tokens`, body: () => ({ name: "m" }) },
  { method: "GET", path: "/api/admin/users/{id}/tokens", need: "instance", url: (f) => `/api/admin/users/${f.user.id}/tokens` },
  { method: "DELETE", path: "/api/admin/users/{id}/tokens/{token}", need: "instance", url: (f) => `/api/admin/users/${f.user.id}/tokens/${f.userToken.id}` },
  { method: "GET", path: "/health/backup", need: "instance", url: () => "/health/backup" },
  { method: "GET", path: v1("/repos/{id}/tag_history"), need: "read", url: (f) => v1(`/repos/${f.ociRepo.id}/tag_history?image=app`) },
  { method: "POST", path: v1("/repos/{id}/tags/{tag}/restore"), need: "write", url: (f) => v1(`/repos/${f.ociRepo.id}/tags/v1/restore`), body: (f) => ({ image: "app", manifest_digest: f.manifestDigest }) },
  { method: "GET", path: v1("/repos/{id}/manifests/{digest}/labels"), need: "read", url: (f) => v1(`/repos/${f.ociRepo.id}/manifests/${f.manifestDigest}/labels`) },
  { method: "POST", path: v1("/repos/{id}/manifests/{digest}/labels"), need: "write", url: (f) => v1(`/repos/${f.ociRepo.id}/manifests/${f.manifestDigest}/labels`), body: () => ({ key: "k", value: "v" }) },
  { method: "GET", path: v1("/repos/{id}/manifests/{digest}/labels/{label_id}"), need: "read", url: (f) => v1(`/repos/${f.ociRepo.id}/manifests/${f.manifestDigest}/labels/${f.labelId}`) },
  { method: "DELETE", path: v1("/repos/{id}/manifests/{digest}/labels/{label_id}"), need: "write", url: (f) => v1(`/repos/${f.ociRepo.id}/manifests/${f.manifestDigest}/labels/${f.labelId}`) },
  { method: "GET", path: v1("/repos/{id}/packages"), need: "read", url: (f) => v1(`/repos/${f.genericRepo.id}/packages`) },
  { method: "GET", path: v1("/repos/{id}/packages/{name}/versions"), need: "read", url: (f) => v1(`/repos/${f.genericRepo.id}/packages/${encodeURIComponent("docs/a.txt")}/versions`) },
  { method: "PATCH", path: v1("/repos/{id}/packages/{name}/versions/{version}"), need: "write", url: (f) => v1(`/repos/${f.genericRepo.id}/packages/${encodeURIComponent("docs/a.txt")}/versions/current`), body: () => ({ deprecated: "old" }) },
  { method: "GET", path: v1("/repos/{id}/client-setup"), need: "read", url: (f) => v1(`/repos/${f.repo.id}/client-setup`) },
  { method: "GET", path: "/api/admin/oidc/trust-policies", need: "instance", url: () => "/api/admin/oidc/trust-policies" },
  { method: "POST", path: "/api/admin/oidc/trust-policies", need: "instance", url: () => "/api/admin/oidc/trust-policies", body: (f) => policyBody(f.project.id) },
  { method: "GET", path: "/api/admin/oidc/trust-policies/{id}", need: "instance", url: (f) => `/api/admin/oidc/trust-policies/${f.policyId}` },
  { method: "PATCH", path: "/api/admin/oidc/trust-policies/{id}", need: "instance", url: (f) => `/api/admin/oidc/trust-policies/${f.policyId}`, body: () => ({ description: "x" }) },
  { method: "DELETE", path: "/api/admin/oidc/trust-policies/{id}", need: "instance", url: (f) => `/api/admin/oidc/trust-policies/${f.policyId}` },
  { method: "GET", path: "/api/admin/webhooks/event-types", need: "instance", url: () => "/api/admin/webhooks/event-types" },
  { method: "GET", path: "/api/admin/webhooks", need: "instance", url: () => "/api/admin/webhooks" },
  { method: "POST", path: "/api/admin/webhooks", need: "instance", url: () => "/api/admin/webhooks", body: () => webhookBody() },
  { method: "GET", path: "/api/admin/webhooks/{id}", need: "instance", url: (f) => `/api/admin/webhooks/${f.webhookId}` },
  { method: "PATCH", path: "/api/admin/webhooks/{id}", need: "instance", url: (f) => `/api/admin/webhooks/${f.webhookId}`, body: () => ({ description: "x" }) },
  { method: "DELETE", path: "/api/admin/webhooks/{id}", need: "instance", url: (f) => `/api/admin/webhooks/${f.webhookId}` },
  { method: "POST", path: "/api/admin/webhooks/{id}/ping", need: "instance", url: (f) => `/api/admin/webhooks/${f.webhookId}/ping` },
  { method: "GET", path: "/api/admin/webhooks/{id}/deliveries", need: "instance", url: (f) => `/api/admin/webhooks/${f.webhookId}/deliveries` },
  { method: "GET", path: "/api/admin/webhooks/{id}/deliveries/{delivery}", need: "instance", url: (f) => `/api/admin/webhooks/${f.webhookId}/deliveries/${f.deliveryId}` },
  { method: "POST", path: "/api/admin/webhooks/{id}/deliveries/{delivery}/redeliver", need: "instance", url: (f) => `/api/admin/webhooks/${f.webhookId}/deliveries/${f.deliveryId}/redeliver` },
  { method: "GET", path: v1("/projects/{id}/quota"), need: "read", url: (f) => v1(`/projects/${f.project.id}/quota`) },
  { method: "PUT", path: "/api/admin/projects/{id}/quota", need: "instance", url: (f) => `/api/admin/projects/${f.project.id}/quota`, body: () => ({ limit_bytes: 1000 }) },
  { method: "DELETE", path: "/api/admin/projects/{id}/quota", need: "instance", url: (f) => `/api/admin/projects/${f.project.id}/quota` },
  { method: "POST", path: "/api/admin/projects/{id}/quota/limits", need: "instance", url: (f) => `/api/admin/projects/${f.project.id}/quota/limits`, body: () => ({ type: "Warning", threshold_percent: 80 }) },
  { method: "GET", path: v1("/projects/{id}/teams"), need: "read", url: (f) => v1(`/projects/${f.project.id}/teams`) },
  { method: "POST", path: v1("/projects/{id}/teams"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/teams`), body: () => ({ name: unique("m") }) },
  { method: "GET", path: v1("/projects/{id}/teams/{team}"), need: "read", url: (f) => v1(`/projects/${f.project.id}/teams/${f.teamId}`) },
  { method: "PATCH", path: v1("/projects/{id}/teams/{team}"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/teams/${f.teamId}`), body: () => ({ description: "x" }) },
  { method: "DELETE", path: v1("/projects/{id}/teams/{team}"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/teams/${f.teamId}`) },
  { method: "GET", path: v1("/projects/{id}/teams/{team}/members"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/teams/${f.teamId}/members`) },
  { method: "PUT", path: v1("/projects/{id}/teams/{team}/members/{user}"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/teams/${f.teamId}/members/${f.user.id}`) },
  { method: "DELETE", path: v1("/projects/{id}/teams/{team}/members/{user}"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/teams/${f.teamId}/members/${f.user.id}`) },
  { method: "GET", path: v1("/projects/{id}/teams/{team}/permissions"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/teams/${f.teamId}/permissions`) },
  { method: "GET", path: v1("/projects/{id}/proxycache"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/proxycache`) },
  { method: "POST", path: v1("/projects/{id}/proxycache"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/proxycache`), body: () => proxyCacheBody },
  { method: "DELETE", path: v1("/projects/{id}/proxycache"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/proxycache`) },
  { method: "POST", path: v1("/projects/{id}/validateproxycache"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/validateproxycache`), body: () => proxyCacheBody },
  { method: "GET", path: v1("/repos/{id}/mirror"), need: "admin", url: (f) => v1(`/repos/${f.upstreamRepo.id}/mirror`) },
  { method: "POST", path: v1("/repos/{id}/mirror"), need: "admin", url: (f) => v1(`/repos/${f.upstreamRepo.id}/mirror`), body: () => ({ packages: ["x"] }) },
  { method: "PUT", path: v1("/repos/{id}/mirror"), need: "admin", url: (f) => v1(`/repos/${f.upstreamRepo.id}/mirror`), body: () => ({ packages: ["x"] }) },
  { method: "DELETE", path: v1("/repos/{id}/mirror"), need: "admin", url: (f) => v1(`/repos/${f.upstreamRepo.id}/mirror`) },
  { method: "POST", path: v1("/repos/{id}/mirror/sync-now"), need: "admin", url: (f) => v1(`/repos/${f.upstreamRepo.id}/mirror/sync-now`) },
  { method: "POST", path: v1("/repos/{id}/mirror/sync-cancel"), need: "admin", url: (f) => v1(`/repos/${f.upstreamRepo.id}/mirror/sync-cancel`) },
  { method: "GET", path: v1("/projects/{id}/prototypes"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/prototypes`) },
  { method: "POST", path: v1("/projects/{id}/prototypes"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/prototypes`), body: (f) => ({ delegate_type: "team", delegate: f.teamId, role: "read" }) },
  { method: "PUT", path: v1("/projects/{id}/prototypes/{prototype}"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/prototypes/${f.prototypeId}`), body: () => ({ role: "write" }) },
  { method: "DELETE", path: v1("/projects/{id}/prototypes/{prototype}"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/prototypes/${f.prototypeId}`) },
  { method: "GET", path: v1("/repos/{id}/permissions"), need: "admin", url: (f) => v1(`/repos/${f.repo.id}/permissions`) },
  { method: "GET", path: v1("/repos/{id}/permissions/{delegate_type}/{delegate}"), need: "admin", url: (f) => v1(`/repos/${f.repo.id}/permissions/user/${f.user.id}`) },
  { method: "PUT", path: v1("/repos/{id}/permissions/{delegate_type}/{delegate}"), need: "admin", url: (f) => v1(`/repos/${f.repo.id}/permissions/user/${f.user.id}`), body: () => ({ role: "read" }) },
  { method: "DELETE", path: v1("/repos/{id}/permissions/{delegate_type}/{delegate}"), need: "admin", url: (f) => v1(`/repos/${f.repo.id}/permissions/user/${f.user.id}`) },
  { method: "GET", path: v1("/repos/{id}/permissions/user/{user}/transitive"), need: "admin", url: (f) => v1(`/repos/${f.repo.id}/permissions/user/${f.user.id}/transitive`) },
  { method: "GET", path: v1("/repos/{id}/images"), need: "read", url: (f) => v1(`/repos/${f.ociRepo.id}/images`) },
  { method: "GET", path: v1("/repos/{id}/images/{image}/tags"), need: "read", url: (f) => v1(`/repos/${f.ociRepo.id}/images/app/tags`) },
  { method: "GET", path: v1("/repos/{id}/images/{image}/manifests/{digest}"), need: "read", url: (f) => v1(`/repos/${f.ociRepo.id}/images/app/manifests/${f.manifestDigest}`) },
  { method: "GET", path: v1("/user"), need: "self", url: () => v1("/user") },
  { method: "GET", path: v1("/user/apptoken"), need: "self", url: () => v1("/user/apptoken") },
  { method: "POST", path: v1("/user/apptoken"), need: "self", url: () => v1("/user/apptoken"), body: () => ({ name: "m" }) },
  { method: "GET", path: v1("/user/apptoken/{token}"), need: "self", url: (f) => v1(`/user/apptoken/${f.userToken.id}`) },
  { method: "DELETE", path: v1("/user/apptoken/{token}"), need: "self", url: (f) => v1(`/user/apptoken/${f.userToken.id}`) },
  { method: "GET", path: v1("/user/starred"), need: "self", url: () => v1("/user/starred") },
  { method: "POST", path: v1("/user/starred"), need: "self", url: () => v1("/user/starred"), body: (f) => ({ repo_id: f.repo.id }) },
  { method: "DELETE", path: v1("/user/starred/{repo_id}"), need: "self", url: (f) => v1(`/user/starred/${f.repo.id}`) },
  { method: "GET", path: v1("/user/sessions"), need: "self", url: () => v1("/user/sessions") },
  { method: "DELETE", path: v1("/user/sessions/{id}"), need: "self", url: () => v1("/user/sessions/nope") },
  { method: "POST", path: v1("/messages"), need: "instance", url: () => v1("/messages"), body: () => ({ content: "m" }) },
  { method: "DELETE", path: v1("/messages/{id}"), need: "instance", url: () => v1("/messages/nope") },
  { method: "GET", path: "/api/admin/login-providers", need: "instance", url: () => "/api/admin/login-providers" },
  { method: "POST", path: "/api/admin/login-providers", need: "instance", url: () => "/api/admin/login-providers", body: () => ({ name: "m", issuer: "https://idp.example.com", client_id: "c", client_secret: "s" }) },
  { method: "GET", path: "/api/admin/login-providers/{id}", need: "instance", url: (f) => `/api/admin/login-providers/${f.loginProviderId}` },
  { method: "PATCH", path: "/api/admin/login-providers/{id}", need: "instance", url: (f) => `/api/admin/login-providers/${f.loginProviderId}`, body: () => ({ enabled: false }) },
  { method: "DELETE", path: "/api/admin/login-providers/{id}", need: "instance", url: (f) => `/api/admin/login-providers/${f.loginProviderId}` },
  { method: "GET", path: "/api/admin/sessions", need: "instance", url: () => "/api/admin/sessions" },
  { method: "DELETE", path: "/api/admin/sessions/{id}", need: "instance", url: () => "/api/admin/sessions/nope" },
  { method: "PUT", path: "/api/admin/projects/{id}/quota/limits/{limit_id}", need: "instance", url: (f) => `/api/admin/projects/${f.project.id}/quota/limits/nope`, body: () => ({ threshold_percent: 90 }) },
  { method: "DELETE", path: "/api/admin/projects/{id}/quota/limits/{limit_id}", need: "instance", url: (f) => `/api/admin/projects/${f.project.id}/quota/limits/nope` },
  { method: "GET", path: v1("/search"), need: "list", url: (f) => v1(`/search?q=${f.project.slug}`) },
  { method: "GET", path: v1("/security/who-pulled"), need: "admin", url: (f) => v1(`/security/who-pulled?repo_id=${f.repo.id}`) },
  { method: "GET", path: "/api/admin/security", need: "instance", url: () => "/api/admin/security" },
  { method: "POST", path: "/api/admin/security", need: "instance", url: () => "/api/admin/security", body: () => ({ format: "npm", package: unique("evil"), reason: "r", customer_message: "m" }) },
  { method: "GET", path: "/api/admin/security/{id}", need: "instance", url: (f) => `/api/admin/security/${f.blockId}` },
  { method: "PATCH", path: "/api/admin/security/{id}", need: "instance", url: (f) => `/api/admin/security/${f.blockId}`, body: () => ({ customer_message: "x" }) },
  { method: "DELETE", path: "/api/admin/security/{id}", need: "instance", url: (f) => `/api/admin/security/${f.blockId}` },
  { method: "GET", path: "/api/admin/quarantine/policies", need: "instance", url: () => "/api/admin/quarantine/policies" },
  { method: "POST", path: "/api/admin/quarantine/policies", need: "instance", url: () => "/api/admin/quarantine/policies", body: (f) => ({ project_id: f.project.id, cooldown_hours: 1 }) },
  { method: "GET", path: "/api/admin/quarantine/policies/{id}", need: "instance", url: (f) => `/api/admin/quarantine/policies/${f.quarantineId}` },
  { method: "PATCH", path: "/api/admin/quarantine/policies/{id}", need: "instance", url: (f) => `/api/admin/quarantine/policies/${f.quarantineId}`, body: () => ({ cooldown_hours: 2 }) },
  { method: "DELETE", path: "/api/admin/quarantine/policies/{id}", need: "instance", url: (f) => `/api/admin/quarantine/policies/${f.quarantineId}` },
  { method: "GET", path: "/api/admin/quarantine/held", need: "instance", url: () => "/api/admin/quarantine/held" },
  { method: "POST", path: "/api/admin/quarantine/held/{id}/release", need: "instance", url: () => "/api/admin/quarantine/held/nope/release" },
  { method: "POST", path: "/api/admin/quarantine/held/{id}/reject", need: "instance", url: () => "/api/admin/quarantine/held/nope/reject", body: () => ({ reason: "r", customer_message: "m" }) },
  { method: "GET", path: "/api/admin/license-policies", need: "instance", url: () => "/api/admin/license-policies" },
  { method: "POST", path: "/api/admin/license-policies", need: "instance", url: () => "/api/admin/license-policies", body: () => ({ name: unique("lp"), deny: ["GPL-*"], action: "warn" }) },
  { method: "GET", path: "/api/admin/license-policies/{id}", need: "instance", url: (f) => `/api/admin/license-policies/${f.licensePolicyId}` },
  { method: "PATCH", path: "/api/admin/license-policies/{id}", need: "instance", url: (f) => `/api/admin/license-policies/${f.licensePolicyId}`, body: () => ({ description: "x" }) },
  { method: "DELETE", path: "/api/admin/license-policies/{id}", need: "instance", url: (f) => `/api/admin/license-policies/${f.licensePolicyId}` },
  { method: "GET", path: "/api/admin/sigstore/policies", need: "instance", url: () => "/api/admin/sigstore/policies" },
  { method: "POST", path: "/api/admin/sigstore/policies", need: "instance", url: () => "/api/admin/sigstore/policies", body: () => ({ name: unique("sp"), mode: "off", keys: [{ name: "k", pem: P256_PEM }], rekor: "optional" }) },
  { method: "GET", path: "/api/admin/sigstore/policies/{id}", need: "instance", url: (f) => `/api/admin/sigstore/policies/${f.sigstorePolicyId}` },
  { method: "PATCH", path: "/api/admin/sigstore/policies/{id}", need: "instance", url: (f) => `/api/admin/sigstore/policies/${f.sigstorePolicyId}`, body: () => ({ description: "x" }) },
  { method: "DELETE", path: "/api/admin/sigstore/policies/{id}", need: "instance", url: (f) => `/api/admin/sigstore/policies/${f.sigstorePolicyId}` },
  { method: "GET", path: v1("/repos/{id}/images/{image}/manifests/{digest}/verification"), need: "read", url: (f) => v1(`/repos/${f.ociRepo.id}/images/app/manifests/${f.manifestDigest}/verification`) },
  { method: "GET", path: v1("/repos/{id}/packages/{name}/versions/{version}/verification"), need: "read", url: (f) => v1(`/repos/${f.genericRepo.id}/packages/${encodeURIComponent("docs/a.txt")}/versions/current/verification`) },
  { method: "GET", path: v1("/repos/{id}/retention/policies"), need: "read", url: (f) => v1(`/repos/${f.genericRepo.id}/retention/policies`) },
  { method: "POST", path: v1("/repos/{id}/retention/policies"), need: "admin", url: (f) => v1(`/repos/${f.genericRepo.id}/retention/policies`), body: () => ({ name: unique("rp"), action: "keep", condition: { keep_most_recent: 1 } }) },
  { method: "GET", path: v1("/repos/{id}/retention/policies/{policy_id}"), need: "read", url: (f) => v1(`/repos/${f.genericRepo.id}/retention/policies/${f.retentionPolicyId}`) },
  { method: "PATCH", path: v1("/repos/{id}/retention/policies/{policy_id}"), need: "admin", url: (f) => v1(`/repos/${f.genericRepo.id}/retention/policies/${f.retentionPolicyId}`), body: () => ({ description: "x" }) },
  { method: "DELETE", path: v1("/repos/{id}/retention/policies/{policy_id}"), need: "admin", url: (f) => v1(`/repos/${f.genericRepo.id}/retention/policies/${f.retentionPolicyId}`) },
  { method: "POST", path: v1("/repos/{id}/retention/dry-run"), need: "read", url: (f) => v1(`/repos/${f.genericRepo.id}/retention/dry-run`), body: () => ({}) },
  { method: "GET", path: v1("/repos/{id}/retention/runs"), need: "read", url: (f) => v1(`/repos/${f.genericRepo.id}/retention/runs`) },
  { method: "POST", path: v1("/repos/{id}/retention/runs"), need: "admin", url: (f) => v1(`/repos/${f.genericRepo.id}/retention/runs`), body: () => ({}) },
  { method: "GET", path: v1("/repos/{id}/retention/runs/{run_id}"), need: "read", url: (f) => v1(`/repos/${f.genericRepo.id}/retention/runs/${f.retentionRunId}`) },
  { method: "GET", path: v1("/repos/{id}/retention/runs/{run_id}/items"), need: "read", url: (f) => v1(`/repos/${f.genericRepo.id}/retention/runs/${f.retentionRunId}/items`) },
  { method: "GET", path: v1("/repos/{id}/retention/holds"), need: "read", url: (f) => v1(`/repos/${f.genericRepo.id}/retention/holds`) },
  { method: "POST", path: v1("/repos/{id}/retention/holds"), need: "admin", url: (f) => v1(`/repos/${f.genericRepo.id}/retention/holds`), body: () => ({ package: "docs/a.txt", version: "current", reason: "x" }) },
  { method: "DELETE", path: v1("/repos/{id}/retention/holds/{hold_id}"), need: "admin", url: (f) => v1(`/repos/${f.genericRepo.id}/retention/holds/${f.holdId}`) },
  { method: "GET", path: "/api/admin/retention/runs", need: "instance", url: () => "/api/admin/retention/runs" },
  { method: "GET", path: v1("/repos/{id}/trash"), need: "read", url: (f) => v1(`/repos/${f.genericRepo.id}/trash`) },
  { method: "GET", path: v1("/repos/{id}/trash/{entry_id}"), need: "read", url: (f) => v1(`/repos/${f.genericRepo.id}/trash/${f.trashEntryId}`) },
  { method: "POST", path: v1("/repos/{id}/trash/{entry_id}/restore"), need: "write", url: (f) => v1(`/repos/${f.genericRepo.id}/trash/${f.trashEntryId}/restore`) },
  { method: "DELETE", path: v1("/repos/{id}/trash/{entry_id}"), need: "admin", url: (f) => v1(`/repos/${f.genericRepo.id}/trash/${f.trashEntryId}`) },
  { method: "DELETE", path: v1("/repos/{id}/images/{image}/manifests/{digest}"), need: "delete", url: (f) => v1(`/repos/${f.ociRepo.id}/images/app/manifests/${f.manifestDigest}`) },
  { method: "DELETE", path: v1("/repos/{id}/packages/{name}"), need: "delete", url: (f) => v1(`/repos/${f.genericRepo.id}/packages/docs%2Fa.txt`) },
  { method: "DELETE", path: v1("/repos/{id}/packages/{name}/versions/{version}"), need: "delete", url: (f) => v1(`/repos/${f.genericRepo.id}/packages/docs%2Fa.txt/versions/current`) },
  { method: "GET", path: "/api/admin/gc", need: "instance", url: () => "/api/admin/gc" },
  { method: "POST", path: "/api/admin/gc/dry-run", need: "instance", url: () => "/api/admin/gc/dry-run", body: () => ({}) },
  { method: "GET", path: "/api/admin/gc/runs", need: "instance", url: () => "/api/admin/gc/runs" },
  { method: "POST", path: "/api/admin/gc/runs", need: "instance", url: () => "/api/admin/gc/runs", body: () => ({}) },
  { method: "GET", path: "/api/admin/gc/runs/{run_id}", need: "instance", url: (f) => `/api/admin/gc/runs/${f.gcRunId}` },
  { method: "GET", path: v1("/detection/findings"), need: "read", url: (f) => v1(`/detection/findings?project_id=${f.project.id}`) },
  { method: "POST", path: v1("/detection/findings"), need: "write", url: () => v1("/detection/findings"), body: (f) => ({ artifact: { repo_id: f.ociRepo.id, name: "app", digest: f.manifestDigest }, scanner: { name: "m" }, findings: [] }) },
  { method: "POST", path: v1("/detection/imports"), need: "write", url: () => v1("/detection/imports"), body: (f) => ({ artifact: { repo_id: f.ociRepo.id, name: "app", digest: f.manifestDigest }, format: "sarif", document: { version: "2.1.0", runs: [] } }) },
  { method: "GET", path: v1("/detection/findings/{id}"), need: "read", url: (f) => v1(`/detection/findings/${f.findingId}`) },
  { method: "PATCH", path: v1("/detection/findings/{id}"), need: "write", url: (f) => v1(`/detection/findings/${f.findingId}`), body: () => ({ status: "false_positive", justification: "m" }) },
  { method: "GET", path: v1("/projects/{id}/finding_thresholds"), need: "read", url: (f) => v1(`/projects/${f.project.id}/finding_thresholds`) },
  { method: "POST", path: v1("/projects/{id}/finding_thresholds"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/finding_thresholds`), body: () => ({ name: unique("t"), severity: "critical", max_count: 0 }) },
  { method: "PATCH", path: v1("/projects/{id}/finding_thresholds/{threshold}"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/finding_thresholds/nope`), body: () => ({ max_count: 1 }) },
  { method: "DELETE", path: v1("/projects/{id}/finding_thresholds/{threshold}"), need: "admin", url: (f) => v1(`/projects/${f.project.id}/finding_thresholds/nope`) },
  { method: "POST", path: v1("/repos/{id}/promote"), need: "write", url: (f) => v1(`/repos/${f.ociRepo.id}/promote`), body: (f) => ({ artifact: { repo_id: f.ociRepo.id, name: "app", digest: f.manifestDigest } }) },
  { method: "GET", path: v1("/repos/{id}/promotion_gates"), need: "read", url: (f) => v1(`/repos/${f.ociRepo.id}/promotion_gates`) },
  { method: "PUT", path: v1("/repos/{id}/promotion_gates"), need: "admin", url: (f) => v1(`/repos/${f.ociRepo.id}/promotion_gates`), body: () => ({ max_severity: "critical", required_labels: [], min_age_seconds: null }) },
  { method: "DELETE", path: v1("/repos/{id}/promotion_gates"), need: "admin", url: (f) => v1(`/repos/${f.ociRepo.id}/promotion_gates`) },
];

const policyBody = (projectId: string) => ({
  name: unique("policy"),
  issuer: "https://token.actions.githubusercontent.com",
  audiences: ["orbitalreg"],
  project_id: projectId,
  role: "reader",
  claim_conditions: [{ claim: "repository", match: "exact", values: ["acme/app"] }],
});
const proxyCacheBody = { upstream_registry: "https://registry.example.com", expiration_s: 600 };
const webhookBody = () => ({ name: unique("hook"), url: "https://hooks.example.com/orbitalreg", secret: "s".repeat(32), events: ["repo.*"] });

let f: Fixtures;

beforeAll(async () => {
  const project = await createProject();
  const repo = await createRepo(project.id, "npm");
  const sa = await createServiceAccount(project.id, "writer");
  const saToken = await mintTokenFull(project.id, sa.id);
  const user = await createUser();
  await setMember(project.id, "user", user.id, "writer");
  const userToken = await mintUserToken(user.id);
  const admin = await createServiceAccount(project.id, "admin");
  const mint = async (extra: Record<string, unknown> = {}) => mintTokenFull(project.id, admin.id, extra);
  const other = await createProject();
  const otherAdmin = await createServiceAccount(other.id, "admin");
  const expired = await mint();
  await expireToken(expired.id);
  const revoked = await mint();
  expect((await req(v1(`/projects/${project.id}/service_accounts/${admin.id}/tokens/${revoked.id}`), { method: "DELETE", token: ADMIN })).status).toBe(204);
  const adminUser = await createUser({ is_admin: true });
  const projectAdmin = (await mint()).token;
  const ociRepo = await createRepo(project.id, "docker");
  const { manifest } = await pushImage(`${project.slug}/${ociRepo.slug}/app`, projectAdmin, "v1");
  const policy = await jsonOf(await req("/api/admin/oidc/trust-policies", { method: "POST", token: ADMIN, json: policyBody(project.id) }), 201);
  const webhook = await jsonOf(await req("/api/admin/webhooks", { method: "POST", token: ADMIN, json: webhookBody() }), 201);
  const delivery = await jsonOf(await req(`/api/admin/webhooks/${webhook.id}/ping`, { method: "POST", token: ADMIN }), 202);
  const genericRepo = await createRepo(project.id, "generic");
  const put = await req(`/generic/${project.slug}/${genericRepo.slug}/docs/a.txt`, { method: "PUT", token: projectAdmin, body: "hello" });
  expect(put.status, await put.clone().text()).toBeLessThan(300);
  const gbase = `/generic/${project.slug}/${genericRepo.slug}`;
  expect((await req(`${gbase}/docs/trashed.txt`, { method: "PUT", token: projectAdmin, body: "bye" })).status).toBeLessThan(300);
  expect((await req(`${gbase}/docs/trashed.txt`, { method: "DELETE", token: projectAdmin })).status).toBe(204);
  const trashEntryId = (await jsonOf(await req(v1(`/repos/${genericRepo.id}/trash`), { token: ADMIN }), 200)).items[0].id;
  const retentionPolicyId = (
    await jsonOf(await req(v1(`/repos/${genericRepo.id}/retention/policies`), { method: "POST", token: ADMIN, json: { name: "old", action: "delete", condition: { older_than_days: 365 } } }), 201)
  ).id;
  const retentionRunId = (await jsonOf(await req(v1(`/repos/${genericRepo.id}/retention/dry-run`), { method: "POST", token: ADMIN, json: {} }), 200)).run.id;
  const holdId = (await jsonOf(await req(v1(`/repos/${genericRepo.id}/retention/holds`), { method: "POST", token: ADMIN, json: { package: "docs/a.txt", version: "current", reason: "audit" } }), 201)).id;
  const gcRunId = (await jsonOf(await req("/api/admin/gc/runs", { method: "POST", token: ADMIN, json: { wait: true } }), 200)).id;
  const label = await jsonOf(
    await req(v1(`/repos/${ociRepo.id}/manifests/${manifest.digest}/labels`), { method: "POST", token: ADMIN, json: { key: "team", value: "core" } }),
    201,
  );
  const finding = await jsonOf(
    await req(v1("/detection/findings"), { method: "POST", token: projectAdmin, json: { artifact: { repo_id: ociRepo.id, name: "app", digest: manifest.digest }, scanner: { name: "trivy" }, findings: [{ identifier: "CVE-2026-0001" }] } }),
    201,
  );
  const teamId = (await jsonOf(await req(v1(`/projects/${project.id}/teams`), { method: "POST", token: ADMIN, json: { name: unique("team") } }), 201)).id;
  const prototypeId = (
    await jsonOf(await req(v1(`/projects/${project.id}/prototypes`), { method: "POST", token: ADMIN, json: { delegate_type: "team", delegate: teamId, role: "read" } }), 201)
  ).id;
  await jsonOf(await req(v1(`/repos/${repo.id}/permissions/user/${user.id}`), { method: "PUT", token: ADMIN, json: { role: "read" } }), 200);
  const upstreamRepo = await createRepo(project.id, "npm", { kind: "upstream", upstream_url: "https://registry.example.com" });
  await jsonOf(await req(v1(`/repos/${upstreamRepo.id}/mirror`), { method: "POST", token: ADMIN, json: { packages: ["x"], sync_start_date: new Date(Date.now() + 86_400_000).toISOString() } }), 201);
  await jsonOf(await req(v1(`/projects/${project.id}/proxycache`), { method: "POST", token: ADMIN, json: proxyCacheBody }), 201);
  f = {
    project,
    repo,
    upstreamRepo,
    ociRepo,
    manifestDigest: manifest.digest,
    labelId: label.id,
    findingId: finding.findings[0].id,
    genericRepo,
    policyId: policy.id,
    webhookId: webhook.id,
    deliveryId: delivery.id,
    sa,
    saToken,
    user,
    userToken,
    userTokenSecret: userToken.token,
    teamId,
    prototypeId,
    loginProviderId: (
      await jsonOf(
        await req("/api/admin/login-providers", { method: "POST", token: ADMIN, json: { name: unique("idp").slice(0, 30), issuer: "https://idp.example.com", client_id: "c", client_secret: "s" } }),
        201,
      )
    ).id,
    projectAdmin,
    blockId: (await jsonOf(await req("/api/admin/security", { method: "POST", token: ADMIN, json: { format: "npm", package: unique("evil"), reason: "r", customer_message: "m" } }), 201)).id,
    quarantineId: (await jsonOf(await req("/api/admin/quarantine/policies", { method: "POST", token: ADMIN, json: { project_id: project.id, repo_id: repo.id, cooldown_hours: 1 } }), 201)).id,
    licensePolicyId: (await jsonOf(await req("/api/admin/license-policies", { method: "POST", token: ADMIN, json: { name: unique("lp"), deny: ["GPL-*"], action: "warn" } }), 201)).id,
    sigstorePolicyId: (await jsonOf(await req("/api/admin/sigstore/policies", { method: "POST", token: ADMIN, json: { name: unique("sp"), mode: "off", keys: [{ name: "k", pem: P256_PEM }], rekor: "optional" } }), 201)).id,
    otherProject: (await mintTokenFull(other.id, otherAdmin.id)).token,
    withoutRead: (await mint({ scopes: ["write", "delete", "admin"] })).token,
    withoutAdmin: (await mint({ scopes: ["read", "write", "delete"] })).token,
    withoutWrite: (await mint({ scopes: ["read", "delete", "admin"] })).token,
    withoutDelete: (await mint({ scopes: ["read", "write", "admin"] })).token,
    adminUserWithoutAdmin: (await mintUserToken(adminUser.id, { scopes: ["read", "write", "delete"] })).token,
    expired: expired.token,
    revoked: revoked.token,
    retentionPolicyId,
    retentionRunId,
    holdId,
    trashEntryId,
    gcRunId,
  };
});

const call = (r: RouteCase, authorization: string | null) => {
  const headers: Record<string, string> = authorization ? { Authorization: authorization } : {};
  return req(r.url(f), { method: r.method, headers, ...(r.body ? { json: r.body(f) } : {}) });
};
const bearer = (t: string) => `Bearer ${t}`;

describe("security matrix: every route", () => {
  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))("%s", async (_name, r) => {
    // Credentials that are not valid fail with 401 on every route, never fall back to anonymous.
    const invalid = ["definitely-not-a-token", `orbsa_${"A".repeat(43)}`, "orbu_nope", "a.b.c", f.expired, f.revoked];
    for (const t of invalid) await expectError(await call(r, bearer(t)), 401, "UnauthorizedInvalidToken");
    await expectError(await call(r, basic(f.revoked)), 401, "UnauthorizedInvalidToken");

    if (r.need === "list") {
      // Lists filter instead of refusing: nobody sees the fixture project's private data.
      for (const auth of [null, bearer(f.otherProject)]) {
        const body = await jsonOf(await call(r, auth), 200);
        const ids = body.items.map((i: { id: string; project_id?: string }) => i.project_id ?? i.id);
        expect(ids).not.toContain(f.project.id);
      }
      const own = await jsonOf(await call(r, bearer(f.projectAdmin)), 200);
      expect(own.items.length).toBeGreaterThan(0);
      return;
    }

    await expectError(await call(r, null), 401, "UnauthorizedCredentialsRequired");
    if (r.need === "self") {
      // Only users have a self: service-account tokens are refused outright.
      for (const t of [f.otherProject, f.projectAdmin]) await expectError(await call(r, bearer(t)), 403, "ForbiddenNotAUser");
      if (r.method === "GET") {
        const res = await call(r, bearer(f.userTokenSecret));
        expect(res.status, await res.clone().text()).toBe(200);
      }
      return;
    }
    await expectError(await call(r, bearer(f.otherProject)), 403, "ForbiddenInsufficientPermissions");
    const lacking =
      r.need === "read"
        ? [f.withoutRead]
        : r.need === "write"
          ? [f.withoutWrite]
          : r.need === "delete"
            ? [f.withoutDelete]
          : r.need === "admin"
            ? [f.withoutAdmin]
            : [f.adminUserWithoutAdmin, f.projectAdmin];
    for (const t of lacking) await expectError(await call(r, bearer(t)), 403, "ForbiddenInsufficientPermissions");

    // Positive control (reads only, so the fixtures survive): the right credential gets through.
    if (r.method === "GET") {
      const res = await call(r, bearer(r.need === "instance" ? ADMIN : f.projectAdmin));
      expect(res.status, await res.clone().text()).toBe(200);
    }
  });

  it("covers every authenticated operation in the OpenAPI document", async () => {
    const doc = await jsonOf(await req("/api/openapi.json"), 200);
    const secured: string[] = [];
    for (const [path, ops] of Object.entries<Record<string, { security?: unknown[] }>>(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) if (op.security?.length) secured.push(`${method.toUpperCase()} ${path}`);
    }
    expect(ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(secured.sort());
  });
});

describe("credential forms", () => {
  it("accepts a token as Bearer, as a Basic password with any username, and raw", async () => {
    const path = v1(`/projects/${f.project.id}`);
    const forms = [
      `Bearer ${f.projectAdmin}`,
      `bearer ${f.projectAdmin}`,
      `Token ${f.projectAdmin}`,
      basic(f.projectAdmin),
      basic(f.projectAdmin, ""),
      basic(f.projectAdmin, "someone@example.com"),
      f.projectAdmin, // cargo: no scheme at all
      `  Bearer   ${f.projectAdmin}  `,
    ];
    for (const authorization of forms) {
      const res = await req(path, { headers: { Authorization: authorization } });
      expect(res.status, authorization).toBe(200);
    }
    for (const authorization of [basic(ADMIN), ADMIN, `Bearer ${ADMIN}`]) {
      expect((await req("/api/admin/users", { headers: { Authorization: authorization } })).status).toBe(200);
    }
  });

  it("refuses a wrong Basic password and treats a username without password as no credential", async () => {
    const path = v1(`/projects/${f.project.id}`);
    await expectError(await req(path, { headers: { Authorization: basic("orbsa_wrong") } }), 401, "UnauthorizedInvalidToken");
    await expectError(await req(path, { headers: { Authorization: basic(`${ADMIN}x`) } }), 401, "UnauthorizedInvalidToken");
    await expectError(await req(path, { headers: { Authorization: basic("", f.projectAdmin) } }), 401, "UnauthorizedCredentialsRequired");
  });

  it("confines a token that carries its own role (as OIDC-exchanged ones do) to its project", async () => {
    // No API mints these yet, so write the row the way the exchange will: hash only.
    const secret = `orbx_${crypto.randomUUID().replace(/-/g, "")}`;
    await env.DB.prepare(
      "INSERT INTO tokens (id, token_hash, prefix, name, principal_type, principal_id, project_id, role, created_at) VALUES (?, ?, ?, 'oidc', 'service_account', ?, ?, 'admin', ?)",
    )
      .bind(crypto.randomUUID(), await sha256Hex(secret), secret.slice(0, 11), f.sa.id, f.project.id, Date.now())
      .run();
    const other = await createProject();
    const create = (projectId: string) =>
      req(v1("/repos"), { method: "POST", token: secret, json: { project_id: projectId, slug: unique("x"), format: "npm" } });
    await jsonOf(await create(f.project.id), 201);
    await expectError(await create(other.id), 403, "ForbiddenInsufficientPermissions");
    await expectError(await req(v1(`/projects/${other.id}`), { token: secret }), 403, "ForbiddenInsufficientPermissions");
  });

  it("keeps 401 (who are you?) and 403 (not you) apart", async () => {
    const path = v1(`/projects/${f.project.id}/service_accounts`);
    const anon = await req(path);
    await expectError(anon, 401, "UnauthorizedCredentialsRequired");
    const reader = await createServiceAccount(f.project.id, "reader");
    const readerToken = (await mintTokenFull(f.project.id, reader.id)).token;
    await expectError(await req(path, { token: readerToken }), 403, "ForbiddenInsufficientPermissions");
  });
});

describe("request ids", () => {
  it("puts an X-Request-Id on every response, success or failure", async () => {
    const project = await createProject();
    const responses = [
      await req(v1(`/projects/${project.id}`), { token: ADMIN }),
      await req(v1("/projects"), { method: "POST", token: ADMIN, json: { slug: unique("rid") } }),
      await req(v1(`/projects/${project.id}`), { method: "DELETE", token: ADMIN }),
      await req(v1("/projects"), { method: "POST", token: ADMIN, json: {} }),
      await req(v1("/projects"), { method: "POST", token: "orbsa_bad" }),
      await req(v1("/projects"), { method: "POST", token: f.projectAdmin, json: { slug: "x" } }),
      await req("/api/v1/nowhere"),
      await req("/api/openapi.json"),
      await req("/api/docs"),
      await req("/health/live"),
    ];
    const ids = responses.map((r) => r.headers.get("x-request-id"));
    expect(responses.map((r) => r.status)).toEqual([200, 201, 204, 400, 401, 403, 404, 200, 200, 200]);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("echoes a well-formed incoming request id and replaces a malformed one", async () => {
    const ok = await req(v1("/projects/nope"), { token: ADMIN, headers: { "X-Request-Id": "trace-0123456789" } });
    expect(ok.headers.get("x-request-id")).toBe("trace-0123456789");
    expect((await expectError(ok, 404, "NotFoundProject")).request_id).toBe("trace-0123456789");
    for (const bad of ["short", "has spaces in it", "x".repeat(129), "<script>alert(1)</script>"]) {
      const res = await req("/health/live", { headers: { "X-Request-Id": bad } });
      expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe("OpenAPI document", () => {
  it("lists every API route with its standard errors and security", async () => {
    const doc = await jsonOf(await req("/api/openapi.json"), 200);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    // Every route the API app registers, except the document itself.
    const routes = buildApi()
      .routes.filter((r) => r.method !== "ALL" && r.path !== "/api/openapi.json")
      .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z_]+)/g, "{$1}")}`);
    const documented = Object.entries<Record<string, unknown>>(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes.length).toBeGreaterThan(30);
    expect([...new Set(routes)].sort()).toEqual([...new Set(documented)].sort());
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        expect(op.summary, `${method} ${path}`).toEqual(expect.any(String));
        expect(op.security, `${method} ${path}`).toEqual(expect.any(Array));
        const statuses = op.security.length ? ["400", "401", "403", "404", "500"] : ["401", "500"]; // public: only a bad credential
        for (const status of statuses) {
          expect(op.responses[status]?.content?.["application/json"]?.schema, `${method} ${path} ${status}`).toEqual({ $ref: "#/components/schemas/Error" });
        }
      }
    }
  });
});
