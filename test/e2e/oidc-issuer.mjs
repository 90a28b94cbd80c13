// A local OIDC issuer for e2e tests: keys made here, discovery and JWKS served over HTTP
// on 127.0.0.1 (the registry fetches them, under ORBITALREG_ALLOW_PRIVATE_WEBHOOKS), and
// GitHub Actions' ID-token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN), which signs
// the claims of a job of acme/app on main in the prod environment.
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { SignJWT, exportJWK, generateKeyPair } from "jose";

/** Claims of a GitHub Actions job token for `aud`, as token.actions.githubusercontent.com issues them. */
export const githubJob = (aud, over = {}) => ({
  aud,
  sub: "repo:acme/app:environment:prod",
  repository: "acme/app",
  ref: "refs/heads/main",
  environment: "prod",
  job_workflow_ref: "acme/app/.github/workflows/release.yml@refs/heads/main",
  ...over,
});

/**
 * Starts the issuer. Returns its `url` (the `iss`), `sign(claims)` for a token with
 * fresh iat/nbf/exp/jti, `githubEnv` (the two ACTIONS_ID_TOKEN_REQUEST_* variables a
 * job sees) and `close()`.
 */
export async function startIssuer({ alg = "RS256" } = {}) {
  const pair = await generateKeyPair(alg);
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: `e2e-${alg}`, alg, use: "sig" };
  const requestToken = `ghs_${randomBytes(16).toString("hex")}`;
  let url;
  const sign = (claims) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: url, iat: now, nbf: now - 5, exp: now + 300, jti: randomBytes(8).toString("hex"), ...claims })
      .setProtectedHeader({ alg, kid: jwk.kid, typ: "JWT" })
      .sign(pair.privateKey);
  };
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, url);
    const reply = (status, body) => res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
    if (path.pathname === "/.well-known/openid-configuration") return reply(200, { issuer: url, jwks_uri: `${url}/jwks` });
    if (path.pathname === "/jwks") return reply(200, { keys: [jwk] });
    if (path.pathname === "/github/id-token") {
      if (req.headers.authorization !== `bearer ${requestToken}`) return reply(401, { message: "bad request token" });
      return reply(200, { value: await sign(githubJob(path.searchParams.get("audience"))) });
    }
    reply(404, {});
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    sign,
    githubEnv: { ACTIONS_ID_TOKEN_REQUEST_URL: `${url}/github/id-token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken },
    close: () => server.close(),
  };
}
