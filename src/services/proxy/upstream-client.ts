/**
 * Requests to an upstream repo's upstream: the only code that reads an upstream secret
 * and presents it.
 *
 * Invariants:
 * - Every URL (the first and every redirect target) passes the outbound address rules
 *   (core/net.ts): private, loopback and link-local hosts only when
 *   ORBITALREG_ALLOW_PRIVATE_UPSTREAMS is "true".
 * - Credentials go only to the upstream's origin (or the API origin a format names:
 *   docker.io's is registry-1.docker.io) and to the token realm its challenge names: a redirect to another
 *   origin (a CDN, a blob store) is followed without them. Container registries get
 *   them only when they challenge. Nothing here logs a header, a secret or a URL's query.
 * - The deadline covers the response headers of each hop; bodies are timed by their
 *   reader (services/proxy/pull.ts) with the same timeout between chunks.
 * - At most MAX_REDIRECTS redirects, GET/HEAD only.
 */
import type { Scope } from "../scope";
import type { OpenedRepo } from "../projects/repos";
import { config } from "../../config";
import { outboundStream, OutboundTimeout, type OutboundStream } from "../../outbound/fetch";
import { checkOutboundUrl } from "../../core/net";
import { RegistryError, isRegistryError } from "../../core/errors";
import { findUpstreamSecret } from "../../db/proxy";
import { MAX_REDIRECTS, upstreamSettings } from "./settings";
import { cachedToken, challengeToken } from "./token-challenge";

/** How a bearer-type secret is written in the Authorization header (cargo sends tokens raw). */
export type BearerStyle = "bearer" | "raw";

export interface UpstreamClientOptions {
  bearerStyle?: BearerStyle;
  /** Send credentials only when challenged (container registries: Basic, or a realm's token). */
  challengeFirst?: boolean;
  /** The origin that gets the credentials, when the API lives elsewhere than upstream_url (docker.io). */
  apiOrigin?: string;
  /** A secret not (yet) stored: checking a proxy-cache configuration before saving it. */
  secret?: string | null;
}

export interface UpstreamFetchInit {
  method?: "GET" | "HEAD";
  headers?: Record<string, string>;
  /** The token scope a registry challenge will name (`repository:<name>:pull`): a token cached for it is sent up front. */
  tokenScope?: string;
}

export class UpstreamClient {
  private secret: Promise<string | null> | null = null;
  readonly base: URL;
  readonly timeoutMs: number;
  private readonly credentialOrigin: string;

  constructor(
    private readonly scope: Scope,
    readonly opened: OpenedRepo,
    private readonly options: UpstreamClientOptions = {},
  ) {
    if (!opened.repo.upstreamUrl) throw new RegistryError("UnavailableUpstream", "the repository has no upstream_url");
    this.base = new URL(opened.repo.upstreamUrl.endsWith("/") ? opened.repo.upstreamUrl : `${opened.repo.upstreamUrl}/`);
    this.timeoutMs = upstreamSettings(opened.repo.config).timeoutMs;
    this.credentialOrigin = options.apiOrigin ?? this.base.origin;
    if (options.secret !== undefined) this.secret = Promise.resolve(options.secret);
  }

  /** A path relative to the upstream URL (no leading slash), or an absolute URL, as a URL. */
  resolve(pathOrUrl: string): URL {
    return new URL(pathOrUrl, this.base);
  }

  /** The URL if the address rules allow it (UnavailableUpstream otherwise). */
  check(url: URL): URL {
    try {
      return checkOutboundUrl(url.href, "RepoUpstream", { allowPrivate: config(this.scope.env).allowPrivateUpstreams, setting: "ORBITALREG_ALLOW_PRIVATE_UPSTREAMS" });
    } catch (e) {
      throw new RegistryError("UnavailableUpstream", `the upstream may not be reached at ${url.host}: ${isRegistryError(e) ? e.message : "refused"}`);
    }
  }

  private loadSecret(): Promise<string | null> {
    return (this.secret ??= findUpstreamSecret(this.scope.db, this.opened.repo.id));
  }

  /** The Authorization header for the upstream's own origin, if the repo has credentials. */
  async authorization(): Promise<string | null> {
    const c = this.opened.repo.config;
    if (!c.upstream_auth || c.upstream_auth === "none") return null;
    const secret = await this.loadSecret();
    if (secret === null) return null;
    if (c.upstream_auth === "basic") return `Basic ${btoa(`${c.upstream_username ?? ""}:${secret}`)}`;
    return this.options.bearerStyle === "raw" ? secret : `Bearer ${secret}`;
  }

  /** Basic credentials for a token realm (registry token flow), if configured. */
  async basicCredentials(): Promise<string | null> {
    const c = this.opened.repo.config;
    if (!c.upstream_auth || c.upstream_auth === "none") return null;
    const secret = await this.loadSecret();
    if (secret === null) return null;
    return `Basic ${btoa(`${c.upstream_username ?? ""}:${secret}`)}`;
  }

  /**
   * Sends the request, following redirects and answering a registry token challenge
   * once. Returns the final response (any status); throws UnavailableUpstream when the
   * upstream can't be reached in time.
   */
  async fetch(pathOrUrl: string, init: UpstreamFetchInit = {}): Promise<OutboundStream> {
    let url = this.check(this.resolve(pathOrUrl));
    const method = init.method ?? "GET";
    const origin = this.credentialOrigin;
    const cached = init.tokenScope ? cachedToken(this.opened.repo.id, init.tokenScope) : null;
    let auth = cached ? `Bearer ${cached}` : this.options.challengeFirst ? null : await this.authorization();
    let challenged = false;
    for (let hop = 0; ; hop++) {
      const headers = new Headers(init.headers);
      if (url.origin === origin && auth) headers.set("Authorization", auth);
      const sent = await this.send(url, method, headers);
      const res = sent.response;
      if (res.status === 401 && !challenged && url.origin === origin) {
        challenged = true;
        const answer = await this.answerChallenge(res.headers.get("www-authenticate"), init.tokenScope);
        if (answer) {
          await res.body?.cancel();
          auth = answer;
          hop--;
          continue;
        }
      }
      const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
      if (!location) return sent;
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new RegistryError("UnavailableUpstream", `the upstream redirected more than ${MAX_REDIRECTS} times`);
      url = this.check(new URL(location, url));
    }
  }

  /** The Authorization a 401's challenge asks for: a realm's token, or the repo's Basic credentials. */
  private async answerChallenge(header: string | null, tokenScope?: string): Promise<string | null> {
    const token = await challengeToken(this, header, tokenScope);
    if (token) return `Bearer ${token}`;
    if (header && /^\s*Basic\b/i.test(header) && this.options.challengeFirst) return this.basicCredentials();
    return null;
  }

  /** One hop, its deadline the repo's upstream timeout. */
  async send(url: URL, method: string, headers: Headers): Promise<OutboundStream> {
    try {
      return await outboundStream(url, { method, headers, headersTimeoutMs: this.timeoutMs });
    } catch (e) {
      if (isRegistryError(e)) throw e;
      const why = e instanceof OutboundTimeout ? `did not answer within ${this.timeoutMs} ms` : "could not be reached";
      throw new RegistryError("UnavailableUpstream", `the upstream ${url.host} ${why}`, { cause: e });
    }
  }
}
