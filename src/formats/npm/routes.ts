/**
 * npm names and the registry's URL grammar, as pure functions.
 *
 * Invariants:
 * - A scoped name arrives either escaped (`@scope%2fname`, what npm sends) or with a
 *   literal slash (`@scope/name`, what tarball URLs use); both parse to `@scope/name`.
 * - Paths are matched on the raw (still percent-encoded) path after `/npm/<p>/<r>/`,
 *   so an encoded slash inside a name can never be mistaken for a separator.
 * - New names follow npm's rules for new packages: lowercase, URL-safe, ≤ 214 chars.
 */
import { invalid } from "../../core/errors";

const NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const TAG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function assertNpmName(name: string): string {
  if (name.length > 214 || !NAME.test(name)) {
    throw invalid("PackageName", `'${name}' is not a valid npm package name (lowercase, URL-safe, at most 214 characters)`);
  }
  return name;
}

export function assertDistTag(tag: string): string {
  // A tag that parses as a version or range would shadow versions in `npm install name@x`.
  if (!TAG.test(tag) || /^v?\d/.test(tag)) throw invalid("DistTag", `'${tag}' is not a valid dist-tag (it must not look like a version)`);
  return tag;
}

/** `@scope/name` → `name`; `name` → `name`. */
export const unscoped = (name: string) => name.slice(name.indexOf("/") + 1);

/** The tarball file name the registry serves: `<unscoped name>-<version>.tgz`. */
export const tarballName = (name: string, version: string) => `${unscoped(name)}-${version}.tgz`;

/** Version named by a tarball file of `name`, accepting `x-1.0.0.tgz` and npm's `@scope/x-1.0.0.tgz`. */
export function versionOfTarball(name: string, file: string): string | null {
  const base = file.startsWith("@") ? file.slice(file.indexOf("/") + 1) : file;
  const prefix = `${unscoped(name)}-`;
  if (!base.startsWith(prefix) || !base.endsWith(".tgz")) return null;
  const version = base.slice(prefix.length, -".tgz".length);
  return version || null;
}

export type NpmRoute =
  | { kind: "ping" }
  | { kind: "whoami" }
  | { kind: "search" }
  | { kind: "distTags"; name: string }
  | { kind: "distTag"; name: string; tag: string }
  | { kind: "packument"; name: string; rev?: string }
  | { kind: "version"; name: string; spec: string }
  | { kind: "tarball"; name: string; file: string; rev?: string }
  | { kind: "attestations"; name: string; version: string }
  | { kind: "unknown" };

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** Splits a package name off the front of decoded segments: `@s%2fn`, `@s`,`n` or `n`. */
function takeName(segments: string[]): { name: string; rest: string[] } | null {
  const first = segments[0];
  if (!first) return null;
  if (first.startsWith("@") && !first.includes("/")) {
    if (!segments[1]) return null;
    return { name: `${first}/${segments[1]}`, rest: segments.slice(2) };
  }
  return { name: first, rest: segments.slice(1) };
}

/** Parses the raw path below the registry prefix (no leading slash). */
export function parseNpmPath(rest: string): NpmRoute {
  const raw = rest.split("/");
  const segments = raw.map(decode);
  if (segments.some((s) => s === null)) return { kind: "unknown" };
  const s = segments as string[];
  if (s[0] === "-") {
    if (s.length === 2 && s[1] === "ping") return { kind: "ping" };
    if (s.length === 2 && s[1] === "whoami") return { kind: "whoami" };
    if (s.length === 3 && s[1] === "v1" && s[2] === "search") return { kind: "search" };
    if (s[1] === "npm" && s[2] === "v1" && s[3] === "attestations" && s.length >= 5) {
      // `<name>@<version>`, the name URL-encoded or with its scope's slash.
      const spec = s.slice(4).join("/");
      const at = spec.lastIndexOf("@");
      return at > 0 && at < spec.length - 1 ? { kind: "attestations", name: spec.slice(0, at), version: spec.slice(at + 1) } : { kind: "unknown" };
    }
    if (s[1] === "package") {
      const taken = takeName(s.slice(2));
      if (!taken || taken.rest[0] !== "dist-tags") return { kind: "unknown" };
      if (taken.rest.length === 1) return { kind: "distTags", name: taken.name };
      if (taken.rest.length === 2 && taken.rest[1]) return { kind: "distTag", name: taken.name, tag: taken.rest[1] };
    }
    return { kind: "unknown" };
  }
  const taken = takeName(s);
  if (!taken) return { kind: "unknown" };
  const { name, rest: r } = taken;
  if (r.length === 0 || (r.length === 1 && r[0] === "")) return { kind: "packument", name };
  if (r[0] === "-rev" && r.length === 2) return { kind: "packument", name, rev: r[1] };
  if (r[0] === "-" && r.length >= 2) {
    // `-/<file>.tgz` or npm's scoped form `-/@scope/<file>.tgz`, optionally `/-rev/<rev>`.
    let tail = r.slice(1);
    let rev: string | undefined;
    if (tail.length >= 3 && tail.at(-2) === "-rev") {
      rev = tail.at(-1);
      tail = tail.slice(0, -2);
    }
    const file = tail.join("/");
    if (tail.length > 2 || (tail.length === 2 && !tail[0]!.startsWith("@"))) return { kind: "unknown" };
    return { kind: "tarball", name, file, rev };
  }
  if (r.length === 1 && r[0]) return { kind: "version", name, spec: r[0] };
  return { kind: "unknown" };
}
