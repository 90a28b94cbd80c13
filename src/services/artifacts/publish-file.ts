/**
 * One uploaded package file in, one published version out: the flow of formats whose
 * upload is a single self-describing file (a .deb, an .rpm, a chart .tgz). The bytes
 * stream into the blob store first; the format then reads what it needs from the stored
 * object through ranged reads (never the whole file into memory) and says what to
 * publish.
 *
 * Invariant: when describing or publishing fails (a file that isn't what it claims, a
 * version that exists with other bytes, a quota refusal), the blob is released from the
 * repo unless another file of the repo uses it: nothing is left half-written.
 */
import type { Scope } from "../scope";
import type { OpenedRepo } from "../projects/repos";
import { ingestBlob, readBlob, type IngestOptions, type IngestedBlob } from "./blobs";
import { publishVersion, releaseUnusedBlobs, type PublishInput, type PublishedVersion } from "./packages";
import { notFound } from "../../core/errors";

/** Random access to bytes: a stored blob through ranged reads, or an array. */
export interface RangeReader {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Ranged reads of a blob the repo may read; reads past the end come back short. */
export function blobReader(scope: Scope, repoId: string, blob: { digest: string; size: number }): RangeReader {
  return {
    size: blob.size,
    read: async (offset, length) => {
      const clamped = Math.max(0, Math.min(length, blob.size - offset));
      if (clamped === 0) return new Uint8Array(0);
      const r = await readBlob(scope, repoId, blob.digest, { offset, length: clamped });
      if (!r) throw notFound("Blob", `the content ${blob.digest} is missing`);
      return new Uint8Array(await r.object.arrayBuffer());
    },
  };
}

export interface PublishedFile {
  blob: IngestedBlob;
  published: PublishedVersion;
}

export async function publishUploadedFile(
  scope: Scope,
  opened: OpenedRepo,
  body: ReadableStream<Uint8Array>,
  opts: IngestOptions,
  describe: (reader: RangeReader, blob: IngestedBlob) => Promise<PublishInput>,
): Promise<PublishedFile> {
  const blob = await ingestBlob(scope, opened.repo.id, body, opts);
  try {
    const input = await describe(blobReader(scope, opened.repo.id, blob), blob);
    return { blob, published: await publishVersion(scope, opened, input) };
  } catch (e) {
    await releaseUnusedBlobs(scope, opened.repo.id, [blob.digest]);
    throw e;
  }
}
