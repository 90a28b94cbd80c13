/**
 * The npm registry protocol at `/npm/<project>/<repo>/…`: a thin router over the npm
 * use-cases (publish.ts, document.ts) and the packument builders (packument.ts).
 *
 * Invariants:
 * - Routing works on the raw path (routes.ts), so `@scope%2fname` and `@scope/name`
 *   reach the same package.
 * - Reads need `read` (anonymous on public repos), publishing, deprecating and
 *   dist-tags need `write`, unpublishing needs `delete` (services/projects/repos.ts openRepo).
 * - Errors are npm's `{"error": "…"}`; a 401 carries a Bearer challenge; a 451 (a
 *   policy refuses the download) also carries the why-blocked envelope's fields.
 * - Policies (services/policy): a held version is absent from the packument for
 *   ordinary readers (dist-tags on it move to the highest visible version, or go) and
 *   its tarball answers 451; a blocked version stays listed with the refusal as its
 *   `deprecated` message (npm's resolver then prefers any other version satisfying the
 *   range, warns when it can't, and the tarball answers 451 with the message), so an
 *   install never takes a blocked version without telling the user. `?write=true` (the
 *   document npm edits for deprecate and unpublish) is the stored state, for writers.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../http/types";
import type { ErrorRenderer } from "../../http/errors";
import { whyBlocked, withHeaders } from "../../http/errors";
import { readJsonCapped } from "../../http/body";
import { sendFile } from "../../http/download";
import type { OpenedRepo } from "../../services/projects";
import { enforceStoredFile, plannedPackageDocument, plannedStoredFile, readBlob, searchPackages, storedFile, type PlannedRead } from "../../services/artifacts";
import { parseSearchText } from "./search-text";
import { enforceVersion, versionsView } from "../../services/policy";
import { enforceSignaturesAtPull, packageSubject } from "../../services/trust";
import { RegistryError, invalid, notFound } from "../../core/errors";
import { semverMatcher } from "../../core/semver";
import type { Action } from "../../auth/principal";
import { parseNpmPath, tarballName, versionOfTarball, type NpmRoute } from "./routes";
import { ABBREVIATED, abbreviatedPackument, fullPackument, packageMeta, servedManifest, withPolicies } from "./packument";
import { hasAttachments, provenanceFileName, publishPackument, type Packument } from "./publish";
import * as doc from "./document";
import type { Format } from "../format";
import { npmClientSetup } from "./client-setup";
import { npmMirror, npmVirtual, serveNpmUpstream } from "./upstream";

/** Largest publish body: the packument is JSON with the tarball inlined as base64. */
export const MAX_PUBLISH_BYTES = 128 * 1024 * 1024;

export const renderNpmError: ErrorRenderer = (err, c) => {
  const res = c.json({ error: err.message, code: err.code, ...whyBlocked(err) }, err.status as 400);
  return withHeaders(res, err, err.status === 401 ? { "WWW-Authenticate": 'Bearer realm="OrbitalReg"' } : {});
};

type Ctx = Context<AppEnv>;
interface Req {
  c: Ctx;
  route: NpmRoute;
  registryUrl: string;
  open: (action: Action) => Promise<OpenedRepo>;
}

export const npmApp = new Hono<AppEnv>();
npmApp.all("/:project/:repo/*", handle);
npmApp.all("/:project/:repo", handle);

async function handle(c: Ctx) {
  const target = c.var.target;
  const route = parseNpmPath(target.rest);
  const r: Req = { c, route, registryUrl: target.url, open: target.open };
  const method = c.req.method === "HEAD" ? "GET" : c.req.method;
  const handler = HANDLERS[`${method} ${route.kind}`];
  if (!handler) {
    if (route.kind === "unknown") throw notFound("Route", "Not found");
    const allowed = Object.keys(HANDLERS).filter((k) => k.endsWith(` ${route.kind}`)).map((k) => k.split(" ")[0]!);
    if (allowed.includes("GET")) allowed.push("HEAD");
    throw new RegistryError("MethodNotAllowed", `${c.req.method} is not supported here`, { headers: { Allow: allowed.sort().join(", ") } });
  }
  return handler(r);
}

const HANDLERS: Record<string, (r: Req) => Promise<Response>> = {
  "GET ping": async ({ c, open }) => {
    await open("read");
    return c.json({}, 200);
  },
  "GET whoami": async ({ c, open }) => {
    await open("read");
    const p = c.var.scope.access.principal;
    if (p.type === "anonymous") throw new RegistryError("UnauthorizedCredentialsRequired", "this command requires you to be logged in");
    return c.json({ username: p.name }, 200);
  },
  "GET search": search,
  "GET packument": getPackument,
  "GET version": getVersion,
  "GET tarball": getTarball,
  "GET attestations": getAttestations,
  "GET distTags": async ({ c, route, open }) => {
    const opened = await open("read");
    return c.json(await doc.getDistTags(c.var.scope, opened, nameOf(route)), 200);
  },
  "PUT distTag": async ({ c, route, open }) => {
    const opened = await open("write");
    const r = route as Extract<NpmRoute, { kind: "distTag" }>;
    await doc.putDistTag(c.var.scope, opened, r.name, r.tag, await readJsonCapped(c.req.raw, 64 * 1024));
    return c.json({ ok: true }, 201);
  },
  "DELETE distTag": async ({ c, route, open }) => {
    const opened = await open("write");
    const r = route as Extract<NpmRoute, { kind: "distTag" }>;
    await doc.deleteDistTag(c.var.scope, opened, r.name, r.tag);
    return c.json({ ok: true }, 200);
  },
  "PUT packument": async ({ c, route, open }) => {
    const opened = await open("write");
    const r = route as Extract<NpmRoute, { kind: "packument" }>;
    const body = (await readJsonCapped(c.req.raw, MAX_PUBLISH_BYTES)) as Packument;
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new RegistryError("InvalidPackument", "the body must be a JSON packument");
    if (r.rev === undefined && hasAttachments(body)) {
      await publishPackument(c.var.scope, opened, r.name, body);
      return c.json({ ok: true, id: r.name }, 201);
    }
    await doc.updateDocument(c.var.scope, opened, r.name, body, r.rev);
    return c.json({ ok: true, id: r.name }, 200);
  },
  "DELETE packument": async ({ c, route, open }) => {
    const opened = await open("delete");
    const r = route as Extract<NpmRoute, { kind: "packument" }>;
    await doc.unpublishPackage(c.var.scope, opened, r.name, r.rev);
    return c.json({ ok: true }, 200);
  },
  "DELETE tarball": async ({ c, route, open }) => {
    const opened = await open("delete");
    const r = route as Extract<NpmRoute, { kind: "tarball" }>;
    const version = versionOfTarball(r.name, r.file);
    if (version) await doc.unpublishTarball(c.var.scope, opened, r.name, version, r.rev);
    return c.json({ ok: true }, 200);
  },
};

const nameOf = (route: NpmRoute) => (route as { name: string }).name;

async function getPackument({ c, route, registryUrl, open }: Req) {
  const write = c.req.query("write") === "true";
  const opened = await open(write ? "write" : "read");
  // A writer's read (npm publish, deprecate) sees D1 as it is; readers may be served the 2 s copy.
  const loaded = await doc.loadPackage(c.var.scope, opened, nameOf(route), { cached: !write });
  const { pkg, versions } = write ? loaded : await readerView(c, opened, loaded);
  const accept = c.req.header("accept") ?? "";
  const abbreviated = accept.includes(ABBREVIATED) && !write;
  if (abbreviated) {
    return new Response(JSON.stringify(abbreviatedPackument(registryUrl, pkg, versions)), {
      headers: { "Content-Type": `${ABBREVIATED}; charset=utf-8`, Vary: "Accept" },
    });
  }
  return c.json(fullPackument(registryUrl, pkg, versions), 200, { Vary: "Accept" });
}

async function getVersion({ c, route, registryUrl, open }: Req) {
  const opened = await open("read");
  const r = route as Extract<NpmRoute, { kind: "version" }>;
  const loaded = await doc.loadPackage(c.var.scope, opened, r.name, { cached: true });
  const { pkg, versions } = await readerView(c, opened, loaded);
  const wanted = packageMeta(pkg)["dist-tags"]?.[r.spec] ?? r.spec;
  const found = versions.find((v) => v.version.version === wanted);
  if (!found) {
    // Held from this reader: say so (451 quarantined until …) rather than "not found".
    const held = loaded.versions.find((v) => v.version.version === wanted);
    if (held) await enforceVersion(c.var.scope, opened, loaded.pkg.displayName, held.version, null);
    throw notFound("Version", `${r.name}@${r.spec} not found`);
  }
  return c.json(servedManifest(registryUrl, pkg, found.version), 200);
}

/** The package as this reader may see it: held versions gone, refused ones deprecated with the refusal. */
async function readerView(c: Ctx, opened: OpenedRepo, loaded: Awaited<ReturnType<typeof doc.loadPackage>>) {
  const view = await versionsView(c.var.scope, opened, loaded.pkg.displayName, loaded.versions, (v) => v.version);
  return withPolicies(loaded.pkg, view.visible, (v) => view.refusal(v)?.message ?? null);
}

async function getTarball({ c, route, open }: Req) {
  const opened = await open("read");
  const r = route as Extract<NpmRoute, { kind: "tarball" }>;
  const version = versionOfTarball(r.name, r.file);
  const missing = () => notFound("Tarball", `${r.name}/-/${r.file} not found`);
  if (!version) throw missing();
  const file = await storedFile(c.var.scope, opened.repo.id, tarballLookup(r.name, version));
  if (!file) throw missing();
  await enforceStoredFile(c.var.scope, opened, file);
  // In a repo a sigstore policy may select, the version's provenance is judged before any byte (edge-cached or not) is sent.
  if (opened.repo.sigstorePull) {
    const subject = await packageSubject(c.var.scope, opened, null, { name: r.name, version, digest: file.file.digest });
    await enforceSignaturesAtPull(c.var.scope, subject, { package: file.packageDisplayName, version, digest: file.file.digest });
  }
  return sendFile(c, opened.repo, file, { contentType: "application/octet-stream" });
}

/** npm's attestations endpoint: the provenance bundle kept at publish, behind the same download check as the tarball. */
async function getAttestations({ c, route, open }: Req) {
  const opened = await open("read");
  const r = route as Extract<NpmRoute, { kind: "attestations" }>;
  const missing = () => notFound("Version", `no attestations for ${r.name}@${r.version}`);
  const file = await storedFile(c.var.scope, opened.repo.id, { packageName: r.name, version: r.version, name: provenanceFileName(r.name, r.version) });
  if (!file) throw missing();
  await enforceStoredFile(c.var.scope, opened, file);
  const blob = await readBlob(c.var.scope, opened.repo.id, file.file.digest);
  if (!blob) throw missing();
  const bundle = JSON.parse(await new Response(blob.object.body as ReadableStream).text()) as unknown;
  const predicateType = typeof file.file.metadata.predicateType === "string" ? file.file.metadata.predicateType : "https://slsa.dev/provenance/v1";
  return c.json({ attestations: [{ predicateType, bundle }] }, 200);
}

/** A tarball: its package and version, and its file name (unscoped, so it alone is ambiguous in a repo). */
const tarballLookup = (name: string, version: string) => ({ packageName: name, version, name: tarballName(name, version) });

/** The one read of each npm read route, for the gate's batch (http/prefetch.ts). */
function planRead(rest: string, method: string): PlannedRead | null {
  if (method !== "GET" && method !== "HEAD") return null;
  const route = parseNpmPath(rest);
  if (route.kind === "packument" || route.kind === "version") return plannedPackageDocument(route.name);
  if (route.kind === "tarball") {
    const version = versionOfTarball(route.name, route.file);
    return version ? plannedStoredFile(tarballLookup(route.name, version)) : null;
  }
  return null;
}

async function search({ c, open }: Req) {
  const opened = await open("read");
  const size = Math.min(Math.max(Number(c.req.query("size") ?? 20) || 20, 1), 250);
  const from = Math.min(Math.max(Number(c.req.query("from") ?? 0) || 0, 0), 500);
  const found = await searchPackages(c.var.scope, opened.repo.id, parseSearchText(c.req.query("text") ?? ""), Math.min(from + size, 500));
  const objects = found.slice(from, from + size).map((pkg) => {
    const meta = packageMeta(pkg);
    return {
      package: {
        name: pkg.displayName,
        scope: pkg.displayName.startsWith("@") ? pkg.displayName.slice(1, pkg.displayName.indexOf("/")) : "unscoped",
        version: meta["dist-tags"]?.latest ?? "",
        description: meta.description ?? "",
        keywords: meta.keywords ?? [],
        date: new Date(pkg.updatedAt).toISOString(),
        links: {},
        publisher: { username: "" },
        maintainers: [],
      },
      score: { final: 1, detail: { quality: 1, popularity: 1, maintenance: 1 } },
      searchScore: 1,
    };
  });
  return c.json({ objects, total: found.length, time: new Date().toISOString() }, 200);
}

const throwInvalidSpec = (spec: string): never => {
  throw invalid("BlockVersions", `'${spec}' is not an npm version or range`);
};

export const npmFormat: Format = {
  id: "npm",
  repoFormats: ["npm"],
  prefix: "/npm",
  routes: npmApp,
  planRead,
  renderError: renderNpmError,
  versionMatcher: (spec) => semverMatcher(spec) ?? throwInvalidSpec(spec),
  exampleArtifact: "my-package",
  clientSetup: npmClientSetup,
  upstream: { serve: serveNpmUpstream, mirror: npmMirror, virtual: npmVirtual },
};
