/**
 * OCI distribution vocabulary that needs no I/O: image names, tags, references, the
 * `/v2/…` path grammar, `Content-Range`/`Range` parsing and token scopes.
 *
 * Invariants:
 * - A name is `<project>/<repo>/<image…>`: at least three components, each matching the
 *   distribution-spec component regex, at most 255 characters in all. The first two
 *   select the OrbitalReg repo; the rest (`image`) names the image inside it.
 * - Paths are parsed right-to-left on the last resource keyword, so an image may itself
 *   contain components called `blobs`, `manifests` or `tags`.
 * - Ranges are inclusive `start-end` byte offsets, with or without a `bytes=` prefix.
 */
import { invalid, RegistryError } from "../../core/errors";
import { parseDigest } from "../../core/digest";

const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
export const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const MAX_NAME = 255;

export interface ImageName {
  /** Full name as the client wrote it: `<project>/<repo>/<image…>`. */
  full: string;
  project: string;
  repo: string;
  image: string;
}

export function parseName(full: string): ImageName {
  const parts = full.split("/");
  if (full.length > MAX_NAME || parts.length < 3 || !parts.every((p) => COMPONENT.test(p))) {
    throw new RegistryError("InvalidImageName", `'${full}' is not a valid name: use <project>/<repo>/<image>, lowercase components`, {
      detail: { name: full },
    });
  }
  return { full, project: parts[0]!, repo: parts[1]!, image: parts.slice(2).join("/") };
}

export const isTag = (ref: string) => TAG.test(ref);

/** A manifest reference is a tag or a digest; anything else is refused. */
export function parseReference(ref: string): { tag: string } | { digest: string } {
  if (ref.includes(":")) {
    const d = parseDigest(ref);
    if (!d) throw invalid("Digest", `'${ref}' is not a valid digest`);
    return { digest: ref };
  }
  if (!isTag(ref)) throw invalid("Tag", `'${ref}' is not a valid tag`, { detail: { tag: ref } });
  return { tag: ref };
}

export type OciRoute =
  | { kind: "base" }
  | { kind: "catalog" }
  | { kind: "token" }
  | { kind: "tags"; name: string }
  | { kind: "manifest"; name: string; reference: string }
  | { kind: "blob"; name: string; digest: string }
  | { kind: "uploads"; name: string }
  | { kind: "upload"; name: string; uuid: string }
  | { kind: "referrers"; name: string; digest: string };

const ROUTES: [RegExp, (m: RegExpExecArray) => OciRoute][] = [
  [/^\/?$/, () => ({ kind: "base" })],
  [/^\/_catalog$/, () => ({ kind: "catalog" })],
  [/^\/token$/, () => ({ kind: "token" })],
  [/^\/(.+)\/tags\/list$/, (m) => ({ kind: "tags", name: m[1]! })],
  [/^\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: "manifest", name: m[1]!, reference: m[2]! })],
  [/^\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: "uploads", name: m[1]! })],
  [/^\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: "upload", name: m[1]!, uuid: m[2]! })],
  [/^\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: "blob", name: m[1]!, digest: m[2]! })],
  [/^\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: "referrers", name: m[1]!, digest: m[2]! })],
];

/** Parses a path relative to `/v2` (e.g. `/p/r/img/manifests/latest`). */
export function parseOciPath(path: string): OciRoute | null {
  for (const [re, build] of ROUTES) {
    const m = re.exec(path);
    if (m) return build(m);
  }
  return null;
}

/** `start-end` (inclusive), optionally prefixed with `bytes=` or `bytes `. */
export function parseRange(text: string): { start: number; end: number } | null {
  const m = /^(?:bytes[= ])?(\d+)-(\d+)$/.exec(text.trim());
  if (!m) return null;
  const start = Number(m[1]);
  const end = Number(m[2]);
  return end >= start ? { start, end } : null;
}

/** The `Range` header of an upload that holds `offset` bytes (`0-0` when empty, as distribution does). */
export const uploadRange = (offset: number) => `0-${Math.max(0, offset - 1)}`;

/** Actions a request needs, in Docker token vocabulary. */
export function scopeActions(method: string): string {
  if (method === "GET" || method === "HEAD") return "pull";
  if (method === "DELETE") return "delete";
  return "pull,push";
}

export interface RequestedScope {
  type: string;
  name: string;
  actions: string[];
}

/** `repository:p/r/img:pull,push` → parts (the name may contain `:` only via a port-less registry, so split on the last `:`). */
export function parseScope(text: string): RequestedScope | null {
  const first = text.indexOf(":");
  const last = text.lastIndexOf(":");
  if (first === -1 || last === first) return null;
  const actions = text.slice(last + 1).split(",").filter(Boolean);
  return { type: text.slice(0, first), name: text.slice(first + 1, last), actions };
}
