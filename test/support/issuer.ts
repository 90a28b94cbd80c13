/**
 * A real OIDC issuer for tests: keys generated here with jose, a discovery document
 * and a JWKS served through the outbound seam, and tokens signed like GitHub Actions
 * or GitLab CI sign theirs.
 */
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from "jose";
import { serve } from "./outbound";

interface Key {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

let counter = 0;

export class TestIssuer {
  readonly keys: Key[] = [];
  /** When set, the issuer answers every request with this status (an outage). */
  failWith: number | null = null;
  /** Overrides the `issuer` field of the discovery document. */
  discoveryIssuer: string | null = null;

  private constructor(readonly url: string) {}

  static async create(name = "issuer", alg = "ES256"): Promise<TestIssuer> {
    const issuer = new TestIssuer(`https://${name}-${Date.now().toString(36)}-${counter++}.oidc.test`);
    await issuer.addKey(alg);
    serve(issuer.url, (req) => issuer.handle(req));
    return issuer;
  }

  async addKey(alg = "ES256", kid = `k${this.keys.length + 1}`): Promise<Key> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
    const key = { kid, alg, privateKey, publicJwk };
    this.keys.push(key);
    return key;
  }

  jwks() {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  private handle(req: Request): Response {
    if (this.failWith) return new Response("down", { status: this.failWith });
    const path = new URL(req.url).pathname;
    if (path === "/.well-known/openid-configuration") {
      return Response.json({ issuer: this.discoveryIssuer ?? this.url, jwks_uri: `${this.url}/keys`, id_token_signing_alg_values_supported: ["RS256", "ES256"] });
    }
    if (path === "/keys") return Response.json(this.jwks());
    return new Response("not found", { status: 404 });
  }

  /** Signs `claims` (iss, iat, exp filled in unless given) with one of this issuer's keys. */
  async sign(claims: JWTPayload, opts: { key?: Key; kid?: string | null; expiresIn?: number; header?: Record<string, unknown> } = {}): Promise<string> {
    const key = opts.key ?? this.keys[0]!;
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: key.alg, typ: "JWT", ...(opts.kid === null ? {} : { kid: opts.kid ?? key.kid }), ...opts.header };
    return new SignJWT({ iss: this.url, iat: now, exp: now + (opts.expiresIn ?? 300), ...claims })
      .setProtectedHeader(header as { alg: string })
      .sign(key.privateKey);
  }
}

/** Claims shaped like a GitHub Actions job's token. */
export const githubClaims = (over: Record<string, unknown> = {}) => ({
  aud: "https://registry.test",
  sub: "repo:acme/app:environment:prod",
  repository: "acme/app",
  repository_owner: "acme",
  ref: "refs/heads/main",
  ref_type: "branch",
  environment: "prod",
  job_workflow_ref: "acme/app/.github/workflows/release.yml@refs/heads/main",
  event_name: "push",
  jti: crypto.randomUUID(),
  ...over,
});

/** Claims shaped like a GitLab CI job's token (`id_tokens:`). */
export const gitlabClaims = (over: Record<string, unknown> = {}) => ({
  aud: "https://registry.test",
  sub: "project_path:acme/platform/api:ref_type:branch:ref:main",
  namespace_path: "acme/platform",
  project_path: "acme/platform/api",
  ref: "main",
  ref_type: "branch",
  ref_protected: "true",
  pipeline_source: "push",
  jti: crypto.randomUUID(),
  ...over,
});

/** base64url of a string or bytes (for hand-made tokens). */
export function b64url(input: string | Uint8Array): string {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
