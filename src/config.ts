/**
 * The Worker's configuration: every `ORBITALREG_*` variable and every binding, read and
 * validated here and nowhere else (a test greps the sources for `env.ORBITALREG_`).
 *
 * Invariants:
 * - `config(env)` validates once per env object (memoized on it, so once per isolate in
 *   practice) and returns typed values; an invalid variable or a missing binding fails
 *   every request with 503 `UnavailableConfigInvalid`, naming what is wrong, rather than
 *   running half-configured.
 * - `SETTINGS` is the one list of variables and bindings; docs/configuration.md's table
 *   is generated from it, and `QUEUES` (the queue names) is checked against wrangler.toml.
 */
import { z } from "zod";
import type { Env } from "./env";
import { RegistryError } from "./core/errors";

/** Variables: "" counts as unset (wrangler.toml's [vars] can't delete one). */
const unset = (v: unknown) => (v === "" ? undefined : v);
const text = (max: number) => z.preprocess(unset, z.string().max(max).optional());
const flag = z.preprocess(unset, z.enum(["true", "false"], { error: 'must be "true" or "false"' }).optional());
const seconds = z.preprocess(unset, z.coerce.number({ error: "must be a number of seconds" }).int().min(60).max(365 * 86400).optional());
const count = (min: number, max: number, what: string) => z.preprocess(unset, z.coerce.number({ error: `must be a number of ${what}` }).int().min(min).max(max).optional());
const bytes = z.preprocess(unset, z.coerce.number({ error: "must be a number of bytes" }).int().min(0).max(2 ** 50).optional());
const httpUrl = z.preprocess(unset, z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional());

/** A binding is present and has the methods the code calls. */
const binding = (what: string, ...methods: string[]) =>
  z.custom((v) => typeof v === "object" && v !== null && methods.every((m) => typeof (v as Record<string, unknown>)[m] === "function"), {
    error: `is missing: bind a ${what} under this name (wrangler.toml)`,
  });

export interface Setting {
  kind: "secret" | "variable" | "binding";
  schema: z.ZodType;
  /** What it does, and what happens when it is unset (for the docs table). */
  description: string;
}

export const SETTINGS = {
  ORBITALREG_ADMIN_TOKEN: {
    kind: "secret",
    schema: text(4096),
    description: "The instance-admin credential (a bearer token). Unset: nobody is instance admin. `npm run dev` puts a random one in `.dev.vars`; in production `wrangler secret put ORBITALREG_ADMIN_TOKEN`",
  },
  ORBITALREG_JWT_SECRET: {
    kind: "secret",
    schema: text(4096),
    description:
      "Key for the registry JWTs `/v2/token` issues (HMAC). Unset: derived from `ORBITALREG_ADMIN_TOKEN`; with neither set, nothing is signed: `/v2/token` answers 503 `UnavailableJwtSecret` naming the missing secret and `/health/ready` fails its `config` check",
  },
  ORBITALREG_SIGNING_KEY_SECRET: {
    kind: "secret",
    schema: text(4096),
    description: "Encrypts the repos' OpenPGP signing keys at rest (apt, dnf indexes; AES-GCM under an HKDF-derived key). Unset: derived from `ORBITALREG_ADMIN_TOKEN`, so changing that token makes existing repo keys unreadable: set this in production and never change it",
  },
  ORBITALREG_INTERNAL_JWT_SECRET: {
    kind: "secret",
    schema: z.preprocess(unset, z.string().min(32, { error: "must be at least 32 characters" }).max(4096).optional()),
    description:
      "HS256 key of the internal API's service JWTs (`/internal/…`, docs/internal-api.md; a scanner signs with it). Unset, and `ORBITALREG_INTERNAL_JWT_PUBLIC_KEY` unset too: the internal API is off (every `/internal/…` path answers 404)",
  },
  ORBITALREG_INTERNAL_JWT_PUBLIC_KEY: {
    kind: "variable",
    schema: z.preprocess(unset, z.string().regex(/^-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----\s*$/, { error: "must be a PEM public key (SPKI)" }).max(4096).optional()),
    description: "Ed25519 public key (SPKI PEM) that verifies the internal API's EdDSA service JWTs: the scanner keeps the private key. Unset: only HS256 tokens (if the secret is set)",
  },
  ORBITALREG_INTERNAL_JWT_AUDIENCE: { kind: "variable", schema: text(200), description: "The `aud` every internal API JWT must carry. Unset: `orbitalreg-internal`" },
  ORBITALREG_INTERNAL_JWT_SUBJECT_PREFIX: {
    kind: "variable",
    schema: text(100),
    description: "The prefix every internal API JWT's `sub` must start with (the rest names the service in audit and logs). Unset: `scanner:`",
  },
  ORBITALREG_HELP_URL: { kind: "variable", schema: httpUrl, description: "Help link shown by `/api/public-config` (`help_url`). Unset: null" },
  ORBITALREG_BANNER: { kind: "variable", schema: text(1000), description: "Banner text shown by `/api/public-config` (`banner`). Unset: null" },
  ORBITALREG_ALLOW_PRIVATE_WEBHOOKS: {
    kind: "variable",
    schema: flag,
    description: '`"true"`: webhook receivers and OIDC issuers may be on private, loopback and link-local addresses, and issuers on such hosts may use plain http (local dev, e2e tests). Unset or `"false"` (keep it so in production): refused',
  },
  ORBITALREG_ALLOW_PRIVATE_UPSTREAMS: {
    kind: "variable",
    schema: flag,
    description: '`"true"`: upstream (proxy) repos may fetch from private, loopback and link-local addresses over http or https (local dev, e2e tests against a second registry on 127.0.0.1). Unset or `"false"` (keep it so in production): such upstream URLs are refused when a repo is saved and when it fetches',
  },
  ORBITALREG_UPSTREAM_STORE_DEFER_MS: {
    kind: "variable",
    schema: z.preprocess(unset, z.coerce.number({ error: "must be a number of milliseconds" }).int().min(0).max(60_000).optional()),
    description:
      "How long an upstream repo's cache miss keeps its cache write waiting while the client is served, in milliseconds (docs/proxy.md, \"Limits\"). While it waits, up to 32 MiB is queued; the rest of a larger artifact is then read again from the upstream with a range request. `0`: store while streaming (each byte crosses from the upstream once; the client goes at the cache write's pace, which under `wrangler dev` is the local R2 simulator's). Unset: 5000",
  },
  ORBITALREG_SESSION_IDLE_SECONDS: {
    kind: "variable",
    schema: seconds,
    description: "Browser sessions end after this many seconds without a request (docs/web-ui.md). Unset: 28800 (8 hours)",
  },
  ORBITALREG_SESSION_MAX_SECONDS: {
    kind: "variable",
    schema: seconds,
    description: "Browser sessions end this many seconds after sign-in, however active. Unset: 604800 (7 days)",
  },
  ORBITALREG_DOWNLOAD_LOG_DAYS: {
    kind: "variable",
    schema: z.preprocess(unset, z.coerce.number({ error: "must be a number of days" }).int().min(1).max(3650).optional()),
    description: "Days the download log keeps a download (who-pulled, docs/policy.md); the cron trigger deletes older ones. Unset: 90",
  },
  ORBITALREG_TRASH_DAYS: {
    kind: "variable",
    schema: count(0, 365, "days"),
    description: "How long a deleted artifact stays in its repository's trash (restorable, and counted toward the quota) before it is purged. Unset: 7. `0`: purged by the next expiry sweep (every 15 minutes)",
  },
  ORBITALREG_GC_LINK_GRACE_SECONDS: {
    kind: "variable",
    schema: count(0, 365 * 86400, "seconds"),
    description: "The collector drops a repository's link to a blob that no file, manifest or trash entry of the repository has needed for this long (an OCI blob pushed without its manifest, docs/gc.md). Unset: 86400 (a day)",
  },
  ORBITALREG_GC_BLOB_GRACE_SECONDS: {
    kind: "variable",
    schema: count(0, 365 * 86400, "seconds"),
    description: "The collector deletes a blob no repository has linked for this long (0 is safe: the protocol, not the delay, keeps concurrent pushes intact; docs/gc.md). Unset: 3600",
  },
  ORBITALREG_GC_ORPHAN_GRACE_SECONDS: {
    kind: "variable",
    schema: count(0, 365 * 86400, "seconds"),
    description: "The collector deletes a stored object no blob names once it is this old: longer than any upload takes between storing its bytes and recording them (an OCI upload session lives 24 hours). Unset: 172800 (2 days)",
  },
  ORBITALREG_EDGE_CACHE_MAX_BYTES: {
    kind: "variable",
    schema: bytes,
    description: "Largest blob kept in the edge cache (Cache API) after a download; `0` turns the edge cache off (docs/performance.md). Unset: 33554432 (32 MiB)",
  },
  ORBITALREG_MAX_REQUEST_BODY_BYTES: {
    kind: "variable",
    schema: bytes,
    description:
      "Largest request body the Worker accepts, refused before a byte is read: set it to your Cloudflare plan's limit (100 MB Free and Pro, 200 MB Business, 500 MB Enterprise by default). OCI uploads advertise it as `OCI-Chunk-Max-Length` (docs/formats/oci.md). Unset: no limit of its own (`wrangler dev` has none either)",
  },
  AUTH_FAILURES: {
    kind: "binding",
    schema: binding("rate-limiting binding ([[ratelimits]])", "limit"),
    description: "Rate limit on failed authentications per client address (docs/auth.md#rate-limits)",
  },
  OIDC_EXCHANGES: {
    kind: "binding",
    schema: binding("rate-limiting binding ([[ratelimits]])", "limit"),
    description: "Rate limit on OIDC token exchanges per client address (docs/oidc.md)",
  },
  DB: { kind: "binding", schema: binding("D1 database", "prepare", "batch"), description: "D1 database: all metadata (migrations in `migrations/`)" },
  BLOBS: { kind: "binding", schema: binding("R2 bucket", "get", "put", "createMultipartUpload"), description: "R2 bucket: blob bytes, content-addressed" },
  UPLOAD_SESSIONS: { kind: "binding", schema: binding("Durable Object namespace (class UploadSession)", "idFromName", "get"), description: "Durable Object `UploadSession`: chunked upload sessions" },
  QUOTAS: { kind: "binding", schema: binding("Durable Object namespace (class ProjectQuota)", "idFromName", "get"), description: "Durable Object `ProjectQuota`: per-project quota counters" },
  FETCH_LOCKS: {
    kind: "binding",
    schema: binding("Durable Object namespace (class FetchLock)", "idFromName", "get"),
    description: "Durable Object `FetchLock`: one per upstream artifact being fetched, so concurrent cache misses fetch it once",
  },
  EVENTS: { kind: "binding", schema: binding("queue producer", "send"), description: "Queue producer: domain events, fanned out to webhook deliveries" },
  JOBS: { kind: "binding", schema: binding("queue producer", "send"), description: "Queue producer: background jobs (retention runs, trash expiry, garbage collection, mirror syncs)" },
  DELIVERIES: { kind: "binding", schema: binding("queue producer", "send", "sendBatch"), description: "Queue producer: one message per webhook delivery" },
  DELIVERIES_DLQ: { kind: "binding", schema: binding("queue producer", "send"), description: "Queue producer: deliveries whose last attempt failed" },
  DOWNLOADS: { kind: "binding", schema: binding("queue producer", "sendBatch"), description: "Queue producer: the download log (who pulled what), one message per successful download, sent in batches per isolate" },
} satisfies Record<string, Setting>;

/**
 * Every queue: its producer binding (if the Worker sends to it), its name in
 * wrangler.toml, and the dead-letter queue a consumer's failures go to.
 */
export const QUEUES = {
  events: { binding: "EVENTS", name: "orbitalreg-events", deadLetter: "orbitalreg-events-dlq" },
  eventsDlq: { binding: null, name: "orbitalreg-events-dlq", deadLetter: null },
  jobs: { binding: "JOBS", name: "orbitalreg-jobs", deadLetter: null },
  deliveries: { binding: "DELIVERIES", name: "orbitalreg-deliveries", deadLetter: "orbitalreg-deliveries-dlq" },
  deliveriesDlq: { binding: "DELIVERIES_DLQ", name: "orbitalreg-deliveries-dlq", deadLetter: null },
  downloads: { binding: "DOWNLOADS", name: "orbitalreg-downloads", deadLetter: null },
} as const satisfies Record<string, { binding: keyof typeof SETTINGS | null; name: string; deadLetter: string | null }>;

export interface Config {
  adminToken: string | null;
  jwtSecret: string | null;
  signingKeySecret: string | null;
  helpUrl: string | null;
  banner: string | null;
  /** Whether outbound calls (webhook deliveries, OIDC discovery) may reach private addresses. */
  allowPrivateTargets: boolean;
  /** Whether upstream repos may fetch from private addresses. */
  allowPrivateUpstreams: boolean;
  /** How long a pull-through miss defers its cache write while the client is served (ms). */
  upstreamStoreDeferMs: number;
  /** Idle and absolute lifetimes of browser sessions, in milliseconds. */
  sessions: { idleMs: number; maxMs: number };
  /** How long the download log keeps a download, in milliseconds. */
  downloadLogMs: number;
  /** How long a deleted artifact stays in the trash (ms). */
  trashMs: number;
  /** The collector's grace periods (ms): unused links, unlinked blobs, orphan objects. */
  gc: { linkGraceMs: number; blobGraceMs: number; orphanGraceMs: number };
  /** Largest blob the edge cache keeps (0: no edge cache). */
  edgeCacheMaxBytes: number;
  /** Largest request body accepted (null: no limit of our own). */
  maxRequestBodyBytes: number | null;
  /** The internal API's service JWT (auth/internal-jwt.ts): off unless a key is set. */
  internalJwt: { secret: string | null; publicKey: string | null; audience: string; subjectPrefix: string };
}

const memo = new WeakMap<object, Config | RegistryError>();

/** The validated configuration of `env`; throws 503 `UnavailableConfigInvalid` when it is not valid. */
export function config(env: Env): Config {
  let c = memo.get(env);
  if (!c) {
    c = read(env);
    memo.set(env, c);
  }
  if (c instanceof RegistryError) throw c;
  return c;
}

function read(env: Env): Config | RegistryError {
  const shape = Object.fromEntries(Object.entries(SETTINGS).map(([k, s]) => [k, s.schema]));
  const parsed = z.object(shape).safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`);
    console.error("invalid configuration:", problems.join("; "));
    return new RegistryError("UnavailableConfigInvalid", `the registry is not configured correctly: ${problems.join("; ")}`);
  }
  const v = parsed.data as Record<keyof typeof SETTINGS, string | undefined> & {
    ORBITALREG_UPSTREAM_STORE_DEFER_MS?: number;
    ORBITALREG_SESSION_IDLE_SECONDS?: number;
    ORBITALREG_SESSION_MAX_SECONDS?: number;
    ORBITALREG_DOWNLOAD_LOG_DAYS?: number;
    ORBITALREG_TRASH_DAYS?: number;
    ORBITALREG_GC_LINK_GRACE_SECONDS?: number;
    ORBITALREG_GC_BLOB_GRACE_SECONDS?: number;
    ORBITALREG_GC_ORPHAN_GRACE_SECONDS?: number;
    ORBITALREG_EDGE_CACHE_MAX_BYTES?: number;
    ORBITALREG_MAX_REQUEST_BODY_BYTES?: number;
  };
  return {
    adminToken: v.ORBITALREG_ADMIN_TOKEN ?? null,
    jwtSecret: v.ORBITALREG_JWT_SECRET ?? null,
    signingKeySecret: v.ORBITALREG_SIGNING_KEY_SECRET ?? null,
    helpUrl: v.ORBITALREG_HELP_URL ?? null,
    banner: v.ORBITALREG_BANNER ?? null,
    allowPrivateTargets: v.ORBITALREG_ALLOW_PRIVATE_WEBHOOKS === "true",
    allowPrivateUpstreams: v.ORBITALREG_ALLOW_PRIVATE_UPSTREAMS === "true",
    upstreamStoreDeferMs: v.ORBITALREG_UPSTREAM_STORE_DEFER_MS ?? 5_000,
    sessions: { idleMs: (v.ORBITALREG_SESSION_IDLE_SECONDS ?? 8 * 3600) * 1000, maxMs: (v.ORBITALREG_SESSION_MAX_SECONDS ?? 7 * 86400) * 1000 },
    downloadLogMs: (v.ORBITALREG_DOWNLOAD_LOG_DAYS ?? 90) * 86_400_000,
    trashMs: (v.ORBITALREG_TRASH_DAYS ?? 7) * 86_400_000,
    gc: {
      linkGraceMs: (v.ORBITALREG_GC_LINK_GRACE_SECONDS ?? 86400) * 1000,
      blobGraceMs: (v.ORBITALREG_GC_BLOB_GRACE_SECONDS ?? 3600) * 1000,
      orphanGraceMs: (v.ORBITALREG_GC_ORPHAN_GRACE_SECONDS ?? 2 * 86400) * 1000,
    },
    edgeCacheMaxBytes: v.ORBITALREG_EDGE_CACHE_MAX_BYTES ?? 32 * 1024 * 1024,
    maxRequestBodyBytes: v.ORBITALREG_MAX_REQUEST_BODY_BYTES ?? null,
    internalJwt: {
      secret: v.ORBITALREG_INTERNAL_JWT_SECRET ?? null,
      publicKey: v.ORBITALREG_INTERNAL_JWT_PUBLIC_KEY ?? null,
      audience: v.ORBITALREG_INTERNAL_JWT_AUDIENCE ?? "orbitalreg-internal",
      subjectPrefix: v.ORBITALREG_INTERNAL_JWT_SUBJECT_PREFIX ?? "scanner:",
    },
  };
}
