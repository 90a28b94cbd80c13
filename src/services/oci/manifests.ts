/**
 * Manifest push, pull and delete.
 *
 * Invariants:
 * - Bytes are stored exactly as pushed (≤ MAX_MANIFEST_BYTES); the digest is the
 *   sha256 of those bytes and must equal a digest reference.
 * - A manifest is accepted only if every blob it references is readable in the repo
 *   and every child manifest exists in the image, with matching sizes; `subject` need
 *   not exist (OCI 1.1 lets referrers arrive first). A manifest cached from an upstream
 *   repo's upstream is the exception: its blobs and children arrive when pulled.
 * - Tags matching the repo's immutable patterns never move or disappear.
 * - The manifest row, its references, tag moves with their history rows and labels
 *   from annotations are written in one D1 batch; the event is emitted after it.
 * - A new manifest passes the policy domain's admission (services/policy) before any of
 *   it is stored: a licence policy may refuse its `org.opencontainers.image.licenses`,
 *   and its row carries the block that matches its digest, its quarantine hold and its
 *   pusher. Pulls (HEAD/GET by tag or digest) answer 451 when a policy refuses it.
 */
import { readOnce, type Scope } from "../scope";
import type { PlannedRead } from "../artifacts/reads";
import { runRead } from "../../db/client";
import { TAG_CACHE_TTL_MS, TtlCache } from "../../core/ttl-cache";
import type { OpenedImage } from "./access";
import { emitEvent } from "../events/audit";
import { ingestBlob, readBlob } from "../artifacts/blobs";
import { assertTagMutable, tagChange, type TagChange } from "./tags";
import * as q from "../../db/oci";
import { readCapped } from "../../core/byte-reader";
import { RegistryError } from "../../core/errors";
import { sha256Digest } from "../../core/digest";
import { hex, newId } from "../../core/ids";
import { accepts, LICENSE_ANNOTATION, MAX_MANIFEST_BYTES, parseManifest, type ParsedManifest } from "./manifest-document";
import { admitManifest, enforceDownload, heldIdOfManifest } from "../policy";
import { isTag, parseReference } from "./names";
import { runBatch, type Statement } from "../../db/client";
import { gcRefusal } from "../../db/errors";

/** Annotations become labels only within these bounds (the manifest itself keeps them all). */
const MAX_ANNOTATION_LABELS = 100;
const MAX_LABEL_KEY = 255;
const MAX_LABEL_VALUE = 4096;

/** Manifests up to this size live inline in D1 (one query per HEAD/GET); larger ones in R2. */
export const INLINE_MANIFEST_MAX = 1024 * 1024;

const manifestUnknown = (ref: string, why = "manifest unknown") =>
  new RegistryError("NotFoundManifest", `${why}: ${ref}`, { detail: { reference: ref } });
const blobUnknown = (digest: string, what: string) =>
  new RegistryError("InvalidManifestBlobUnknown", `the manifest references ${what} ${digest}, which this repository does not have`, {
    detail: { digest },
  });

export async function readManifestBody(body: ReadableStream<Uint8Array> | null, length: number | null): Promise<Uint8Array> {
  const tooBig = () => new RegistryError("PayloadTooLargeManifest", `a manifest may be at most ${MAX_MANIFEST_BYTES} bytes`);
  if (length !== null && length > MAX_MANIFEST_BYTES) throw tooBig();
  return readCapped(body, MAX_MANIFEST_BYTES, tooBig, { requestBody: true, declared: length });
}

async function verifyReferences(scope: Scope, img: OpenedImage, m: ParsedManifest) {
  const blobs = new Map((await q.linkedBlobsIn(scope.db, img.repo.id, [...new Set(m.blobs.map((b) => b.digest))])).map((b) => [b.digest, b.size]));
  for (const b of m.blobs) {
    const size = blobs.get(b.digest);
    if (size === undefined) throw blobUnknown(b.digest, "blob");
    if (size !== b.size) throw new RegistryError("InvalidManifestSize", `blob ${b.digest} is ${size} bytes, the manifest says ${b.size}`);
  }
  const children = new Map((await q.manifestsIn(scope.db, img.repo.id, img.name.image, [...new Set(m.manifests.map((c) => c.digest))])).map((c) => [c.digest, c.size]));
  for (const c of m.manifests) {
    const size = children.get(c.digest);
    if (size === undefined) throw blobUnknown(c.digest, "manifest");
    if (size !== c.size) throw new RegistryError("InvalidManifestSize", `manifest ${c.digest} is ${size} bytes, the index says ${c.size}`);
  }
}

export interface PutManifestInput {
  reference: string;
  contentType: string | null;
  bytes: Uint8Array;
  /** Extra tags (`?tag=` on a push by digest, OCI 1.1). */
  tags?: string[];
  /**
   * Cached from an upstream repo's upstream (services/proxy): the manifest is stored before
   * the blobs it references (they are pulled through when asked for), and its tags follow
   * the upstream's, whatever the repo's immutable tags say.
   */
  fromUpstream?: boolean;
  /** Written in the manifest's own D1 batch (a promotion's audit row): they land with it or not at all. */
  alsoInBatch?: Statement[];
}

export async function putManifest(scope: Scope, img: OpenedImage, input: PutManifestInput) {
  const ref = parseReference(input.reference);
  const digest = sha256Digest(hex(new Uint8Array(await crypto.subtle.digest("SHA-256", input.bytes))));
  if ("digest" in ref && ref.digest !== digest) {
    throw new RegistryError("InvalidDigestMismatch", `the manifest's digest is ${digest}, not ${ref.digest}`);
  }
  const tags = [...new Set([...("tag" in ref ? [ref.tag] : []), ...(input.tags ?? []).map((t) => (parseReference(t) as { tag: string }).tag)])];
  const parsed = parseManifest(input.bytes, input.contentType);
  if (!input.fromUpstream) await verifyReferences(scope, img, parsed);

  const { repo, name } = img;
  const now = Date.now();
  const existing = await q.findManifest(scope.db, repo.id, name.image, { digest }, false);
  const changes: TagChange[] = [];
  for (const tag of tags) {
    const current = await q.findTag(scope.db, repo.id, name.image, tag);
    if (current?.digest === digest) continue;
    if (current && !input.fromUpstream) assertTagMutable(img, tag);
    changes.push({ tag, from: current?.digest ?? null, to: digest, action: current ? "move" : "create" });
  }
  const license = parsed.annotations[LICENSE_ANNOTATION] ?? null;
  const admission = existing ? null : await admitManifest(scope, img, { name: name.image, displayName: name.image, version: digest, license });
  let body: string | null = null;
  if (!existing) {
    if (input.bytes.byteLength <= INLINE_MANIFEST_MAX) body = new TextDecoder().decode(input.bytes);
    else await ingestBlob(scope, repo, new Blob([input.bytes]).stream(), { length: input.bytes.byteLength, expectedDigest: digest, contentType: parsed.mediaType });
  }
  // An upstream's manifest comes before its blobs: references to blobs the repo does not
  // link yet wait in oci_pending_refs until the blob is pulled through (promotePendingRefs).
  const pending = new Set<string>();
  if (!existing && input.fromUpstream) {
    const linked = new Set((await q.linkedBlobsIn(scope.db, repo.id, parsed.blobs.map((b) => b.digest))).map((b) => b.digest));
    for (const b of parsed.blobs) if (!linked.has(b.digest)) pending.add(b.digest);
  }
  const stmts = [
    ...(existing
      ? []
      : [
          q.insertManifest(scope.db, {
            repoId: repo.id,
            image: name.image,
            digest,
            mediaType: parsed.mediaType,
            artifactType: parsed.artifactType,
            size: input.bytes.byteLength,
            body,
            subjectDigest: parsed.subject?.digest ?? null,
            annotations: parsed.annotations,
            blockedBy: admission!.blockedBy,
            licenseBlockedBy: null,
            heldUntil: admission!.heldUntil,
            pushedBy: admission!.owner,
            lastDownloadedAt: null,
            createdAt: now,
          }),
          ...admission!.statements,
          ...refsOf(scope, img, digest, parsed, pending),
          ...labelsOf(scope, img, digest, parsed, now),
        ]),
    ...changes.flatMap((c) => tagChange(scope, img, c, now)),
    ...(input.alsoInBatch ?? []),
  ];
  try {
    await runBatch(scope.db, stmts);
  } catch (e) {
    // A blob verified above was unlinked (a purge) before the batch: the trigger kept the
    // manifest from naming bytes GC may take (docs/gc.md). The client pushes it again.
    if (gcRefusal(e) === "unlinked") throw blobUnknown(parsed.blobs.map((b) => b.digest).join(", "), "blobs");
    throw e;
  }
  if (!existing || changes.length) {
    await emitEvent(scope, {
      type: "artifact.uploaded",
      project_id: img.project.id,
      data: { format: repo.format, repo_id: repo.id, project_id: img.project.id, name: name.full, tags, tag: tags[0] ?? null, digest, size: input.bytes.byteLength, media_type: parsed.mediaType },
    });
  }
  await admission?.after({ heldId: heldIdOfManifest(repo.id, name.image, digest), digest });
  return { digest, subject: parsed.subject?.digest ?? null };
}

function refsOf(scope: Scope, img: OpenedImage, digest: string, m: ParsedManifest, pending: Set<string>) {
  const rows = [
    ...m.blobs.filter((b) => !pending.has(b.digest)).map((b) => ({ childDigest: b.digest, kind: "blob" as const })),
    ...m.manifests.map((c) => ({ childDigest: c.digest, kind: "manifest" as const })),
  ];
  const unique = [...new Map(rows.map((r) => [r.childDigest, r])).values()];
  // D1 caps bound parameters per statement: insert in slices.
  const out = [];
  for (let i = 0; i < unique.length; i += 15) {
    out.push(q.insertRefs(scope.db, unique.slice(i, i + 15).map((r) => ({ repoId: img.repo.id, image: img.name.image, parentDigest: digest, ...r }))));
  }
  const waiting = [...pending].map((childDigest) => ({ repoId: img.repo.id, image: img.name.image, parentDigest: digest, childDigest }));
  for (let i = 0; i < waiting.length; i += 20) out.push(q.insertPendingRefs(scope.db, waiting.slice(i, i + 20)));
  return out;
}

/**
 * A blob pulled through into an upstream repo: the cached manifests' references waiting
 * for it become real (so GC sees the link in use). If the link went meanwhile the GC
 * trigger refuses the batch and they keep waiting for the next pull.
 */
export async function promotePendingRefs(scope: Scope, repoId: string, digest: string) {
  try {
    await runBatch(scope.db, q.promotePendingRefs(scope.db, repoId, digest));
  } catch (e) {
    if (gcRefusal(e) !== "unlinked") throw e;
  }
}

function labelsOf(scope: Scope, img: OpenedImage, digest: string, m: ParsedManifest, now: number) {
  const entries = Object.entries(m.annotations)
    .filter(([k, v]) => typeof v === "string" && k.length <= MAX_LABEL_KEY && v.length <= MAX_LABEL_VALUE)
    .slice(0, MAX_ANNOTATION_LABELS);
  const out = [];
  for (let i = 0; i < entries.length; i += 10) {
    out.push(
      q.insertLabels(
        scope.db,
        entries.slice(i, i + 10).map(([key, value]) => ({ id: newId(), repoId: img.repo.id, digest, key, value, mediaType: "text/plain", source: "manifest" as const, createdAt: now })),
      ),
    );
  }
  return out;
}

/** Whether the image has the manifest (no body, no cache): for pull-through bookkeeping. */
export const findManifestDigest = (scope: Scope, img: OpenedImage, digest: string) => q.findManifest(scope.db, img.repo.id, img.name.image, { digest }, false);

/** For reads and deletes a malformed tag can't name anything: 404, as the spec's conformance suite expects. */
export function lookupReference(reference: string) {
  if (!reference.includes(":") && !isTag(reference)) throw manifestUnknown(reference);
  return parseReference(reference);
}

/**
 * Manifest lookups (HEAD/GET, the hottest registry request) served from isolate memory
 * for a short while: by digest the content can't change, by tag it is at most
 * TAG_CACHE_TTL_MS stale in other isolates; any push, delete or restore in this
 * isolate clears the cache (an `artifact.*` event; a policy change clears every cache).
 * Large bodies are not cached. Lookups by digest live no longer than by tag: the bytes
 * never change, but the row carries the policy columns (services/policy), whose staleness
 * in other isolates policy bounds at TAG_CACHE_TTL_MS (and a blocked image's blobs are
 * refused at once: services/oci/blobs.ts reads their manifests on every pull).
 */
const manifestLookups = new TtlCache<string, q.ManifestRow | q.ManifestMeta | null>(TAG_CACHE_TTL_MS, "artifacts", 5_000);
const CACHED_BODY_MAX = 64 * 1024;

const manifestReadKey = (image: string, ref: { digest: string } | { tag: string }, withBody: boolean) =>
  `manifest:${image}|${"digest" in ref ? ref.digest : `:${ref.tag}`}|${withBody}`;

/** The manifest a HEAD/GET of `reference` reads, for the gate's batch (http/prefetch.ts); null for a reference it will refuse. */
export function plannedManifest(image: string, reference: string, withBody: boolean): PlannedRead | null {
  if (!reference.includes(":") && !isTag(reference)) return null;
  const ref = parseReference(reference);
  return { key: manifestReadKey(image, ref, withBody), read: (scope, repo) => q.manifestRead(scope.db, repo, image, ref, withBody) };
}

async function lookupManifest(scope: Scope, img: OpenedImage, ref: { digest: string } | { tag: string }, withBody: boolean) {
  const key = `${img.repo.id}|${img.name.image}|${"digest" in ref ? ref.digest : `:${ref.tag}`}|${withBody}`;
  const hit = manifestLookups.get(key);
  if (hit !== undefined) return hit;
  const row = await readOnce(scope, manifestReadKey(img.name.image, ref, withBody), () =>
    runRead(scope.db, q.manifestRead(scope.db, img.repo.id, img.name.image, ref, withBody)),
  );
  const body = row && "body" in row ? (row.body as string | null) : null;
  if (!body || body.length <= CACHED_BODY_MAX) manifestLookups.set(key, row);
  return row;
}

/**
 * The manifest a tag or digest names, as a catalog describes it rather than serves it:
 * no policy refusal and no block hit counted (the caller shows the row's policy state,
 * or judges it: promotion lists a block as its `security` gate). Never for serving content.
 */
export const peekManifest = (scope: Scope, img: OpenedImage, reference: string) => lookupManifest(scope, img, lookupReference(reference), false);

/** Finds a manifest by tag or digest; the body only when `withBody`. Honours Accept. */
export async function getManifest(scope: Scope, img: OpenedImage, reference: string, withBody: boolean, accept: string | null) {
  const ref = lookupReference(reference);
  const row = await lookupManifest(scope, img, ref, withBody);
  if (!row) throw manifestUnknown(reference);
  await enforceDownload(scope, img, { ...row, owner: row.pushedBy }, { package: img.name.image, version: reference, digest: row.digest, license: row.annotations[LICENSE_ANNOTATION] ?? null });
  if (!accepts(accept, row.mediaType)) throw manifestUnknown(reference, `the manifest is ${row.mediaType}, which the Accept header does not list`);
  if (!withBody) return { meta: row, body: null };
  const inline = (row as q.ManifestRow).body;
  if (inline !== null && inline !== undefined) return { meta: row, body: new TextEncoder().encode(inline) as Uint8Array | ReadableStream };
  const blob = await readBlob(scope, img.repo.id, row.digest);
  if (!blob) throw manifestUnknown(reference, "manifest content missing");
  return { meta: row, body: blob.object.body as Uint8Array | ReadableStream };
}

/**
 * DELETE by tag removes the tag (its history keeps it restorable for the tag-history
 * window). DELETE by digest is the lifecycle domain's: the manifest goes to the trash
 * (services/lifecycle/trash.ts trashManifest).
 */
export async function deleteTag(scope: Scope, img: OpenedImage, reference: string) {
  const { repo, name } = img;
  const tag = await q.findTag(scope.db, repo.id, name.image, reference);
  if (!tag) throw manifestUnknown(reference);
  assertTagMutable(img, reference);
  await runBatch(scope.db, tagChange(scope, img, { tag: reference, from: tag.digest, to: null, action: "delete" }, Date.now()));
  await emitEvent(scope, {
    type: "artifact.deleted",
    project_id: img.project.id,
    data: { format: repo.format, repo_id: repo.id, project_id: img.project.id, name: name.full, tag: reference, digest: tag.digest },
  });
}

/** Whether the image holds a manifest with this digest (a legal hold names one that exists). */
export const manifestExists = async (scope: Scope, repoId: string, image: string, digest: string) => !!(await q.findManifest(scope.db, repoId, image, { digest }, false));
