/**
 * A virtual repo's requests, answered by its members through the format's own routes.
 *
 *   write (not GET/HEAD) → the deploy member (a local member), or 403 ForbiddenRepoVirtualNoDeploy
 *   read of a path the format merges (a packument, a simple page, maven-metadata.xml)
 *                        → every eligible member asked; the answers merged by the format
 *   any other read       → eligible members in order; the first that has it answers
 *
 * How a member is asked: the same request is run through the format's routes again (the
 * `member` app mountFormats builds, upstream handling included) with a target whose
 * `open` opens the member with the caller's rights and whose `url` is still the virtual
 * repo's, so every URL a member's answer contains (tarballs, files) points back at the
 * virtual repo, where the client's credentials go.
 *
 * Invariants:
 * - The caller needs read on the virtual repo, and on each member it is served from: a
 *   member that refuses the caller is skipped. With nothing found, a caller refused by
 *   some member gets that refusal (401 asks an anonymous client for credentials).
 * - Dependency-confusion protection: see services/proxy/virtual.ts `eligibleMembers`.
 * - Every answer says which member served it (`X-Orbitalreg-Member`), merged ones all;
 *   a merged answer built from a stale member answer is marked stale.
 */
import type { Context, Hono } from "hono";
import type { AppEnv, RepoTarget } from "../http/types";
import type { Scope } from "../services/scope";
import { openRepo, type OpenedRepo } from "../services/projects";
import { deployMember, eligibleMembers, virtualMembers } from "../services/proxy/virtual";
import { RegistryError, isRegistryError, notFound } from "../core/errors";
import { asRegistryError } from "../http/errors";
import { CACHE_HEADER, cacheStateHeaders } from "../http/download";
import type { Format } from "./format";

const READS = new Set(["GET", "HEAD"]);
export const MEMBER_HEADER = "X-Orbitalreg-Member";

/** What a member's run of the routes sees instead of the repo gate's output. */
const injected = new WeakMap<Request, { scope: Scope; target: RepoTarget }>();
/** The error a member's run ended with, by the answer that stands for it. */
const failures = new WeakMap<Response, RegistryError>();

export const injectedOf = (req: Request) => injected.get(req);

/** The answer a member's run gives for a thrown error (kept apart so the dispatcher can tell why). */
export function memberFailure(err: unknown): Response {
  const e = asRegistryError(err);
  const res = new Response(null, { status: e.status });
  failures.set(res, e);
  return res;
}

export async function serveVirtual(c: Context<AppEnv>, f: Format, member: Hono<AppEnv>): Promise<Response> {
  const scope = c.var.scope;
  const t = c.var.target;
  const virtual = await t.open("read");
  const members = await virtualMembers(scope, virtual);
  const ask = (m: OpenedRepo, request: Request, rest = t.rest) => askMember(c, member, m, request, rest, f);

  if (!READS.has(c.req.method)) {
    const deploy = deployMember(virtual, members);
    if (!deploy) throw new RegistryError("ForbiddenRepoVirtualNoDeploy", `${t.project}/${t.repo} is a virtual repository without a deploy member: push to one of its members instead`);
    return ask(deploy, c.req.raw);
  }
  const support = f.upstream?.virtual;
  const name = support?.packageOf(t.rest) ?? null;
  const eligible = await eligibleMembers(scope, virtual, members, name);
  const refusals: RegistryError[] = [];
  const keep = (res: Response, m: OpenedRepo) => {
    const failure = failures.get(res);
    if (failure) {
      if (failure.status === 401 || failure.status === 403) refusals.push(failure);
      else if (failure.status !== 404) throw failure;
      return null;
    }
    return res.status < 400 ? withMember(res, [m]) : null;
  };

  if (support?.merges(t.rest)) {
    const answers: Response[] = [];
    const from: OpenedRepo[] = [];
    const asked = support.memberRequest ? support.memberRequest(c.req.raw, t.rest) : { request: c.req.raw, rest: t.rest };
    for (const m of eligible) {
      const res = keep(await ask(m, asked.request, asked.rest), m);
      if (res && res.status === 200) (answers.push(res), from.push(m));
      else await res?.body?.cancel();
    }
    if (answers.length) {
      const stale = answers.some((a) => a.headers.get(CACHE_HEADER) === "STALE");
      const merged = withMember(await support.merge(answers, c.req.raw, t.rest), from);
      if (stale) for (const [k, v] of Object.entries(cacheStateHeaders("STALE"))) merged.headers.set(k, v);
      return merged;
    }
  } else {
    for (const m of eligible) {
      const res = keep(await ask(m, c.req.raw), m);
      if (res) return res;
    }
  }
  if (refusals.length) throw refusals[0]!;
  throw notFound("Route", `nothing at ${t.rest || "/"} in ${t.project}/${t.repo} or its members`);
}

async function askMember(c: Context<AppEnv>, member: Hono<AppEnv>, m: OpenedRepo, original: Request, rest: string, f: Format): Promise<Response> {
  const scope = c.var.scope;
  const t = c.var.target;
  const request = new Request(original.url, original);
  injected.set(request, {
    scope,
    target: {
      project: m.project.slug,
      repo: m.repo.slug,
      rest,
      url: t.url,
      open: (action) => openRepo(scope, m.project.slug, m.repo.slug, action, f.repoFormats),
    },
  });
  try {
    return await member.fetch(request, c.env, c.executionCtx);
  } catch (e) {
    if (isRegistryError(e)) return memberFailure(e);
    throw e;
  }
}

function withMember(res: Response, members: OpenedRepo[]): Response {
  const out = new Response(res.body, res);
  out.headers.set(MEMBER_HEADER, members.map((m) => `${m.project.slug}/${m.repo.slug}`).join(", "));
  return out;
}
