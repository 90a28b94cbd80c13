/**
 * The edge cache (the Cache API's `caches.default`, one per Cloudflare data centre) for
 * content-addressed bytes: a warm download is served without an R2 operation.
 *
 * Invariants:
 * - Keys name a digest only (`<origin>/.orbitalreg/edge-cache/v1/blobs/<digest>`): the
 *   bytes of a digest never change, so an entry is never stale and never purged, and one
 *   entry serves every repo that links the digest. The path is under no route of the
 *   app, so no client request reaches an entry: only the Worker reads it, and only after
 *   the caller's right to read a repo that links the digest was checked
 *   (http/download.ts), so private bytes are never served from here to anyone who may
 *   not read them.
 * - An entry is written only from a whole object read from R2, with its exact length, and
 *   only up to `maxBytes` (the branch of the stream the cache reads is buffered by the
 *   runtime while a slow client reads the other, so big objects stay in R2).
 * - Stored entries carry `Cache-Control: public, immutable`, for the cache only: what a
 *   client receives gets its own headers from the download path.
 * - The Cache API is a no-op on `*.workers.dev` hostnames (Cloudflare's rule): there every
 *   download reads R2.
 */
const PATH = "/.orbitalreg/edge-cache/v1/blobs/";

const keyOf = (origin: string, digest: string) => `${origin}${PATH}${digest}`;

/** The cached bytes of `digest` (or a range of them), or null on a miss. */
export async function matchBytes(origin: string, digest: string, range?: { offset: number; length: number }): Promise<ReadableStream | null> {
  const headers: HeadersInit = range ? { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {};
  const hit = await caches.default.match(new Request(keyOf(origin, digest), { headers }));
  if (!hit?.body) return null;
  if (range && hit.status !== 206) {
    // A cache that ignored the range: don't serve the whole body for a part.
    await hit.body.cancel();
    return null;
  }
  return hit.body;
}

/** Stores the whole content of `digest` (exactly `size` bytes). */
export async function storeBytes(origin: string, digest: string, size: number, body: ReadableStream): Promise<void> {
  await caches.default.put(
    keyOf(origin, digest),
    new Response(body, {
      headers: {
        "Content-Type": "application/octet-stream",
        "Content-Length": String(size),
        ETag: `"${digest}"`,
        "Cache-Control": "public, max-age=31536000, immutable",
      },
    }),
  );
}
