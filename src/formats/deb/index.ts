/**
 * Debian (apt) repositories at `/deb/<project>/<repo>/…`:
 *   PUT|POST upload (or PUT <any>.deb)   a .deb, `?distribution=&component=` (or
 *                                         X-Deb-Distribution / X-Deb-Component headers)
 *   GET dists/<dist>/{InRelease,Release,Release.gpg}
 *   GET dists/<dist>/<comp>/binary-<arch>/{Packages,Packages.gz,by-hash/SHA256/<hex>}
 *   GET pool/…                           the packages (Range, ETag)
 *   GET key.asc | key.gpg                the repo's public signing key (apt's signed-by=)
 *   DELETE pool/….deb                    removes the file (delete permission)
 * Invariants: 401 carries `WWW-Authenticate: Basic` (apt answers it from auth.conf);
 * uploads stream into the blob store and are parsed by ranged reads; generated
 * documents come from the repo's current index (repository.ts).
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../http/types";
import { immutableCacheControl, sendBytes, sendFile } from "../../http/download";
import { renderPlainError } from "../../http/errors";
import { decodedRest } from "../../http/repo-gate";
import { streamedUpload } from "../../http/body";
import { notFound } from "../../core/errors";
import { publicKeyBinary } from "../../services/trust";
import type { Format } from "../format";
import { debClientSetup } from "./client-setup";
import * as deb from "./repository";


async function upload(c: Context<AppEnv>) {
  const opened = await c.var.target.open("write");
  const rest = decodedRest(c.var.target);
  if (rest !== "upload" && rest !== "" && !rest.endsWith(".deb")) throw notFound("Route", `PUT ${rest}: upload to …/upload or a path ending in .deb`);
  const q = (name: string, header: string) => c.req.query(name) ?? c.req.header(header);
  const result = await deb.uploadDeb(c.var.scope, opened, {
    ...streamedUpload(c.req.raw),
    distribution: deb.assertDistName("distribution", q("distribution", "x-deb-distribution") ?? deb.DEFAULT_DISTRIBUTION),
    component: deb.assertDistName("component", q("component", "x-deb-component") ?? deb.DEFAULT_COMPONENT),
  });
  return c.json(
    {
      package: result.name,
      version: result.version,
      architecture: result.architecture,
      distribution: result.distribution,
      component: result.component,
      filename: result.filename,
      size: result.size,
      sha256: result.digest.slice("sha256:".length),
    },
    result.created ? 201 : 200,
  );
}

export const debApp = new Hono<AppEnv>();

debApp.put("/:project/:repo/*", upload);
debApp.post("/:project/:repo/*", upload);

debApp.get("/:project/:repo/*", async (c) => {
  const opened = await c.var.target.open("read");
  const scope = c.var.scope;
  const path = decodedRest(c.var.target);
  if (path.startsWith("dists/")) {
    const doc = await deb.distsFile(scope, opened, path);
    const immutable = path.includes("/by-hash/");
    return sendBytes(c, doc, { contentType: doc.contentType, headers: { "Cache-Control": immutable ? immutableCacheControl(opened.repo) : "no-cache" } });
  }
  if (path.startsWith("pool/")) return sendFile(c, opened.repo, await deb.poolFile(scope, opened, path), { contentType: deb.DEB_MEDIA_TYPE });
  if (path === "key.asc" || path === "key.gpg") {
    const key = await deb.publicKey(scope, opened);
    if (path === "key.asc") return c.body(key.publicKeyArmored, 200, { "Content-Type": "application/pgp-keys", "Cache-Control": "no-cache" });
    return c.body(await publicKeyBinary(key), 200, { "Content-Type": "application/pgp-keys", "Cache-Control": "no-cache" });
  }
  throw notFound("File", `${path} not found`);
});

debApp.delete("/:project/:repo/*", async (c) => {
  const opened = await c.var.target.open("delete");
  const path = decodedRest(c.var.target);
  if (!path.startsWith("pool/")) throw notFound("File", `${path} not found`);
  await deb.deletePoolFile(c.var.scope, opened, path);
  return c.body(null, 204);
});

export const debFormat: Format = {
  id: "deb",
  repoFormats: ["deb"],
  prefix: "/deb",
  routes: debApp,
  planRead: (rest, method) => (method === "GET" || method === "HEAD" ? deb.plannedRead(decodeURIComponent(rest)) : null),
  renderError: renderPlainError,
  // Licences are not read from the package header yet (deb: debian/copyright, rpm: License tag),
  // so licence policies skip these; blocks name exact versions (no dpkg/rpm range grammar yet).
  declaresLicenses: false,
  exampleArtifact: "hello",
  clientSetup: debClientSetup,
};
