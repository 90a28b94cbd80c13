/**
 * Outbound-target checks (webhook receivers, OIDC discovery and JWKS URLs, upstreams).
 *
 * Invariants:
 * - Only http(s) URLs are reachable; `requireHttps` targets (OIDC) accept plain http
 *   only for a private/loopback host when the operator allowed private targets
 *   (local development and tests).
 * - A host that is loopback, private (RFC 1918, ULA, CGNAT), link-local (including
 *   the 169.254.169.254 metadata address), unspecified, multicast or reserved, or a
 *   name that only resolves locally (`localhost`, `*.localhost`, `*.local`,
 *   `*.internal`) is refused unless `allowPrivate`.
 * - Checks run on the URL parser's canonical host, so `http://2130706433/`,
 *   `http://0x7f.1/` and `http://[::ffff:127.0.0.1]/` are all seen as 127.0.0.1.
 * Limit: names are not resolved here (Workers can't); on Cloudflare's network a
 * Worker's fetch can't reach the operator's private network anyway, and redirects
 * are never followed by the callers, so a public name can't bounce inward.
 */
import { invalid, type Stem, type Suffix } from "./errors";

export type HostClass = "public" | "private" | "loopback" | "link-local" | "reserved";

export interface OutboundRules {
  allowPrivate: boolean;
  requireHttps?: boolean;
  /** The setting that allows private targets, named in the refusal (webhooks' by default). */
  setting?: string;
}

/** Parses and checks a target URL; throws `Invalid<what>Url` with the reason. */
export function checkOutboundUrl(raw: string, what: Stem<Suffix<"Invalid">, "Url">, rules: OutboundRules): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(`${what}Url`, `'${raw}' is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw invalid(`${what}Url`, "only http and https URLs are allowed");
  }
  const cls = classifyHost(url.hostname);
  if (cls !== "public" && !rules.allowPrivate) {
    const setting = rules.setting ?? "ORBITALREG_ALLOW_PRIVATE_WEBHOOKS";
    throw invalid(`${what}Url`, `the host ${url.hostname} is a ${cls} address; set ${setting}="true" to allow such targets`);
  }
  if (rules.requireHttps && url.protocol === "http:" && cls === "public") {
    throw invalid(`${what}Url`, "this URL must use https");
  }
  return url;
}

export function classifyHost(hostname: string): HostClass {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[") && host.endsWith("]")) return classifyIpv6(host.slice(1, -1));
  const v4 = parseIpv4(host);
  if (v4) return classifyIpv4(v4);
  if (host === "localhost" || host.endsWith(".localhost")) return "loopback";
  if (host.endsWith(".local")) return "link-local";
  if (host.endsWith(".internal") || host === "") return "private";
  return "public";
}

function parseIpv4(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets : null;
}

function classifyIpv4([a, b]: number[]): HostClass {
  if (a === undefined || b === undefined) return "reserved";
  if (a === 127) return "loopback";
  if (a === 169 && b === 254) return "link-local";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private";
  if (a === 100 && b >= 64 && b <= 127) return "private"; // CGNAT shared space
  if (a === 0 || a >= 224 || (a === 192 && b === 0) || (a === 198 && (b === 18 || b === 19))) return "reserved";
  return "public";
}

/** Expands an IPv6 literal into 8 16-bit groups (null if malformed). */
export function parseIpv6(text: string): number[] | null {
  let s = text.split("%")[0]!;
  const dotted = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(s);
  if (dotted) {
    const v4 = parseIpv4(dotted[1]!);
    if (!v4) return null;
    const hi = ((v4[0]! << 8) | v4[1]!).toString(16);
    const lo = ((v4[2]! << 8) | v4[3]!).toString(16);
    s = `${s.slice(0, -dotted[1]!.length)}${hi}:${lo}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const known = head.length + rest.length;
  if (head.concat(rest).some(Number.isNaN)) return null;
  if (halves.length === 1 && known !== 8) return null;
  if (halves.length === 2 && known > 7) return null;
  return [...head, ...new Array<number>(8 - known).fill(0), ...rest];
}

function classifyIpv6(text: string): HostClass {
  const g = parseIpv6(text);
  if (!g) return "reserved";
  const [g0, , , , , g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const zeroPrefix = g.slice(0, 5).every((x) => x === 0);
  if (zeroPrefix && g5 === 0 && g6 === 0 && g7 === 1) return "loopback";
  if (g.every((x) => x === 0)) return "reserved";
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d)
  const nat64 = g0 === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0);
  if ((zeroPrefix && (g5 === 0xffff || g5 === 0)) || nat64) {
    return classifyIpv4([g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff]);
  }
  if ((g0 & 0xffc0) === 0xfe80) return "link-local";
  if ((g0 & 0xfe00) === 0xfc00) return "private";
  if ((g0 & 0xff00) === 0xff00) return "reserved";
  return "public";
}
