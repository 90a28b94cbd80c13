/**
 * Maven 2 repository at `/maven/<project>/<repo>/<path…>`: GET/HEAD and PUT of
 * artifacts, POMs and checksums; maven-metadata.xml maintained by the server.
 * Invariants: 401 carries `WWW-Authenticate: Basic` (Maven sends credentials only after
 * a challenge); every file and every maven-metadata.xml answers all four checksums;
 * responses to generated documents are computed per request (no stale metadata).
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../http/types";
import { sendFile } from "../../http/download";
import * as maven from "./repository";
import { mavenVersionMatcher, parseMavenPath } from "./paths";
import { readCapped } from "../../http/body";
import type { Action } from "../../auth/principal";
import { renderPlainError } from "../../http/errors";
import type { Format } from "../format";
import { mavenClientSetup } from "./client-setup";
import { mavenMirror, serveMavenUpstream, mavenVirtual } from "./upstream";

async function target(c: Context<AppEnv>, action: Action) {
  const opened = await c.var.target.open(action);
  return { opened, path: parseMavenPath(c.var.target.rest) };
}

const readText = async (c: Context<AppEnv>, max: number) => new TextDecoder().decode(await readCapped(c.req.raw, max));

export const mavenApp = new Hono<AppEnv>();

mavenApp.get("/:project/:repo/*", async (c) => {
  const scope = c.get("scope");
  const { opened, path: p } = await target(c, "read");
  if (p.kind === "metadata") {
    const xml = await maven.metadataXml(scope, opened, p);
    if (p.checksum) return c.text(await maven.digestText(xml, p.checksum), 200, { "Cache-Control": "no-cache" });
    return c.body(xml, 200, { "Content-Type": "application/xml", "Cache-Control": "no-cache" });
  }
  const stored = await maven.downloadFile(scope, opened, p);
  const { file } = stored;
  if (p.checksum) return c.text(maven.checksumOf(file, p.checksum));
  return sendFile(c, opened.repo, stored, { headers: { "X-Checksum-Sha1": maven.checksumOf(file, "sha1"), "X-Checksum-Sha256": maven.checksumOf(file, "sha256") } });
});

mavenApp.put("/:project/:repo/*", async (c) => {
  const scope = c.get("scope");
  const { opened, path: p } = await target(c, "write");
  if (p.kind === "metadata") {
    // The server maintains metadata itself: the client's merged copy is read and dropped.
    await readText(c, p.checksum ? maven.MAX_CHECKSUM_BODY : maven.MAX_METADATA_BODY);
    return c.body(null, 201);
  }
  if (p.checksum) {
    await maven.verifyChecksum(scope, opened, p, p.checksum, await readText(c, maven.MAX_CHECKSUM_BODY));
    return c.body(null, 201);
  }
  const length = c.req.header("content-length");
  const body = c.req.raw.body ?? new ReadableStream<Uint8Array>({ start: (ctl) => ctl.close() });
  const { created } = await maven.putFile(scope, opened, p, body, length === undefined ? null : Number(length));
  return c.body(null, created ? 201 : 200);
});

export const mavenFormat: Format = {
  id: "maven",
  repoFormats: ["maven"],
  prefix: "/maven",
  routes: mavenApp,
  planRead: (rest, method) => (method === "GET" || method === "HEAD" ? maven.plannedRead(parseMavenPath(rest)) : null),
  renderError: renderPlainError,
  versionMatcher: mavenVersionMatcher,
  exampleArtifact: "com.example:my-lib",
  clientSetup: mavenClientSetup,
  upstream: { serve: serveMavenUpstream, mirror: mavenMirror, virtual: mavenVirtual },
};
