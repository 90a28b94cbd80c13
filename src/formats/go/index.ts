/**
 * GOPROXY protocol at `/go/<project>/<repo>/` (GOPROXY=<base>/go/<project>/<repo>):
 * `<module>/@v/list`, `@v/<version>.info|.mod|.zip`, `<module>/@latest`, with
 * case-escaped module paths and versions; uploads are `PUT …/@v/<version>.zip` and
 * (optionally) `PUT …/@v/<version>.mod`.
 * Invariants: anything unknown answers 404 in plain text (the go command then tries
 * the next path or proxy); 401 carries a Basic challenge (the go command only sends
 * credentials over https).
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../http/types";
import { sendFile } from "../../http/download";
import * as go from "./proxy";
import { goVersionMatcher, parseProxyPath } from "./module";
import { invalid, notFound } from "../../core/errors";
import type { Action } from "../../auth/principal";
import { renderPlainError } from "../../http/errors";
import type { Format } from "../format";
import { goClientSetup } from "./client-setup";
import { goMirror, serveGoUpstream, goVirtual } from "./upstream";

async function target(c: Context<AppEnv>, action: Action) {
  const opened = await c.var.target.open(action); // credentials before the path is judged
  const raw = c.var.target.rest.split("/");
  let rest: string;
  try {
    // the go command percent-encodes the `!` of case-escaped paths
    rest = raw.map(decodeURIComponent).join("/");
  } catch {
    throw notFound("ModulePath", "malformed percent-encoding");
  }
  const request = parseProxyPath(rest);
  if (!request) throw notFound("ModulePath", `not a module proxy path: ${rest}`);
  return { opened, request };
}

export const goApp = new Hono<AppEnv>();

goApp.get("/:project/:repo/*", async (c) => {
  const scope = c.get("scope");
  const { opened, request: r } = await target(c, "read");
  switch (r.kind) {
    case "list":
      return c.text((await go.listVersions(scope, opened, r.module)).join("\n") + "\n");
    case "latest":
      return c.json(await go.latestInfo(scope, opened, r.module));
    case "info":
      return c.json(await go.versionInfo(scope, opened, r.module, r.version));
    case "mod":
    case "zip": {
      const file = await go.moduleFile(scope, opened, r.module, r.version, r.kind);
      // The .mod is resolution metadata (fetched for every version in the build list): only the zip is a download.
      return sendFile(c, opened.repo, file, { contentType: r.kind === "zip" ? "application/zip" : "text/plain; charset=utf-8", record: r.kind === "zip" });
    }
  }
});

goApp.put("/:project/:repo/*", async (c) => {
  const { opened, request: r } = await target(c, "write");
  if (r.kind !== "zip" && r.kind !== "mod") throw invalid("ModuleUpload", "upload to <module>/@v/<version>.zip (and optionally .mod)");
  const length = c.req.header("content-length");
  const body = c.req.raw.body ?? new ReadableStream<Uint8Array>({ start: (ctl) => ctl.close() });
  const upload = r.kind === "zip" ? go.uploadZip : go.uploadMod;
  const { created } = await upload(c.get("scope"), opened, r.module, r.version, body, length === undefined ? null : Number(length));
  return c.json({ module: r.module, version: r.version, file: r.kind }, created ? 201 : 200);
});

export const goFormat: Format = {
  id: "go",
  repoFormats: ["go"],
  prefix: "/go",
  routes: goApp,
  planRead(rest, method) {
    if (method !== "GET" && method !== "HEAD") return null;
    const r = parseProxyPath(rest.split("/").map(decodeURIComponent).join("/"));
    return r ? go.plannedRead(r) : null;
  },
  renderError: renderPlainError,
  versionMatcher: goVersionMatcher,
  declaresLicenses: false,
  exampleArtifact: "example.com/my/module",
  clientSetup: goClientSetup,
  upstream: { serve: serveGoUpstream, mirror: goMirror, virtual: goVirtual },
};
