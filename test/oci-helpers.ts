/** Helpers for OCI tests: a docker repo with a token, digests, and pushes through the protocol. */
import { expect } from "vitest";
import { BASE, createRepo, projectWithToken, req } from "./helpers";
import { SELF } from "cloudflare:test";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";

export const basic = (token: string) => `Basic ${btoa(`ci:${token}`)}`;

export async function sha256(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return `sha256:${[...d].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** A registry request with HTTP Basic auth (what skopeo/podman send). */
export function oci(path: string, init: RequestInit & { auth?: string | null } = {}) {
  const headers = new Headers(init.headers);
  if (init.auth) headers.set("Authorization", basic(init.auth));
  return SELF.fetch(`${BASE}${path}`, { ...init, headers });
}

export async function ociRepo(role = "writer", repoExtra: Record<string, unknown> = {}, format = "docker") {
  const { project, sa, token } = await projectWithToken(role);
  const repo = await createRepo(project.id, format, repoExtra);
  return { project, repo, sa, token, name: `${project.slug}/${repo.slug}/app`, prefix: `${project.slug}/${repo.slug}` };
}

export function bytesOf(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export async function pushBlob(name: string, token: string, data: Uint8Array | string) {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await sha256(bytes);
  const res = await oci(`/v2/${name}/blobs/uploads/?digest=${digest}`, { method: "POST", auth: token, body: bytes, headers: { "Content-Type": "application/octet-stream" } });
  expect(res.status, await res.clone().text()).toBe(201);
  return { digest, size: bytes.byteLength };
}

export async function putManifest(name: string, token: string, ref: string, doc: unknown, mediaType = OCI_MANIFEST) {
  const body = typeof doc === "string" ? doc : JSON.stringify(doc);
  const res = await oci(`/v2/${name}/manifests/${ref}`, { method: "PUT", auth: token, body, headers: { "Content-Type": mediaType } });
  return { res, digest: await sha256(body), body, size: new TextEncoder().encode(body).byteLength };
}

/** Config + one layer + an image manifest, pushed and tagged. */
export async function pushImage(name: string, token: string, tag: string, seed = 1, extra: Record<string, unknown> = {}) {
  const config = await pushBlob(name, token, JSON.stringify({ architecture: "amd64", os: "linux", seed }));
  const layer = await pushBlob(name, token, bytesOf(1000 + seed, seed));
  const doc = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layer.digest, size: layer.size }],
    ...extra,
  };
  const put = await putManifest(name, token, tag, doc);
  expect(put.res.status, await put.res.clone().text()).toBe(201);
  return { config, layer, manifest: put };
}

export async function errorsOf(res: Response, status: number) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text).errors as { code: string; message: string; detail: unknown }[];
}

// Upload sessions: start, PATCH, bodies of unknown length, reading a blob back.

export async function startUpload(name: string, token: string) {
  const res = await oci(`/v2/${name}/blobs/uploads/`, { method: "POST", auth: token, headers: { "Content-Length": "0" } });
  expect(res.status).toBe(202);
  expect(res.headers.get("range")).toBe("0-0");
  const location = res.headers.get("location")!;
  expect(location).toMatch(new RegExp(`^/v2/${name}/blobs/uploads/[0-9a-f]{64}$`));
  expect(res.headers.get("docker-upload-uuid")).toBe(location.split("/").pop());
  expect(res.headers.get("oci-chunk-min-length")).toBe(String(5 * 1024 * 1024)); // a hint: smaller chunks work too
  return location;
}

export const patchUpload = (location: string, token: string, body: BodyInit, headers: Record<string, string> = {}) =>
  oci(location, { method: "PATCH", auth: token, body, headers: { "Content-Type": "application/octet-stream", ...headers } });

/** A body of unknown length (chunked transfer encoding), in pieces of `piece` bytes. */
export function streamOf(data: Uint8Array, piece: number, failAfter?: number) {
  let o = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (failAfter !== undefined && o >= failAfter) return c.error(new Error("connection dropped"));
      if (o >= data.length) return c.close();
      c.enqueue(data.slice(o, Math.min(o + piece, data.length)));
      o += piece;
    },
  });
}

export async function blobBytes(name: string, token: string, digest: string) {
  const res = await oci(`/v2/${name}/blobs/${digest}`, { auth: token });
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

export { req };
