/**
 * The two public shapes of one catalog: the MCP registry's v0 `ServerResponse` and
 * ToolHive's registry server (reference 003), both projected from the same entries
 * (catalog.ts) and the same resolved references (linkage.ts).
 *
 * Invariants:
 * - `server` is the server.json as published; what OrbitalReg adds or checked sits
 *   beside it: the registry's own block under `_meta["io.modelcontextprotocol.registry/official"]`
 *   (exactly its four fields, the OpenAPI forbids others) and ours under
 *   `_meta["dev.orbitalreg/catalog"]` (reverse-DNS key, the registry's extension rule).
 * - Provenance is never invented (provenance.ts): when a sigstore trust policy covers the
 *   referenced image, `provenance` is what OrbitalReg's verification found (`verified`,
 *   or `unverified` with the reason; a disagreeing claim is flagged `mismatch`); with no
 *   policy it is the publisher's `_meta` claim, labelled `publisher-claimed`.
 * - A version a policy refuses (`entry.policy`: blocked by a security block or a licence
 *   policy, or held in quarantine for the readers who may see it) is never `verified`,
 *   carries the refusal under `policy`, and shows as deprecated in both shapes (the only
 *   "do not use" either vocabulary has) with the refusal as its message, as npm's
 *   packument shows a blocked version.
 * - An image shown to ToolHive is the pinned digest (`<name>:<tag>@<digest>`): clients
 *   run what the catalog vouched for, even if the tag moved since.
 */
import type { Entry } from "./catalog";
import type { Reference } from "./linkage";
import type { ServerJson, ServerPackage } from "./server-json";
import { keywordList } from "../../core/keywords";
import { provenanceHolds, provenanceView } from "./provenance";

export const OFFICIAL = "io.modelcontextprotocol.registry/official";
export const PUBLISHER = "io.modelcontextprotocol.registry/publisher-provided";
export const OURS = "dev.orbitalreg/catalog";

const iso = (ms: number) => new Date(ms).toISOString();

type Obj = Record<string, unknown>;
const publisherProvidedOf = (server: ServerJson): Obj => {
  const p = server._meta?.[PUBLISHER];
  return p && typeof p === "object" && !Array.isArray(p) ? (p as Obj) : {};
};
const publisherProvided = (e: Entry): Obj => publisherProvidedOf(e.server);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** What `/api/v1/search` indexes of a server besides its name and description: its tools and tags (the package's `keywords`). */
export const searchKeywords = (server: ServerJson) => keywordList(publisherProvidedOf(server).tools, publisherProvidedOf(server).tags);

/** Verified: no policy refuses the version, every package reference resolves to an artifact of this registry that is there, and its provenance holds (provenance.ts: not unverified, no mismatch). */
export const verified = (e: Entry, refs: Reference[]) =>
  !e.policy && refs.length > 0 && refs.every((r) => r.local && r.state === "ok") && provenanceHolds(provenanceView(publisherProvided(e).provenance, refs));

/** The registry's status as a reader should act on it: a refused active version reads as deprecated. */
const statusOf = (e: Entry) => (e.policy && e.status === "active" ? "deprecated" : e.status);

function ours(e: Entry, refs: Reference[]): Obj {
  const provenance = provenanceView(publisherProvided(e).provenance, refs);
  const message = e.statusMessage ?? e.policy?.message;
  return {
    ...(message ? { statusMessage: message } : {}),
    ...(e.policy ? { policy: e.policy } : {}),
    verified: verified(e, refs),
    references: refs,
    ...(provenance ? { provenance } : {}),
  };
}

/** The registry's `ServerResponse`. */
export function v0Server(e: Entry, refs: Reference[]) {
  return {
    server: e.server,
    _meta: {
      [OFFICIAL]: { status: statusOf(e), publishedAt: iso(e.publishedAt), updatedAt: iso(e.updatedAt), isLatest: e.isLatest },
      [OURS]: ours(e, refs),
    },
  };
}

/** The transport a server is started with: its first package's, else its first remote's. */
export function transportOf(e: Entry): string | null {
  return e.server.packages?.[0]?.transport.type ?? e.server.remotes?.[0]?.type ?? null;
}

function argsOf(pkg: ServerPackage | undefined): string[] {
  return (pkg?.packageArguments ?? []).flatMap((a) => {
    const value = a.value ?? a.default;
    if (a.type === "named") return value === undefined ? [a.name] : [`${a.name}=${value}`];
    return value === undefined ? [] : [value];
  });
}

function targetPort(e: Entry): number | undefined {
  const url = e.server.packages?.find((p) => p.transport.type !== "stdio")?.transport as { url?: string } | undefined;
  const port = url?.url && URL.canParse(url.url) ? new URL(url.url).port : "";
  return port ? Number(port) : undefined;
}

/** ToolHive's server (reference 003): `image`, `transport`, `tools`, `env_vars`, `metadata`, … */
export function toolhiveServer(e: Entry, refs: Reference[]) {
  const pp = publisherProvided(e);
  const ociIndex = e.server.packages?.findIndex((p) => p.registryType === "oci") ?? -1;
  const pkg = ociIndex >= 0 ? e.server.packages![ociIndex] : e.server.packages?.[0];
  const ociRef = ociIndex >= 0 ? refs[ociIndex] : undefined;
  const image = ociRef ? (ociRef.digest ? `${ociRef.identifier.replace(/@sha256:[a-f0-9]{64}$/, "")}@${ociRef.digest}` : ociRef.identifier) : undefined;
  // ToolHive's field: what verification found; the claim only where no policy applies.
  const view = provenanceView(pp.provenance, refs);
  const provenance = view?.source === "verified" ? view.verified : view?.source === "publisher-claimed" ? view.claimed : undefined;
  const port = targetPort(e);
  return {
    name: e.server.name,
    description: e.server.description,
    ...(e.server.title ? { title: e.server.title } : {}),
    status: statusOf(e) === "deprecated" ? "Deprecated" : "Active",
    ...(image ? { image } : {}),
    ...(e.server.remotes?.[0] && !pkg ? { url: e.server.remotes[0].url } : {}),
    transport: transportOf(e) ?? "stdio",
    ...(port ? { target_port: port } : {}),
    tools: strings(pp.tools),
    env_vars: (pkg?.environmentVariables ?? []).map((v) => ({
      name: v.name,
      description: v.description ?? "",
      required: v.isRequired ?? false,
      secret: v.isSecret ?? false,
      ...(v.default !== undefined ? { default: v.default } : {}),
    })),
    args: argsOf(pkg),
    ...(pp.permissions && typeof pp.permissions === "object" ? { permissions: pp.permissions } : {}),
    metadata: { pulls: refs.reduce((n, r) => n + (r.pulls ?? 0), 0), stars: 0, last_updated: iso(e.updatedAt) },
    ...(e.server.repository ? { repository_url: e.server.repository.url } : {}),
    tags: strings(pp.tags),
    ...(ociRef?.digest ? { docker_tags: [ociRef.identifier.match(/:([A-Za-z0-9_][A-Za-z0-9._-]*)(?:@|$)/)?.[1]].filter(Boolean) } : {}),
    ...(provenance ? { provenance } : {}),
    [OURS]: { version: e.version, ...ours(e, refs) },
  };
}

/** What `search` matches: name, title, description, tools and tags, case-insensitively. */
export function matches(e: Entry, search: string): boolean {
  const pp = publisherProvided(e);
  const hay = [e.server.name, e.server.title ?? "", e.server.description, ...strings(pp.tools), ...strings(pp.tags)].join("\n").toLowerCase();
  return hay.includes(search.toLowerCase());
}
