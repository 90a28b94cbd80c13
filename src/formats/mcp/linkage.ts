/**
 * Package references of a server.json that point into this OrbitalReg, resolved and
 * checked: what the catalog claims is compared with what the registry holds.
 *
 * A reference is local when its host is this registry's (the host the request reached):
 *   oci   identifier `<host>/<project>/<repo>/<image…>[:tag][@digest]`
 *   npm   registryBaseUrl `<origin>/npm/<project>/<repo>`, identifier the package name
 *   pypi  registryBaseUrl `<origin>/pypi/<project>/<repo>[/simple]`, identifier the name
 * Anything else is allowed and shown as `unverified`.
 *
 * Invariants:
 * - An image's tag is resolved to its digest at publish and that digest is what the
 *   catalog shows from then on (`pinned`); a tag that later moves is reported, never
 *   followed. An image missing at publish stays unpinned and is resolved on each read.
 * - Resolution runs with the caller's rights: a reference the caller may not read looks
 *   the same as a missing one (a catalog never reveals what its reader can't see).
 * - `referenceState` is the one place that decides a reference's state; a security
 *   block or quarantine (policy domain, not on main yet) is to be checked there.
 */
import type { Scope } from "../../services/scope";
import { getManifest, mayAccess, pullCount } from "../../services/oci";
import { findPackage, findVersion } from "../../services/artifacts";
import { openRepo } from "../../services/projects";
import { isRegistryError } from "../../core/errors";
import type { ServerJson, ServerPackage } from "./server-json";

/** Digest pinned at publish, by the package's index in `packages`. */
export type Pins = Record<string, { digest: string; tag: string | null }>;

export type RefState = "ok" | "missing" | "deleted" | "yanked" | "unverified";

export interface Reference {
  registryType: string;
  identifier: string;
  local: boolean;
  state: RefState;
  /** OCI: the digest the catalog vouches for; `pinned` when fixed at publish. */
  digest?: string;
  pinned?: boolean;
  /** OCI: where the tag points now, when it moved away from the pinned digest. */
  tagNow?: string | null;
  pulls?: number;
  /** The OrbitalReg repo holding it (`<project>/<repo>`). */
  repo?: string;
}

interface OciRef {
  kind: "oci";
  project: string;
  repo: string;
  image: string;
  tag: string | null;
  digest: string | null;
}
interface PackageRef {
  kind: "npm" | "pypi";
  project: string;
  repo: string;
  name: string;
  version: string | null;
}

/** Where a reference points, when that is this registry; null for references elsewhere. */
export function localTarget(pkg: ServerPackage, localHosts: string[]): OciRef | PackageRef | null {
  if (pkg.registryType === "oci") {
    const m = /^([^/]+)\/([^/]+)\/([^/]+)\/([^@:]+(?:\/[^@:]+)*)(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/.exec(pkg.identifier);
    if (!m || !localHosts.includes(m[1]!.toLowerCase())) return null;
    return { kind: "oci", project: m[2]!, repo: m[3]!, image: m[4]!, tag: m[5] ?? (m[6] ? null : "latest"), digest: m[6] ?? null };
  }
  if ((pkg.registryType === "npm" || pkg.registryType === "pypi") && pkg.registryBaseUrl) {
    const url = new URL(pkg.registryBaseUrl);
    const m = new RegExp(`^/${pkg.registryType}/([^/]+)/([^/]+)(?:/simple)?/?$`).exec(url.pathname);
    if (!m || !localHosts.includes(url.host.toLowerCase())) return null;
    return { kind: pkg.registryType, project: decodeURIComponent(m[1]!), repo: decodeURIComponent(m[2]!), name: pkg.identifier, version: pkg.version ?? null };
  }
  return null;
}

type Image = NonNullable<Awaited<ReturnType<typeof mayAccess>>>;

const openImage = (scope: Scope, ref: OciRef) => mayAccess(scope, `${ref.project}/${ref.repo}/${ref.image}`, "read");

async function manifestDigest(scope: Scope, img: Image | null, reference: string): Promise<string | null> {
  if (!img) return null;
  try {
    return (await getManifest(scope, img, reference, false, null)).meta.digest;
  } catch (e) {
    if (isRegistryError(e) && e.status < 500) return null;
    throw e;
  }
}

/** At publish: each local image reference's digest (the tag resolved now). */
export async function pinReferences(scope: Scope, server: ServerJson, localHosts: string[]): Promise<Pins> {
  const pins: Pins = {};
  for (const [i, pkg] of (server.packages ?? []).entries()) {
    const t = localTarget(pkg, localHosts);
    if (t?.kind !== "oci") continue;
    const digest = t.digest ?? (await manifestDigest(scope, await openImage(scope, t), t.tag!));
    if (digest) pins[i] = { digest, tag: t.tag };
  }
  return pins;
}

const PYPI_KEY = (n: string) => n.toLowerCase().replace(/[-_.]+/g, "-");

/** The state of one package reference of a stored server version, as this caller sees it. */
export async function referenceState(scope: Scope, pkg: ServerPackage, pin: Pins[string] | undefined, localHosts: string[]): Promise<Reference> {
  const base = { registryType: pkg.registryType, identifier: pkg.identifier };
  const t = localTarget(pkg, localHosts);
  if (!t) return { ...base, local: false, state: "unverified" };
  const repo = `${t.project}/${t.repo}`;
  if (t.kind === "oci") {
    const img = await openImage(scope, t);
    const tagNow = t.tag ? await manifestDigest(scope, img, t.tag) : null;
    const digest = pin?.digest ?? t.digest ?? tagNow;
    const present = digest ? (digest === tagNow ? digest : await manifestDigest(scope, img, digest)) : null;
    return {
      ...base,
      local: true,
      repo,
      state: present ? "ok" : pin ? "deleted" : "missing",
      ...(digest ? { digest } : {}),
      pinned: !!pin,
      ...(pin && tagNow !== pin.digest ? { tagNow } : {}),
      pulls: img ? await pullCount(scope, img.repo.id, t.image) : 0,
    };
  }
  const opened = await openRepo(scope, t.project, t.repo, "read", [t.kind]).catch(() => null);
  const found = opened && (await findPackage(scope, opened.repo.id, t.kind === "pypi" ? PYPI_KEY(t.name) : t.name));
  const version = found && t.version ? await findVersion(scope, found.id, t.version) : null;
  const state: RefState = !found || (t.version && !version) ? "missing" : version?.yanked != null ? "yanked" : "ok";
  return { ...base, local: true, repo, state };
}
