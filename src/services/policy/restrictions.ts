/**
 * The read side of every policy: may this download be served, and which versions may a
 * metadata document (packument, simple page, index, maven-metadata.xml, @v/list) show.
 *
 * What a block, a licence policy or a quarantine refuses is materialized on the rows a
 * download reads anyway (`blocked_by`, `license_blocked_by`, `held_until` on `versions`
 * and `oci_manifests`, written in the batch that made the change), so:
 *
 *   row unrestricted (all three null/past)      → served, no extra query
 *   row.blocked_by, block active                → 451 BlockedSecurity + envelope, hit counted
 *   row.license_blocked_by, policy still blocks → 451 BlockedLicense + envelope
 *   row.held_until > now, caller not its publisher nor a repo admin → 451 BlockedQuarantine
 *   (a lifted or expired block, a disabled policy: the stale column is ignored)
 *
 * Invariants:
 * - An unrestricted download costs no D1 round trip more than before: the columns come
 *   with the row, and nothing here queries unless a column is set.
 * - Every isolate sees a change on its next read of the row (D1 is the only copy);
 *   the only per-isolate copy of such rows is the OCI manifest cache (2 s, cleared in
 *   the isolate that made the change).
 * - Refused downloads of one block are counted per window (HIT_WINDOW_MS) in D1, and
 *   only a window's first refusal emits `block.hit`: a CI loop can't flood subscribers.
 */
import type { Scope } from "../scope";
import type { OpenedRepo } from "../projects/repos";
import { emitEvent } from "../events/audit";
import * as q from "../../db/policy";
import { RegistryError } from "../../core/errors";
import type { Principal } from "../../auth/principal";

/** `held_until` of a version held until an admin releases it. */
export const HELD_UNTIL_RELEASED = 8_640_000_000_000_000;
export const HIT_WINDOW_MS = 15 * 60_000;

export interface PolicyColumns {
  blockedBy: string | null;
  licenseBlockedBy: string | null;
  heldUntil: number | null;
}

/** What was asked for, for messages, hits and events. */
export interface ArtifactRef {
  package: string;
  /** A version, or for images the tag or digest asked for. */
  version: string;
  /** The file, blob or manifest asked for; null when the request names only a version (`.info`). */
  digest: string | null;
  /** The declared licence, for a licence refusal's message. */
  license?: string | null;
}

/** The why-blocked envelope of reference 000 (null fields for a quarantine hold). */
export interface WhyBlocked {
  block_id: string | null;
  reason: string;
  customer_message: string;
  blocked_until: string | null;
  public_url: string | null;
}

export const principalKey = (p: Principal): string | null => (p.type === "anonymous" ? null : `${p.type}:${p.id}`);
export const isHeld = (row: { heldUntil: number | null }, now = Date.now()) => row.heldUntil !== null && row.heldUntil > now;
export const isRestricted = (row: PolicyColumns, now = Date.now()) => row.blockedBy !== null || row.licenseBlockedBy !== null || isHeld(row, now);

export const publicUrl = (scope: Scope, id: string) => `${scope.baseUrl}/blocked/${id}`;
const iso = (ms: number | null) => (ms === null || ms >= HELD_UNTIL_RELEASED ? null : new Date(ms).toISOString());

export function isBlockActive(b: q.BlockRow | undefined, now = Date.now()): b is q.BlockRow {
  return !!b && b.liftedAt === null && (b.blockedUntil === null || b.blockedUntil > now);
}

const blocksLicense = (p: q.LicensePolicyRow | undefined): p is q.LicensePolicyRow => !!p && p.enabled && (p.action === "block" || p.unknownAction === "block");

export function blockEnvelope(scope: Scope, b: q.BlockRow): WhyBlocked {
  return { block_id: b.id, reason: b.reason, customer_message: b.customerMessage, blocked_until: iso(b.blockedUntil), public_url: publicUrl(scope, b.id) };
}

function licenseEnvelope(scope: Scope, p: q.LicensePolicyRow, license: string | null | undefined): WhyBlocked {
  const declared = license ? `'${license}'` : "an unknown licence";
  return {
    block_id: p.id,
    reason: `licence policy '${p.name}' refuses ${declared}`,
    customer_message: p.description || `This version's licence (${license ?? "none declared"}) is not allowed by the registry's licence policy.`,
    blocked_until: null,
    public_url: publicUrl(scope, p.id),
  };
}

const label = (a: ArtifactRef) => (a.version.startsWith("sha256:") || a.version === a.digest ? `${a.package}@${a.version}` : `${a.package} ${a.version}`);

/** The message every protocol shows (npm and cargo print it, pip its first 200 characters). */
export function refusalMessage(a: ArtifactRef, e: WhyBlocked) {
  const until = e.blocked_until ? ` until ${e.blocked_until}` : "";
  const see = e.public_url ? ` See ${e.public_url}` : "";
  return `${label(a)} is blocked${until}: ${e.customer_message}${see} (reason: ${e.reason})`;
}

export function heldMessage(a: ArtifactRef, until: number) {
  const when = until >= HELD_UNTIL_RELEASED ? "until an administrator releases it" : `until ${new Date(until).toISOString()}`;
  return `${label(a)} is held in quarantine ${when}: new releases of this repository are held before ordinary readers may install them`;
}

/** May the caller fetch a held artifact? Its publisher and the repo's admins may. */
async function mayFetchHeld(scope: Scope, opened: OpenedRepo, owner: string | null): Promise<boolean> {
  const me = principalKey(scope.access.principal);
  if (me !== null && me === owner) return true;
  return scope.access.can("admin", { projectId: opened.project.id, repo: opened.repo });
}

/**
 * Answers 451 (throws) when a policy refuses this download; returns when it may be
 * served. `owner` is who published the row (`versions.published_by`, `oci_manifests.pushed_by`).
 */
export async function enforceDownload(scope: Scope, opened: OpenedRepo, row: PolicyColumns & { owner: string | null }, artifact: ArtifactRef): Promise<void> {
  const now = Date.now();
  if (!isRestricted(row, now)) return;
  if (row.blockedBy) {
    const block = await q.findBlock(scope.db, row.blockedBy);
    if (isBlockActive(block, now)) {
      await countHit(scope, opened, block, artifact, now);
      const envelope = blockEnvelope(scope, block);
      throw new RegistryError("BlockedSecurity", refusalMessage(artifact, envelope), { detail: envelope });
    }
  }
  if (row.licenseBlockedBy) {
    const policy = await q.findLicensePolicy(scope.db, row.licenseBlockedBy);
    if (blocksLicense(policy)) {
      const envelope = licenseEnvelope(scope, policy, artifact.license);
      throw new RegistryError("BlockedLicense", refusalMessage(artifact, envelope), { detail: envelope });
    }
  }
  if (isHeld(row, now) && !(await mayFetchHeld(scope, opened, row.owner))) {
    const envelope: WhyBlocked = { block_id: null, reason: "quarantine", customer_message: heldMessage(artifact, row.heldUntil!), blocked_until: iso(row.heldUntil), public_url: null };
    throw new RegistryError("BlockedQuarantine", heldMessage(artifact, row.heldUntil!), { detail: envelope });
  }
}

async function countHit(scope: Scope, opened: OpenedRepo, block: q.BlockRow, a: ArtifactRef, now: number) {
  const windowStart = now - (now % HIT_WINDOW_MS);
  const hit = await q.countHit(scope.db, block.id, windowStart, now);
  if (hit?.count !== 1) return;
  await emitEvent(scope, {
    type: "block.hit",
    project_id: opened.project.id,
    data: {
      block_id: block.id,
      format: opened.repo.format,
      repo_id: opened.repo.id,
      package: a.package,
      version: a.version,
      digest: a.digest,
      window_start: new Date(windowStart).toISOString(),
      window_seconds: HIT_WINDOW_MS / 1000,
    },
  });
}

/** How a metadata document shows a refused version: its message (npm `deprecated`, PyPI/Cargo yank reason). */
export interface Refusal {
  code: "BlockedSecurity" | "BlockedLicense";
  message: string;
}

export interface PolicyView<T> {
  /** The rows the caller may see (held ones only for their publisher and repo admins). */
  visible: T[];
  /** Why a visible row's downloads are refused, or null when they are not. */
  refusal(row: T): Refusal | null;
}

/**
 * The policy view of a metadata document's rows. Costs nothing when no row carries a
 * policy column; otherwise one query for the blocks, one for licence policies, and the
 * caller's admin right only if a row is held.
 */
export async function policyView<T extends PolicyColumns & { owner: string | null; ref: ArtifactRef }>(scope: Scope, opened: OpenedRepo, rows: T[]): Promise<PolicyView<T>> {
  const now = Date.now();
  if (!rows.some((r) => isRestricted(r, now))) return { visible: rows, refusal: () => null };
  const [blocks, policies] = await Promise.all([
    q.findBlocks(scope.db, [...new Set(rows.flatMap((r) => (r.blockedBy ? [r.blockedBy] : [])))]),
    q.findLicensePolicies(scope.db, [...new Set(rows.flatMap((r) => (r.licenseBlockedBy ? [r.licenseBlockedBy] : [])))]),
  ]);
  const blockById = new Map(blocks.filter((b) => isBlockActive(b, now)).map((b) => [b.id, b]));
  const policyById = new Map(policies.filter(blocksLicense).map((p) => [p.id, p]));
  const me = principalKey(scope.access.principal);
  let admin: boolean | null = null;
  const visible: T[] = [];
  for (const r of rows) {
    if (isHeld(r, now) && (me === null || r.owner !== me)) {
      admin ??= await scope.access.can("admin", { projectId: opened.project.id, repo: opened.repo });
      if (!admin) continue;
    }
    visible.push(r);
  }
  return {
    visible,
    refusal(r) {
      const block = r.blockedBy ? blockById.get(r.blockedBy) : undefined;
      if (block) return { code: "BlockedSecurity", message: refusalMessage(r.ref, blockEnvelope(scope, block)) };
      const policy = r.licenseBlockedBy ? policyById.get(r.licenseBlockedBy) : undefined;
      if (policy) return { code: "BlockedLicense", message: refusalMessage(r.ref, licenseEnvelope(scope, policy, r.ref.license)) };
      return null;
    },
  };
}

/** What a policy does to an artifact, for a document that describes it (an MCP catalog's reference). */
export interface PolicyState {
  state: "blocked" | "quarantined";
  code: "BlockedSecurity" | "BlockedLicense" | "BlockedQuarantine";
  message: string;
}

/**
 * The policy state of one row without refusing anything or counting a hit: a block or a
 * licence refusal first (what a download would answer), else a hold. A hold is reported
 * whoever asks (it is what ordinary readers get); nothing is queried for a clean row.
 */
export async function policyStateOf(scope: Scope, opened: OpenedRepo, row: PolicyColumns & { owner: string | null }, artifact: ArtifactRef): Promise<PolicyState | null> {
  const now = Date.now();
  if (!isRestricted(row, now)) return null;
  const r = { ...row, ref: artifact };
  const refusal = (await policyView(scope, opened, [r])).refusal(r);
  if (refusal) return { state: "blocked", ...refusal };
  return isHeld(row, now) ? { state: "quarantined", code: "BlockedQuarantine", message: heldMessage(artifact, row.heldUntil!) } : null;
}

/** A package version as downloads see it: its policy columns, publisher and licence. */
export type VersionPolicy = PolicyColumns & { version: string; publishedBy: string | null; license: string | null };

/** `enforceDownload` for a file of a package version (every language format). */
export const enforceVersion = (scope: Scope, opened: OpenedRepo, pkg: string, v: VersionPolicy, digest: string | null) =>
  enforceDownload(scope, opened, { ...v, owner: v.publishedBy }, { package: pkg, version: v.version, digest, license: v.license });

/** `policyView` for a package's versions, whatever shape the document's items have. */
export async function versionsView<T>(scope: Scope, opened: OpenedRepo, pkg: string, items: T[], versionOf: (item: T) => VersionPolicy) {
  const rows = items.map((item) => {
    const v = versionOf(item);
    return { item, blockedBy: v.blockedBy, licenseBlockedBy: v.licenseBlockedBy, heldUntil: v.heldUntil, owner: v.publishedBy, ref: { package: pkg, version: v.version, digest: null, license: v.license } };
  });
  const view = await policyView(scope, opened, rows);
  const byItem = new Map(rows.map((r) => [r.item, r]));
  return { visible: view.visible.map((r) => r.item), refusal: (item: T) => view.refusal(byItem.get(item)!) };
}
