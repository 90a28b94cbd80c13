/**
 * How each protocol publishes and downloads one small artifact, as its real client
 * does, for the format contract suite (format-contract.test.ts). A new format adds one
 * adapter here and gets every scenario of the suite.
 *
 * An adapter publishes content derived from `seed` (the same seed gives the same bytes,
 * so publishing it into two repos exercises deduplication) and says where the stored
 * bytes can be downloaded. Every request goes through one transport (SELF.fetch, unless
 * a scenario swaps it with `withTransport`, e.g. to cut a request body short).
 */
import { SELF } from "cloudflare:test";
import { BASE } from "../helpers";
import { zip } from "../zip-builder";
import { buildChart, buildDeb } from "../support/archives";
import { buildRpm } from "../support/rpm-builder";

export interface RepoRef {
  project: string;
  repo: string;
}

export interface Published {
  res: Response;
  /** Path (from the registry root) that serves the stored bytes. */
  download: string;
  bytes: Uint8Array;
}

export interface FormatAdapter {
  name: string;
  repoFormat: string;
  /** The Authorization header this protocol's client sends for a token. */
  auth(token: string): string;
  /** Publishes one artifact; `res` is the client's answer. */
  publish(r: RepoRef, token: string | null, seed: string): Promise<Published>;
  /** Statuses this protocol answers a successful publish with. */
  published: number[];
  /** A publish whose declared digest/checksum does not match its bytes (null: the client declares none). */
  publishMismatched: ((r: RepoRef, token: string, seed: string) => Promise<Published>) | null;
  /** The challenge scheme of a 401 (`WWW-Authenticate`). */
  challenge: RegExp;
}

const enc = new TextEncoder();
const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
const digestHex = async (alg: string, bytes: Uint8Array) => hex(await crypto.subtle.digest(alg, bytes));
const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const bearer = (t: string) => `Bearer ${t}`;
const basic = (t: string, user = "token") => `Basic ${btoa(`${user}:${t}`)}`;

export type Transport = (request: Request) => Promise<Response>;
const viaSelf: Transport = (request) => SELF.fetch(request);
let transport: Transport = viaSelf;

/** Runs `fn` with every adapter request sent through `t` instead of SELF.fetch. */
export async function withTransport<T>(t: Transport, fn: () => Promise<T>): Promise<T> {
  transport = t;
  try {
    return await fn();
  } finally {
    transport = viaSelf;
  }
}

function call(path: string, auth: string | null, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (auth) headers.set("Authorization", auth);
  return transport(new Request(`${BASE}${path}`, { ...init, headers }));
}

/** Bytes that differ per seed, large enough to be worth deduplicating. */
const contentOf = (seed: string, what: string) => enc.encode(`${what} of ${seed} ${"x".repeat(300)}`);
/** A name component safe in every protocol's grammar. */
const nameOf = (seed: string) => `p${seed.replace(/[^a-z0-9]/g, "")}`.slice(0, 40);

async function ociPublish(r: RepoRef, token: string | null, seed: string, declared?: string): Promise<Published> {
  const name = `${r.project}/${r.repo}/${nameOf(seed)}`;
  const bytes = contentOf(seed, "layer");
  const digest = declared ?? `sha256:${await digestHex("SHA-256", bytes)}`;
  const auth = token ? basic(token) : null;
  const download = `/v2/${name}/blobs/${digest}`;
  const push = (body: Uint8Array, d: string) =>
    call(`/v2/${name}/blobs/uploads/?digest=${d}`, auth, { method: "POST", body, headers: { "Content-Type": "application/octet-stream" } });
  const res = await push(bytes, digest);
  if (res.status !== 201 || declared) return { res, download, bytes };
  const config = enc.encode(JSON.stringify({ architecture: "amd64", os: "linux", seed }));
  const configDigest = `sha256:${await digestHex("SHA-256", config)}`;
  const c = await push(config, configDigest);
  if (c.status !== 201) return { res: c, download, bytes };
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.byteLength },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest, size: bytes.byteLength }],
  });
  const m = await call(`/v2/${name}/manifests/v1`, auth, { method: "PUT", body: manifest, headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" } });
  return { res: m, download, bytes };
}

const oci: FormatAdapter = {
  name: "oci",
  repoFormat: "docker",
  auth: (t) => basic(t),
  published: [201],
  challenge: /^Bearer realm=/,
  publish: (r, token, seed) => ociPublish(r, token, seed),
  publishMismatched: (r, token, seed) => ociPublish(r, token, seed, `sha256:${"0".repeat(64)}`),
};

async function npmPublish(r: RepoRef, token: string | null, seed: string, badIntegrity = false): Promise<Published> {
  const name = nameOf(seed);
  const bytes = contentOf(seed, "tarball");
  const integrity = `sha512-${b64(new Uint8Array(await crypto.subtle.digest("SHA-512", badIntegrity ? enc.encode("other") : bytes)))}`;
  const file = `${name}-1.0.0.tgz`;
  const body = {
    _id: name,
    name,
    "dist-tags": { latest: "1.0.0" },
    versions: { "1.0.0": { name, version: "1.0.0", _id: `${name}@1.0.0`, dist: { integrity, shasum: await digestHex("SHA-1", bytes), tarball: `http://elsewhere/${file}` } } },
    _attachments: { [file]: { content_type: "application/octet-stream", data: b64(bytes), length: bytes.length } },
  };
  const base = `/npm/${r.project}/${r.repo}`;
  const res = await call(`${base}/${name}`, token ? bearer(token) : null, { method: "PUT", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
  return { res, download: `${base}/${name}/-/${file}`, bytes };
}

const npm: FormatAdapter = {
  name: "npm",
  repoFormat: "npm",
  auth: bearer,
  published: [201],
  challenge: /^Bearer /,
  publish: (r, token, seed) => npmPublish(r, token, seed),
  publishMismatched: (r, token, seed) => npmPublish(r, token, seed, true),
};

async function pypiPublish(r: RepoRef, token: string | null, seed: string, badSha = false): Promise<Published> {
  const name = nameOf(seed);
  const filename = `${name}-1.0.0-py3-none-any.whl`;
  const bytes = await zip([
    { name: `${name}/__init__.py`, data: `SEED = "${seed}"\n`, deflate: true },
    { name: `${name}-1.0.0.dist-info/METADATA`, data: `Metadata-Version: 2.1\nName: ${name}\nVersion: 1.0.0\n\n`, deflate: true },
    { name: `${name}-1.0.0.dist-info/RECORD`, data: "" },
  ]);
  const form = new FormData();
  for (const [k, v] of Object.entries({ ":action": "file_upload", protocol_version: "1", metadata_version: "2.1", name, version: "1.0.0", filetype: "bdist_wheel", pyversion: "py3" })) form.append(k, v);
  form.append("md5_digest", await digestHex("MD5", bytes));
  form.append("sha256_digest", badSha ? "0".repeat(64) : await digestHex("SHA-256", bytes));
  form.append("content", new File([bytes], filename, { type: "application/octet-stream" }));
  const base = `/pypi/${r.project}/${r.repo}`;
  const res = await call(`${base}/`, token ? basic(token, "__token__") : null, { method: "POST", body: form });
  return { res, download: `${base}/files/${filename}`, bytes };
}

const pypi: FormatAdapter = {
  name: "pypi",
  repoFormat: "pypi",
  auth: (t) => basic(t, "__token__"),
  published: [200],
  challenge: /^Basic /,
  publish: (r, token, seed) => pypiPublish(r, token, seed),
  publishMismatched: (r, token, seed) => pypiPublish(r, token, seed, true),
};

const maven: FormatAdapter = {
  name: "maven",
  repoFormat: "maven",
  auth: (t) => basic(t),
  published: [201],
  challenge: /^Basic /,
  async publish(r, token, seed) {
    const name = nameOf(seed);
    const bytes = contentOf(seed, "jar");
    const path = `/maven/${r.project}/${r.repo}/com/example/${name}/1.0/${name}-1.0.jar`;
    const res = await call(path, token ? basic(token) : null, { method: "PUT", body: bytes });
    return { res, download: path, bytes };
  },
  // Maven uploads checksums after the file (a separate PUT, verified then): no digest precedes the bytes.
  publishMismatched: null,
};

/** Cargo's publish body: u32 LE JSON length, the JSON, u32 LE crate length, the crate. */
export function cargoFrame(meta: unknown, crate: Uint8Array) {
  const json = enc.encode(JSON.stringify(meta));
  const out = new Uint8Array(8 + json.length + crate.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, json.length, true);
  out.set(json, 4);
  dv.setUint32(4 + json.length, crate.length, true);
  out.set(crate, 8 + json.length);
  return out;
}

const cargo: FormatAdapter = {
  name: "cargo",
  repoFormat: "cargo",
  auth: (t) => t,
  published: [200],
  challenge: /^Cargo/,
  async publish(r, token, seed) {
    const name = nameOf(seed);
    const bytes = new Uint8Array([0x1f, 0x8b, ...contentOf(seed, "crate")]);
    const base = `/cargo/${r.project}/${r.repo}`;
    const meta = { name, vers: "0.1.0", deps: [], features: {}, description: "contract" };
    const res = await call(`${base}/api/v1/crates/new`, token, { method: "PUT", body: cargoFrame(meta, bytes) });
    return { res, download: `${base}/api/v1/crates/${name}/0.1.0/download`, bytes };
  },
  // cargo sends no checksum: the index's cksum is computed by the registry.
  publishMismatched: null,
};

const go: FormatAdapter = {
  name: "go",
  repoFormat: "go",
  auth: (t) => basic(t),
  published: [201],
  challenge: /^Basic /,
  async publish(r, token, seed) {
    const mod = `example.com/${nameOf(seed)}`;
    const bytes = await zip([
      { name: `${mod}@v1.0.0/go.mod`, data: `module ${mod}\n\ngo 1.19\n`, deflate: true },
      { name: `${mod}@v1.0.0/lib.go`, data: `package lib\n\nconst Seed = "${seed}"\n`, deflate: true },
    ]);
    const path = `/go/${r.project}/${r.repo}/${mod}/@v/v1.0.0.zip`;
    const res = await call(path, token ? basic(token) : null, { method: "PUT", body: bytes });
    return { res, download: path, bytes };
  },
  // The go command uploads nothing itself; a module zip carries no declared digest.
  publishMismatched: null,
};

async function genericPublish(r: RepoRef, token: string | null, seed: string, badSha = false): Promise<Published> {
  const bytes = contentOf(seed, "file");
  const path = `/generic/${r.project}/${r.repo}/tools/${nameOf(seed)}.bin`;
  const sha = badSha ? "0".repeat(64) : await digestHex("SHA-256", bytes);
  const res = await call(path, token ? bearer(token) : null, { method: "PUT", body: bytes, headers: { "X-Checksum-Sha256": sha } });
  return { res, download: path, bytes };
}

const generic: FormatAdapter = {
  name: "generic",
  repoFormat: "generic",
  auth: bearer,
  published: [201],
  challenge: /^Basic /,
  publish: (r, token, seed) => genericPublish(r, token, seed),
  publishMismatched: (r, token, seed) => genericPublish(r, token, seed, true),
};

async function debPublish(r: RepoRef, token: string | null, seed: string, badSha = false): Promise<Published> {
  const name = nameOf(seed);
  const bytes = await buildDeb({ name, version: "1.0", payload: `${seed} ${"x".repeat(300)}` });
  const sha = badSha ? "0".repeat(64) : await digestHex("SHA-256", bytes);
  const base = `/deb/${r.project}/${r.repo}`;
  const res = await call(`${base}/upload?distribution=bookworm&component=main`, token ? basic(token) : null, { method: "PUT", body: bytes, headers: { "X-Checksum-Sha256": sha } });
  return { res, download: `${base}/pool/bookworm/main/${name[0]}/${name}/${name}_1.0_amd64.deb`, bytes };
}

const deb: FormatAdapter = {
  name: "deb",
  repoFormat: "deb",
  auth: (t) => basic(t),
  published: [201],
  challenge: /^Basic /,
  publish: (r, token, seed) => debPublish(r, token, seed),
  publishMismatched: (r, token, seed) => debPublish(r, token, seed, true),
};

async function rpmPublish(r: RepoRef, token: string | null, seed: string, badSha = false): Promise<Published> {
  const name = nameOf(seed);
  const bytes = await buildRpm({ name, version: "1.0", payload: `${seed} ${"x".repeat(300)}` });
  const sha = badSha ? "0".repeat(64) : await digestHex("SHA-256", bytes);
  const base = `/rpm/${r.project}/${r.repo}`;
  const res = await call(`${base}/upload`, token ? basic(token) : null, { method: "PUT", body: bytes, headers: { "X-Checksum-Sha256": sha } });
  return { res, download: `${base}/Packages/${name[0]}/${name}-1.0-1.x86_64.rpm`, bytes };
}

const rpm: FormatAdapter = {
  name: "rpm",
  repoFormat: "rpm",
  auth: (t) => basic(t),
  published: [201],
  challenge: /^Basic /,
  publish: (r, token, seed) => rpmPublish(r, token, seed),
  publishMismatched: (r, token, seed) => rpmPublish(r, token, seed, true),
};

const helmClassic: FormatAdapter = {
  name: "helm-classic",
  repoFormat: "helm-classic",
  auth: (t) => basic(t),
  published: [201],
  challenge: /^Basic /,
  async publish(r, token, seed) {
    const name = nameOf(seed);
    const bytes = await buildChart({ name, version: "1.0.0", extra: `${seed} ${"x".repeat(300)}` });
    const base = `/helm/${r.project}/${r.repo}`;
    const res = await call(`${base}/api/charts`, token ? basic(token) : null, { method: "POST", body: bytes, headers: { "Content-Type": "application/gzip" } });
    return { res, download: `${base}/charts/${name}-1.0.0.tgz`, bytes };
  },
  // ChartMuseum's upload declares no digest: index.yaml's digest is computed by the registry.
  publishMismatched: null,
};

const mcp: FormatAdapter = {
  name: "mcp",
  repoFormat: "mcp",
  auth: bearer,
  published: [200],
  challenge: /^Bearer /,
  async publish(r, token, seed) {
    const name = `com.example/${nameOf(seed)}`;
    const bytes = enc.encode(JSON.stringify({ name, description: `server of ${seed}`, version: "1.0.0", websiteUrl: `https://example.com/${"x".repeat(300)}` }));
    const base = `/mcp/${r.project}/${r.repo}`;
    const res = await call(`${base}/v0/publish`, token ? bearer(token) : null, { method: "POST", body: bytes, headers: { "Content-Type": "application/json" } });
    return { res, download: `${base}/v0/servers/${encodeURIComponent(name)}/versions/1.0.0/server.json`, bytes };
  },
  // The MCP registry's publish declares no digest.
  publishMismatched: null,
};

export const ADAPTERS: FormatAdapter[] = [oci, npm, pypi, maven, cargo, go, generic, deb, rpm, helmClassic, mcp];
export { call };
