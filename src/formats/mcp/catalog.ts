/**
 * MCP server catalogs on the shared package model: package = server name (as published,
 * reverse-DNS `namespace/name`), version = server version, one file `server.json` (the
 * bytes as published, the validated document in the file's metadata). So the listing
 * API, audit, webhooks (`artifact.uploaded`), quotas and retention treat a catalog entry
 * like any other artifact.
 *
 * Invariants:
 * - A published server version is immutable: publishing it again is 409, whatever the
 *   body (the MCP registry refuses duplicate versions too).
 * - Status lives in the version's shared flags, so the governance API's deprecate/yank
 *   and the registry's status routes are one state: `deprecated` ⇔ `deprecated` set,
 *   `deleted` ⇔ `yanked` set (hidden from listings unless asked for), `active` ⇔ neither.
 *   A status change is audited in the same batch and emits `artifact.updated`.
 * - `DELETE …/versions/{version}` (optional in the registry's API) removes the version:
 *   to the repo's trash like every delete (audited, `artifact.deleted`, restorable until
 *   purged, refused under a legal hold). The `deleted` status is the soft form that
 *   keeps the version (and its number) in the catalog.
 * - `isLatest` is derived on read, never stored, with the registry's rule: walking the
 *   non-deleted versions in publish order, a version replaces the current latest when
 *   both are SemVer and it is greater, or when either is not SemVer (newest wins). So a
 *   backport (1.4.1 after 2.0.0) never becomes latest, and deleting the latest promotes
 *   the one before it.
 * - Reads come from one generated catalog document (repo-indexes.ts), rebuilt when the
 *   repo's content revision moves (publish, status change, deletion).
 * - Policy (services/policy) is applied on every read, never baked into the document: a
 *   block, a licence refusal or a hold changes no revision (and a hold ends by the
 *   clock), so the same round trip that reads the document brings the repo's restricted
 *   versions. A blocked version stays listed with `policy` set (shapes.ts shows it as
 *   deprecated, never verified); a held one is hidden from ordinary readers (its
 *   publisher and repo admins see it, `quarantined`) and `isLatest` is derived again over
 *   what the reader sees.
 */
import semver from "semver";
import type { Scope } from "../../services/scope";
import type { OpenedRepo } from "../../services/projects";
import * as packages from "../../services/artifacts";
import {
  ingestBlob,
  plannedIndexFileWithRestrictions,
  publishVersion,
  readIndexFilesWithRestrictions,
  readIndexFileWithRestrictions,
  releaseUnusedBlobs,
  updateVersionStatus,
  type IndexBuilder,
  type IndexFile,
  type RestrictedVersion,
} from "../../services/artifacts";
import { heldMessage, isHeld, policyView, type PolicyState } from "../../services/policy";
import { trashVersion } from "../../services/lifecycle";
import { conflict, invalid, notFound } from "../../core/errors";
import { parseServerJson, type ServerJson } from "./server-json";
import { pinReferences, type Pins } from "./linkage";
import { assertProvenanceClaim } from "./provenance";
import { searchKeywords } from "./shapes";

export const SERVER_FILE = "server.json";
export const MAX_SERVER_JSON = 256 * 1024;
const MEDIA_TYPE = "application/json";
const CATALOG_DOC = "catalog.json";

export type ServerStatus = "active" | "deprecated" | "deleted";

/** One server version as the catalog document keeps it. */
export interface Entry {
  name: string;
  version: string;
  server: ServerJson;
  status: ServerStatus;
  statusMessage: string | null;
  publishedAt: number;
  updatedAt: number;
  isLatest: boolean;
  /** Package references resolved at publish (index in `packages` → digest). */
  pins: Pins;
  digest: string;
  /** Set on read, never stored: why a download of this version is refused now. */
  policy?: PolicyState;
}

const statusOf = (v: { yanked: string | null; deprecated: string | null }): { status: ServerStatus; statusMessage: string | null } =>
  v.yanked !== null ? { status: "deleted", statusMessage: v.yanked || null } : v.deprecated !== null ? { status: "deprecated", statusMessage: v.deprecated || null } : { status: "active", statusMessage: null };

/** The registry's latest rule over one server's versions in publish order. */
export function markLatest(entries: Entry[]): void {
  let latest: Entry | null = null;
  for (const e of [...entries].sort((a, b) => a.publishedAt - b.publishedAt)) {
    e.isLatest = false;
    if (e.status === "deleted") continue;
    const both = latest && semver.valid(latest.version) && semver.valid(e.version);
    if (!latest || !both || semver.gt(e.version, latest.version)) latest = e;
  }
  if (latest) latest.isLatest = true;
}

/** `POST v0/publish`: validates, pins local references, stores; the caller holds `write`. */
export async function publish(scope: Scope, opened: OpenedRepo, bytes: Uint8Array, localHosts: string[]): Promise<Entry> {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw invalid("Json", "the request body is not valid JSON");
  }
  const server = parseServerJson(doc);
  packages.assertNameAllowed(opened, server.name);
  const existing = await versionRow(scope, opened, server.name, server.version);
  if (existing) throw conflict("VersionExists", `${server.name} version ${server.version} is already published; versions are immutable`);
  const pins = await pinReferences(scope, server, localHosts);
  await assertProvenanceClaim(scope, server, pins, localHosts);
  const blob = await ingestBlob(scope, opened.repo.id, new Blob([bytes]).stream(), { length: bytes.byteLength, mediaType: MEDIA_TYPE, contentType: MEDIA_TYPE });
  try {
    await publishVersion(scope, opened, {
      name: server.name,
      version: server.version,
      files: [{ name: SERVER_FILE, digest: blob.digest, size: blob.size, mediaType: MEDIA_TYPE, metadata: { server } }],
      versionMetadata: { pins },
      packageMetadata: { description: server.description, ...(server.title ? { title: server.title } : {}), keywords: searchKeywords(server) ?? null },
    });
  } catch (e) {
    await releaseUnusedBlobs(scope, opened.repo.id, [blob.digest]);
    throw e;
  }
  return (await entry(scope, opened, server.name, server.version))!;
}

async function versionRow(scope: Scope, opened: OpenedRepo, name: string, version: string) {
  const pkg = await packages.findPackage(scope, opened.repo.id, name);
  const row = pkg && (await packages.findVersion(scope, pkg.id, version));
  return pkg && row ? { pkg, row } : null;
}

/**
 * The stored server.json of one version, byte for byte as published, in one read that
 * brings its version's policy columns: a refused version answers 451 like any download.
 */
export async function serverFile(scope: Scope, opened: OpenedRepo, name: string, version: string) {
  const stored = await packages.storedFile(scope, opened.repo.id, { packageName: name, version, name: SERVER_FILE });
  if (!stored) throw notFound("Server", `server ${name} version ${version} not found`);
  await packages.enforceStoredFile(scope, opened, stored);
  return stored;
}

const builder: IndexBuilder = async (input) => {
  const entries: Entry[] = input.entries
    .filter((e) => e.file.name === SERVER_FILE && typeof (e.file.metadata as { server?: unknown }).server === "object")
    .map((e) => ({
      name: e.package.displayName,
      version: e.version.version,
      server: (e.file.metadata as { server: ServerJson }).server,
      ...statusOf(e.version),
      publishedAt: e.version.createdAt,
      updatedAt: e.version.updatedAt,
      isLatest: false,
      pins: ((e.version.metadata as { pins?: Pins }).pins ?? {}) as Pins,
      digest: e.file.digest,
    }));
  const byName = new Map<string, Entry[]>();
  for (const e of entries) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
  for (const list of byName.values()) markLatest(list);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.publishedAt - b.publishedAt));
  return { documents: [{ path: CATALOG_DOC, bytes: new TextEncoder().encode(JSON.stringify(entries)), contentType: MEDIA_TYPE }] };
};

/** The catalog read, for the gate's batch (formats/mcp `planRead`). */
export const plannedCatalog = plannedIndexFileWithRestrictions(CATALOG_DOC);

/** Every server version of the catalog the caller may see, by name then publish order, with its policy state. */
export async function catalog(scope: Scope, opened: OpenedRepo): Promise<Entry[]> {
  return entriesOf(scope, opened, await readIndexFileWithRestrictions(scope, opened.repo.id, CATALOG_DOC, builder));
}

/** `catalog` of several catalogs, read in one D1 batch (the catalog of catalogs). */
export async function catalogs(scope: Scope, opened: OpenedRepo[]): Promise<Entry[][]> {
  if (opened.length === 0) return [];
  const read = await readIndexFilesWithRestrictions(scope, opened.map((o) => o.repo.id), CATALOG_DOC, builder);
  return Promise.all(read.map((r, i) => entriesOf(scope, opened[i]!, r)));
}

function entriesOf(scope: Scope, opened: OpenedRepo, { file, restricted }: { file: IndexFile | null; restricted: RestrictedVersion[] }): Promise<Entry[]> | Entry[] {
  const entries = file ? (JSON.parse(new TextDecoder().decode(file.bytes)) as Entry[]) : [];
  return restricted.length ? withPolicy(scope, opened, entries, restricted) : entries;
}

const versionKey = (name: string, version: string) => `${name}\n${version}`;

async function withPolicy(scope: Scope, opened: OpenedRepo, entries: Entry[], restricted: RestrictedVersion[]): Promise<Entry[]> {
  const byKey = new Map(restricted.map((r) => [versionKey(r.packageName, r.version), r]));
  const rows = entries.map((entry) => {
    const r = byKey.get(versionKey(entry.name, entry.version));
    return { entry, blockedBy: r?.blockedBy ?? null, licenseBlockedBy: r?.licenseBlockedBy ?? null, heldUntil: r?.heldUntil ?? null, owner: r?.publishedBy ?? null, ref: { package: entry.name, version: entry.version, digest: null, license: r?.license ?? null } };
  });
  const view = await policyView(scope, opened, rows);
  const now = Date.now();
  const visible = view.visible.map((r): Entry => {
    const refusal = view.refusal(r);
    if (refusal) return { ...r.entry, policy: { state: "blocked", ...refusal } };
    if (isHeld(r, now)) return { ...r.entry, policy: { state: "quarantined", code: "BlockedQuarantine", message: heldMessage(r.ref, r.heldUntil!) } };
    return r.entry;
  });
  if (visible.length < entries.length) {
    const byName = new Map<string, Entry[]>();
    for (const e of visible) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
    for (const list of byName.values()) markLatest(list);
  }
  return visible;
}

/** One server version; `latest` names the latest one. Deleted versions only when asked. */
export async function entry(scope: Scope, opened: OpenedRepo, name: string, version: string, includeDeleted = true): Promise<Entry | null> {
  const all = (await catalog(scope, opened)).filter((e) => e.name === name && (includeDeleted || e.status !== "deleted"));
  return (version === "latest" ? all.find((e) => e.isLatest) : all.find((e) => e.version === version)) ?? null;
}

export interface StatusChange {
  status: ServerStatus;
  statusMessage?: string;
}

export function parseStatusChange(body: unknown): StatusChange {
  const b = (body ?? {}) as { status?: unknown; statusMessage?: unknown };
  if (b.status !== "active" && b.status !== "deprecated" && b.status !== "deleted") throw invalid("ServerStatus", "status must be active, deprecated or deleted", { detail: [{ location: "body.status", message: "must be active, deprecated or deleted", value: b.status }] });
  if (b.statusMessage !== undefined && (typeof b.statusMessage !== "string" || b.statusMessage.length > 500)) throw invalid("ServerStatus", "statusMessage must be a string of at most 500 characters", { detail: [{ location: "body.statusMessage", message: "must be a string of at most 500 characters" }] });
  if (b.status === "active" && b.statusMessage !== undefined) throw invalid("ServerStatus", "statusMessage is not allowed when status is active", { detail: [{ location: "body.statusMessage", message: "not allowed when status is active" }] });
  return { status: b.status, statusMessage: b.statusMessage as string | undefined };
}

const flagsOf = (c: StatusChange) => ({
  yanked: c.status === "deleted" ? (c.statusMessage ?? "") : null,
  deprecated: c.status === "deprecated" ? (c.statusMessage ?? "") : null,
});

/** PATCH …/versions/{version}/status, or every version (`version` null): audited, evented. */
export async function changeStatus(scope: Scope, opened: OpenedRepo, name: string, version: string | null, change: StatusChange): Promise<Entry[]> {
  const pkg = await packages.findPackage(scope, opened.repo.id, name);
  if (!pkg) throw notFound("Server", `server ${name} not found`);
  const rows = version === null ? (await packages.versionsWithFiles(scope, pkg.id)).map((v) => v.version) : [await packages.findVersion(scope, pkg.id, version)];
  // A version the caller can't see (held in quarantine, not theirs) is not found, as on GET.
  if (!rows[0] || (version !== null && !(await entry(scope, opened, name, version)))) throw notFound("Server", `server ${name} version ${version} not found`);
  for (const row of rows) await updateVersionStatus(scope, opened, pkg, row!, flagsOf(change));
  const after = (await catalog(scope, opened)).filter((e) => e.name === name);
  return version === null ? after : after.filter((e) => e.version === version);
}

/** `DELETE …/versions/{version}`: the version goes to the trash; answers the entry as it was, marked deleted. */
export async function remove(scope: Scope, opened: OpenedRepo, name: string, version: string): Promise<Entry> {
  const found = await versionRow(scope, opened, name, version);
  const before = found && (await entry(scope, opened, name, version));
  if (!found || !before) throw notFound("Server", `server ${name} version ${version} not found`);
  await trashVersion(scope, opened, found.pkg, found.row);
  return { ...before, status: "deleted", isLatest: false, updatedAt: Date.now() };
}
