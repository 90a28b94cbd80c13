/**
 * Promotion: an artifact version (or an image by digest, with its referrers) moves from
 * one repo to another by LINKING — the target gets its own repo_blobs links and its own
 * package/manifest rows over the same stored blobs; no byte is copied.
 *
 *   source := resolve(ref) with `read`            (401/403/404 before anything else)
 *   target := open(to)     with `write`, same format, not the source
 *   gates  := evaluate(every gate of target)      (core/gates.ts)
 *             + policy's security and licence verdicts (services/policy promotion-check.ts)
 *   if any gate failed → ForbiddenPromotionGates listing EVERY gate's verdict; nothing changes
 *   link blobs (charging the target's project quota: services/artifacts quotas)
 *   write rows through the formats' own paths (putManifest / publishVersion), so the
 *   target's indexes, tags and `artifact.uploaded` behave as for a push; the audit row
 *   (with the gate results) rides in the batch of the last rows written
 *   emit `artifact.promoted`
 *
 * Invariants:
 * - A package version already in the target is refused before any link is made; a
 *   publish that fails after linking gives the links it made back (quota included).
 * - Image children (index → manifests) are promoted before their parent, referrers
 *   (signatures, SBOMs, attestations) after their subject, so every manifest the target
 *   accepts has its references in place.
 * - A promotion that landed is audited: its audit row is in the same D1 batch as the
 *   package version, or as the image's last manifest (its last referrer, else the
 *   subject), so the two land together or not at all.
 * - Not one D1 batch as a whole: a crash between the links and the rows, or between an
 *   image's manifests, leaves linked, charged blobs (and manifests) in the target that
 *   nothing audited names: garbage collection's and a retry's to find, never a row
 *   without its blob.
 */
import type { Scope } from "../scope";
import type { Statement } from "../../db/client";
import { auditQuery, emitEvent } from "../events/audit";
import { findRepoBlob, linkExistingBlob, publishVersion, releaseUnusedBlobs, findPackage, findVersion } from "../artifacts";
import { getManifest, openImage, parseManifest, putManifest, referrers, type OpenedImage } from "../oci";
import type { OpenedRepo } from "../projects/repos";
import { evaluatePromotion } from "./gates";
import { artifactOf, openRepoById, resolveSubject, type ArtifactRef, type ImageSubject, type PackageKeyOf, type PackageSubject } from "./subjects";
import { RegistryError, conflict, invalid } from "../../core/errors";
import { readCapped } from "../../core/byte-reader";
import { MAX_MANIFEST_BYTES } from "../oci/manifest-document";

export interface PromoteInput {
  artifact: ArtifactRef;
  targetRepoId: string;
  /** Images: a tag to set in the target on the promoted manifest. */
  tag?: string | null;
}

/** Links `digests` into the target repo; returns those it linked (not there before). */
async function linkAll(scope: Scope, repoId: string, digests: string[]) {
  const linked: string[] = [];
  for (const d of new Set(digests)) {
    if (await findRepoBlob(scope, repoId, d)) continue;
    if (!(await linkExistingBlob(scope, repoId, d))) throw new RegistryError("InternalError", `blob ${d} is named by the source but not stored`);
    linked.push(d);
  }
  return linked;
}

async function manifestBytes(scope: Scope, img: OpenedImage, digest: string) {
  const { meta, body } = await getManifest(scope, img, digest, true, null);
  const bytes = body instanceof Uint8Array ? body : await readCapped(body as ReadableStream<Uint8Array>, MAX_MANIFEST_BYTES, () => new RegistryError("InternalError", "manifest larger than allowed"));
  return { meta, bytes };
}

/** One manifest and the manifests below it (an index's); `alsoInBatch` goes in this manifest's own batch. */
async function promoteManifest(scope: Scope, from: OpenedImage, to: OpenedImage, digest: string, tags: string[], alsoInBatch: Statement[] = []) {
  const { meta, bytes } = await manifestBytes(scope, from, digest);
  const parsed = parseManifest(bytes, meta.mediaType);
  for (const child of parsed.manifests) await promoteManifest(scope, from, to, child.digest, []);
  await linkAll(scope, to.repo.id, parsed.blobs.map((b) => b.digest));
  await putManifest(scope, to, { reference: digest, contentType: meta.mediaType, bytes, tags, alsoInBatch });
}

/** The subject, then its referrers; the audit row goes with the last manifest written. */
async function promoteImage(scope: Scope, s: ImageSubject, target: OpenedRepo, tag: string | null, audit: (referrers: number) => Statement) {
  const to = await openImage(scope, `${target.project.slug}/${target.repo.slug}/${s.opened.name.image}`, "write");
  const refs = (await referrers(scope, s.opened, s.manifest.digest, undefined)).manifests;
  const last = audit(refs.length);
  await promoteManifest(scope, s.opened, to, s.manifest.digest, tag ? [tag] : [], refs.length === 0 ? [last] : []);
  for (const [i, r] of refs.entries()) await promoteManifest(scope, s.opened, to, r.digest, [], i === refs.length - 1 ? [last] : []);
  return { referrers: refs.length };
}

async function promotePackage(scope: Scope, s: PackageSubject, target: OpenedRepo, audit: (referrers: number) => Statement) {
  const existing = await findPackage(scope, target.repo.id, s.pkg.name);
  if (existing && (await findVersion(scope, existing.id, s.version.version))) {
    throw conflict("VersionExists", `${s.pkg.displayName}@${s.version.version} is already in the target repository`);
  }
  const linked = await linkAll(scope, target.repo.id, s.files.map((f) => f.digest));
  try {
    await publishVersion(scope, target, {
      name: s.pkg.name,
      displayName: s.pkg.displayName,
      version: s.version.version,
      versionMetadata: s.version.metadata,
      packageMetadata: s.pkg.metadata,
      files: s.files.map((f) => ({ name: f.name, digest: f.digest, size: f.size, mediaType: f.mediaType, metadata: f.metadata })),
      alsoInBatch: [audit(0)],
    });
  } catch (e) {
    await releaseUnusedBlobs(scope, target.repo.id, linked);
    throw e;
  }
  return { referrers: 0 };
}

export async function promote(scope: Scope, keyOf: PackageKeyOf, input: PromoteInput) {
  const subject = await resolveSubject(scope, keyOf, input.artifact, "read");
  const target = await openRepoById(scope, input.targetRepoId, "write");
  if (target.repo.id === subject.opened.repo.id) throw invalid("PromotionTarget", "the target repository is the source");
  if (target.repo.format !== subject.opened.repo.format) throw invalid("PromotionTarget", `the target repository is ${target.repo.format}, the artifact ${subject.opened.repo.format}`);
  if (input.tag && subject.type !== "image") throw invalid("PromotionTarget", "`tag` applies to images only");

  const gates = await evaluatePromotion(scope, subject, target);
  const failed = gates.filter((g) => !g.passed);
  if (failed.length > 0) {
    throw new RegistryError("ForbiddenPromotionGates", `promotion refused by ${failed.length} gate(s): ${failed.map((g) => `${g.gate} (${g.reason})`).join("; ")}`, { detail: { gates } });
  }
  const a = artifactOf(subject);
  const dataWith = (referrers: number) => ({
    format: a.format,
    name: a.package,
    version: subject.type === "image" ? (input.tag ?? a.version) : a.version,
    digest: a.digest,
    mode: "link" as const,
    tag: input.tag ?? null,
    referrers,
    from: { repo_id: subject.opened.repo.id, repo: subject.opened.repo.slug, project_id: subject.opened.project.id },
    to: { repo_id: target.repo.id, repo: target.repo.slug, project_id: target.project.id },
    gates,
  });
  const audit = (referrers: number) => auditQuery(scope, { action: "artifact.promote", resourceType: "artifact", resourceId: `${a.package}@${a.digest || a.version}`, projectId: target.project.id, after: dataWith(referrers) });
  const { referrers } = subject.type === "image" ? await promoteImage(scope, subject, target, input.tag ?? null, audit) : await promotePackage(scope, subject, target, audit);
  const data = dataWith(referrers);
  await emitEvent(scope, { type: "artifact.promoted", project_id: target.project.id, data });
  return data;
}
