/** Readiness probe of the blob store: a HEAD of a key that need not exist proves R2 answers. */
export async function probeBlobStore(bucket: R2Bucket): Promise<void> {
  await bucket.head("health/probe");
}
