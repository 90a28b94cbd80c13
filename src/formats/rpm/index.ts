/**
 * RPM (dnf/yum) repositories at `/rpm/<project>/<repo>/…`:
 *   PUT|POST upload (or PUT <any>.rpm)        an .rpm; its location comes from its header
 *   GET repodata/repomd.xml[.asc]              the index and its detached signature
 *   GET repodata/<sha256>-<type>.xml.gz        primary, filelists, other
 *   GET repodata/repomd.xml.key | key.asc      the repo's public signing key (gpgkey=)
 *   GET Packages/…                             the packages (Range, ETag)
 *   DELETE Packages/….rpm                      removes the file (delete permission)
 * Invariants: 401 carries `WWW-Authenticate: Basic` (dnf's username/password);
 * uploads stream into the blob store and the header is read by ranged reads.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../http/types";
import { immutableCacheControl, sendBytes, sendFile } from "../../http/download";
import { renderPlainError } from "../../http/errors";
import { decodedRest } from "../../http/repo-gate";
import { streamedUpload } from "../../http/body";
import { notFound } from "../../core/errors";
import type { Format } from "../format";
import { rpmClientSetup } from "./client-setup";
import * as rpm from "./repository";


async function upload(c: Context<AppEnv>) {
  const opened = await c.var.target.open("write");
  const rest = decodedRest(c.var.target);
  if (rest !== "upload" && rest !== "" && !rest.endsWith(".rpm")) throw notFound("Route", `PUT ${rest}: upload to …/upload or a path ending in .rpm`);
  const result = await rpm.uploadRpm(c.var.scope, opened, {
    ...streamedUpload(c.req.raw),
  });
  return c.json(
    { name: result.name, version: result.version, arch: result.arch, location: result.location, size: result.size, sha256: result.digest.slice("sha256:".length) },
    result.created ? 201 : 200,
  );
}

export const rpmApp = new Hono<AppEnv>();

rpmApp.put("/:project/:repo/*", upload);
rpmApp.post("/:project/:repo/*", upload);

rpmApp.get("/:project/:repo/*", async (c) => {
  const opened = await c.var.target.open("read");
  const scope = c.var.scope;
  const path = decodedRest(c.var.target);
  if (path === "repodata/repomd.xml.key" || path === "key.asc") {
    const key = await rpm.publicKey(scope, opened);
    return c.body(key.publicKeyArmored, 200, { "Content-Type": "application/pgp-keys", "Cache-Control": "no-cache" });
  }
  if (path.startsWith("repodata/")) {
    const doc = await rpm.repodataFile(scope, opened, path);
    const hashed = !path.startsWith("repodata/repomd.xml");
    return sendBytes(c, doc, { contentType: doc.contentType, headers: { "Cache-Control": hashed ? immutableCacheControl(opened.repo) : "no-cache" } });
  }
  if (path.startsWith("Packages/")) return sendFile(c, opened.repo, await rpm.packageFile(scope, opened, path), { contentType: rpm.RPM_MEDIA_TYPE });
  throw notFound("File", `${path} not found`);
});

rpmApp.delete("/:project/:repo/*", async (c) => {
  const opened = await c.var.target.open("delete");
  const path = decodedRest(c.var.target);
  if (!path.startsWith("Packages/")) throw notFound("File", `${path} not found`);
  await rpm.deletePackageFile(c.var.scope, opened, path);
  return c.body(null, 204);
});

export const rpmFormat: Format = {
  id: "rpm",
  repoFormats: ["rpm"],
  prefix: "/rpm",
  routes: rpmApp,
  planRead: (rest, method) => (method === "GET" || method === "HEAD" ? rpm.plannedRead(decodeURIComponent(rest)) : null),
  renderError: renderPlainError,
  // Licences are not read from the package header yet (deb: debian/copyright, rpm: License tag),
  // so licence policies skip these; blocks name exact versions (no dpkg/rpm range grammar yet).
  declaresLicenses: false,
  exampleArtifact: "hello",
  clientSetup: rpmClientSetup,
};
