/**
 * A project's proxy cache (reference 004 §2.11, Quay's organization proxy cache): the
 * project fronts one container registry, and pulling `<project>/<ns>/<image>` creates,
 * on first use, the upstream repo `<ns>` of `<registry>/<ns>`.
 *
 *   pull of /v2/<project>/<ns>/<image>/…, no repo <ns>, the project has a proxy cache,
 *   the caller may read the project
 *     → create repo <ns>: docker, upstream, upstream_url <registry>/<ns>, metadata TTL
 *       expiration_s, the cache's credentials (audited and `repo.created`, the caller
 *       named as actor), then the pull goes on through it
 *
 * Invariants:
 * - Only container registries (docker repos); an existing repo is never changed.
 * - The password is write-only, as an upstream repo's secret (stored with the cache
 *   configuration, copied into each repo it creates).
 * - Creating a repo for a reader is done with the service's rights, recorded as the
 *   reader's action; two concurrent first pulls create it once (the slug is unique).
 * - The upstream URL obeys the outbound address rules when saved and when fetched.
 */
import type { Scope } from "../scope";
import { auditQuery, emitEvent } from "../events/audit";
import { createRepo, getProject, type OpenedRepo } from "../projects";
import * as q from "../../db/proxy";
import { findProjectBySlug } from "../../db/projects";
import { runBatch } from "../../db/client";
import { Access } from "../../auth/access";
import { INSTANCE_ADMIN, describe } from "../../auth/principal";
import { config } from "../../config";
import { checkOutboundUrl } from "../../core/net";
import { RegistryError, conflict, invalid, isRegistryError, notFound } from "../../core/errors";
import { assertSlug } from "../../core/names";
import { UpstreamClient } from "./upstream-client";

export type { ProxyCacheRow } from "../../db/proxy";

export interface ProxyCacheInput {
  upstreamRegistry: string;
  username?: string | null;
  password?: string | null;
  expirationSeconds?: number;
  insecure?: boolean;
}

async function adminProject(scope: Scope, projectId: string) {
  const project = await getProject(scope, projectId);
  await scope.access.require("admin", { projectId: project.id });
  return project;
}

function checkRegistry(scope: Scope, input: ProxyCacheInput): string {
  let url: URL;
  try {
    url = checkOutboundUrl(input.upstreamRegistry, "RepoUpstream", { allowPrivate: config(scope.env).allowPrivateUpstreams, setting: "ORBITALREG_ALLOW_PRIVATE_UPSTREAMS" });
  } catch (e) {
    throw invalid("ProxyCache", isRegistryError(e) ? e.message : "upstream_registry is not a URL");
  }
  if (url.protocol === "http:" && !input.insecure) throw invalid("ProxyCache", "upstream_registry uses http: set insecure to allow it");
  if (url.pathname !== "/" || url.search) throw invalid("ProxyCache", "upstream_registry is a registry's address, without a path (https://registry-1.docker.io)");
  if (input.expirationSeconds !== undefined && (input.expirationSeconds < 60 || input.expirationSeconds > 30 * 86400)) {
    throw invalid("ProxyCache", "expiration_s must be between 60 seconds and 30 days");
  }
  return url.origin;
}

const view = (row: q.ProxyCacheRow) => ({ upstream_registry: row.upstreamRegistry, upstream_registry_username: row.username, expiration_s: row.expirationSeconds, insecure: row.insecure });
const noSecret = (row: q.ProxyCacheRow) => ({ ...row, secret: row.secret === null ? null : "(set)" });

export async function getProxyCache(scope: Scope, projectId: string) {
  await adminProject(scope, projectId);
  const row = await q.findProxyCache(scope.db, projectId);
  if (!row) throw notFound("ProxyCache", "the project has no proxy cache configuration");
  return row;
}

export async function createProxyCache(scope: Scope, projectId: string, input: ProxyCacheInput) {
  const project = await adminProject(scope, projectId);
  const origin = checkRegistry(scope, input);
  if (await q.findProxyCache(scope.db, projectId)) throw conflict("ProxyCacheExists", "the project already has a proxy cache configuration");
  const now = Date.now();
  const row: q.ProxyCacheRow = {
    projectId: project.id,
    upstreamRegistry: origin,
    username: input.username ?? null,
    secret: input.password ?? null,
    expirationSeconds: input.expirationSeconds ?? 86400,
    insecure: input.insecure ?? false,
    createdAt: now,
    updatedAt: now,
  };
  await runBatch(scope.db, [q.insertProxyCache(scope.db, row), auditQuery(scope, { action: "proxy_cache.create", resourceType: "proxy_cache", resourceId: project.id, projectId: project.id, after: noSecret(row) }, now)]);
  await emitEvent(scope, { type: "proxy_cache.changed", project_id: project.id, data: { change: "created", proxy_cache: view(row) } });
  return row;
}

export async function deleteProxyCache(scope: Scope, projectId: string) {
  const row = await getProxyCache(scope, projectId);
  await runBatch(scope.db, [q.deleteProxyCache(scope.db, projectId), auditQuery(scope, { action: "proxy_cache.delete", resourceType: "proxy_cache", resourceId: projectId, projectId, before: noSecret(row) })]);
  await emitEvent(scope, { type: "proxy_cache.changed", project_id: projectId, data: { change: "deleted", proxy_cache: view(row) } });
}

/** Asks the registry for `/v2/` with the given credentials: reachable, and the credentials (if any) accepted. */
export async function validateProxyCache(scope: Scope, projectId: string, input: ProxyCacheInput): Promise<void> {
  const project = await adminProject(scope, projectId);
  const origin = checkRegistry(scope, input);
  const probe: OpenedRepo = {
    project,
    repo: {
      id: `validate-${project.id}`,
      projectId: project.id,
      slug: "validate",
      format: "docker",
      kind: "upstream",
      visibility: "private",
      state: "normal",
      description: "",
      labels: {},
      allowedPatterns: [],
      blockedPatterns: [],
      immutableTags: [],
      upstreamUrl: origin,
      virtualMembers: [],
      config: { upstream_auth: input.username ? "basic" : "none", upstream_username: input.username ?? null },
      sigstorePull: null,
      createdAt: 0,
      updatedAt: 0,
    },
  };
  const client = new UpstreamClient(scope, probe, { challengeFirst: true, secret: input.password ?? null });
  const { response } = await client.fetch(`${origin}/v2/`);
  await response.body?.cancel();
  const ok = response.status === 200 || (response.status === 401 && !input.username);
  if (!ok) throw invalid("ProxyCache", `the registry answered HTTP ${response.status} to /v2/${input.username ? " with these credentials" : ""}`);
}

/**
 * The repo a pull of `<project>/<ns>/…` needs, created when the project is a proxy cache
 * and the caller may read the project. True when the repo exists now (made here or by a
 * concurrent pull), false when this is no proxy-cache pull.
 */
export async function repoForProxyCache(scope: Scope, projectSlug: string, ns: string): Promise<boolean> {
  const project = await findProjectBySlug(scope.db, projectSlug);
  const cache = project && (await q.findProxyCache(scope.db, project.id));
  if (!project || !cache) return false;
  if (scope.access.principal.type === "anonymous" || !(await scope.access.can("read", { projectId: project.id }))) return false;
  try {
    assertSlug("Repo", ns);
  } catch {
    return false;
  }
  const elevated: Scope = { ...scope, access: new Access(scope.db, INSTANCE_ADMIN), actor: describe(scope.access.principal) };
  try {
    await createRepo(
      elevated,
      {
        projectId: project.id,
        slug: ns,
        format: "docker",
        kind: "upstream",
        upstreamUrl: `${cache.upstreamRegistry}/${ns}`,
        description: `Created by the project's proxy cache of ${cache.upstreamRegistry}`,
        config: { metadata_ttl_seconds: cache.expirationSeconds, ...(cache.username ? { upstream_auth: "basic" as const, upstream_username: cache.username } : {}) },
        upstreamSecret: cache.username && cache.secret ? cache.secret : undefined,
      },
      { proxyable: true },
    );
  } catch (e) {
    if (!(e instanceof RegistryError && e.code === "ConflictRepoSlugInUse")) throw e;
  }
  return true;
}
