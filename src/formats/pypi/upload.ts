/**
 * The legacy upload API (`twine upload`): one multipart POST per distribution file,
 * metadata fields first, the file in the part named `content`.
 *
 * Invariants:
 * - The file streams from the request to R2 (multipart.ts); it is never buffered whole.
 * - The declared `sha256_digest` and `md5_digest` are verified against the bytes.
 *   (`blake2_256_digest` is recorded but not verified: workerd offers no BLAKE2.)
 * - What the file holds is checked before it is published (distribution.ts): a wheel
 *   must be a zip whose METADATA names the form's project and version, an sdist a
 *   .tar.gz or .zip whose PKG-INFO does.
 * - A refused upload keeps nothing: every blob it ingested is unlinked again (giving
 *   its bytes back to the quota) unless a file of the repo already uses it.
 * - A file name is uploaded once: the same bytes again are a no-op (200, as PyPI),
 *   other bytes are refused with 409 "File already exists" (what `twine upload
 *   --skip-existing` recognises).
 * - A wheel's `*.dist-info/METADATA` is published in the same atomic publish as the
 *   wheel, as the file `<wheel>.metadata` (PEP 658).
 *
 *   ingested = []
 *   try: read form, stream file → R2 (ingested += digest); check form, digests, contents;
 *        store METADATA (ingested += digest); publish version + files in one batch
 *   catch: releaseUnusedBlobs(ingested); rethrow
 */
import type { Scope } from "../../services/scope";
import type { OpenedRepo } from "../../services/projects";
import { ingestBlob, readBlob, releaseUnusedBlobs, type IngestedBlob, findFileByName, publishVersion, type FileInput } from "../../services/artifacts";
import { RegistryError, invalid, isRegistryError } from "../../core/errors";
import { hex } from "../../core/ids";
import { MultipartReader, boundaryOf } from "./multipart";
import { assertDistFilename, assertProjectName, assertVersion, normalizeName } from "./names";
import { inspectDistribution, type StoredFile } from "./distribution";
import { licenseOfUpload } from "./licenses";
import { keywordList } from "../../core/keywords";

export const MAX_DIST_BYTES = 1024 * 1024 * 1024;
const MAX_FIELD = 1024 * 1024;
const MAX_FIELDS_TOTAL = 8 * 1024 * 1024;
const VERSION_FIELDS = ["summary", "requires_python", "metadata_version", "author", "author_email", "maintainer", "license", "license_expression", "home_page", "keywords"];
const LIST_FIELDS = ["requires_dist", "classifiers", "project_urls", "provides_extra"];

export const CORE_METADATA_ROLE = "core-metadata";

const fileExists = (filename: string) =>
  new RegistryError("ConflictFileExists", `File already exists: ${filename} was uploaded before with different content`);

type Fields = Map<string, string[]>;
const field = (f: Fields, name: string) => f.get(name)?.[0]?.trim() || undefined;

interface Received {
  filename: string;
  blob?: IngestedBlob;
  md5?: string;
  duplicate: boolean;
}

const sha256Field = (f: Fields) => field(f, "sha256_digest")?.toLowerCase();

/** A pass-through that computes the MD5 of what flows through it. */
function md5Tap() {
  const digest = new crypto.DigestStream("MD5");
  const writer = digest.getWriter();
  const transform = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      await writer.write(chunk);
      controller.enqueue(chunk);
    },
    flush: () => writer.close(),
  });
  return { transform, hex: async () => hex(new Uint8Array(await digest.digest)) };
}

async function receiveFile(scope: Scope, opened: OpenedRepo, filename: string, body: ReadableStream<Uint8Array>, fields: Fields, ingested: string[]): Promise<Received> {
  const name = field(fields, "name");
  const version = field(fields, "version");
  if (name && version) assertDistFilename(filename, assertProjectName(name), assertVersion(version));
  const declared = sha256Field(fields);
  const existing = await findFileByName(scope, opened.repo.id, filename);
  if (existing) {
    if (declared && existing.digest === `sha256:${declared}`) return { filename, duplicate: true };
    if (declared) throw fileExists(filename);
  }
  const md5 = md5Tap();
  const blob = await ingestBlob(scope, opened.repo, body.pipeThrough(md5.transform), {
    expectedDigest: declared ? `sha256:${declared}` : undefined,
    maxBytes: MAX_DIST_BYTES,
    mediaType: "application/octet-stream",
    contentType: "application/octet-stream",
  });
  ingested.push(blob.digest);
  if (existing) {
    if (existing.digest === blob.digest) return { filename, duplicate: true };
    throw fileExists(filename);
  }
  return { filename, blob, md5: await md5.hex(), duplicate: false };
}

/** Reads the multipart body: fields into a map, the `content` part into R2. */
async function readUpload(scope: Scope, opened: OpenedRepo, request: Request, ingested: string[]) {
  if (!request.body) throw invalid("Multipart", "the upload has no body");
  const length = Number(request.headers.get("content-length") ?? NaN);
  const reader = new MultipartReader(request.body, boundaryOf(request.headers.get("content-type")), Number.isFinite(length) ? length : null);
  const fields: Fields = new Map();
  let total = 0;
  let file: Received | undefined;
  for (let part = await reader.next(); part; part = await reader.next()) {
    if (part.filename === undefined) {
      const value = await reader.text(MAX_FIELD);
      total += value.length;
      if (total > MAX_FIELDS_TOTAL) throw new RegistryError("PayloadTooLargeFields", "the upload's metadata fields are too large");
      fields.set(part.name, [...(fields.get(part.name) ?? []), value]);
    } else if (part.name === "content") {
      if (file) throw invalid("Multipart", "an upload carries exactly one file");
      const filename = part.filename.split(/[\\/]/).pop() ?? "";
      file = await receiveFile(scope, opened, filename, reader.body(), fields, ingested);
    }
    // Other file parts (gpg_signature, attestations) are skipped: next() discards them.
  }
  return { fields, file };
}

/** The stored upload, read back through its repo link: ranged reads or the whole stream. */
function storedFile(scope: Scope, repoId: string, blob: IngestedBlob): StoredFile {
  const open = async (range?: R2Range) => {
    const r = await readBlob(scope, repoId, blob.digest, range);
    if (!r) throw new RegistryError("InternalUploadVanished", "the uploaded file can no longer be read");
    return r.object;
  };
  return {
    size: blob.size,
    read: async (offset, length) => (length === 0 ? new Uint8Array(0) : new Uint8Array(await (await open({ offset, length })).arrayBuffer())),
    stream: async () => (await open()).body,
  };
}

export type UploadResult = "created" | "duplicate";

export async function uploadDistribution(scope: Scope, opened: OpenedRepo, request: Request): Promise<UploadResult> {
  const ingested: string[] = [];
  try {
    return await upload(scope, opened, request, ingested);
  } catch (e) {
    await releaseUnusedBlobs(scope, opened.repo, ingested);
    throw e;
  }
}

async function upload(scope: Scope, opened: OpenedRepo, request: Request, ingested: string[]): Promise<UploadResult> {
  const { fields, file } = await readUpload(scope, opened, request, ingested);
  const action = field(fields, ":action");
  if (action !== "file_upload") throw invalid("Action", `unsupported :action '${action ?? ""}' (only file_upload)`);
  if (!file) throw invalid("Multipart", "the upload has no file in a 'content' part");
  const name = assertProjectName(field(fields, "name") ?? "");
  const version = assertVersion(field(fields, "version") ?? "");
  const kind = assertDistFilename(file.filename, name, version);
  const filetype = field(fields, "filetype");
  if (filetype && filetype !== kind) throw invalid("Filetype", `filetype '${filetype}' does not match ${file.filename}`);
  if (file.duplicate) return "duplicate";
  const blob = file.blob!;
  const sha256 = sha256Field(fields);
  const md5 = field(fields, "md5_digest")?.toLowerCase();
  if ((sha256 && `sha256:${sha256}` !== blob.digest) || (md5 && md5 !== file.md5)) {
    const what = sha256 && `sha256:${sha256}` !== blob.digest ? "sha256_digest" : "md5_digest";
    throw new RegistryError("InvalidDigestMismatch", `the file does not match its declared ${what}`);
  }

  const metadata = await inspectDistribution(kind, storedFile(scope, opened.repo.id, blob), { filename: file.filename, project: name, version });
  let core: FileInput | null = null;
  if (metadata) {
    const stored = await ingestBlob(scope, opened.repo, new Blob([metadata]).stream(), { length: metadata.length, mediaType: "text/plain" });
    ingested.push(stored.digest);
    core = { name: `${file.filename}.metadata`, digest: stored.digest, size: stored.size, mediaType: "text/plain; charset=utf-8", metadata: { role: CORE_METADATA_ROLE, of: file.filename } };
  }
  const requiresPython = field(fields, "requires_python") ?? null;
  const versionMetadata: Record<string, unknown> = {};
  for (const k of VERSION_FIELDS) if (field(fields, k)) versionMetadata[k] = field(fields, k);
  for (const k of LIST_FIELDS) if (fields.get(k)?.length) versionMetadata[k] = fields.get(k);
  const dist: FileInput = {
    name: file.filename,
    digest: blob.digest,
    size: blob.size,
    mediaType: "application/octet-stream",
    metadata: {
      filetype: kind,
      pyversion: field(fields, "pyversion") ?? null,
      requires_python: requiresPython,
      md5: file.md5,
      blake2_256: field(fields, "blake2_256_digest") ?? null,
      core_metadata_sha256: core ? core.digest.slice("sha256:".length) : null,
    },
  };
  try {
    await publishVersion(scope, opened, {
      name: normalizeName(name),
      displayName: name,
      version,
      versionMetadata,
      packageMetadata: { ...(field(fields, "summary") ? { summary: field(fields, "summary") } : {}), ...(keywordList(field(fields, "keywords")) ? { keywords: keywordList(field(fields, "keywords")) } : {}) },
      files: core ? [dist, core] : [dist],
      appendToExisting: true,
      license: licenseOfUpload({ licenseExpression: field(fields, "license_expression"), license: fields.get("license")?.[0], classifiers: fields.get("classifiers") }),
    });
  } catch (e) {
    if (isRegistryError(e) && e.code === "ConflictFileExists") throw fileExists(file.filename);
    throw e;
  }
  return "created";
}
