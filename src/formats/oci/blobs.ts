/**
 * `/v2/<name>/blobs/<digest>`: HEAD, GET (streamed from R2, with Range and
 * If-None-Match) and DELETE.
 * Invariant: every blob response carries Content-Type, Docker-Content-Digest and ETag
 * (wrangler dev gzips responses that lack a Content-Type, which ruins pull speed).
 */
import type { Ctx } from "./http";
import { empty } from "./http";
import type { OciRoute } from "../../services/oci";
import { RegistryError } from "../../core/errors";
import { openImage, deleteBlob, getBlob, headBlob } from "../../services/oci";

type BlobRoute = Extract<OciRoute, { kind: "blob" }>;
const OCTET = "application/octet-stream";

const blobHeaders = (digest: string, size: number) => ({
  "Content-Type": OCTET,
  "Content-Length": String(size),
  "Docker-Content-Digest": digest,
  ETag: `"${digest}"`,
  "Accept-Ranges": "bytes",
  "Cache-Control": "max-age=31536000",
});

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` against a blob of `size` bytes. */
function byteRange(header: string, size: number): { offset: number; length: number } | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const bad = () =>
    new RegistryError("RangeNotSatisfiableBlob", `range ${header} is not satisfiable for ${size} bytes`, {
      protocolCode: "UNSUPPORTED",
      headers: { "Content-Range": `bytes */${size}` },
    });
  if (!m || (m[1] === "" && m[2] === "")) return null; // unsupported forms (multi-range) get the whole blob
  if (m[1] === "") {
    const n = Math.min(Number(m[2]), size);
    if (n === 0) throw bad();
    return { offset: size - n, length: n };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) throw bad();
  return { offset: start, length: end - start + 1 };
}

export const blob = {
  HEAD: async (c: Ctx, r: BlobRoute) => {
    const img = await openImage(c.var.scope, r.name, "read");
    const b = await headBlob(c.var.scope, img, r.digest);
    return new Response(null, { status: 200, headers: blobHeaders(b.digest, b.size) });
  },
  GET: async (c: Ctx, r: BlobRoute) => {
    const img = await openImage(c.var.scope, r.name, "read");
    const rangeHeader = c.req.header("range");
    if (c.req.header("if-none-match") === `"${r.digest}"`) {
      const b = await headBlob(c.var.scope, img, r.digest);
      return new Response(null, { status: 304, headers: { ETag: `"${b.digest}"`, "Docker-Content-Digest": b.digest } });
    }
    if (rangeHeader) {
      const b = await headBlob(c.var.scope, img, r.digest);
      const range = byteRange(rangeHeader, b.size);
      if (range) {
        const { object } = await getBlob(c.var.scope, img, r.digest, range);
        const headers = { ...blobHeaders(b.digest, range.length), "Content-Range": `bytes ${range.offset}-${range.offset + range.length - 1}/${b.size}` };
        return new Response(object.body, { status: 206, headers });
      }
    }
    const { blob: b, object } = await getBlob(c.var.scope, img, r.digest);
    return new Response(object.body, { status: 200, headers: blobHeaders(b.digest, b.size) });
  },
  DELETE: async (c: Ctx, r: BlobRoute) => {
    const img = await openImage(c.var.scope, r.name, "delete");
    await deleteBlob(c.var.scope, img, r.digest);
    return empty(202, {});
  },
};
