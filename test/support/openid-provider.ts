/**
 * An OpenID provider for workerd tests, served through the outbound seam: discovery,
 * JWKS, an authorization endpoint that "signs the user in" at once (answers the
 * redirect with a code), and a token endpoint that checks what a real one checks —
 * client authentication, the code (single use), redirect_uri and the PKCE verifier —
 * before issuing an ID token with the nonce it was given. Tests can change the next
 * ID token's claims or sign it wrongly to see the registry refuse it.
 */
import { SignJWT, exportJWK, generateKeyPair, type JWK } from "jose";
import { serve } from "./outbound";

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string;
  claims: Record<string, unknown>;
}

let counter = 0;

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

export class TestOpenIdProvider {
  readonly url: string;
  readonly clientId = "orbitalreg-ui";
  readonly clientSecret = "s3cret-client";
  private privateKey!: CryptoKey;
  private rogueKey!: CryptoKey;
  private jwk!: JWK;
  private readonly grants = new Map<string, Grant>();
  /** Claims for the next sign-in (merged over sub/email defaults). */
  nextClaims: Record<string, unknown> = {};
  /** Changes what the token endpoint puts in the next ID token. */
  tamper: { nonce?: string; aud?: string | string[]; signWithRogueKey?: boolean; expiresIn?: number } = {};
  /** Token endpoint requests, for assertions. */
  readonly tokenRequests: URLSearchParams[] = [];

  private constructor(name: string) {
    this.url = `https://${name}-${Date.now().toString(36)}-${counter++}.idp.test`;
  }

  static async create(name = "idp"): Promise<TestOpenIdProvider> {
    const p = new TestOpenIdProvider(name);
    const pair = await generateKeyPair("ES256", { extractable: true });
    p.privateKey = pair.privateKey;
    p.rogueKey = (await generateKeyPair("ES256")).privateKey;
    p.jwk = { ...(await exportJWK(pair.publicKey)), kid: "idp-1", alg: "ES256", use: "sig" };
    serve(p.url, (req) => p.handle(req));
    return p;
  }

  /** What the provider does when the browser arrives at its authorization endpoint: a redirect back with a code. */
  authorize(authorizeUrl: string, subject = "user-1"): string {
    const u = new URL(authorizeUrl);
    if (`${u.origin}${u.pathname}` !== `${this.url}/authorize`) throw new Error(`not this provider: ${authorizeUrl}`);
    const q = u.searchParams;
    if (q.get("response_type") !== "code" || q.get("code_challenge_method") !== "S256" || !q.get("code_challenge") || !q.get("nonce") || !q.get("state")) {
      throw new Error(`authorization request lacks PKCE/state/nonce: ${authorizeUrl}`);
    }
    const code = `code-${crypto.randomUUID()}`;
    this.grants.set(code, {
      clientId: q.get("client_id")!,
      redirectUri: q.get("redirect_uri")!,
      challenge: q.get("code_challenge")!,
      nonce: q.get("nonce")!,
      claims: { sub: subject, email: `${subject}@example.com`, email_verified: true, preferred_username: subject, ...this.nextClaims },
    });
    const back = new URL(q.get("redirect_uri")!);
    back.searchParams.set("code", code);
    back.searchParams.set("state", q.get("state")!);
    return back.toString();
  }

  private async handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (path === "/.well-known/openid-configuration") {
      return Response.json({
        issuer: this.url,
        authorization_endpoint: `${this.url}/authorize`,
        token_endpoint: `${this.url}/token`,
        jwks_uri: `${this.url}/jwks`,
        response_types_supported: ["code"],
        code_challenge_methods_supported: ["S256"],
        id_token_signing_alg_values_supported: ["ES256"],
      });
    }
    if (path === "/jwks") return Response.json({ keys: [this.jwk] });
    if (path === "/token" && req.method === "POST") return this.token(req);
    return new Response("not found", { status: 404 });
  }

  private async token(req: Request): Promise<Response> {
    const form = new URLSearchParams(new TextDecoder().decode(await req.arrayBuffer()));
    this.tokenRequests.push(form);
    const fail = (error: string) => Response.json({ error }, { status: 400 });
    const [id, secret] = atob((req.headers.get("authorization") ?? "").replace(/^Basic /, "")).split(":").map(decodeURIComponent);
    if (id !== this.clientId || secret !== this.clientSecret) return Response.json({ error: "invalid_client" }, { status: 401 });
    const grant = this.grants.get(form.get("code") ?? "");
    if (!grant || form.get("grant_type") !== "authorization_code") return fail("invalid_grant");
    this.grants.delete(form.get("code")!);
    if (grant.redirectUri !== form.get("redirect_uri") || grant.clientId !== id) return fail("invalid_grant");
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(form.get("code_verifier") ?? "")));
    if (b64url(digest) !== grant.challenge) return fail("invalid_grant");
    const now = Math.floor(Date.now() / 1000);
    const t = this.tamper;
    this.tamper = {};
    const idToken = await new SignJWT({ ...grant.claims, nonce: t.nonce ?? grant.nonce })
      .setProtectedHeader({ alg: "ES256", kid: "idp-1" })
      .setIssuer(this.url)
      .setAudience(t.aud ?? this.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + (t.expiresIn ?? 300))
      .sign(t.signWithRogueKey ? this.rogueKey : this.privateKey);
    return Response.json({ access_token: "at", token_type: "Bearer", expires_in: 300, id_token: idToken });
  }
}
