/**
 * Go module rules for the GOPROXY protocol: case-escaped paths, module paths and
 * versions, proxy request paths (module zips: module-zip.ts).
 *
 * Invariants:
 * - Escaping is a bijection: every upper-case letter travels as `!` + lower-case; an
 *   escaped path with a raw upper-case letter or a stray `!` is refused.
 * - A version is canonical semver with a `v` prefix; build metadata is allowed only as
 *   `+incompatible`. A `/vN` (N ≥ 2) module path only takes vN.x.y versions, a path
 *   without one only v0/v1 (or +incompatible).
 * - A module path follows module.CheckPath: its first element is a lower-case domain
 *   name with a dot, no element starts with a dot or is a Windows device name.
 */
import { invalid } from "../../core/errors";
import { isWindowsDeviceName } from "./module-zip";
import { parseSemver, semverMatcher, type SemVer } from "../../core/semver";

export function unescapeModulePath(escaped: string): string | null {
  let out = "";
  for (let i = 0; i < escaped.length; i++) {
    const ch = escaped[i]!;
    if (ch >= "A" && ch <= "Z") return null;
    if (ch === "!") {
      const next = escaped[i + 1];
      if (!next || next < "a" || next > "z") return null;
      out += next.toUpperCase();
      i++;
    } else out += ch;
  }
  return out;
}

export const escapeModulePath = (path: string) => path.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);

const ELEMENT = /^[A-Za-z0-9~_-](?:[A-Za-z0-9._~-]*[A-Za-z0-9_~-])?$/;
const FIRST_ELEMENT = /^[a-z0-9.-]+$/;

/** module.CheckPath's element rules beyond the characters: device names, short names. */
function elementOk(elem: string): boolean {
  const short = elem.split(".")[0]!;
  return ELEMENT.test(elem) && !isWindowsDeviceName(short) && !/~\d+$/.test(short);
}

export function assertModulePath(path: string): string {
  const elements = path.split("/");
  const first = elements[0]!;
  const major = /\/v([0-9.]+)$/.exec(path)?.[1]; // a /vN suffix: N ≥ 2, no leading zero, no dot
  const ok =
    path.length <= 1024 &&
    elements.every(elementOk) &&
    FIRST_ELEMENT.test(first) &&
    first.includes(".") &&
    !first.startsWith("-") &&
    (major === undefined || path.startsWith("gopkg.in/") || (/^[1-9]\d*$/.test(major) && major !== "1"));
  if (!ok) throw invalid("ModulePath", `'${path}' is not a valid module path`);
  return path;
}

export function parseGoVersion(version: string): SemVer | null {
  if (!version.startsWith("v")) return null;
  const s = parseSemver(version.slice(1));
  if (!s) return null;
  if (s.build.length && s.build.join(".") !== "incompatible") return null;
  return s;
}

export function assertVersionFitsPath(path: string, version: string): SemVer {
  const s = parseGoVersion(version);
  if (!s) throw invalid("ModuleVersion", `'${version}' is not a canonical semantic version (v1.2.3, v1.2.3-pre)`);
  const suffix = /\/v(\d+)$/.exec(path);
  const incompatible = s.build.length > 0;
  if (suffix) {
    if (incompatible || s.major !== Number(suffix[1])) throw invalid("ModuleVersion", `${path} only takes v${suffix[1]}.x.y versions, not ${version}`);
  } else if (s.major >= 2 && !incompatible) {
    throw invalid("ModuleVersion", `${version} needs a /v${s.major} suffix on the module path (or +incompatible)`);
  }
  return s;
}

export type ProxyRequest =
  | { module: string; kind: "list" | "latest" }
  | { module: string; kind: "info" | "mod" | "zip"; version: string };

/** Parses the part of a GOPROXY URL after the proxy root; null if it isn't a proxy path. */
export function parseProxyPath(rest: string): ProxyRequest | null {
  if (rest.endsWith("/@latest")) {
    const module = unescapeModulePath(rest.slice(0, -"/@latest".length));
    return module ? { module, kind: "latest" } : null;
  }
  const at = rest.lastIndexOf("/@v/");
  if (at < 0) return null;
  const module = unescapeModulePath(rest.slice(0, at));
  const file = rest.slice(at + 4);
  if (!module) return null;
  if (file === "list") return { module, kind: "list" };
  const m = /^(.+)\.(info|mod|zip)$/.exec(file);
  const version = m ? unescapeModulePath(m[1]!) : null;
  if (!m || !version) return null;
  return { module, kind: m[2] as "info" | "mod" | "zip", version };
}

/** The module path a go.mod declares, or null. */
export function moduleOfGoMod(text: string): string | null {
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\/\/.*$/, "").trim();
    const m = /^module\s+("?)([^"\s]+)\1$/.exec(line);
    if (m) return m[2]!;
  }
  return null;
}

/**
 * A matcher for a module version spec: `v1.2.3` matches exactly that version; a range is
 * node-semver's grammar with Go's `v` prefixes (`>=v1.2.0 <v1.3.0`, `v1.x`);
 * `+incompatible` is build metadata and never affects a match.
 */
export function goVersionMatcher(spec: string): (version: string) => boolean {
  const text = spec.trim();
  const strip = (s: string) => s.replace(/(^|[\s<>=~^|])v(?=\d)/g, "$1");
  // Every version in the spec carries Go's `v`: `vx` or a bare `1.2.3` is not a module version.
  const versioned = text.split(/\s+/).filter((t) => t && t !== "||" && t !== "-").every((t) => /^[<>=~^]*v\d/.test(t));
  const match = text && versioned ? semverMatcher(strip(text)) : null;
  if (!match) throw invalid("BlockVersions", `'${spec}' is not a module version (v1.2.3) or a range of them`);
  return (version) => match(version.replace(/^v/, ""));
}
