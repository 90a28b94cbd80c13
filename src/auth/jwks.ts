/**
 * Per-isolate cache of OIDC issuers' signing keys, found through discovery:
 *   <issuer>/.well-known/openid-configuration → jwks_uri → {keys: [...]}
 *
 * Invariants:
 * - Only issuers named by a trust policy are ever fetched (the caller checks the
 *   token's unverified `iss` against the policies first), so an anonymous caller
 *   can't make the registry fetch arbitrary URLs.
 * - The discovery document must name the issuer exactly; discovery and JWKS URLs pass
 *   the outbound-address check (core/net.ts) and must be https outside local dev.
 * - A cached key set is used for `ttlMs`; a token whose `kid` is unknown triggers one
 *   refresh, at most once per `refreshCooldownMs` per issuer, so a flood of random
 *   `kid`s can't turn into a flood of requests to the issuer. Concurrent loads of the
 *   same issuer share one request.
 * - Only public keys are imported (jose refuses symmetric and private JWKs here).
 * - The discovery document is kept with the keys: browser sign-in (auth/oidc-login.ts)
 *   reads its authorization and token endpoints from the same cached load.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTHeaderParameters } from "jose";
import { checkOutboundUrl } from "../core/net";
import { outboundFetch, readLimited } from "../outbound/fetch";

type KeyResolver = ReturnType<typeof createLocalJWKSet>;

interface Entry {
  resolve: KeyResolver;
  discovery: Record<string, unknown>;
  fetchedAt: number;
}

export interface JwksCacheOptions {
  now?: () => number;
  ttlMs?: number;
  refreshCooldownMs?: number;
  timeoutMs?: number;
}

const MAX_DOC_BYTES = 256 * 1024;

export class JwksCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  readonly options: Required<JwksCacheOptions>;

  constructor(options: JwksCacheOptions = {}) {
    this.options = { now: Date.now, ttlMs: 15 * 60_000, refreshCooldownMs: 30_000, timeoutMs: 5_000, ...options };
  }

  /** Forgets every issuer (tests, and an operator-triggered reload). */
  clear(): void {
    this.entries.clear();
  }

  /** A jose key resolver for `issuer` that refreshes once on an unknown `kid`. */
  resolverFor(issuer: string, allowPrivate: boolean) {
    return async (header: JWTHeaderParameters, token: unknown) => {
      let entry = await this.entry(issuer, allowPrivate, false);
      try {
        return await entry.resolve(header, token as never);
      } catch (e) {
        if (!(e instanceof errors.JWKSNoMatchingKey)) throw e;
        if (this.options.now() - entry.fetchedAt < this.options.refreshCooldownMs) throw e;
        entry = await this.entry(issuer, allowPrivate, true);
        return entry.resolve(header, token as never);
      }
    };
  }

  /** The issuer's discovery document (cached with its keys). */
  async discovery(issuer: string, allowPrivate: boolean): Promise<Record<string, unknown>> {
    return (await this.entry(issuer, allowPrivate, false)).discovery;
  }

  private async entry(issuer: string, allowPrivate: boolean, force: boolean): Promise<Entry> {
    const cached = this.entries.get(issuer);
    if (cached && !force && this.options.now() - cached.fetchedAt < this.options.ttlMs) return cached;
    let pending = this.loading.get(issuer);
    if (!pending) {
      pending = this.load(issuer, allowPrivate).finally(() => this.loading.delete(issuer));
      this.loading.set(issuer, pending);
    }
    return pending;
  }

  private async load(issuer: string, allowPrivate: boolean): Promise<Entry> {
    const rules = { allowPrivate, requireHttps: true };
    const discovery = checkOutboundUrl(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`, "OidcIssuer", rules);
    const doc = await this.getJson(discovery);
    if (doc.issuer !== issuer) throw new errors.JWKSInvalid(`discovery document names issuer ${String(doc.issuer)}`);
    if (typeof doc.jwks_uri !== "string") throw new errors.JWKSInvalid("discovery document has no jwks_uri");
    const jwks = (await this.getJson(checkOutboundUrl(doc.jwks_uri, "OidcJwks", rules))) as unknown as JSONWebKeySet;
    const entry = { resolve: createLocalJWKSet(jwks), discovery: doc, fetchedAt: this.options.now() };
    this.entries.set(issuer, entry);
    return entry;
  }

  private async getJson(url: URL): Promise<Record<string, unknown>> {
    const res = await outboundFetch(url, { headers: { Accept: "application/json" }, timeoutMs: this.options.timeoutMs });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new errors.JWKSInvalid(`${url.href} answered ${res.status}`);
    }
    const parsed: unknown = JSON.parse(await readLimited(res, MAX_DOC_BYTES));
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new errors.JWKSInvalid(`${url.href} is not a JSON object`);
    return parsed as Record<string, unknown>;
  }
}

/** The isolate's cache, shared by every request this isolate serves. */
export const jwksCache = new JwksCache();
