/**
 * The format registry: every protocol the registry speaks, one descriptor each
 * (format.ts). Everything that varies by format is derived from this one list: the repo
 * formats a repo may be created with, which protocol (and error renderer) serves a
 * path, package-name keys, client set-up and the formats /api/public-config announces.
 *
 * Invariants:
 * - A repo format belongs to exactly one protocol (checked here at start-up).
 * - Repo-addressed protocols are mounted behind the repo gate (http/repo-gate.ts), so
 *   their routes never parse `/<project>/<repo>` themselves.
 *
 * Adding a format = one folder under formats/ exporting a `Format`, and one entry below.
 */
import { Hono } from "hono";
import type { AppEnv } from "../http/types";
import type { ErrorRenderer } from "../http/errors";
import { repoGate, safeDecode } from "../http/repo-gate";
import type { RequestPlan } from "../http/prefetch";
import type { PlannedRead } from "../services/artifacts";
import { setupContext, type ClientSetup, type SetupInput } from "../core/client-setup";
import { registerFormatRules } from "../services/policy";
import type { Format } from "./format";
import { proxyGate } from "./proxy-gate";
import { injectedOf, memberFailure } from "./virtual-dispatch";
import { registerMirrorSupport } from "../services/proxy";
import { ociFormat } from "./oci";
import { npmFormat } from "./npm";
import { pypiFormat } from "./pypi";
import { mavenFormat } from "./maven";
import { cargoFormat } from "./cargo";
import { goFormat } from "./go";
import { genericFormat } from "./generic";
import { debFormat } from "./deb";
import { rpmFormat } from "./rpm";
import { helmClassicFormat } from "./helm-classic";
import { mcpFormat } from "./mcp";

export type { Format } from "./format";

export const FORMATS: readonly Format[] = [ociFormat, npmFormat, pypiFormat, mavenFormat, cargoFormat, goFormat, genericFormat, debFormat, rpmFormat, helmClassicFormat, mcpFormat];

/** The first segment of a format's unscoped routes (format.ts `unscopedRoutes`): never a project slug. */
const UNSCOPED = "-";

/** Every repo format, in registry order (what a repo may be created with). */
export const REPO_FORMATS = FORMATS.flatMap((f) => f.repoFormats) as [string, ...string[]];

const byRepoFormat = new Map<string, Format>();
const exactly = (spec: string) => (version: string) => version === spec;
for (const f of FORMATS) {
  for (const rf of f.repoFormats) {
    if (byRepoFormat.has(rf)) throw new Error(`repo format ${rf} is claimed by ${byRepoFormat.get(rf)!.id} and ${f.id}`);
    byRepoFormat.set(rf, f);
    // The policy domain (blocks, quarantine, licences) learns each format's grammar here.
    registerFormatRules(rf, { artifacts: f.artifacts ?? "packages", packageKey: f.packageKey ?? ((n) => n), versionMatcher: f.versionMatcher ?? exactly, licenses: f.declaresLicenses ?? true });
    // The proxy domain's mirror jobs (queues) learn each format's upstream here.
    if (f.upstream?.mirror) registerMirrorSupport(rf, f.upstream.mirror);
  }
}

export function formatOfRepo(repoFormat: string): Format {
  const f = byRepoFormat.get(repoFormat);
  if (!f) throw new Error(`no format serves repo format ${repoFormat}`);
  return f;
}

/** The lookup key of a package name in a repo of this format (idempotent). */
export const packageKeyOf = (repoFormat: string, name: string) => (formatOfRepo(repoFormat).packageKey ?? ((n: string) => n))(name);

/** The error renderer of the protocol mounted at `path`, if any. */
export function rendererForPath(path: string): ErrorRenderer | undefined {
  return FORMATS.find((f) => path === f.prefix || path.startsWith(`${f.prefix}/`))?.renderError;
}

/**
 * What a protocol request will read, from its raw path (http/prefetch.ts): the repo its
 * path names and its format's planned read. Null outside the protocols and for paths
 * that name no repo (`/v2/`, `/v2/token`).
 */
export function planRequest(rawPath: string, method: string, query: URLSearchParams = new URLSearchParams()): RequestPlan | null {
  const f = FORMATS.find((x) => rawPath.startsWith(`${x.prefix}/`));
  if (!f) return null;
  const path = rawPath.slice(f.prefix.length);
  if (f.repoAddressed === false) {
    try {
      return f.planRequest?.(path, method, query) ?? null;
    } catch {
      return null; // a path the handler will refuse: nothing to read ahead
    }
  }
  const [project = "", repo = "", ...rest] = path.slice(1).split("/");
  if (!project || !repo || project === UNSCOPED) return null;
  // Parsed only when the gate's batch will run (a warm request never asks: http/prefetch.ts).
  return { project: safeDecode(project), repo: safeDecode(repo), get read() { return planned(() => f.planRead?.(rest.join("/"), method)); } };
}

/** A format's planned read; none when its grammar refuses the path (the handler will answer that). */
function planned(plan: () => PlannedRead | null | undefined): PlannedRead | null {
  try {
    return plan() ?? null;
  } catch {
    return null;
  }
}

/**
 * Each protocol's sub-app at its prefix. Repo-addressed ones sit behind the repo gate
 * and the proxy gate (upstream and virtual repos: proxy-gate.ts); a virtual repo's
 * members are asked through `member`, the same routes with the target injected instead
 * of parsed (virtual-dispatch.ts).
 */
export function mountFormats(app: Hono<AppEnv>): void {
  for (const f of FORMATS) {
    if (f.repoAddressed === false) {
      app.route(f.prefix, f.routes);
      continue;
    }
    if (f.unscopedRoutes) app.route(f.prefix, f.unscopedRoutes);
    const member = new Hono<AppEnv>();
    const memberRoutes = new Hono<AppEnv>();
    memberRoutes.use("*", async function injectMember(c, next) {
      const vars = injectedOf(c.req.raw);
      if (!vars) throw new Error("a member request without its target");
      c.set("scope", vars.scope);
      c.set("target", vars.target);
      await next();
    });
    memberRoutes.use("/:project/:repo/*", proxyGate(f, member));
    memberRoutes.route("/", f.routes);
    member.route(f.prefix, memberRoutes);
    member.onError(memberFailure);

    const mounted = new Hono<AppEnv>();
    const gate = repoGate(f.prefix, f.repoFormats);
    const proxy = proxyGate(f, member);
    mounted.use("/:project/:repo", gate, proxy);
    mounted.use("/:project/:repo/*", gate, proxy);
    mounted.route("/", f.routes);
    app.route(f.prefix, mounted);
  }
}

/** The set-up sections for a repo, built by its format. */
export function clientSetupFor(input: SetupInput): ClientSetup {
  const f = formatOfRepo(input.format);
  const base = input.baseUrl.replace(/\/$/, "");
  const url = f.repoAddressed === false ? `${new URL(base).host}/${input.project}/${input.repo}` : `${base}${f.prefix}/${input.project}/${input.repo}/`;
  const example = typeof f.exampleArtifact === "function" ? f.exampleArtifact(input.format) : f.exampleArtifact;
  const c = setupContext(input, url, example);
  return { format: input.format, registry_url: url, anonymous_read: c.anonymousRead, sections: f.clientSetup(c) };
}
