/**
 * The OCI Distribution v1.1 mount (`/v2`). Image names span several path segments,
 * so one catch-all route parses the path (services/oci/names.ts `parseOciPath`) and
 * dispatches on (resource, method) to the handler tables of the resource files.
 * Invariant: every response under /v2 carries `Docker-Distribution-API-Version`.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../http/types";
import type { Format } from "../format";
import { ociClientSetup } from "./client-setup";
import type { Ctx } from "./http";
import { API_VERSION_HEADER, renderOciError } from "./errors";
import { base, catalogRoute, token } from "./base";
import { blob } from "./blobs";
import { upload, uploads } from "./uploads";
import { manifest } from "./manifests";
import { tags } from "./tags";
import { referrersRoute } from "./referrers";
import { OCI_FORMATS, parseName, parseOciPath, plannedBlob, plannedManifest, plannedTags, type OciRoute } from "../../services/oci";
import { RegistryError } from "../../core/errors";
import { ociMirror, ociUpstream } from "./upstream";
import { ociVirtual } from "./virtual";

type Handler = (c: Ctx, r: never) => Promise<Response>;
const HANDLERS: Record<OciRoute["kind"], Partial<Record<string, Handler>>> = {
  base,
  catalog: catalogRoute,
  token,
  tags,
  manifest,
  blob,
  uploads,
  upload,
  referrers: referrersRoute,
};

const app = new Hono<AppEnv>();
app.all("*", async (c) => {
  const route = parseOciPath(c.req.path.replace(/^\/v2/, ""));
  if (!route) throw new RegistryError("NotFoundOciRoute", `no OCI route for ${c.req.path}`);
  const handler = HANDLERS[route.kind][c.req.method];
  if (!handler) {
    throw new RegistryError("MethodNotAllowedOci", `${c.req.method} is not supported on ${c.req.path}`, {
      headers: { Allow: Object.keys(HANDLERS[route.kind]).join(", ") },
    });
  }
  // Upstream repos answer from their upstream or let the local handler serve what they
  // cached; virtual repos run that for each member in turn.
  const run = async (r: OciRoute) => {
    const upstream = await ociUpstream(c, r);
    const res = upstream && "response" in upstream ? upstream.response : await HANDLERS[r.kind][c.req.method]!(c, r as never);
    if (upstream && "headers" in upstream) for (const [k, v] of Object.entries(upstream.headers)) res.headers.set(k, v);
    return res;
  };
  const res = (await ociVirtual(c, route, run)) ?? (await run(route));
  for (const [k, v] of Object.entries(API_VERSION_HEADER)) res.headers.set(k, v);
  return res;
});

/** The repo an OCI path names and the one read a pull makes, for the gate's batch (http/prefetch.ts). */
function planRequest(path: string, method: string, query: URLSearchParams) {
  const route = parseOciPath(path);
  if (!route || !("name" in route)) return null;
  const name = parseName(route.name);
  const reads = method === "GET" || method === "HEAD";
  const read = !reads
    ? null
    : route.kind === "blob"
      ? plannedBlob(route.digest)
      : route.kind === "manifest"
        ? plannedManifest(name.image, route.reference, method === "GET")
        : route.kind === "tags"
          ? plannedTags(name.image, query.get("n") ?? undefined, query.get("last") ?? undefined)
          : null;
  return { project: name.project, repo: name.repo, read };
}

export const ociFormat: Format = {
  id: "oci",
  repoFormats: OCI_FORMATS,
  prefix: "/v2",
  routes: app,
  repoAddressed: false,
  planRequest,
  renderError: renderOciError,
  artifacts: "images",
  exampleArtifact: (repoFormat) => (repoFormat === "helm" ? "my-chart" : "my-image"),
  clientSetup: ociClientSetup,
  upstream: { mirror: ociMirror },
};
