/**
 * Publishing through each protocol as its client does, with any version (and licence),
 * for the policy tests: blocks, quarantine and licences need several versions of one
 * package, per format.
 */
import { expect } from "vitest";
import { SELF } from "cloudflare:test";
import { BASE, createRepo, projectWithToken } from "../helpers";
import { zip } from "../zip-builder";
import { wheelZip, coreMetadata } from "../pypi-fixtures";

const enc = new TextEncoder();
const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
export const sha256hex = async (bytes: Uint8Array) => hex(await crypto.subtle.digest("SHA-256", bytes));

export const basicAuth = (t: string, user = "ci") => `Basic ${btoa(`${user}:${t}`)}`;

export function call(path: string, auth: string | null, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (auth) headers.set("Authorization", auth);
  return SELF.fetch(`${BASE}${path}`, { ...init, headers });
}

export interface Where {
  project: { id: string; slug: string };
  repo: { id: string; slug: string };
  token: string;
  sa: { id: string };
}

/** A project with a writer service account and one repo of `format`. */
export async function repoOf(format: string, repoExtra: Record<string, unknown> = {}): Promise<Where> {
  const { project, sa, token } = await projectWithToken("writer");
  const repo = await createRepo(project.id, format, repoExtra);
  return { project, repo, token, sa };
}

const base = (prefix: string, w: Where) => `/${prefix}/${w.project.slug}/${w.repo.slug}`;

export async function npmPublish(w: Where, name: string, version: string, manifest: Record<string, unknown> = {}, token = w.token) {
  const bytes = enc.encode(`tarball ${name}@${version} ${"x".repeat(100)}`);
  const integrity = `sha512-${b64(new Uint8Array(await crypto.subtle.digest("SHA-512", bytes)))}`;
  const file = `${name.split("/").pop()}-${version}.tgz`;
  const body = {
    _id: name,
    name,
    "dist-tags": { latest: version },
    versions: { [version]: { name, version, _id: `${name}@${version}`, dist: { integrity, tarball: `http://x/${file}` }, ...manifest } },
    _attachments: { [file]: { content_type: "application/octet-stream", data: b64(bytes), length: bytes.length } },
  };
  const res = await call(`${base("npm", w)}/${name.replace("/", "%2f")}`, `Bearer ${token}`, { method: "PUT", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
  return { res, tarball: `${base("npm", w)}/${name}/-/${file}`, packument: `${base("npm", w)}/${name.replace("/", "%2f")}`, digest: `sha256:${await sha256hex(bytes)}` };
}

export async function pypiUpload(w: Where, name: string, version: string, fields: Record<string, string | string[]> = {}, token = w.token) {
  const bytes = await wheelZip(name, version, coreMetadata(name, version));
  const filename = `${name.replace(/[-_.]+/g, "_")}-${version}-py3-none-any.whl`;
  const form = new FormData();
  for (const [k, v] of Object.entries({ ":action": "file_upload", protocol_version: "1", metadata_version: "2.1", name, version, filetype: "bdist_wheel", pyversion: "py3" })) form.append(k, v);
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) form.append(k, x);
  form.append("sha256_digest", await sha256hex(bytes));
  form.append("content", new File([bytes], filename, { type: "application/octet-stream" }));
  const res = await call(`${base("pypi", w)}/`, basicAuth(token, "__token__"), { method: "POST", body: form });
  return { res, file: `${base("pypi", w)}/files/${filename}`, simple: `${base("pypi", w)}/simple/${name.replace(/[-_.]+/g, "-").toLowerCase()}/` };
}

export async function mavenPut(w: Where, artifact: string, version: string, file: "jar" | "pom", body?: string, token = w.token) {
  const path = `${base("maven", w)}/com/example/${artifact}/${version}/${artifact}-${version}.${file}`;
  const res = await call(path, basicAuth(token), { method: "PUT", body: body ?? `${file} of ${artifact} ${version}` });
  return { res, path, metadata: `${base("maven", w)}/com/example/${artifact}/maven-metadata.xml` };
}

export const pom = (artifact: string, version: string, licenses: { name?: string; url?: string }[] = []) =>
  `<?xml version="1.0"?><project><modelVersion>4.0.0</modelVersion><groupId>com.example</groupId><artifactId>${artifact}</artifactId><version>${version}</version>${
    licenses.length ? `<licenses>${licenses.map((l) => `<license>${l.name ? `<name>${l.name}</name>` : ""}${l.url ? `<url>${l.url}</url>` : ""}</license>`).join("")}</licenses>` : ""
  }</project>`;

export async function cargoPublish(w: Where, name: string, vers: string, meta: Record<string, unknown> = {}, token = w.token) {
  const crate = new Uint8Array([0x1f, 0x8b, ...enc.encode(`crate ${name} ${vers}`)]);
  const json = enc.encode(JSON.stringify({ name, vers, deps: [], features: {}, ...meta }));
  const frame = new Uint8Array(8 + json.length + crate.length);
  const dv = new DataView(frame.buffer);
  dv.setUint32(0, json.length, true);
  frame.set(json, 4);
  dv.setUint32(4 + json.length, crate.length, true);
  frame.set(crate, 8 + json.length);
  const res = await call(`${base("cargo", w)}/api/v1/crates/new`, token, { method: "PUT", body: frame });
  const n = name.toLowerCase();
  const index = n.length <= 3 ? `${base("cargo", w)}/index/${n.length}/${n}` : `${base("cargo", w)}/index/${n.slice(0, 2)}/${n.slice(2, 4)}/${n}`;
  return { res, download: `${base("cargo", w)}/api/v1/crates/${name}/${vers}/download`, index };
}

export async function goPut(w: Where, module: string, version: string, token = w.token) {
  const bytes = await zip([
    { name: `${module}@${version}/go.mod`, data: `module ${module}\n\ngo 1.19\n` },
    { name: `${module}@${version}/lib.go`, data: `package lib\n\nconst V = "${version}"\n` },
  ]);
  const root = `${base("go", w)}/${module}`;
  const res = await call(`${root}/@v/${version}.zip`, basicAuth(token), { method: "PUT", body: bytes });
  return { res, root, zip: `${root}/@v/${version}.zip`, mod: `${root}/@v/${version}.mod`, info: `${root}/@v/${version}.info` };
}

export async function genericPut(w: Where, path: string, body = `file ${path}`, token = w.token) {
  const res = await call(`${base("generic", w)}/${path}`, `Bearer ${token}`, { method: "PUT", body });
  return { res, url: `${base("generic", w)}/${path}` };
}

export async function ok(res: Response, status = [200, 201]) {
  const text = await res.clone().text();
  expect(status, text).toContain(res.status);
  return res;
}

export { enc };
