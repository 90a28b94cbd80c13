/**
 * Generic files: `/generic/<project>/<repo>/<path…>` — PUT, GET (Range), HEAD, DELETE.
 * Invariants: the path is validated from the raw URL (formats/generic/file-path.ts) before any
 * byte is stored; uploads stream into R2 (no buffering); every download carries its
 * checksums (`X-Checksum-Sha256`, `-Sha1`, `-Md5`) and a Content-Type.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../http/types";
import { getFile, plannedFileRead, putFile, removeFile } from "./files";
import { sendFile } from "../../http/download";
import { parseFilePath } from "./file-path";
import { invalid } from "../../core/errors";
import type { Action } from "../../auth/principal";
import { renderPlainError } from "../../http/errors";
import type { Format } from "../format";
import { genericClientSetup } from "./client-setup";
import { genericMirror, serveGenericUpstream, genericVirtual } from "./upstream";

const HEX = { sha256: /^[a-f0-9]{64}$/i, sha1: /^[a-f0-9]{40}$/i, md5: /^[a-f0-9]{32}$/i };
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/;

async function target(c: Context<AppEnv>, action: Action) {
  // Credentials first: a caller who may not touch the repo learns nothing from path rules.
  const opened = await c.var.target.open(action);
  return { opened, path: parseFilePath(c.var.target.rest) };
}

function checksumHeader(c: Context<AppEnv>, name: keyof typeof HEX): string | undefined {
  const value = c.req.header(`x-checksum-${name}`)?.trim();
  if (value === undefined || value === "") return undefined;
  if (!HEX[name].test(value)) throw invalid("Checksum", `X-Checksum-${name} must be ${HEX[name].source.match(/\d+/)![0]} hex digits`);
  return value.toLowerCase();
}

export const genericApp = new Hono<AppEnv>();

genericApp.put("/:project/:repo/*", async (c) => {
  const { opened, path } = await target(c, "write");
  const length = c.req.header("content-length");
  const contentType = c.req.header("content-type");
  const sha1 = checksumHeader(c, "sha1");
  const md5 = checksumHeader(c, "md5");
  const { file, created } = await putFile(c.get("scope"), opened, {
    path,
    body: c.req.raw.body ?? new ReadableStream({ start: (ctl) => ctl.close() }),
    length: length === undefined ? (c.req.raw.body ? null : 0) : Number(length),
    mediaType: contentType && MEDIA_TYPE.test(contentType) && !contentType.startsWith("application/x-www-form-urlencoded") ? contentType : null,
    sha256: checksumHeader(c, "sha256"),
    checksums: { ...(sha1 ? { sha1 } : {}), ...(md5 ? { md5 } : {}) },
  });
  return c.json(describe(file), created ? 201 : 200);
});

genericApp.get("/:project/:repo/*", async (c) => {
  const { opened, path } = await target(c, "read");
  const stored = await getFile(c.get("scope"), opened, path);
  const { file } = stored;
  const m = file.metadata as Record<string, string | undefined>;
  const headers: Record<string, string> = { "X-Checksum-Sha256": file.digest.slice("sha256:".length) };
  if (m.sha1) headers["X-Checksum-Sha1"] = m.sha1;
  if (m.md5) headers["X-Checksum-Md5"] = m.md5;
  return sendFile(c, opened.repo, stored, { headers, mutable: true });
});

genericApp.delete("/:project/:repo/*", async (c) => {
  const { opened, path } = await target(c, "delete");
  await removeFile(c.get("scope"), opened, path);
  return c.body(null, 204);
});

function describe(file: { name: string; digest: string; size: number; mediaType: string | null; metadata: Record<string, unknown> }) {
  return {
    path: file.name,
    size: file.size,
    digest: file.digest,
    sha256: file.digest.slice("sha256:".length),
    sha1: file.metadata.sha1 ?? null,
    md5: file.metadata.md5 ?? null,
    media_type: file.mediaType ?? "application/octet-stream",
  };
}

export const genericFormat: Format = {
  id: "generic",
  repoFormats: ["generic"],
  prefix: "/generic",
  routes: genericApp,
  planRead: (rest, method) => (method === "GET" || method === "HEAD" ? plannedFileRead(parseFilePath(rest)) : null),
  renderError: renderPlainError,
  declaresLicenses: false,
  exampleArtifact: "my-tool",
  clientSetup: genericClientSetup,
  upstream: { serve: serveGenericUpstream, mirror: genericMirror, virtual: genericVirtual },
};
