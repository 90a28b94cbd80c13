/**
 * Maven repository use-cases on the shared package model.
 *
 * Model: package name = `groupId:artifactId`; version = the directory version
 * (`1.0`, `1.0-SNAPSHOT`); each file is stored under its full repository path, with
 * its sha1/md5/sha512 (computed while streaming) in the file's metadata.
 *
 * Invariants:
 * - A stored file never changes: re-uploading the same bytes is a no-op, other bytes
 *   are `ConflictFileExists`. So release versions are immutable; a SNAPSHOT version
 *   grows by new timestamped file names.
 * - maven-metadata.xml (artifact and SNAPSHOT version level) and its checksums are
 *   generated from D1 on every request; what a client PUTs there is read and dropped.
 * - An uploaded .sha1/.md5/.sha256/.sha512 must match the stored file (else
 *   `InvalidChecksumMismatch`); nothing is stored for it.
 * - Policies (services/policy): maven-metadata.xml lists only versions the reader may
 *   install (held and refused ones are left out, so ranges, LATEST and RELEASE never
 *   resolve to them); a file (or checksum) of a held or refused version answers 451, so
 *   a build that names the version exactly fails with the refusal.
 * - The licence is the POM's `<licenses>` (pom.ts), judged when the POM arrives: the
 *   version's other files come first and are not judged.
 */
import type { Scope } from "../../services/scope";
import type { OpenedRepo } from "../../services/projects";
import { ingestBlob } from "../../services/artifacts";
import * as packages from "../../services/artifacts";
import type { FileRow, StoredFile } from "../../services/artifacts";
import { fileParts, type MavenChecksum, type MavenPath } from "./paths";
import { artifactMetadataXml, snapshotMetadataXml, type SnapshotFile } from "./metadata-xml";
import { hex } from "../../core/ids";
import { enforceVersion, versionsView } from "../../services/policy";
import { licenseOfPom } from "./pom";
import { invalid, notFound } from "../../core/errors";

type FilePath = Extract<MavenPath, { kind: "file" }>;
type MetadataPath = Extract<MavenPath, { kind: "metadata" }>;

const packageName = (p: { groupId: string; artifactId: string }) => `${p.groupId}:${p.artifactId}`;

export const MAX_CHECKSUM_BODY = 1024;
export const MAX_METADATA_BODY = 1024 * 1024;

export function mediaTypeOf(fileName: string): string {
  if (fileName.endsWith(".pom") || fileName.endsWith(".xml")) return "application/xml";
  if (fileName.endsWith(".jar") || fileName.endsWith(".war") || fileName.endsWith(".ear")) return "application/java-archive";
  if (fileName.endsWith(".asc")) return "application/pgp-signature";
  if (fileName.endsWith(".zip")) return "application/zip";
  return "application/octet-stream";
}

export async function putFile(scope: Scope, opened: OpenedRepo, p: FilePath, body: ReadableStream<Uint8Array>, length: number | null) {
  const mediaType = mediaTypeOf(p.fileName);
  const blob = await ingestBlob(scope, opened.repo, body, { length, checksums: ["sha1", "md5", "sha512"], mediaType });
  try {
    const license = p.fileName.endsWith(".pom") ? await licenseOfPom(scope, opened.repo.id, blob) : undefined;
    const published = await packages.publishVersion(scope, opened, {
      name: packageName(p),
      version: p.version,
      appendToExisting: true,
      license,
      files: [{ name: p.path, digest: blob.digest, size: blob.size, mediaType, metadata: blob.checksums }],
    });
    return { created: published.files.length > 0 };
  } catch (e) {
    await packages.releaseUnusedBlobs(scope, opened.repo, [blob.digest]);
    throw e;
  }
}

export function checksumOf(file: FileRow, alg: MavenChecksum): string {
  if (alg === "sha256") return file.digest.slice("sha256:".length);
  const value = file.metadata[alg];
  if (typeof value !== "string") throw notFound("Checksum", `no ${alg} recorded for ${file.name}`);
  return value;
}

/** Checks a client-uploaded checksum against the stored file. */
export async function verifyChecksum(scope: Scope, opened: OpenedRepo, p: FilePath, alg: MavenChecksum, body: string) {
  const { file } = await getFile(scope, opened, p);
  const declared = body.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  if (!/^[a-f0-9]+$/.test(declared)) throw invalid("Checksum", `the ${alg} body is not a hex digest`);
  const actual = checksumOf(file, alg);
  if (declared !== actual) throw invalid("ChecksumMismatch", `${p.path}.${alg} is ${declared} but the stored file's ${alg} is ${actual}`);
}

/** A stored file (it never changes: release or timestamped SNAPSHOT name), cached once found. */
export async function getFile(scope: Scope, opened: OpenedRepo, p: FilePath): Promise<StoredFile> {
  const file = await packages.storedFile(scope, opened.repo.id, { name: p.path });
  if (!file) throw notFound("File", `${p.path} not found`);
  return file;
}

/** A file (or its checksum) for a download: 451 when a policy refuses its version. */
export async function downloadFile(scope: Scope, opened: OpenedRepo, p: FilePath): Promise<StoredFile> {
  const stored = await getFile(scope, opened, p);
  await packages.enforceStoredFile(scope, opened, stored);
  return stored;
}

/** The server's maven-metadata.xml for this path. */
export async function metadataXml(scope: Scope, opened: OpenedRepo, p: MetadataPath): Promise<string> {
  const doc = await packages.packageDocument(scope, opened.repo.id, packageName(p));
  if (!doc) throw notFound("Metadata", `${p.path} not found`);
  const view = await versionsView(scope, opened, doc.pkg.displayName, doc.versions, (v) => v.version);
  const versions = view.visible.filter((v) => !view.refusal(v));
  const lastUpdated = (files: FileRow[]) => files.reduce((t, f) => Math.max(t, f.createdAt), 0);
  if (p.version === null) {
    const live = versions.filter((v) => v.files.length > 0);
    if (!live.length) throw notFound("Metadata", `${p.path} not found`);
    return artifactMetadataXml({ groupId: p.groupId, artifactId: p.artifactId, versions: live.map((v) => v.version.version), lastUpdated: lastUpdated(live.flatMap((v) => v.files)) });
  }
  const version = doc.versions.find((v) => v.version.version === p.version);
  if (!version?.files.length) throw notFound("Metadata", `${p.path} not found`);
  await enforceVersion(scope, opened, doc.pkg.displayName, version.version, version.files[0]!.digest);
  const files: SnapshotFile[] = [];
  for (const f of version.files) {
    const parts = fileParts(p.artifactId, p.version, f.name.split("/").pop()!);
    if (parts?.timestamp && parts.buildNumber !== undefined) {
      files.push({ classifier: parts.classifier, extension: parts.extension, value: parts.value, timestamp: parts.timestamp, buildNumber: parts.buildNumber, updated: f.createdAt });
    }
  }
  return snapshotMetadataXml({ groupId: p.groupId, artifactId: p.artifactId, version: p.version, files, lastUpdated: lastUpdated(version.files) });
}

const DIGESTS: Record<MavenChecksum, string> = { sha1: "SHA-1", md5: "MD5", sha256: "SHA-256", sha512: "SHA-512" };

export async function digestText(text: string, alg: MavenChecksum): Promise<string> {
  const stream = new crypto.DigestStream(DIGESTS[alg]);
  const writer = stream.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  return hex(new Uint8Array(await stream.digest));
}

/** The one read of a download or metadata request, for the gate's batch (http/prefetch.ts). */
export function plannedRead(p: MavenPath) {
  return p.kind === "metadata" ? packages.plannedPackageDocument(packageName(p)) : packages.plannedStoredFile({ name: p.path });
}
