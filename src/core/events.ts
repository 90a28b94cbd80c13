/**
 * The domain-event catalogue: every event type the registry can send to webhooks, with
 * its payload schema (`data`), a description and an example. It is the single source:
 * `emitEvent` accepts only `DomainEvent` (a discriminated union built from it), the
 * webhook catalogue endpoint and subscription filters read it, and the catalogue section
 * of docs/webhook-events.md is generated from it (a test fails when the file differs).
 *
 * Invariants:
 * - A type is `emitted` (the registry sends it today) or `reserved` (catalogued so
 *   subscriptions may name it, for a feature not built yet; its shape may still change).
 * - Payloads are snake_case and strict (core/event-shapes.ts); every example is typed
 *   against its schema here and validated at runtime by the tests.
 * - Adding a type = one entry here (and `npm run docs:generate`); never rename one.
 */
import { z } from "zod";
import * as s from "./event-shapes";
import { SIGSTORE_MODES } from "./vocabulary";

export const ACTOR_TYPES = ["user", "service_account", "oidc", "instance_admin", "anonymous", "system"] as const;
const Actor = z.strictObject({ type: z.enum(ACTOR_TYPES), id: z.string().nullable(), name: z.string().nullable() });
type Actor = z.infer<typeof Actor>;

export interface EventSpec<S extends z.ZodType = z.ZodType> {
  description: string;
  status: "emitted" | "reserved";
  data: S;
  /** Markdown the generated docs add under the description. */
  notes?: string;
  example: { data: z.input<S>; project_id?: string | null; actor?: Actor; request_id?: string | null };
}
const event = <S extends z.ZodType>(spec: EventSpec<S>) => spec;

// Example values, so examples across events tell one story.
const P = "5b1e0a9c-3d2f-4e6a-8b7c-9d0e1f2a3b4c";
const R = "7a6b5c4d-3e2f-4a0b-9c8d-7e6f5a4b3c2d";
const SA = "6f5e4d3c-2b1a-4098-8765-4321fedcba98";
const D = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
const T0 = 1795330800000;
const ADMIN: Actor = { type: "instance_admin", id: "admin", name: "admin" };
const CI: Actor = { type: "service_account", id: SA, name: "ci" };
const ALICE: Actor = { type: "user", id: "4d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a", name: "alice" };
const system = (name: string): Actor => ({ type: "system", id: null, name });
const project = { id: P, slug: "acme", name: "Acme", description: "", created_at: T0, updated_at: T0 };
const repo = {
  id: R, project_id: P, slug: "npm-local", format: "npm" as const, kind: "local" as const, visibility: "private" as const, state: "normal" as const,
  description: "", labels: { team: "web" }, allowed_patterns: [], blocked_patterns: [], immutable_tags: [], upstream_url: null, virtual_members: [], config: {}, created_at: T0, updated_at: T0,
};
const serviceAccount = { id: SA, project_id: P, name: "ci", description: "", role: "writer" as const, created_at: T0, updated_at: T0 };
const user = { id: ALICE.id!, username: "alice", email: "alice@example.com", is_admin: false, created_at: T0, updated_at: T0 };
const token = {
  id: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", prefix: "orbsa_k3Xq", name: "laptop", principal_type: "service_account" as const, principal_id: SA,
  project_id: P, scopes: null, role: null, expires_at: T0 + 86_400_000, last_used_at: null, revoked_at: null, created_at: T0,
};
const webhook = { id: "2a3b4c5d-6e7f-4809-9a2b-3c4d5e6f7081", name: "ci-notify", url_host: "ci.example.com", events: ["artifact.*"], project_id: null, enabled: true };
const team = { id: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", project_id: P, name: "platform", description: "Platform engineers", role: "writer" as const, created_at: T0, updated_at: T0 };
const repoPermission = { repo_id: R, delegate_type: "team" as const, delegate_id: team.id, role: "write" as const };
const prototype = { id: "6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c", project_id: P, activating_user_id: null, delegate_type: "team" as const, delegate_id: team.id, role: "writer" as const, created_at: T0, updated_at: T0 };
const session = { id: "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", user_id: ALICE.id!, provider_id: "8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e", created_at: T0, last_seen_at: T0, expires_at: T0 + 7 * 86_400_000, revoked_at: null, ip: "203.0.113.7", user_agent: "Mozilla/5.0" };
const loginProvider = {
  id: "8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e", name: "corp-sso", display_name: "Corp SSO", issuer: "https://login.example.com", client_id: "orbitalreg", client_secret_set: true,
  scopes: ["openid", "email", "profile"], allowed_email_domains: ["example.com"], groups_claim: "groups", group_mappings: [{ group: "platform", team_id: team.id }],
  provisioning: "auto" as const, enabled: true, secret_updated_at: T0, created_at: T0, updated_at: T0,
};
const message = { id: "9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f", content: "Maintenance on Saturday 22:00 UTC", media_type: "text/plain" as const, severity: "warning" as const, created_at: T0 };
const trashEntry = {
  id: "a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9c03", repo_id: R, kind: "version" as const, name: "@acme/widgets", ref: "1.4.0", tags: ["latest"], size: 18234, reason: "delete" as const,
  run_id: null, policy_name: null, actor_type: "user", actor_name: "alice", deleted_at: T0, expires_at: T0 + 7 * 86_400_000,
};
const legalHold = { id: "c9d0e1f2-a3b4-4c5d-8e6f-7a8b9c0d1e25", repo_id: R, kind: "version" as const, name: "@acme/widgets", ref: "1.4.0", reason: "Litigation hold LH-2026-7", created_at: T0 };
const label = { id: "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", repo_id: R, digest: D, key: "qa", value: "passed", media_type: "text/plain", source: "api" as const, created_at: T0 };

const blockView = {
  block_id: "0e2d4f6a-8b0c-4d2e-9f4a-6b8c0d2e4f6a",
  reason: "Confirmed-malicious sample from FAS-2025-0042",
  customer_message: "This version was pulled after a compromise; upgrade to 1.4.1.",
  blocked_until: "2026-12-31T00:00:00.000Z",
  public_url: "https://registry.example.com/blocked/0e2d4f6a-8b0c-4d2e-9f4a-6b8c0d2e4f6a",
  origin: "security" as const,
  match: { format: "npm", package: "@acme/widgets", versions: ["1.4.0"], digests: [], project_id: null, repo_id: null },
  affected: { versions: 1, manifests: 0 },
};
const held = { format: "npm", repo_id: R, package: "@acme/widgets", version: "1.5.0", digest: null, held_id: "version:3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b" };

// artifact.* payloads: a language package's file, or an OCI image.
const PackageFields = { format: s.Format, repo_id: s.Id("repository"), package: z.string().describe("The package name as published") };
const ImageFields = {
  format: s.Format,
  repo_id: s.Id("repository"),
  project_id: s.Id("project"),
  name: z.string().describe("Full image name, `<project>/<repo>/<image>`"),
};
const HeldFields = {
  ...PackageFields,
  version: z.string().describe("The version, or for images the manifest digest"),
  digest: s.Digest.nullable().describe("The image manifest's digest; null for a package version"),
  held_id: z.string().describe("The id used by `/api/admin/quarantine/held/{id}`"),
};
const FileRef = z.strictObject({ name: z.string().describe("File name"), digest: s.Digest, size: z.number().int().describe("Bytes") });

const RepoEnd = z.strictObject({ repo_id: s.Id("repository"), repo: z.string().describe("Repository slug"), project_id: s.Id("project") });
const FindingBrief = z.strictObject({
  finding_id: s.Id("finding"),
  kind: z.enum(["vulnerability", "malware", "license", "secret", "other"]).describe("What was found"),
  identifier: z.string().describe("CVE, GHSA, OSV or rule id"),
  severity: s.SeverityName,
  summary: z.string().describe("One line for humans"),
});
const FindingStatusView = z.strictObject({
  status: z.enum(["open", "accepted", "false_positive", "fixed"]).describe("The status (an expired acceptance reads `open`)"),
  justification: z.string().nullable().describe("Why (required for `accepted`)"),
  expires_at: z.number().int().nullable().describe("When an acceptance ends (Unix milliseconds), or null"),
});

const Change = z.enum(["created", "updated", "deleted"]).describe("What happened");

export const EVENT_CATALOG = {
  "artifact.uploaded": event({
    description: "An artifact was pushed: a package version's file, an image manifest or tag, a generic file",
    status: "emitted",
    notes: "One event per new file for language packages and generic files; one per manifest push (or tag change) for images, and one when a tag is restored (`restored_from`).",
    data: z.union([
      z.strictObject({ ...PackageFields, version: z.string().describe("The version"), file: z.string().describe("The new file's name"), digest: s.Digest, size: z.number().int().describe("Bytes") }).describe("A package file"),
      z.strictObject({ ...ImageFields, tags: z.array(z.string()).describe("Tags the push set"), tag: z.string().nullable().describe("The first of `tags`, or null (push by digest)"), digest: s.Digest, size: z.number().int().describe("Manifest bytes"), media_type: z.string().describe("Manifest media type") }).describe("An image manifest"),
      z.strictObject({ ...ImageFields, tag: z.string().describe("The restored tag"), digest: s.Digest, restored_from: z.string().nullable().describe("The digest the tag pointed at before, or null") }).describe("A restored tag"),
    ]),
    example: { actor: { type: "oidc", id: "0c9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a", name: "oidc:github-release:repo:acme/app:environment:prod" }, data: { format: "npm", repo_id: R, package: "@acme/widgets", version: "1.4.0", file: "widgets-1.4.0.tgz", digest: D, size: 18234 } },
  }),
  "artifact.updated": event({
    description: "A package version was yanked or unyanked, deprecated or undeprecated (governance API or the format's own yank)",
    status: "emitted",
    data: z.strictObject({
      ...PackageFields,
      version: z.string().describe("The version"),
      yanked: z.string().nullable().describe("Yank reason (`\"\"` when none was given), or null when not yanked"),
      deprecated: z.string().nullable().describe("Deprecation message, or null"),
    }),
    example: { actor: ALICE, data: { format: "pypi", repo_id: R, package: "acme-tools", version: "0.9.1", yanked: "broken wheel metadata", deprecated: null } },
  }),
  "artifact.deleted": event({
    description: "An artifact was removed (by a user, an API call or a protocol DELETE)",
    status: "emitted",
    notes: "The artifact moves to the repository's trash (restorable until it expires or is purged; it counts toward the quota until then). Retention-run deletions send `retention.deleted` instead.",
    data: z.union([
      z.strictObject({ ...PackageFields, version: z.string().describe("The deleted version"), files: z.array(FileRef).describe("Its files") }).describe("A package version"),
      z.strictObject({ ...PackageFields, versions: z.array(z.string()).describe("Every deleted version"), files: z.array(FileRef).describe("Their files") }).describe("A whole package"),
      z.strictObject({ format: s.Format, repo_id: s.Id("repository"), file: z.string().describe("File name or path"), digest: s.Digest, size: z.number().int().describe("Bytes") }).describe("One file (generic, Maven)"),
      z.strictObject({ ...ImageFields, tag: z.string().describe("The deleted tag"), digest: s.Digest }).describe("An image tag"),
      z.strictObject({ ...ImageFields, digest: s.Digest, tags: z.array(z.string()).describe("Tags removed with it"), size: z.number().int().describe("Manifest bytes") }).describe("An image manifest"),
      z.strictObject({ ...ImageFields, blob: s.Digest, digest: s.Digest, size: z.number().int().describe("Bytes") }).describe("An image blob (unlinked from the repository)"),
    ]),
    example: { actor: CI, data: { format: "pypi", repo_id: R, package: "acme-tools", version: "0.9.1", files: [{ name: "acme_tools-0.9.1-py3-none-any.whl", digest: D, size: 40960 }] } },
  }),
  "artifact.promoted": event({
    description: "An artifact was promoted: linked from one repository into another after passing the target's gates",
    status: "emitted",
    notes: "Promotion links, never copies: the source keeps the artifact and no byte is stored twice. For an image, `referrers` counts the signatures, SBOMs and attestations linked with it. `gates` lists every gate the target checked, all passed.",
    data: z.strictObject({
      format: s.Format,
      name: z.string().describe("Package or image name"),
      version: z.string().describe("Package version, or the image tag given (else its digest)"),
      digest: s.Digest.describe("The image manifest's digest, or the package's first file's"),
      mode: z.literal("link").describe("How it was promoted: `link` (the source keeps it)"),
      tag: z.string().nullable().describe("The tag set in the target (images), or null"),
      referrers: z.number().int().describe("Referrers (signatures, SBOMs, attestations) linked with an image; 0 for packages"),
      from: RepoEnd.describe("Source repository"),
      to: RepoEnd.describe("Target repository"),
      gates: z.array(s.GateResult).describe("The target's gates and their verdicts"),
    }),
    example: {
      actor: ALICE,
      data: {
        format: "docker", name: "app/api", version: "1.4.0", digest: D, mode: "link", tag: "1.4.0", referrers: 2,
        from: { repo_id: "aa11bb22-cc33-4d44-8e55-ff6677889900", repo: "staging", project_id: P }, to: { repo_id: R, repo: "prod", project_id: P },
        gates: [{ gate: "findings", passed: true, reason: "no open finding at or above high" }, { gate: "min_age", passed: true, reason: "pushed 3 days ago (at least 1 day)" }],
      },
    },
  }),
  "upstream.integrity_failed": event({
    description: "An upstream repo's upstream sent bytes that failed verification (digest, checksum or size): the client's transfer was broken off and nothing was cached",
    status: "emitted",
    notes: "A possible sign of a tampered mirror or a man in the middle. `artifact` is the upstream repo's own key for what was fetched (e.g. `tarball:left-pad@1.3.0`, `blob:sha256:…`).",
    data: z.strictObject({
      format: s.Format,
      repo_id: s.Id("repository"),
      artifact: z.string().describe("What was fetched, as the repo keys it"),
      reason: z.string().describe("What did not match"),
    }),
    example: { actor: CI, data: { format: "npm", repo_id: R, artifact: "tarball:left-pad@1.3.0", reason: "the upstream's bytes have sha512 9f86…, not 2c26…" } },
  }),
  "mirror.changed": event({
    description: "A repository's mirror configuration was created, changed or deleted, or a sync was requested or cancelled (`sync-now`, `sync-cancel`)",
    status: "emitted",
    data: z.strictObject({
      change: z.enum(["created", "updated", "deleted", "sync_now", "sync_cancel"]).describe("What happened"),
      mirror: z
        .strictObject({
          repo_id: s.Id("repository"),
          is_enabled: z.boolean().describe("Whether scheduled syncs run"),
          packages: z.array(z.string()).describe("Packages or images mirrored"),
          root_rule: z.array(z.string()).describe("Version or tag globs copied (empty: all)"),
          sync_interval: z.number().int().describe("Seconds between scheduled syncs"),
          sync_status: z.enum(["NEVER_RUN", "SYNC_NOW", "SYNCING", "SUCCESS", "FAIL", "CANCEL"]).describe("The sync status after the change"),
        })
        .describe("The mirror (after the change; before it for a delete)"),
    }),
    example: { actor: ALICE, data: { change: "sync_now", mirror: { repo_id: R, is_enabled: true, packages: ["library/alpine"], root_rule: ["3.*"], sync_interval: 86400, sync_status: "SYNC_NOW" } } },
  }),
  "mirror.synced": event({
    description: "A mirror sync run finished (scheduled or `sync-now`)",
    status: "emitted",
    notes: "Not sent for a run cancelled by `sync-cancel` (that is `mirror.changed`). The actor is the system actor `mirror`.",
    data: z.strictObject({
      repo_id: s.Id("repository"),
      status: z.enum(["SUCCESS", "FAIL"]).describe("`FAIL` when anything could not be copied"),
      copied: z.number().int().describe("Versions (or tags) copied or already cached"),
      failed: z.number().int().describe("Versions (or tags, or packages) that could not be copied"),
      error: z.string().nullable().describe("The last failure, for humans"),
    }),
    example: { actor: system("mirror"), request_id: null, data: { repo_id: R, status: "SUCCESS", copied: 12, failed: 0, error: null } },
  }),
  "proxy_cache.changed": event({
    description: "A project's proxy-cache configuration was created or deleted",
    status: "emitted",
    data: z.strictObject({
      change: z.enum(["created", "deleted"]).describe("What happened"),
      proxy_cache: z
        .strictObject({
          upstream_registry: z.string().describe("The registry the project caches"),
          upstream_registry_username: z.string().nullable().describe("The user name it signs in with (never the password)"),
          expiration_s: z.number().int().describe("Seconds tags are cached before the upstream is asked again"),
          insecure: z.boolean().describe("Whether plain http is allowed"),
        })
        .describe("The configuration"),
    }),
    example: { actor: ADMIN, data: { change: "created", proxy_cache: { upstream_registry: "https://registry-1.docker.io", upstream_registry_username: null, expiration_s: 86400, insecure: false } } },
  }),
  "finding.created": event({
    description: "A scanner reported new findings (vulnerabilities, malware, licences, secrets) on an artifact",
    status: "emitted",
    notes: "Coalesced: one event per report and artifact, listing up to 100 of the new findings (`count` has them all). Findings a scanner reports again are updated, not sent again.",
    data: z.strictObject({
      artifact: s.ArtifactRef,
      scanner: z.strictObject({ name: z.string().describe("Scanner name"), version: z.string().nullable().describe("Scanner version") }).describe("Who reported them"),
      count: z.number().int().describe("New findings in this report"),
      findings: z.array(FindingBrief).describe("The first 100 of them"),
    }),
    example: {
      actor: { type: "service_account", id: "5d6e7f80-91a2-4b3c-8d4e-5f60718293a4", name: "trivy-scanner" },
      data: { artifact: { format: "npm", repo_id: R, package: "@acme/widgets", version: "1.4.0", digest: D }, scanner: { name: "trivy", version: "0.58.1" }, count: 1, findings: [{ finding_id: "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e", kind: "vulnerability", identifier: "CVE-2026-12345", severity: "critical", summary: "Prototype pollution in widgets.merge" }] },
    },
  }),
  "finding.updated": event({
    description: "A finding's status changed (accepted, false positive, fixed, reopened)",
    status: "emitted",
    data: z.strictObject({
      finding_id: s.Id("finding"),
      identifier: z.string().describe("CVE, GHSA, OSV or rule id"),
      severity: s.SeverityName,
      artifact: s.ArtifactRef,
      before: FindingStatusView.describe("Status before"),
      after: FindingStatusView.describe("Status after"),
    }),
    example: {
      actor: ALICE,
      data: {
        finding_id: "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e", identifier: "CVE-2026-12345", severity: "critical", artifact: { format: "npm", repo_id: R, package: "@acme/widgets", version: "1.4.0", digest: D },
        before: { status: "open", justification: null, expires_at: null }, after: { status: "accepted", justification: "not reachable: merge() is never called with user input", expires_at: T0 + 30 * 86_400_000 },
      },
    },
  }),
  "finding.threshold-exceeded": event({
    description: "An artifact's open findings went over one of its project's thresholds (e.g. any critical)",
    status: "emitted",
    notes: "Sent when a report or a status change takes the count from within to over the threshold's maximum; counts are of open findings (an expired acceptance counts as open), at or above the threshold's severity.",
    data: z.strictObject({
      threshold_id: s.Id("threshold"),
      name: z.string().describe("The threshold's name"),
      threshold: z.strictObject({ severity: s.SeverityName.describe("Severity counted (and above)"), max: z.number().int().describe("Findings allowed") }).describe("The threshold"),
      count: z.number().int().describe("Open findings at or above the severity now"),
      counts: z.record(z.string(), z.number().int()).describe("Open findings by severity"),
      artifact: s.ArtifactRef,
    }),
    example: { actor: { type: "service_account", id: "5d6e7f80-91a2-4b3c-8d4e-5f60718293a4", name: "trivy-scanner" }, data: { threshold_id: "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f", name: "no-criticals", threshold: { severity: "critical", max: 0 }, count: 1, counts: { critical: 1, high: 3, medium: 7, low: 2, info: 0 }, artifact: { format: "npm", repo_id: R, package: "@acme/widgets", version: "1.4.0", digest: D } } },
  }),
  "block.created": event({
    description: "A security block was created: matching downloads now answer 451 with its why-blocked envelope",
    status: "emitted",
    notes: "Instance-wide (`project_id` null) unless the block is confined to a project. `affected` counts what was stored and matched when it was made; versions published later that match are refused too.",
    data: s.BlockView,
    example: { actor: ADMIN, project_id: null, data: blockView },
  }),
  "block.updated": event({
    description: "A security block's message, reason or end time changed",
    status: "emitted",
    data: s.BlockView,
    example: { actor: ADMIN, project_id: null, data: { ...blockView, blocked_until: null } },
  }),
  "block.lifted": event({
    description: "A security block was lifted: what it refused downloads again (unless another block matches)",
    status: "emitted",
    notes: "The block is kept (its public page says it was lifted); `affected` counts what it no longer refuses.",
    data: s.BlockView,
    example: { actor: ADMIN, project_id: null, data: blockView },
  }),
  "block.hit": event({
    description: "Downloads were refused by a security block (the first refusal of each window per block)",
    status: "emitted",
    notes: "Coalesced: one event per block per window (`window_seconds`), sent on the window's first refusal, so a CI loop retrying a blocked artifact cannot flood subscribers; `GET /api/admin/security/{id}` counts every refusal.",
    data: z.strictObject({
      block_id: s.Id("block"),
      ...PackageFields,
      version: z.string().describe("The version (or, for images, the tag or digest) asked for"),
      digest: s.Digest.nullable().describe("The file, blob or manifest asked for; null when only the version was (a Go `.info`)"),
      window_start: z.string().describe("RFC 3339 start of the window this refusal opened"),
      window_seconds: z.number().int().describe("Length of a window"),
    }),
    example: { actor: CI, data: { block_id: blockView.block_id, format: "npm", repo_id: R, package: "@acme/widgets", version: "1.4.0", digest: D, window_start: new Date(T0).toISOString(), window_seconds: 900 } },
  }),
  "sigstore.pull_unverified": event({
    description: "An artifact a sigstore trust policy in `audit` mode selects was pulled without passing it (served anyway)",
    status: "emitted",
    notes: "At most once per artifact digest per policy version in each isolate (the pull-time verdict cache), so a CI loop pulling it does not flood subscribers; the audit log has a `sigstore_policy.pull_unverified` entry for the same pull. `enforce` policies refuse such a pull (451) instead.",
    data: z.strictObject({
      policy_id: s.Id("sigstore trust policy"),
      policy_name: z.string().describe("The policy's name"),
      ...PackageFields,
      version: z.string().describe("The version (or, for images, the tag or digest) asked for"),
      digest: s.Digest.describe("The manifest's digest, or the file's"),
      reason: z.string().describe("Why the verification failed"),
    }),
    example: { actor: CI, data: { policy_id: "4b2e8f0a9c1d4e7f8a6b5c3d2e1f0a9b", policy_name: "release-signed", format: "docker", repo_id: R, package: "team/app", version: "1.0", digest: D, reason: "0 valid signer(s) of 1 required" } },
  }),
  "quarantine.held": event({
    description: "A new version (or image manifest) was published into a quarantined repository and is held from ordinary readers",
    status: "emitted",
    notes: "Its publisher and the repository's admins can still fetch it; it is released when `held_until` passes, or by an admin (`POST /api/admin/quarantine/held/{id}/release`).",
    data: z.strictObject({ ...HeldFields, held_until: z.string().nullable().describe("RFC 3339 end of the cool-down, or null: until an admin releases it") }),
    example: { actor: CI, data: { ...held, held_until: new Date(T0 + 24 * 3_600_000).toISOString() } },
  }),
  "quarantine.released": event({
    description: "An admin released a held version: ordinary readers see it now",
    status: "emitted",
    data: z.strictObject(HeldFields),
    example: { actor: ALICE, data: held },
  }),
  "quarantine.rejected": event({
    description: "An admin rejected a held version: it is blocked (a security block of origin `quarantine`)",
    status: "emitted",
    data: z.strictObject({ ...HeldFields, block_id: s.Id("block") }),
    example: { actor: ALICE, data: { ...held, block_id: blockView.block_id } },
  }),
  "license.violation": event({
    description: "A published version's licence broke a licence policy: recorded (`warn`) or the publish refused (`block`)",
    status: "emitted",
    data: z.strictObject({
      ...PackageFields,
      version: z.string().describe("The version published"),
      license: z.string().nullable().describe("The declared licence (SPDX expression), or null: none declared"),
      policy_id: s.Id("licence policy"),
      policy_name: z.string().describe("The policy's name"),
      action: z.enum(["warn", "block"]).describe("What the policy does"),
      outcome: z.enum(["warned", "refused"]).describe("`warned`: published and recorded; `refused`: the publish was refused"),
      reason: z.string().describe("Which identifiers the licence relies on that the policy refuses, or `unknown licence`"),
    }),
    example: { actor: CI, data: { format: "npm", repo_id: R, package: "left-gpl", version: "2.0.0", license: "GPL-3.0-only", policy_id: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", policy_name: "no-gpl", action: "block", outcome: "refused", reason: "relies on GPL-3.0-only (denied)" } },
  }),
  "retention.deleted": event({
    description: "A retention run moved artifacts to the trash (one event per batch of a run and per deciding policy)",
    status: "emitted",
    notes:
      "A run deletes in batches of at most 25 artifacts; each batch sends one event per policy that decided some of its deletions, so a large run sends several. Each deleted artifact is in the repository's trash (`trash_id`) until it expires or is purged: `freed_bytes` is what purging them frees, after deduplication (a blob that something kept, another repository or an older trash entry still uses counts for nothing).",
    data: z.strictObject({
      run_id: s.Id("retention run"),
      policy_id: s.Id("retention policy"),
      policy_name: z.string().describe("The deciding policy's name"),
      repo_id: s.Id("repository"),
      format: s.Format,
      deleted: z
        .array(
          z.strictObject({
            package: z.string().describe("Package or image"),
            version: z.string().describe("Version, or the manifest digest"),
            tags: z.array(z.string()).describe("Tags (OCI) or dist-tags (npm) it carried"),
            digest: s.Digest.describe("The manifest's digest, or the version's first file's digest"),
            size: z.number().int().describe("Bytes it holds"),
            rule: z.string().describe("The policy that matched (its name)"),
            trash_id: s.Id("trash entry"),
          }),
        )
        .describe("What the batch deleted under this policy"),
      freed_bytes: z.number().int().describe("Bytes these deletions free once purged from the trash, after deduplication"),
    }),
    example: {
      actor: system("retention"),
      request_id: null,
      data: {
        run_id: "e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a81",
        policy_id: "f6a7b8c9-d0e1-4f2a-9b3c-4d5e6f7a8b92",
        policy_name: "untagged-after-7d",
        repo_id: R,
        format: "docker",
        deleted: [{ package: "app/api", version: D, tags: [], digest: D, size: 52428800, rule: "untagged-after-7d", trash_id: "a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9c03" }],
        freed_bytes: 52428800,
      },
    },
  }),
  "trash.restored": event({
    description: "An artifact was put back from a repository's trash, with its tags",
    status: "emitted",
    notes: "A tag that points elsewhere by now is left where it is and listed in `tags_skipped`.",
    data: z.strictObject({ entry: s.TrashEntryShape, tags_restored: z.array(z.string()).describe("Tags put back"), tags_skipped: z.array(z.string()).describe("Tags that point elsewhere by now, left alone") }),
    example: { actor: ALICE, data: { entry: trashEntry, tags_restored: ["1.4.0"], tags_skipped: [] } },
  }),
  "trash.purged": event({
    description: "A trash entry was purged: early by an admin, or when its window ended",
    status: "emitted",
    notes: "`released_bytes` left the project's quota (blobs nothing else in the repository uses); the bytes themselves are deleted from storage by the next garbage collection after its grace period.",
    data: z.strictObject({ entry: s.TrashEntryShape, reason: z.enum(["admin", "expired"]).describe("`admin`: purged early; `expired`: its window ended"), released_bytes: z.number().int().describe("Bytes given back to the project's quota") }),
    example: { actor: system("trash"), request_id: null, data: { entry: trashEntry, reason: "expired", released_bytes: 52428800 } },
  }),
  "legal_hold.created": event({
    description: "A legal hold was put on a version or manifest: it can't be deleted while the hold stands",
    status: "emitted",
    data: z.strictObject({ hold: s.LegalHoldShape }),
    example: { actor: ALICE, data: { hold: legalHold } },
  }),
  "legal_hold.deleted": event({
    description: "A legal hold was lifted",
    status: "emitted",
    data: z.strictObject({ hold: s.LegalHoldShape }),
    example: { actor: ALICE, data: { hold: legalHold } },
  }),
  "gc.completed": event({
    description: "A garbage-collection run finished: what it removed from storage",
    status: "emitted",
    notes: "Instance-wide (`project_id: null`): only subscriptions without a project get it.",
    data: z.strictObject({
      run_id: s.Id("garbage-collection run"),
      trigger: z.enum(["manual", "schedule"]).describe("Started by an admin or by the schedule"),
      status: z.enum(["succeeded", "failed"]).describe("How it ended"),
      links_dropped: z.number().int().describe("Repository links to blobs nothing in the repository used any more"),
      blobs_deleted: z.number().int().describe("Blobs nothing linked, deleted with their bytes"),
      orphans_deleted: z.number().int().describe("Stored objects no blob named (left by crashes), deleted"),
      bytes_freed: z.number().int().describe("Bytes deleted from storage"),
    }),
    example: { actor: system("gc"), project_id: null, request_id: null, data: { run_id: "b8c9d0e1-f2a3-4b4c-9d5e-6f7a8b9c0d14", trigger: "schedule", status: "succeeded", links_dropped: 3, blobs_deleted: 12, orphans_deleted: 1, bytes_freed: 734003200 } },
  }),
  "policy.changed": event({
    description: "A policy changed (retention, license, security, OIDC trust, quota, finding thresholds, promotion gates, sigstore trust)",
    status: "emitted",
    notes: "Emitted for OIDC trust policies (`project_id`: the policy's project, or null), project quotas, quarantine policies and licence policies (`project_id`: their project, or null when instance-wide), retention policies (`project_id`: the repo's project), finding thresholds, promotion gates and sigstore trust policies (`project_id`: the policy's project, or null); security blocks have their own `block.*` events.",
    data: z.union([
      z.strictObject({
        policy_type: z.literal("retention").describe("The kind of policy"),
        change: z.enum(["created", "updated", "deleted"]).describe("What happened"),
        policy_id: s.Id("retention policy"),
        repo_id: s.Id("repository"),
        name: z.string().describe("The policy's name"),
      }).describe("A repository's retention policy"),
      z.strictObject({ policy_type: z.literal("oidc_trust").describe("The kind of policy"), change: z.enum(["created", "updated", "deleted"]).describe("What happened"), policy_id: s.Id("trust policy"), name: z.string().describe("The policy's name") }).describe("An OIDC trust policy"),
      z.strictObject({ policy_type: z.literal("quota").describe("The kind of policy"), change: z.literal("updated").describe("What happened"), before: s.QuotaConfigShape, after: s.QuotaConfigShape }).describe("A project's quota"),
      z.strictObject({ policy_type: z.literal("quarantine").describe("The kind of policy"), change: z.enum(["created", "updated", "deleted"]).describe("What happened"), policy: s.QuarantinePolicyShape }).describe("A quarantine (release cool-down) policy"),
      z.strictObject({ policy_type: z.literal("license").describe("The kind of policy"), change: z.enum(["created", "updated", "deleted"]).describe("What happened"), policy: s.LicensePolicyShape, reevaluated: z.number().int().describe("Stored versions whose downloads it now refuses or no longer refuses") }).describe("A licence policy"),
      z.strictObject({ policy_type: z.literal("finding_threshold").describe("The kind of policy"), change: Change, before: s.ThresholdShape.nullable().describe("Before (null when created)"), after: s.ThresholdShape.nullable().describe("After (null when deleted)") }).describe("A project's finding threshold"),
      z.strictObject({ policy_type: z.literal("sigstore").describe("The kind of policy"), change: Change, policy_id: s.Id("sigstore trust policy"), name: z.string().describe("The policy's name"), mode: z.enum(SIGSTORE_MODES).describe("What a failed verification does at pull") }).describe("A sigstore trust policy"),
      z.strictObject({ policy_type: z.literal("promotion_gates").describe("The kind of policy"), change: Change, repo_id: s.Id("repository"), before: s.GatesShape.nullable().describe("Before (null when none were set)"), after: s.GatesShape.nullable().describe("After (null when removed)") }).describe("A repository's promotion gates"),
    ]),
    example: { actor: ADMIN, data: { policy_type: "oidc_trust", change: "updated", policy_id: "0c9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a", name: "github-release" } },
  }),
  "quota.exceeded": event({
    description: "A push was refused, or a warning raised, because a project quota was reached",
    status: "emitted",
    notes: "A Warning limit fires once per upward crossing (`rejected: false`, `limits` lists what was crossed); a refused push (answered 413) sends `rejected: true`.",
    data: z.strictObject({
      rejected: z.boolean().describe("true: a push was refused; false: Warning limits were crossed"),
      limits: z.array(z.strictObject({ type: z.enum(["Warning", "Reject"]).describe("Limit type"), threshold_percent: z.number().describe("Percentage of the quota") })).describe("The Warning limits just crossed (empty on a rejection)"),
      usage: z.strictObject({ used_bytes: z.number().int().describe("Bytes stored"), reserved_bytes: z.number().int().describe("Bytes held by uploads in progress") }).describe("The project's usage at that moment"),
    }),
    example: { actor: CI, data: { rejected: false, limits: [{ type: "Warning", threshold_percent: 80 }], usage: { used_bytes: 8_600_000_000, reserved_bytes: 0 } } },
  }),
  "project.created": event({ description: "A project was created", status: "emitted", data: z.strictObject({ project: s.ProjectShape }), example: { actor: ADMIN, data: { project } } }),
  "project.updated": event({
    description: "A project was renamed or changed",
    status: "emitted",
    data: z.strictObject({ before: s.ProjectShape, after: s.ProjectShape }),
    example: { actor: ADMIN, data: { before: project, after: { ...project, name: "Acme Corp", updated_at: T0 + 60_000 } } },
  }),
  "project.deleted": event({ description: "A project was deleted", status: "emitted", data: z.strictObject({ project: s.ProjectShape }), example: { actor: ADMIN, data: { project } } }),
  "repo.created": event({ description: "A repository was created", status: "emitted", data: z.strictObject({ repo: s.RepoShape }), example: { actor: ADMIN, data: { repo } } }),
  "repo.updated": event({
    description: "A repository's settings changed",
    status: "emitted",
    data: z.strictObject({ before: s.RepoShape, after: s.RepoShape }),
    example: { actor: ALICE, data: { before: repo, after: { ...repo, state: "read_only", updated_at: T0 + 60_000 } } },
  }),
  "repo.deleted": event({ description: "A repository was deleted with its artifacts", status: "emitted", data: z.strictObject({ repo: s.RepoShape }), example: { actor: ADMIN, data: { repo } } }),
  "service_account.created": event({ description: "A service account was created", status: "emitted", data: z.strictObject({ service_account: s.ServiceAccountShape }), example: { actor: ADMIN, data: { service_account: serviceAccount } } }),
  "service_account.updated": event({
    description: "A service account's name, description or role changed",
    status: "emitted",
    data: z.strictObject({ before: s.ServiceAccountShape, after: s.ServiceAccountShape }),
    example: { actor: ADMIN, data: { before: serviceAccount, after: { ...serviceAccount, role: "reader", updated_at: T0 + 60_000 } } },
  }),
  "service_account.deleted": event({ description: "A service account was deleted with its tokens", status: "emitted", data: z.strictObject({ service_account: s.ServiceAccountShape }), example: { actor: ADMIN, data: { service_account: serviceAccount } } }),
  "token.created": event({
    description: "A token was minted for a service account or a user (never the secret)",
    status: "emitted",
    notes: "Tokens exchanged from OIDC tokens (`POST /api/v1/oidc/exchange`) are audited, not sent as events.",
    data: z.strictObject({ token: s.TokenShape }),
    example: { actor: ADMIN, data: { token } },
  }),
  "token.revoked": event({
    description: "A token was revoked",
    status: "emitted",
    notes: "Deleting a service account or user announces each of its live tokens with this event, revoked_at being the deletion time.",
    data: z.strictObject({ token: s.TokenShape }),
    example: { actor: ADMIN, data: { token: { ...token, revoked_at: T0 + 3_600_000 } } },
  }),
  "user.created": event({ description: "A user was created (instance-wide)", status: "emitted", data: z.strictObject({ user: s.UserShape }), example: { actor: ADMIN, project_id: null, data: { user } } }),
  "user.deleted": event({ description: "A user was deleted with their tokens and role bindings (instance-wide)", status: "emitted", data: z.strictObject({ user: s.UserShape }), example: { actor: ADMIN, project_id: null, data: { user } } }),
  "member.set": event({
    description: "A user or service account was granted a role in a project, or its role changed",
    status: "emitted",
    data: z.strictObject({
      before: z.strictObject({ role: s.MemberShape.shape.role.describe("The role held") }).nullable().describe("The role held before, or null"),
      after: s.MemberShape,
    }),
    example: { actor: ALICE, data: { before: null, after: { project_id: P, principal_type: "user", principal_id: user.id, role: "writer", created_at: T0 } } },
  }),
  "member.removed": event({
    description: "A user's role binding in a project was removed",
    status: "emitted",
    data: z.strictObject({
      principal_type: s.MemberShape.shape.principal_type,
      principal_id: s.MemberShape.shape.principal_id,
      before: z.strictObject({ role: s.MemberShape.shape.role.describe("The role held") }).describe("The role held"),
    }),
    example: { actor: ALICE, data: { principal_type: "user", principal_id: user.id, before: { role: "writer" } } },
  }),
  "manifest.label.added": event({
    description: "A label was added to an image manifest through the API",
    status: "emitted",
    data: z.strictObject({ repo_id: s.Id("repository"), digest: s.Digest, label: s.LabelShape }),
    example: { actor: CI, data: { repo_id: R, digest: D, label } },
  }),
  "manifest.label.deleted": event({
    description: "A label added through the API was deleted from an image manifest",
    status: "emitted",
    data: z.strictObject({ repo_id: s.Id("repository"), digest: s.Digest, label: s.LabelShape }),
    example: { actor: CI, data: { repo_id: R, digest: D, label } },
  }),
  "session.created": event({
    description: "A user signed in through a login provider (a browser session began)",
    status: "emitted",
    notes: "`created_user` says whether this sign-in provisioned the user. Failed sign-ins are audited (`session.login_failed`), not sent.",
    data: z.strictObject({
      session: s.SessionShape,
      user: z.strictObject({ id: s.Id("user"), username: z.string().describe("User name") }).describe("Who signed in"),
      created_user: z.boolean().describe("Whether the sign-in created the user"),
    }),
    example: { actor: ALICE, project_id: null, data: { session, user: { id: user.id, username: "alice" }, created_user: false } },
  }),
  "session.revoked": event({
    description: "A browser session ended early: signed out, or revoked by its user or an instance admin",
    status: "emitted",
    data: z.strictObject({ session: s.SessionShape, reason: z.enum(["logout", "revoked"]).describe("`logout`: the user signed out; `revoked`: ended from another session or by an admin") }),
    example: { actor: ALICE, project_id: null, data: { session: { ...session, revoked_at: T0 + 3_600_000 }, reason: "logout" } },
  }),
  "login_provider.created": event({
    description: "An OIDC login provider for browser sign-in was added",
    status: "emitted",
    data: z.strictObject({ login_provider: s.LoginProviderView }),
    example: { actor: ADMIN, project_id: null, data: { login_provider: loginProvider } },
  }),
  "login_provider.updated": event({
    description: "A login provider's settings (or its client secret) changed",
    status: "emitted",
    data: z.strictObject({ before: s.LoginProviderView, after: s.LoginProviderView }),
    example: { actor: ADMIN, project_id: null, data: { before: loginProvider, after: { ...loginProvider, enabled: false } } },
  }),
  "login_provider.deleted": event({
    description: "A login provider was removed with the identities linked through it",
    status: "emitted",
    data: z.strictObject({ login_provider: s.LoginProviderView }),
    example: { actor: ADMIN, project_id: null, data: { login_provider: loginProvider } },
  }),
  "message.created": event({ description: "A global message (banner) was published", status: "emitted", data: z.strictObject({ message: s.MessageShape }), example: { actor: ADMIN, project_id: null, data: { message } } }),
  "message.deleted": event({ description: "A global message was removed", status: "emitted", data: z.strictObject({ message: s.MessageShape }), example: { actor: ADMIN, project_id: null, data: { message } } }),
  "team.created": event({ description: "A team was created in a project", status: "emitted", data: z.strictObject({ team: s.TeamShape }), example: { actor: ALICE, data: { team } } }),
  "team.updated": event({
    description: "A team's name, description or project role changed",
    status: "emitted",
    data: z.strictObject({ before: s.TeamShape, after: s.TeamShape }),
    example: { actor: ALICE, data: { before: team, after: { ...team, role: "admin" } } },
  }),
  "team.deleted": event({
    description: "A team was deleted with its memberships, repository permissions and default permissions",
    status: "emitted",
    data: z.strictObject({ team: s.TeamShape }),
    example: { actor: ALICE, data: { team } },
  }),
  "team.member_added": event({
    description: "A user joined a team (added by an admin, or through a sign-in's groups claim)",
    status: "emitted",
    data: z.strictObject({ team_id: s.Id("team"), user_id: s.Id("user"), source: z.enum(["manual", "oidc"]).describe("`manual` (an admin) or `oidc` (a sign-in's groups)") }),
    example: { actor: ALICE, data: { team_id: team.id, user_id: user.id, source: "manual" } },
  }),
  "team.member_removed": event({
    description: "A user left a team",
    status: "emitted",
    data: z.strictObject({ team_id: s.Id("team"), user_id: s.Id("user") }),
    example: { actor: ALICE, data: { team_id: team.id, user_id: user.id } },
  }),
  "repo_permission.set": event({
    description: "A user, team or service account was granted (or changed) a role on a repository",
    status: "emitted",
    notes: "Repository permissions add to project roles; the highest applies.",
    data: z.strictObject({
      permission: s.RepoPermissionView,
      delegate_name: z.string().describe("The user's, team's or service account's name"),
      before: z.enum(["read", "write", "admin"]).nullable().describe("The role held before, or null"),
    }),
    example: { actor: ALICE, data: { permission: repoPermission, delegate_name: "platform", before: null } },
  }),
  "repo_permission.removed": event({
    description: "A repository permission was removed",
    status: "emitted",
    data: z.strictObject({ permission: s.RepoPermissionView }),
    example: { actor: ALICE, data: { permission: repoPermission } },
  }),
  "prototype.created": event({
    description: "A default permission for new repositories was added to a project",
    status: "emitted",
    notes: "Repositories created afterwards (by `activating_user_id` only, when set) get it; existing ones are untouched.",
    data: z.strictObject({ prototype: s.PrototypeShape }),
    example: { actor: ALICE, data: { prototype } },
  }),
  "prototype.updated": event({
    description: "A default permission's role changed",
    status: "emitted",
    data: z.strictObject({ before: s.PrototypeShape, after: s.PrototypeShape }),
    example: { actor: ALICE, data: { before: prototype, after: { ...prototype, role: "reader" } } },
  }),
  "prototype.deleted": event({ description: "A default permission was removed", status: "emitted", data: z.strictObject({ prototype: s.PrototypeShape }), example: { actor: ALICE, data: { prototype } } }),
  "webhook.created": event({
    description: "A webhook subscription was created",
    status: "emitted",
    notes: "Subscriptions are instance-level: `webhook.*` events have `project_id: null` (only subscriptions without a project get them), and name the receiver's host, never its URL (which may embed a token) or its secret.",
    data: z.strictObject({ webhook: s.WebhookView }),
    example: { actor: ADMIN, project_id: null, data: { webhook } },
  }),
  "webhook.updated": event({
    description: "A webhook subscription was changed",
    status: "emitted",
    data: z.strictObject({ webhook: s.WebhookView, secret_changed: z.boolean().describe("Whether the secret was rotated") }),
    example: { actor: ADMIN, project_id: null, data: { webhook: { ...webhook, enabled: false }, secret_changed: true } },
  }),
  "webhook.deleted": event({ description: "A webhook subscription was deleted", status: "emitted", data: z.strictObject({ webhook: s.WebhookView }), example: { actor: ADMIN, project_id: null, data: { webhook } } }),
  ping: event({
    description: "Sent on demand (POST /api/admin/webhooks/{id}/ping) to test a receiver; ignores the event filter",
    status: "emitted",
    data: z.strictObject({
      webhook: z.strictObject({ id: s.Id("subscription"), name: z.string().describe("Subscription name"), events: z.array(z.string()).describe("Its event filter") }).describe("The subscription pinged"),
    }),
    example: { actor: ADMIN, project_id: null, data: { webhook: { id: webhook.id, name: webhook.name, events: webhook.events } } },
  }),
};

export type EventType = keyof typeof EVENT_CATALOG;
export type EventData<T extends EventType> = z.input<(typeof EVENT_CATALOG)[T]["data"]>;
export const EVENT_TYPES = Object.keys(EVENT_CATALOG) as EventType[];

/** What `emitEvent` takes: a catalogued type with its own payload (`ping` is sent only by the ping endpoint). */
export type DomainEvent = { [T in Exclude<EventType, "ping">]: { type: T; project_id: string | null; data: EventData<T> } }[Exclude<EventType, "ping">];

/** Validates `{type, project_id, data}` against the catalogue (tests check every emitted event with it). */
export function checkEvent(e: { type: string; project_id?: unknown; data?: unknown }): { ok: true } | { ok: false; error: string } {
  const spec = (EVENT_CATALOG as Record<string, EventSpec>)[e.type];
  if (!spec) return { ok: false, error: `event type ${e.type} is not in the catalogue` };
  if (e.project_id !== null && typeof e.project_id !== "string") return { ok: false, error: `${e.type}: project_id must be a string or null` };
  const r = spec.data.safeParse(e.data);
  return r.success ? { ok: true } : { ok: false, error: `${e.type}: ${z.prettifyError(r.error)}` };
}

/** The whole envelope of an example, as receivers get it (docs and tests use it). */
export function exampleEnvelope(type: EventType) {
  const i = EVENT_TYPES.indexOf(type) + 1;
  const ex = EVENT_CATALOG[type].example as EventSpec["example"];
  const hex = i.toString(16).padStart(2, "0");
  const request_id = ex.request_id === undefined ? `c0ffee00-1234-4567-89ab-cdef012345${hex}` : ex.request_id;
  return {
    id: `8d5b0c2e-6f1a-4c3b-9e7d-2a1f0b9c8d${hex}`,
    type,
    occurred_at: new Date(T0 + i * 60_000).toISOString(),
    project_id: ex.project_id === undefined ? P : ex.project_id,
    actor: ex.actor ?? ADMIN,
    request_id,
    data: ex.data,
  };
}

/** The envelope schema (for docs): every payload has it; `data` depends on the type. */
export const Envelope = z.strictObject({
  id: z.string().describe("The event's id (UUID), the same for every subscription and every attempt"),
  type: z.string().describe("The event type (also in `X-Orbitalreg-Event`)"),
  occurred_at: z.string().describe("RFC 3339 time of the change"),
  project_id: z.string().nullable().describe("The project it happened in, or `null` for instance-wide events"),
  actor: Actor.describe("Who did it: `{type, id, name}`"),
  request_id: z.string().nullable().describe("The API request that caused it (also in the audit log), or `null`"),
  data: z.unknown().describe("The event's own fields"),
});
