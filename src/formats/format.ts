/**
 * What a format contributes to the registry, in one descriptor: the repo formats it
 * serves, where its protocol is mounted, its routes, how its errors look on the wire,
 * how its package names are keyed, and how its clients are set up.
 *
 * Invariant: everything the rest of the registry knows about a format comes from its
 * descriptor in formats/index.ts (`FORMATS`): the repo formats the API accepts, the
 * error renderer chosen by path prefix, package-name keys, client set-up and
 * /api/public-config. Adding a format is one folder and one entry there.
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../http/types";
import type { ErrorRenderer } from "../http/errors";
import type { SetupContext, SetupSection } from "../core/client-setup";
import type { PlannedRead } from "../services/artifacts";
import type { OpenedRepo } from "../services/projects";
import type { MirrorSupport, VirtualSupport } from "../services/proxy";

export interface Format {
  /** The protocol's name, e.g. `npm`, `oci`. */
  id: string;
  /** Repo formats whose repos this protocol serves (OCI serves `docker` and `helm`). */
  repoFormats: readonly string[];
  /** Mount point of the protocol (`/npm`, `/v2`). */
  prefix: string;
  /**
   * The protocol's routes, relative to the prefix. For repo-addressed formats
   * (`repoAddressed`, the default) they see `/:project/:repo/…` and the repo gate
   * (http/repo-gate.ts) has put the request's `target` on the context.
   */
  routes: Hono<AppEnv>;
  /**
   * Routes under the prefix that name no repo, mounted before the repo gate: their first
   * segment is `-`, which is never a project slug (MCP's catalog of catalogs, `/mcp/-/v0/servers`).
   */
  unscopedRoutes?: Hono<AppEnv>;
  /** False for protocols with their own path grammar (OCI's multi-segment image names). */
  repoAddressed?: boolean;
  /**
   * The one read a request's handler will make, from its URL alone (repo-addressed: the
   * raw path after `<project>/<repo>/`), so the gate's batch can make it too
   * (http/prefetch.ts). Null when the route makes no such read.
   */
  planRead?: (rest: string, method: string) => PlannedRead | null;
  /** For protocols with their own path grammar: the repo a path names, and its planned read. */
  planRequest?: (path: string, method: string, query: URLSearchParams) => { project: string; repo: string; read: PlannedRead | null } | null;
  /** Renders any error under the prefix in the protocol's own wire format. */
  renderError: ErrorRenderer;
  /** The lookup key of a package name (PEP 503 for PyPI); the name itself by default. */
  packageKey?: (name: string) => string;
  /**
   * What a stored artifact is for policies (blocks, quarantine, licences): a package
   * version (`packages`, the default: the shared package model) or an image manifest
   * (`images`: OCI; blocks name manifest digests, tags resolve to them).
   */
  artifacts?: "packages" | "images";
  /**
   * How a security block names versions in this format's own grammar: an exact version
   * or a range (npm/Cargo semver ranges, PEP 440 specifiers, Maven ranges `[1.0,2.0)`,
   * Go semver with its `v`). Returns the predicate, or throws `InvalidBlockVersions`.
   * Default: the exact version string.
   */
  versionMatcher?: (spec: string) => (version: string) => boolean;
  /**
   * Whether its packages declare a licence (npm `license`, PyPI License-Expression, …),
   * so licence policies judge them; false for formats that have no such field (Go
   * modules, generic files). Default true.
   */
  declaresLicenses?: boolean;
  /** Example package/image name used in client set-up when none is given, per repo format. */
  exampleArtifact: string | ((repoFormat: string) => string);
  /** The files and commands that configure this format's clients for one repo. */
  clientSetup: (c: SetupContext) => SetupSection[];
  /** Upstream (pull-through) and virtual repos of this format; a format without it refuses both kinds. */
  upstream?: UpstreamSupport;
}

/**
 * How a format fronts an upstream registry (its `formats/<fmt>/upstream.ts`): how to
 * fetch and rewrite its metadata, how to verify its artifacts against the upstream's
 * digests, and how to merge member answers for a virtual repo. The proxy domain
 * (services/proxy) does the format-neutral part: caching, TTLs, stale answers, locks.
 */
export interface UpstreamSupport {
  /**
   * Answers a read (GET/HEAD) of an upstream repo from its cache or its upstream, or
   * returns null to let the format's own routes serve it (a cached artifact: the one
   * read path, with every policy a local file gets).
   */
  serve?: (c: Context<AppEnv>, opened: OpenedRepo) => Promise<Response | null>;
  /** Virtual repos: which reads merge member answers, and how. */
  virtual?: VirtualSupport;
  /** Mirroring: listing an upstream package's versions and caching one. */
  mirror?: MirrorSupport;
}
