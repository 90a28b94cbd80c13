/** Helpers for the internal API's tests: a scanner's JWT, requests through the Worker with the key set, and readers for its streams. */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { SignJWT } from "jose";
import worker from "../../src/index";
import { BASE, createRepo, jsonOf, projectWithToken, req } from "../helpers";
import { esc } from "../npm-fixtures";
import { gzip, tar, type TarEntry } from "../tar-builder";

export const SECRET = "scanner-test-secret-of-at-least-32-characters";
export const HEADER = "Orbitalreg-Internal-Api-Request";
export const ON = { ...env, ORBITALREG_INTERNAL_JWT_SECRET: SECRET };

export interface Claims {
  sub?: string | null;
  aud?: string | null;
  /** Seconds from now; null: no exp. */
  expIn?: number | null;
  iatIn?: number | null;
}

/** A scanner's token: HS256 over SECRET by default, `scanner:test` expiring in 2 minutes. */
export async function scannerJwt(c: Claims = {}, key: Uint8Array | CryptoKey = new TextEncoder().encode(SECRET), alg = "HS256") {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({}).setProtectedHeader({ alg });
  if (c.sub !== null) jwt.setSubject(c.sub ?? "scanner:test");
  if (c.aud !== null) jwt.setAudience(c.aud ?? "orbitalreg-internal");
  if (c.expIn !== null) jwt.setExpirationTime(now + (c.expIn ?? 120));
  if (c.iatIn !== undefined && c.iatIn !== null) jwt.setIssuedAt(now + c.iatIn);
  return jwt.sign(key);
}

/** One request through the Worker with `bindings` (the key set, by default), body read before its background work settles. */
export async function internal(path: string, init: RequestInit & { jwt?: string | null; json?: unknown } = {}, bindings: object = ON) {
  const headers = new Headers(init.headers);
  const jwt = init.jwt === undefined ? await scannerJwt() : init.jwt;
  if (jwt) headers.set(HEADER, jwt);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(init.json);
  }
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, { ...init, headers, body }), bindings as typeof env, ctx);
  const bytes = new Uint8Array(await res.arrayBuffer());
  await waitOnExecutionContext(ctx);
  return { res, bytes, text: () => new TextDecoder().decode(bytes), json: () => JSON.parse(new TextDecoder().decode(bytes)) };
}

export const b64 = (bytes: Uint8Array) => {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
};

/** Publishes `name@version` to an npm repo with a real tarball of `files` (under `package/`). */
export async function publishNpm(base: string, token: string, name: string, version: string, files: Record<string, string | Uint8Array>) {
  const entries: TarEntry[] = [{ name: "package/package.json", data: JSON.stringify({ name, version, license: "MIT" }) }, ...Object.entries(files).map(([n, data]) => ({ name: `package/${n}`, data }))];
  const bytes = await gzip(tar(entries));
  const sha512 = b64(new Uint8Array(await crypto.subtle.digest("SHA-512", bytes)));
  const sha1 = [...new Uint8Array(await crypto.subtle.digest("SHA-1", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const file = `${name}-${version}.tgz`;
  const body = {
    _id: name,
    name,
    "dist-tags": { latest: version },
    versions: { [version]: { name, version, license: "MIT", _id: `${name}@${version}`, dist: { integrity: `sha512-${sha512}`, shasum: sha1, tarball: `http://x/${file}` } } },
    _attachments: { [file]: { content_type: "application/octet-stream", data: b64(bytes), length: bytes.length } },
  };
  await jsonOf(await req(`${base}/${esc(name)}`, { method: "PUT", token, json: body }), 201);
  return bytes;
}

export async function npmRepo() {
  const { project, token, sa } = await projectWithToken("writer");
  const repo = await createRepo(project.id, "npm");
  return { project, repo, token, sa, base: `/npm/${project.slug}/${repo.slug}` };
}

/** The frames of a list_blobs body: 4-byte big-endian length, then a JSON line and the data. */
export function parseFrames(bytes: Uint8Array): { header: any; data: Uint8Array }[] {
  const out: { header: any; data: Uint8Array }[] = [];
  let p = 0;
  while (p < bytes.length) {
    if (p + 4 > bytes.length) throw new Error("truncated length prefix");
    const n = new DataView(bytes.buffer, bytes.byteOffset + p, 4).getUint32(0, false);
    const body = bytes.subarray(p + 4, p + 4 + n);
    if (body.length !== n) throw new Error("truncated frame");
    const nl = body.indexOf(0x0a);
    out.push({ header: JSON.parse(new TextDecoder().decode(body.subarray(0, nl))), data: body.subarray(nl + 1) });
    p += 4 + n;
  }
  return out;
}

export const ndjson = (text: string) =>
  text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
}
