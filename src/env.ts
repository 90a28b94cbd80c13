/** The Worker's bindings and variables, as declared in wrangler.toml. Read them through src/config.ts. */
import type { UploadSession } from "./objects/upload-session";
import type { ProjectQuota } from "./objects/project-quota";
import type { FetchLock } from "./objects/fetch-lock";

export interface Env {
  DB: D1Database;
  BLOBS: R2Bucket;
  UPLOAD_SESSIONS: DurableObjectNamespace<UploadSession>;
  QUOTAS: DurableObjectNamespace<ProjectQuota>;
  FETCH_LOCKS: DurableObjectNamespace<FetchLock>;
  EVENTS: Queue<unknown>;
  JOBS: Queue<unknown>;
  /** One message per webhook delivery attempt chain: `{delivery_id}`. */
  DELIVERIES: Queue<{ delivery_id: string }>;
  /** Where a delivery goes after its last failed attempt. */
  DELIVERIES_DLQ: Queue<{ delivery_id: string }>;
  /** The download log: one message per successful download (services/artifacts/downloads.ts). */
  DOWNLOADS: Queue<unknown>;
  /** Rate limits (Workers rate-limiting bindings): failed authentications and OIDC exchanges, per client address. */
  AUTH_FAILURES: RateLimit;
  OIDC_EXCHANGES: RateLimit;
  /** Instance-admin credential (a secret: `.dev.vars` locally, `wrangler secret put` in production). */
  ORBITALREG_ADMIN_TOKEN?: string;
  /** Key material for registry JWTs (/v2/token). Derived from the admin token when unset. */
  ORBITALREG_JWT_SECRET?: string;
  /** Encrypts repos' OpenPGP signing keys at rest (services/trust). Derived from the admin token when unset. */
  ORBITALREG_SIGNING_KEY_SECRET?: string;
  /** The internal API's service JWT keys and claims (auth/internal-jwt.ts); no key: the internal API is off. */
  ORBITALREG_INTERNAL_JWT_SECRET?: string;
  ORBITALREG_INTERNAL_JWT_PUBLIC_KEY?: string;
  ORBITALREG_INTERNAL_JWT_AUDIENCE?: string;
  ORBITALREG_INTERNAL_JWT_SUBJECT_PREFIX?: string;
  ORBITALREG_HELP_URL?: string;
  ORBITALREG_BANNER?: string;
  /** "true": webhooks and OIDC issuers may point at private, loopback and link-local addresses (local testing). */
  ORBITALREG_ALLOW_PRIVATE_WEBHOOKS?: string;
  /** "true": upstream repos may point at private, loopback and link-local addresses (local testing). */
  ORBITALREG_ALLOW_PRIVATE_UPSTREAMS?: string;
  /** How long a pull-through miss defers its cache write while the client is served, in ms ("0": store while streaming). */
  ORBITALREG_UPSTREAM_STORE_DEFER_MS?: string;
  /** Browser sessions: seconds without a request, and seconds after sign-in, before they end. */
  ORBITALREG_SESSION_IDLE_SECONDS?: string;
  ORBITALREG_SESSION_MAX_SECONDS?: string;
  /** Days the download log (who-pulled) keeps a download. */
  ORBITALREG_DOWNLOAD_LOG_DAYS?: string;
  /** Days a deleted artifact stays in the trash; the collector's grace periods (seconds). */
  ORBITALREG_TRASH_DAYS?: string;
  ORBITALREG_GC_LINK_GRACE_SECONDS?: string;
  ORBITALREG_GC_BLOB_GRACE_SECONDS?: string;
  ORBITALREG_GC_ORPHAN_GRACE_SECONDS?: string;
  /** Largest blob kept in the edge cache, in bytes ("0": none). */
  ORBITALREG_EDGE_CACHE_MAX_BYTES?: string;
  /** Largest request body accepted, in bytes (the Cloudflare plan's limit). */
  ORBITALREG_MAX_REQUEST_BODY_BYTES?: string;
}

type OrbitalRegEnv = Env;
declare global {
  namespace Cloudflare {
    interface Env extends OrbitalRegEnv {}
  }
}
