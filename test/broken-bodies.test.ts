/**
 * A request body that breaks off (the client crashed, the link dropped) or ends before
 * its Content-Length, on every format: the Worker answers 400 in the protocol's own
 * error format (never a 500), stores nothing, gives back any quota it reserved, and the
 * same upload sent whole afterwards works. An OCI upload session keeps what arrived
 * before the break and says where to resume.
 *
 * The requests go to the Worker's fetch handler directly: through SELF.fetch (as through
 * wrangler dev's proxy) a body that errors fails the whole exchange on the client side,
 * so the answer could not be read.
 */
import { describe, expect, it } from "vitest";
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../src/index";
import { ADMIN, BASE, createRepo, jsonOf, projectWithToken, req } from "./helpers";
import { publishBody } from "./npm-fixtures";
import { buildZip } from "./zip-builder";
import { bytesOf, sha256 } from "./oci-helpers";
import { gzip, tar } from "./tar-builder";
import { sdistEntries } from "./pypi-fixtures";
import { cargoFrame } from "./contract/adapters";

const enc = new TextEncoder();
type Mode = "error" | "end";

/** `data` cut after `at` bytes: the stream then errors (a dropped connection) or ends. */
function cut(data: Uint8Array, at: number, mode: Mode, piece = 4096): ReadableStream<Uint8Array> {
  let o = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (o >= at) return mode === "error" ? c.error(new Error("Network connection lost.")) : c.close();
      const n = Math.min(piece, at - o);
      c.enqueue(data.slice(o, o + n));
      o += n;
    },
  });
}

/** One request straight into the Worker's fetch handler, answer readable whatever the body did. */
async function direct(path: string, init: RequestInit & { headers: Record<string, string> }) {
  const ctx = createExecutionContext();
  const res = await worker.fetch!(new Request(`${BASE}${path}`, { ...init, duplex: "half" } as RequestInit) as never, env as never, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return { status: res.status, headers: res.headers, text };
}

const objectCount = async () => (await env.BLOBS.list({ prefix: "blobs/" })).objects.length;

async function usageOf(projectId: string) {
  const q = await jsonOf(await req(`/api/v1/projects/${projectId}/quota`, { token: ADMIN }), 200);
  return { used: q.usage.used_bytes, reserved: q.usage.reserved_bytes };
}

interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Where the body breaks off. */
  at: number;
  /** The answer is the protocol's error format. */
  format: (res: { status: number; headers: Headers; text: string }) => void;
  /** A read that answers 404 while nothing of the upload is stored, 200 once it is. */
  probe: string;
  /** R2 objects the refusal may leave unlinked for the blob GC (a file stored before the break). */
  unlinked?: number;
}

type Repo = { project: { id: string; slug: string }; repo: { slug: string }; token: string };

async function repoOf(format: string): Promise<Repo> {
  const { project, token } = await projectWithToken("writer");
  const repo = await createRepo(project.id, format);
  await req(`/api/admin/projects/${project.id}/quota`, { method: "PUT", token: ADMIN, json: { limit_bytes: 50_000_000 } });
  return { project, repo, token };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const basic = (token: string) => ({ Authorization: `Basic ${btoa(`ci:${token}`)}` });
const plainText = (res: { status: number; text: string }) => expect(res.text).toMatch(/broke off/);

const CASES: Record<string, (r: Repo) => Promise<Case>> = {
  generic: async ({ project, repo, token }) => {
    const path = `/generic/${project.slug}/${repo.slug}/tools/a.bin`;
    return { method: "PUT", path, headers: basic(token), body: bytesOf(300_000, 3), at: 100_000, format: plainText, probe: path };
  },
  maven: async ({ project, repo, token }) => {
    const path = `/maven/${project.slug}/${repo.slug}/com/example/lib/1.0/lib-1.0.jar`;
    return { method: "PUT", path, headers: basic(token), body: bytesOf(300_000, 4), at: 100_000, format: plainText, probe: path };
  },
  go: async ({ project, repo, token }) => {
    const mod = "example.com/cut/lib";
    const zip = await buildZip({ [`${mod}@v1.0.0/go.mod`]: `module ${mod}\n`, [`${mod}@v1.0.0/big.go`]: `package lib\n// ${"x".repeat(200_000)}\n` });
    const base = `/go/${project.slug}/${repo.slug}/${mod}/@v`;
    return { method: "PUT", path: `${base}/v1.0.0.zip`, headers: basic(token), body: zip, at: 1000, format: plainText, probe: `${base}/v1.0.0.info` };
  },
  npm: async ({ project, repo, token }) => {
    const base = `/npm/${project.slug}/${repo.slug}`;
    const { body } = await publishBody("cut-pkg", "1.0.0");
    const bytes = enc.encode(JSON.stringify(body));
    return {
      method: "PUT",
      path: `${base}/cut-pkg`,
      headers: { ...bearer(token), "Content-Type": "application/json" },
      body: bytes,
      at: Math.floor(bytes.length / 2),
      format: (res) => expect(JSON.parse(res.text)).toMatchObject({ code: "InvalidBodyIncomplete", error: expect.stringMatching(/broke off/) }),
      probe: `${base}/cut-pkg`,
    };
  },
  cargo: async ({ project, repo, token }) => {
    const body = cargoFrame({ name: "cut-crate", vers: "1.0.0", deps: [], features: {} }, bytesOf(200_000, 5));
    const base = `/cargo/${project.slug}/${repo.slug}`;
    return {
      method: "PUT",
      path: `${base}/api/v1/crates/new`,
      headers: { Authorization: token },
      body,
      at: 100_000,
      format: (res) => expect(JSON.parse(res.text).errors[0].detail).toMatch(/broke off/),
      probe: `${base}/index/cu/t-/cut-crate`,
    };
  },
  pypi: async ({ project, repo, token }) => {
    // A real sdist (the registry reads it), padded with a file gzip cannot shrink.
    const file = await gzip(tar([...sdistEntries("cut-pkg", "1.0.0"), { name: "cut-pkg-1.0.0/pad.bin", data: bytesOf(200_000, 6) }]));
    const form = new FormData();
    for (const [k, v] of Object.entries({ ":action": "file_upload", protocol_version: "1", name: "cut-pkg", version: "1.0.0", filetype: "sdist", sha256_digest: (await sha256(file)).slice(7) })) form.append(k, v);
    form.append("content", new File([file], "cut_pkg-1.0.0.tar.gz"));
    const r = new Request("http://x/", { method: "POST", body: form });
    const body = new Uint8Array(await r.arrayBuffer());
    const base = `/pypi/${project.slug}/${repo.slug}`;
    return {
      method: "POST",
      path: `${base}/`,
      headers: basic(token) as Record<string, string>,
      body,
      at: Math.floor(body.length / 2),
      format: (res) => expect(res.text).toMatch(/^400 .*broke off/),
      probe: `${base}/simple/cut-pkg/`,
      contentType: r.headers.get("content-type")!,
    } as Case & { contentType: string };
  },
};

CASES["pypi (after the file part)"] = async (r) => {
  const c = (await CASES.pypi!(r)) as Case & { contentType: string };
  // The file part ended (stored and linked), then the closing "--" never comes: the link is
  // given back (quota as before); its object stays, unlinked, for the blob GC.
  return { ...c, at: c.body.length - 2, unlinked: 1 };
};

describe("a request body that breaks off", () => {
  for (const [format, make] of Object.entries(CASES)) {
    const repoFormat = format.split(" ")[0]!;
    for (const mode of ["error", "end"] as const) {
      it(`${format}: ${mode === "error" ? "a dropped connection" : "a body shorter than its Content-Length"} is a 400 in the protocol's format; nothing stored, quota back`, async () => {
        const r = await repoOf(repoFormat);
        const c = (await make(r)) as Case & { contentType?: string };
        const headers = { ...c.headers, ...(c.contentType ? { "Content-Type": c.contentType } : {}), "Content-Length": String(c.body.length) };
        const objects = await objectCount();
        const before = await usageOf(r.project.id);

        const res = await direct(c.path, { method: c.method, headers, body: cut(c.body, c.at, mode) });
        expect(res.status, res.text).toBe(400);
        c.format(res);
        expect(res.text).not.toMatch(/internal error|\/work\/|node_modules/);
        expect((await req(c.probe, { token: r.token })).status).toBe(404);
        expect(await objectCount()).toBeLessThanOrEqual(objects + (c.unlinked ?? 0));
        expect(await usageOf(r.project.id)).toEqual(before);

        // The same upload, sent whole, works afterwards.
        const again = await direct(c.path, { method: c.method, headers, body: cut(c.body, c.body.length, "end") });
        expect(again.status, again.text).toBeLessThan(300);
        expect((await req(c.probe, { token: r.token })).status).toBe(200);
      });
    }
  }
});

describe("an OCI upload whose body breaks off", () => {
  const oci = async () => {
    const r = await repoOf("docker");
    return { ...r, name: `${r.project.slug}/${r.repo.slug}/app`, auth: basic(r.token) };
  };
  const start = async (name: string, auth: Record<string, string>) => {
    const res = await direct(`/v2/${name}/blobs/uploads/`, { method: "POST", headers: { ...auth, "Content-Length": "0" } });
    expect(res.status).toBe(202);
    return res.headers.get("location")!;
  };
  const ociError = (res: { status: number; headers: Headers; text: string }) => {
    expect(res.status, res.text).toBe(400);
    expect(JSON.parse(res.text).errors[0]).toMatchObject({ code: "BLOB_UPLOAD_INVALID", message: expect.stringMatching(/broke off/) });
  };

  for (const mode of ["error", "end"] as const) {
    it(`a whole-blob PATCH (${mode}): 400 BLOB_UPLOAD_INVALID with Range 0-0, no object; the blob sent again finishes`, async () => {
      const r = await oci();
      const data = bytesOf(300_000, 7);
      const loc = await start(r.name, r.auth);
      const objects = await objectCount();
      const res = await direct(loc, { method: "PATCH", headers: { ...r.auth, "Content-Length": String(data.length) }, body: cut(data, 100_000, mode) });
      ociError(res);
      expect(res.headers.get("range")).toBe("0-0");
      expect(await objectCount()).toBe(objects);
      const again = await direct(loc, { method: "PATCH", headers: { ...r.auth, "Content-Length": String(data.length) }, body: cut(data, data.length, "end") });
      expect(again.status, again.text).toBe(202);
      const done = await direct(`${loc}?digest=${await sha256(data)}`, { method: "PUT", headers: { ...r.auth, "Content-Length": "0" } });
      expect(done.status, done.text).toBe(201);
    });

    it(`a chunk (${mode}): 400 with the offset kept; resuming there finishes the blob`, async () => {
      const r = await oci();
      const data = bytesOf(700_000, 8);
      const loc = await start(r.name, r.auth);
      const chunk = (from: number, to: number, body: ReadableStream<Uint8Array>) =>
        direct(loc, { method: "PATCH", headers: { ...r.auth, "Content-Length": String(to - from), "Content-Range": `${from}-${to - 1}` }, body });
      expect((await chunk(0, 200_000, cut(data.slice(0, 200_000), 200_000, "end"))).status).toBe(202);
      const res = await chunk(200_000, 700_000, cut(data.slice(200_000), 150_000, mode));
      ociError(res);
      const kept = Number(res.headers.get("range")!.split("-")[1]) + 1;
      expect(kept).toBeGreaterThanOrEqual(200_000);
      expect(kept).toBeLessThanOrEqual(350_000);
      const status = await direct(loc, { method: "GET", headers: r.auth });
      expect(status.headers.get("range")).toBe(`0-${kept - 1}`);
      expect((await chunk(kept, data.length, cut(data.slice(kept), data.length - kept, "end"))).status).toBe(202);
      const done = await direct(`${loc}?digest=${await sha256(data)}`, { method: "PUT", headers: { ...r.auth, "Content-Length": "0" } });
      expect(done.status, done.text).toBe(201);
    });

    it(`a monolithic POST and a manifest PUT (${mode}): 400 in OCI's format, nothing stored`, async () => {
      const r = await oci();
      const data = bytesOf(300_000, 9);
      const digest = await sha256(data);
      const objects = await objectCount();
      const before = await usageOf(r.project.id);
      ociError(await direct(`/v2/${r.name}/blobs/uploads/?digest=${digest}`, { method: "POST", headers: { ...r.auth, "Content-Length": String(data.length) }, body: cut(data, 100_000, mode) }));
      expect((await direct(`/v2/${r.name}/blobs/${digest}`, { method: "HEAD", headers: r.auth })).status).toBe(404);
      const manifest = enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: {}, layers: [], pad: "x".repeat(20_000) }));
      const headers = { ...r.auth, "Content-Type": "application/vnd.oci.image.manifest.v1+json", "Content-Length": String(manifest.length) };
      ociError(await direct(`/v2/${r.name}/manifests/v1`, { method: "PUT", headers, body: cut(manifest, 10_000, mode) }));
      expect((await direct(`/v2/${r.name}/manifests/v1`, { method: "HEAD", headers: r.auth })).status).toBe(404);
      expect(await objectCount()).toBe(objects);
      expect(await usageOf(r.project.id)).toEqual(before);
    });
  }
});
