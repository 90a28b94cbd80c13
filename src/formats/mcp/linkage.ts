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
 * - `referenceState` is the one place that decides a reference's state. A present
 *   artifact that a security block or licence policy refuses is `blocked`, one held in
 *   quarantine `quarantined`, with the message a download would answer (policy domain);
 *   looking does not count as a refused download (no block hit).
 * - `pulls` is the download log's count for the image (manifest GETs answered 200,
 *   written by its queue consumer a few seconds later, within the log's retention).
 */
import type { Scope } from "../../services/scope";
import { LICENSE_ANNOTATION, mayAccess, peekManifest } from "../../services/oci";
import { downloadCount, findPackage, findVersion } from "../../services/artifacts";
import { openRepo } from "../../services/projects";
import { policyStateOf, type PolicyState } from "../../services/policy";
import type { ServerJson, ServerPackage } from "./server-json";
import { imageProvenance, type RefProvenance } from "./provenance";

/** Digest pinned at publish, by the package's index in `packages`. */
export type Pins = Record<string, { digest: string; tag: string | null }>;

export type RefState = "ok" | "missing" | "deleted" | "yanked" | "blocked" | "quarantined" | "unverified";

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
  /** Why downloads of it are refused (`blocked`, `quarantined`): the code and message a pull gets. */
  policy?: { code: PolicyState["code"]; message: string };
  /** The OrbitalReg repo holding it (`<project>/<repo>`). */
  repo?: string;
  /** OCI, present and not refused: what sigstore verification under the trust policies found (provenance.ts). */
  provenance?: RefProvenance;
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

/** The manifest a tag or digest names now, policy columns included (never refused here). */
const manifestAt = async (scope: Scope, img: Image | null, reference: string) => (img ? await peekManifest(scope, img, reference) : null);

/** At publish: each local image reference's digest (the tag resolved now). */
export async function pinReferences(scope: Scope, server: ServerJson, localHosts: string[]): Promise<Pins> {
  const pins: Pins = {};
  for (const [i, pkg] of (server.packages ?? []).entries()) {
    const t = localTarget(pkg, localHosts);
    if (t?.kind !== "oci") continue;
    const digest = t.digest ?? (await manifestAt(scope, await openImage(scope, t), t.tag!))?.digest;
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
    const tagRow = t.tag ? await manifestAt(scope, img, t.tag) : null;
    const tagNow = tagRow?.digest ?? null;
    const digest = pin?.digest ?? t.digest ?? tagNow;
    const row = digest ? (digest === tagNow ? tagRow : await manifestAt(scope, img, digest)) : null;
    const policy = row && img ? await policyStateOf(scope, img, { ...row, owner: row.pushedBy }, { package: t.image, version: digest!, digest: row.digest, license: row.annotations[LICENSE_ANNOTATION] ?? null }) : null;
    const provenance = row && img && !policy ? await imageProvenance(scope, img, row) : null;
    return {
      ...base,
      local: true,
      repo,
      state: policy?.state ?? (row ? "ok" : pin ? "deleted" : "missing"),
      ...(digest ? { digest } : {}),
      pinned: !!pin,
      ...(pin && tagNow !== pin.digest ? { tagNow } : {}),
      ...(policy ? { policy: { code: policy.code, message: policy.message } } : {}),
      ...(provenance ? { provenance } : {}),
      pulls: img ? await downloadCount(scope, img.repo.id, t.image) : 0,
    };
  }
  const opened = await openRepo(scope, t.project, t.repo, "read", [t.kind]).catch(() => null);
  const found = opened && (await findPackage(scope, opened.repo.id, t.kind === "pypi" ? PYPI_KEY(t.name) : t.name));
  const version = found && t.version ? await findVersion(scope, found.id, t.version) : null;
  const policy = found && version ? await policyStateOf(scope, opened, { ...version, owner: version.publishedBy }, { package: t.name, version: version.version, digest: null, license: version.license }) : null;
  const state: RefState = !found || (t.version && !version) ? "missing" : (policy?.state ?? (version?.yanked != null ? "yanked" : "ok"));
  return { ...base, local: true, repo, state, ...(policy ? { policy: { code: policy.code, message: policy.message } } : {}) };
}
