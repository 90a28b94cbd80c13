/**
 * Security blocks (`/api/admin/security`, instance admins): stop a package version or an
 * image everywhere at once, and tell every client why.
 *
 *   create: validate (format's grammar) → match what is stored → one batch:
 *           insert block + set blocked_by on matched versions/manifests + audit
 *           → block.created
 *   lift:   one batch: lifted_at + clear blocked_by where = block + audit; then every
 *           other active block of the format re-applies to what was cleared → block.lifted
 *   publish of a new version/manifest: `blockFor` (admission.ts) gives it blocked_by at
 *   insert when an active block matches, so a block also covers later releases.
 *
 * Invariants:
 * - A block names a format, a package/image name (exact, or a glob with `*`/`?`, in the
 *   format's normalized key form), and versions: exact versions or ranges in the format's
 *   own grammar (format-rules.ts), or for images digests and tags; tags are resolved to
 *   digests when the block is made and the block follows the digest (an index's child
 *   manifests too). No versions: every version, including later ones.
 * - A row keeps the first block that matched it (`blocked_by` is only set when null);
 *   lifting re-applies the others, so a row is unblocked only when no active block matches.
 * - Blocks are never deleted; only their message, reason and end change after creation.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { findProject, findRepo } from "../../db/projects";
import * as q from "../../db/policy";
import { runBatch, type Db, type Statement } from "../../db/client";
import { invalid, notFound, RegistryError } from "../../core/errors";
import { newPublicId } from "../../core/ids";
import { globToRegExp } from "../../core/names";
import { clampLimit, decodeCursor, toPage } from "../../core/pagination";
import { describe } from "../../auth/principal";
import { rulesOf, type FormatRules } from "./format-rules";
import { isBlockActive, publicUrl } from "./restrictions";

export type { BlockRow } from "../../db/policy";

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const isGlob = (key: string) => /[*?]/.test(key);

export interface BlockInput {
  format: string;
  package: string;
  versions?: string[];
  projectId?: string | null;
  repoId?: string | null;
  reason: string;
  customerMessage: string;
  blockedUntil?: number | null;
}

export interface BlockPatch {
  reason?: string;
  customerMessage?: string;
  blockedUntil?: number | null;
}

/** Whether a package/image name (already a key) falls under the block's name. */
export const nameMatches = (b: Pick<q.BlockRow, "packageKey">, key: string) => (isGlob(b.packageKey) ? globToRegExp(b.packageKey).test(key) : b.packageKey === key);
/** Whether the block applies in this repo (its project/repo confinement). */
export const scopeMatches = (b: Pick<q.BlockRow, "projectId" | "repoId">, projectId: string, repoId: string) =>
  (b.projectId === null || b.projectId === projectId) && (b.repoId === null || b.repoId === repoId);

/** Whether a package version falls under a (package-format) block. */
export function versionMatches(b: q.BlockRow, rules: FormatRules, version: string): boolean {
  if (b.versions.length === 0) return true;
  return b.versions.some((spec) => {
    try {
      return rules.versionMatcher(spec)(version);
    } catch {
      return false;
    }
  });
}

function validateVersions(rules: FormatRules, specs: string[]) {
  for (const spec of specs) {
    if (!spec.trim()) throw invalid("BlockVersions", "a version spec is empty");
    if (rules.artifacts === "images") {
      if (!DIGEST.test(spec) && !TAG.test(spec)) throw invalid("BlockVersions", `'${spec}' is neither a manifest digest (sha256:…) nor a tag`);
    } else rules.versionMatcher(spec); // throws InvalidBlockVersions with the format's wording
  }
}

async function validateScope(scope: Scope, format: string, projectId: string | null, repoId: string | null) {
  if (projectId && !(await findProject(scope.db, projectId))) throw invalid("BlockScope", `project ${projectId} does not exist`);
  if (repoId) {
    const repo = await findRepo(scope.db, repoId);
    if (!repo) throw invalid("BlockScope", `repository ${repoId} does not exist`);
    if (projectId && repo.projectId !== projectId) throw invalid("BlockScope", `repository ${repoId} is not in project ${projectId}`);
    if (repo.format !== format) throw invalid("BlockScope", `repository ${repoId} is a ${repo.format} repository, not ${format}`);
    return repo.projectId;
  }
  return projectId;
}

/** What a block matches among stored artifacts: version ids, and manifests grouped by (repo, image). */
async function matchStored(db: Db, b: q.BlockRow) {
  const rules = rulesOf(b.format);
  const s = { formats: [b.format], projectId: b.projectId, repoId: b.repoId, key: b.packageKey, glob: isGlob(b.packageKey) };
  if (rules.artifacts === "packages") {
    const candidates = await q.versionCandidates(db, s);
    return { versionIds: candidates.filter((c) => versionMatches(b, rules, c.version)).map((c) => c.id), manifests: new Map<string, q.ManifestKey[]>(), digests: [] as string[] };
  }
  const candidates = await q.manifestCandidates(db, s);
  const byImage = new Map<string, { repoId: string; image: string; digests: Set<string>; matched: Set<string> }>();
  for (const c of candidates) {
    const k = `${c.repoId}|${c.image}`;
    const entry = byImage.get(k) ?? byImage.set(k, { repoId: c.repoId, image: c.image, digests: new Set(), matched: new Set() }).get(k)!;
    entry.digests.add(c.digest);
  }
  const digestSpecs = new Set(b.versions.filter((v) => DIGEST.test(v)));
  const tagged = await q.tagsMatching(db, s, b.versions.filter((v) => !DIGEST.test(v)));
  for (const e of byImage.values()) {
    if (b.versions.length === 0) e.matched = new Set(e.digests);
    else for (const d of e.digests) if (digestSpecs.has(d)) e.matched.add(d);
  }
  for (const t of tagged) byImage.get(`${t.repoId}|${t.image}`)?.matched.add(t.digest);
  // The block follows the digest: an index's platform manifests are blocked with it.
  for (const e of byImage.values()) {
    let frontier = [...e.matched];
    while (frontier.length) {
      const children = (await q.childManifests(db, e.repoId, e.image, frontier)).map((c) => c.digest).filter((d) => !e.matched.has(d));
      for (const d of children) e.matched.add(d);
      frontier = children;
    }
  }
  const manifests = new Map<string, q.ManifestKey[]>();
  const digests = new Set(digestSpecs);
  for (const e of byImage.values()) {
    if (!e.matched.size) continue;
    manifests.set(`${e.repoId}|${e.image}`, [...e.matched].map((digest) => ({ repoId: e.repoId, image: e.image, digest })));
    for (const d of e.matched) digests.add(d);
  }
  return { versionIds: [], manifests, digests: b.versions.length === 0 ? [] : [...digests] };
}

/** The statements that give matched rows `blocked_by` (rows blocked already keep theirs). */
function applyStatements(db: Db, blockId: string, m: Awaited<ReturnType<typeof matchStored>>) {
  const stmts: Statement[] = q.chunks(m.versionIds).map((ids) => q.setVersionsBlockedBy(db, ids, blockId));
  for (const list of m.manifests.values()) {
    for (const part of q.chunks(list.map((k) => k.digest), 80)) stmts.push(q.setManifestsBlockedBy(db, list[0]!.repoId, list[0]!.image, part, blockId));
  }
  return stmts;
}

export function blockView(scope: Scope, b: q.BlockRow, affected: { versions: number; manifests: number }) {
  return {
    block_id: b.id,
    reason: b.reason,
    customer_message: b.customerMessage,
    blocked_until: b.blockedUntil === null ? null : new Date(b.blockedUntil).toISOString(),
    public_url: publicUrl(scope, b.id),
    origin: b.origin,
    match: { format: b.format, package: b.package, versions: b.versions, digests: b.digests, project_id: b.projectId, repo_id: b.repoId },
    affected,
  };
}

export async function createBlock(scope: Scope, input: BlockInput, origin: q.BlockRow["origin"] = "security") {
  scope.access.requireInstanceAdmin();
  const rules = rulesOf(input.format);
  const name = input.package.trim();
  if (!name || name.length > 300 || /[\s\u0000-\u001f]/.test(name)) throw invalid("BlockPackage", "the package (or image) name must be 1–300 characters without spaces");
  const specs = [...new Set((input.versions ?? []).map((v) => v.trim()))];
  validateVersions(rules, specs);
  const now = Date.now();
  if (input.blockedUntil != null && input.blockedUntil <= now) throw invalid("BlockUntil", "blocked_until must be in the future");
  const projectId = await validateScope(scope, input.format, input.projectId ?? null, input.repoId ?? null);
  const actor = describe(scope.access.principal);
  const block: q.BlockRow = {
    id: newPublicId(),
    format: input.format,
    package: name,
    packageKey: rules.packageKey(name),
    versions: specs,
    digests: [],
    projectId,
    repoId: input.repoId ?? null,
    reason: input.reason,
    customerMessage: input.customerMessage,
    blockedUntil: input.blockedUntil ?? null,
    origin,
    createdByType: actor.actorType,
    createdByName: actor.actorName,
    liftedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  const matched = await matchStored(scope.db, block);
  block.digests = matched.digests;
  await runBatch(scope.db, [
    q.insertBlock(scope.db, block),
    ...applyStatements(scope.db, block.id, matched),
    auditQuery(scope, { action: "block.create", resourceType: "security_block", resourceId: block.id, projectId: block.projectId, after: block }, now),
  ]);
  const affected = await q.countBlocked(scope.db, block.id);
  await emitEvent(scope, { type: "block.created", project_id: block.projectId, data: blockView(scope, block, affected) });
  return { block, affected };
}

/** What a block refuses now among stored artifacts. */
export const affectedBy = (scope: Scope, id: string) => q.countBlocked(scope.db, id);

export async function getBlock(scope: Scope, id: string) {
  scope.access.requireInstanceAdmin();
  const block = await q.findBlock(scope.db, id);
  if (!block) throw notFound("Block", `security block ${id} not found`);
  const [affected, hits] = await Promise.all([q.countBlocked(scope.db, id), q.hitTotals(scope.db, id)]);
  return { block, affected, hits: { count: hits?.count ?? 0, lastAt: hits?.lastAt ?? null } };
}

export async function listBlocks(scope: Scope, f: { format?: string; status?: q.BlockStatus }, cursor?: string, limit?: number) {
  scope.access.requireInstanceAdmin();
  const n = clampLimit(limit);
  return toPage(await q.listBlocks(scope.db, f, Date.now(), decodeCursor(cursor), n), n);
}

export function blockStatus(b: q.BlockRow, now = Date.now()): q.BlockStatus {
  if (b.liftedAt !== null) return "lifted";
  return isBlockActive(b, now) ? "active" : "expired";
}

export async function updateBlock(scope: Scope, id: string, patch: BlockPatch) {
  scope.access.requireInstanceAdmin();
  const before = await q.findBlock(scope.db, id);
  if (!before) throw notFound("Block", `security block ${id} not found`);
  if (before.liftedAt !== null) throw new RegistryError("ConflictBlockLifted", "the block was lifted; create a new one");
  const now = Date.now();
  if (patch.blockedUntil != null && patch.blockedUntil <= now) throw invalid("BlockUntil", "blocked_until must be in the future");
  const after: q.BlockRow = {
    ...before,
    reason: patch.reason ?? before.reason,
    customerMessage: patch.customerMessage ?? before.customerMessage,
    blockedUntil: patch.blockedUntil === undefined ? before.blockedUntil : patch.blockedUntil,
    updatedAt: now,
  };
  // An expired block brought back into force: its rows may have been cleared by the cron.
  const revived = !isBlockActive(before, now) ? applyStatements(scope.db, id, await matchStored(scope.db, after)) : [];
  await runBatch(scope.db, [
    q.updateBlock(scope.db, id, { reason: after.reason, customerMessage: after.customerMessage, blockedUntil: after.blockedUntil, updatedAt: now }),
    ...revived,
    auditQuery(scope, { action: "block.update", resourceType: "security_block", resourceId: id, projectId: before.projectId, before, after }, now),
  ]);
  const affected = await q.countBlocked(scope.db, id);
  await emitEvent(scope, { type: "block.updated", project_id: before.projectId, data: blockView(scope, after, affected) });
  return { block: after, affected };
}

/** Clears a block's effects and lets the format's other active blocks take what it held. */
async function release(db: Db, b: q.BlockRow, extra: Statement[]) {
  const affected = await q.countBlocked(db, b.id);
  await runBatch(db, [q.clearVersionsBlockedBy(db, b.id), q.clearManifestsBlockedBy(db, b.id), ...extra]);
  const now = Date.now();
  for (const other of await q.activeBlocks(db, [b.format], now)) {
    if (other.id !== b.id) await runBatch(db, applyStatements(db, other.id, await matchStored(db, other)));
  }
  return affected;
}

export async function liftBlock(scope: Scope, id: string) {
  scope.access.requireInstanceAdmin();
  const before = await q.findBlock(scope.db, id);
  if (!before) throw notFound("Block", `security block ${id} not found`);
  if (before.liftedAt !== null) throw new RegistryError("ConflictBlockLifted", "the block was lifted already");
  const now = Date.now();
  const after: q.BlockRow = { ...before, liftedAt: now, updatedAt: now };
  const affected = await release(scope.db, after, [
    q.updateBlock(scope.db, id, { liftedAt: now, updatedAt: now }),
    auditQuery(scope, { action: "block.lift", resourceType: "security_block", resourceId: id, projectId: before.projectId, before, after }, now),
  ]);
  await emitEvent(scope, { type: "block.lifted", project_id: before.projectId, data: blockView(scope, after, affected) });
  return { block: after, affected };
}

/** Cron: blocks past `blocked_until` stop refusing; their stale columns are cleared (no event: nothing changed for clients). */
export async function clearExpiredBlocks(db: Db) {
  for (const b of await q.expiredBlocks(db, Date.now())) {
    const held = await q.countBlocked(db, b.id);
    if (held.versions + held.manifests > 0) await release(db, b, []);
  }
}

/** The active block (if any) that refuses a new package version of this repo. */
export function packageBlockFor(blocks: q.BlockRow[], rules: FormatRules, projectId: string, repoId: string, key: string, version: string) {
  return blocks.find((b) => scopeMatches(b, projectId, repoId) && nameMatches(b, key) && versionMatches(b, rules, version)) ?? null;
}

/** The active block (if any) that refuses a new manifest of this repo and image. */
export function imageBlockFor(blocks: q.BlockRow[], projectId: string, repoId: string, image: string, digest: string) {
  return blocks.find((b) => scopeMatches(b, projectId, repoId) && nameMatches(b, image) && (b.versions.length === 0 || b.digests.includes(digest))) ?? null;
}

/**
 * What `/blocked/{id}` may show anyone: a security block's match and customer message,
 * or a licence policy's lists. Never the reason (operators' words), who made it, nor
 * the project or repository it is confined to.
 */
export type PublicRefusal =
  | { kind: "security"; id: string; format: string; package: string; versions: string[]; digests: string[]; customerMessage: string; blockedUntil: number | null; status: q.BlockStatus; createdAt: number; liftedAt: number | null }
  | { kind: "license"; id: string; name: string; description: string; formats: string[]; allow: string[]; deny: string[]; unknownAction: string; enabled: boolean };

export async function publicRefusal(scope: Scope, id: string): Promise<PublicRefusal | null> {
  if (!/^[0-9a-f]{32}$/.test(id)) return null; // core/ids newPublicId
  const b = await q.findBlock(scope.db, id);
  if (b) {
    return { kind: "security", id, format: b.format, package: b.package, versions: b.versions, digests: b.digests, customerMessage: b.customerMessage, blockedUntil: b.blockedUntil, status: blockStatus(b), createdAt: b.createdAt, liftedAt: b.liftedAt };
  }
  const p = await q.findLicensePolicy(scope.db, id);
  if (p && (p.action === "block" || p.unknownAction === "block")) {
    return { kind: "license", id, name: p.name, description: p.description, formats: p.formats, allow: p.allow, deny: p.deny, unknownAction: p.unknownAction, enabled: p.enabled };
  }
  return null;
}
