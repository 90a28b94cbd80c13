/**
 * The private sigstore (sigstore-world.mjs) served to the workerd tests as the `SIGSTORE`
 * service binding: `@sigstore/mock` needs Node (its CA signs with @peculiar/webcrypto,
 * which does not load in workerd), so the tests ask Node to sign over this seam.
 *
 *   GET  /root            the trusted_root.json naming the CA, CT log and Rekor
 *   POST /key   {name, type?}            a named key (made once; "ec" P-256 or "ed25519") → {publicKeyPem}
 *   POST /bundle {payload (base64), key?, identity?, dsse?, tlog?, atOffsetMs?, tamper?}
 *        → {bundle, rekorAnnotation, certificatePem, publicKeyPem}
 *   POST /statement {subjects, predicateType?} → {payload (base64)}
 *   POST /simple-signing {reference, digest}  → {payload (base64)}
 */
import { createSigstoreWorld, signingKey, statement, simpleSigningPayload } from "./sigstore-world.mjs";

const pem = (der, label) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString("base64").match(/.{1,64}/g).join("\n")}\n-----END ${label}-----\n`;

export function sigstoreSigner() {
  let world;
  const keys = new Map();
  const keyNamed = (name, type = "ec") => {
    if (!keys.has(name)) keys.set(name, signingKey(type));
    return keys.get(name);
  };
  return async (request) => {
    world ??= await createSigstoreWorld();
    const url = new URL(request.url);
    const body = request.method === "POST" ? await request.json() : {};
    const json = (v) => new Response(JSON.stringify(v), { headers: { "content-type": "application/json" } });
    switch (url.pathname) {
      case "/root":
        return json(world.trustedRoot);
      case "/key":
        return json({ publicKeyPem: keyNamed(body.name, body.type).publicKeyPem });
      case "/statement":
        return json({ payload: statement(body.subjects, body.predicateType).toString("base64") });
      case "/simple-signing":
        return json({ payload: simpleSigningPayload(body.reference, body.digest).toString("base64") });
      case "/bundle": {
        const key = body.key ? keyNamed(body.key, body.keyType) : undefined;
        const at = body.atOffsetMs === undefined ? undefined : new Date(world.issuedAt.getTime() + body.atOffsetMs);
        const made = await world.bundle(Buffer.from(body.payload, "base64"), { key, identity: body.identity, dsse: body.dsse, tlog: body.tlog, at, tamper: body.tamper });
        return json({ bundle: made.bundle, rekorAnnotation: made.rekorAnnotation, certificatePem: made.certificate ? pem(made.certificate, "CERTIFICATE") : null, publicKeyPem: made.key.publicKeyPem });
      }
      default:
        return new Response("not found", { status: 404 });
    }
  };
}
