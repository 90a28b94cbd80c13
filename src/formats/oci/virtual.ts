/**
 * A virtual OCI repo: `/v2/<project>/<virtual>/<image>/…` answered by its members, each
 * asked as `/v2/<member project>/<member repo>/<image>/…` through the same handlers (an
 * upstream member pulling through as usual).
 *
 *   manifest, blob, referrers   the first member that has it (tags resolve in member order)
 *   tags/list                   the union of the members' tags, paged here
 *   push (uploads, manifest PUT, deletes)   the deploy member, or 403
 *
 * Invariants:
 * - Each member is opened with the caller's own rights; one that refuses the caller is
 *   skipped, and with nothing found the refusal is the answer (401 asks for credentials).
 * - Dependency-confusion protection: an image name a local member has is never resolved
 *   from an upstream member (services/proxy/virtual.ts).
 */
import { forgetPlannedReads } from "../../services/scope";
import type { Ctx } from "./http";
import { OCI_FORMATS, openImage, parseName, type OciRoute } from "../../services/oci";
import { routedRepo, type OpenedRepo } from "../../services/projects";
import { deployMember, eligibleMembers, virtualMembers } from "../../services/proxy/virtual";
import { RegistryError, isRegistryError } from "../../core/errors";

const READS = new Set(["GET", "HEAD"]);
export const MEMBER_HEADER = "X-Orbitalreg-Member";

type Run = (route: OciRoute) => Promise<Response>;

const renamed = (route: OciRoute, m: OpenedRepo, image: string): OciRoute => ({ ...route, name: `${m.project.slug}/${m.repo.slug}/${image}` }) as OciRoute;

/** Answers a request for a virtual repo through `run` (the upstream hook and handler), or null for other repos. */
export async function ociVirtual(c: Ctx, route: OciRoute, run: Run): Promise<Response | null> {
  if (!("name" in route)) return null;
  let name;
  try {
    name = parseName(route.name);
  } catch {
    return null;
  }
  const scope = c.var.scope;
  const found = await routedRepo(scope, name.project, name.repo, OCI_FORMATS);
  if (found?.repo.kind !== "virtual") return null;
  forgetPlannedReads(scope);
  const virtual = await openImage(scope, route.name, "read");
  const members = await virtualMembers(scope, virtual);
  if (!READS.has(c.req.method)) {
    const deploy = deployMember(virtual, members);
    if (!deploy) throw new RegistryError("ForbiddenRepoVirtualNoDeploy", `${name.project}/${name.repo} is a virtual repository without a deploy member: push to one of its members instead`);
    return run(renamed(route, deploy, name.image));
  }
  const eligible = await eligibleMembers(scope, virtual, members, name.image, { image: true });
  const refusals: RegistryError[] = [];
  const tags = new Set<string>();
  const from: string[] = [];
  for (const m of eligible) {
    let res: Response;
    try {
      res = await run(renamed(route, m, name.image));
    } catch (e) {
      if (!isRegistryError(e)) throw e;
      if (e.status === 401 || e.status === 403) refusals.push(e);
      else if (e.status !== 404) throw e;
      continue;
    }
    const label = `${m.project.slug}/${m.repo.slug}`;
    if (route.kind !== "tags") {
      res.headers.set(MEMBER_HEADER, label);
      return res;
    }
    for (const t of ((await res.json()) as { tags?: string[] }).tags ?? []) tags.add(t);
    from.push(label);
  }
  if (route.kind === "tags" && from.length) {
    const last = c.req.query("last");
    const n = Number(c.req.query("n") ?? Number.POSITIVE_INFINITY);
    const page = [...tags].sort().filter((t) => !last || t > last);
    return c.json({ name: route.name, tags: page.slice(0, Number.isFinite(n) && n >= 0 ? n : page.length) }, 200, { [MEMBER_HEADER]: from.join(", ") });
  }
  if (refusals.length) throw refusals[0]!;
  if (route.kind === "blob") throw new RegistryError("NotFoundBlob", `blob ${route.digest} is not known to this repository or its members`, { detail: { digest: route.digest } });
  if (route.kind === "tags") throw new RegistryError("NotFoundImage", `no image ${route.name}`, { detail: { name: route.name } });
  throw new RegistryError("NotFoundManifest", `manifest unknown: ${"reference" in route ? route.reference : route.name}`);
}
