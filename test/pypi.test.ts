import { describe, expect, it } from "vitest";
import { ADMIN, createRepo, createServiceAccount, jsonOf, mintToken, projectWithToken, req } from "./helpers";
import { coreMetadata, sdistTarGz, wheelZip } from "./pypi-fixtures";
import { fromBase64 } from "./fixtures/os-packages";
import { ZIP64_METADATA, ZIP64_WHEEL_MARKED } from "./fixtures/zip64";

const hexOf = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
const digest = async (alg: string, bytes: Uint8Array) => hexOf(await crypto.subtle.digest(alg, bytes));
const basic = (token: string) => ({ Authorization: `Basic ${btoa(`__token__:${token}`)}` });
const JSON_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

const METADATA = coreMetadata("Demo.Pkg", "1.0.0");
const wheel = (version = "1.0.0") => wheelZip("Demo.Pkg", version);

interface UploadOpts {
  name?: string;
  version?: string;
  filename: string;
  bytes: Uint8Array;
  sha256?: string | null;
  md5?: string | null;
  fields?: Record<string, string>;
  path?: string;
  headers?: Record<string, string>;
}

/** A multipart upload in the order twine sends it: metadata fields, digests, then `content`. */
async function upload(base: string, token: string | null, o: UploadOpts) {
  const form = new FormData();
  const fields: Record<string, string> = {
    ":action": "file_upload",
    protocol_version: "1",
    metadata_version: "2.1",
    name: o.name ?? "Demo.Pkg",
    version: o.version ?? "1.0.0",
    filetype: o.filename.endsWith(".whl") ? "bdist_wheel" : "sdist",
    pyversion: o.filename.endsWith(".whl") ? "py3" : "source",
    summary: "A demo",
    requires_python: ">=3.8",
    ...o.fields,
  };
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("classifiers", "Programming Language :: Python :: 3");
  form.append("classifiers", "License :: OSI Approved :: MIT License");
  if (o.md5 !== null) form.append("md5_digest", o.md5 ?? (await digest("MD5", o.bytes)));
  if (o.sha256 !== null) form.append("sha256_digest", o.sha256 ?? (await digest("SHA-256", o.bytes)));
  form.append("blake2_256_digest", "0".repeat(64));
  form.append("content", new File([o.bytes], o.filename, { type: "application/octet-stream" }));
  return req(`${base}${o.path ?? "/"}`, { method: "POST", body: form, headers: { ...(token ? basic(token) : {}), ...o.headers } });
}

async function pypiRepo(extra: Record<string, unknown> = {}) {
  const { project, token } = await projectWithToken("writer");
  const repo = await createRepo(project.id, "pypi", extra);
  return { project, token, repo, base: `/pypi/${project.slug}/${repo.slug}` };
}

const sdist = await sdistTarGz();

describe("pypi upload and simple API", () => {
  it("uploads an sdist and a wheel, serves PEP 691 JSON, PEP 503 HTML, files and PEP 658 metadata", async () => {
    const { token, base } = await pypiRepo();
    const whl = await wheel();
    expect((await upload(base, token, { filename: "demo_pkg-1.0.0.tar.gz", bytes: sdist })).status).toBe(200);
    expect((await upload(base, token, { filename: "demo_pkg-1.0.0-py3-none-any.whl", bytes: whl, path: "" })).status).toBe(200);

    const res = await req(`${base}/simple/demo-pkg/`, { headers: { ...basic(token), Accept: JSON_ACCEPT } });
    expect(res.headers.get("content-type")).toBe("application/vnd.pypi.simple.v1+json");
    const page = await jsonOf(res, 200);
    expect(page.meta["api-version"]).toBe("1.1");
    expect(page.name).toBe("demo-pkg"); // PEP 691: the normalized name
    expect(page.versions).toEqual(["1.0.0"]);
    expect(page.files.map((f: any) => f.filename)).toEqual(["demo_pkg-1.0.0.tar.gz", "demo_pkg-1.0.0-py3-none-any.whl"]);
    const [s, w] = page.files;
    expect(s).toMatchObject({ hashes: { sha256: await digest("SHA-256", sdist) }, "requires-python": ">=3.8", yanked: false, size: sdist.length });
    expect(s).not.toHaveProperty("core-metadata");
    expect(w["core-metadata"]).toEqual({ sha256: await digest("SHA-256", new TextEncoder().encode(METADATA)) });
    expect(Object.keys(w).filter((k) => k.includes("dist-info"))).toEqual([]); // PEP 714
    expect(w.url).toBe(`http://registry.test${base}/files/demo_pkg-1.0.0-py3-none-any.whl`);

    const file = await req(new URL(w.url).pathname, { headers: basic(token) });
    expect(file.headers.get("content-type")).toBe("application/octet-stream");
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(whl);
    const meta = await req(`${new URL(w.url).pathname}.metadata`, { headers: basic(token) });
    expect(await meta.text()).toBe(METADATA);
    const head = await req(new URL(w.url).pathname, { method: "HEAD", headers: basic(token) });
    expect(head.headers.get("content-length")).toBe(String(whl.length));

    const html = await req(`${base}/simple/demo-pkg/`, { headers: basic(token) });
    expect(html.headers.get("content-type")).toContain("text/html");
    const text = await html.text();
    expect(text).toContain(`/files/demo_pkg-1.0.0.tar.gz#sha256=${s.hashes.sha256}" data-requires-python="&gt;=3.8">demo_pkg-1.0.0.tar.gz</a>`);
    expect(text).toContain(`data-core-metadata="sha256=${w["core-metadata"].sha256}"`);
    expect(text).not.toContain(".metadata<");

    const index = await jsonOf(await req(`${base}/simple/`, { headers: { ...basic(token), Accept: JSON_ACCEPT } }), 200);
    expect(index.projects).toEqual([{ name: "Demo.Pkg" }]);
    expect(await (await req(`${base}/simple/`, { headers: basic(token) })).text()).toContain('<a href="demo-pkg/">Demo.Pkg</a>');

    for (const path of [`${base}/simple/Demo_Pkg/`, `${base}/simple/demo-pkg`, `${base}/simple`]) {
      const r = await req(path, { headers: basic(token), redirect: "manual" });
      expect(r.status, path).toBe(301);
    }
    expect((await req(`${base}/simple/Demo_Pkg/`, { headers: basic(token), redirect: "manual" })).headers.get("location")).toBe(`http://registry.test${base}/simple/demo-pkg/`);
    expect((await req(`${base}/simple/nope/`, { headers: basic(token) })).status).toBe(404);
    expect((await req(`${base}/files/nope.whl`, { headers: basic(token) })).status).toBe(404);
    expect((await req(`${base}/simple/demo-pkg/`, { headers: { ...basic(token), Accept: "application/xml" } })).status).toBe(406);
  });

  it("takes a wheel in ZIP64 form (as CPython's zipfile writes one past 4 GiB or 65,535 entries) and serves its core metadata", async () => {
    const { token, base } = await pypiRepo();
    const bytes = fromBase64(ZIP64_WHEEL_MARKED);
    const filename = "zsixty-1.0.0-py3-none-any.whl";
    expect((await upload(base, token, { name: "zsixty", filename, bytes })).status).toBe(200);
    const page = await jsonOf(await req(`${base}/simple/zsixty/`, { headers: { ...basic(token), Accept: JSON_ACCEPT } }), 200);
    expect(page.files[0]).toMatchObject({ filename, "core-metadata": { sha256: await digest("SHA-256", new TextEncoder().encode(ZIP64_METADATA)) } });
    expect(await (await req(`${base}/files/${filename}.metadata`, { headers: basic(token) })).text()).toBe(ZIP64_METADATA);
    expect(new Uint8Array(await (await req(`${base}/files/${filename}`, { headers: basic(token) })).arrayBuffer())).toEqual(bytes);
  });

  it("accepts the same file again, refuses other content under the same name (409 'already exists')", async () => {
    const { token, base } = await pypiRepo();
    const filename = "demo_pkg-1.0.0.tar.gz";
    expect((await upload(base, token, { filename, bytes: sdist })).status).toBe(200);
    expect((await upload(base, token, { filename, bytes: sdist })).status).toBe(200);
    const other = new TextEncoder().encode("different bytes");
    const dup = await upload(base, token, { filename, bytes: other });
    expect(dup.status).toBe(409);
    expect(await dup.text()).toMatch(/already exists/);
    const late = await upload(base, token, { filename, bytes: other, sha256: null });
    expect(late.status).toBe(409);
    expect(late.statusText).toMatch(/already exists/);
  });

  it("refuses digest mismatches and bad metadata, storing nothing", async () => {
    const { token, base } = await pypiRepo();
    const filename = "demo_pkg-1.0.0.tar.gz";
    const bad = await upload(base, token, { filename, bytes: sdist, sha256: "0".repeat(64) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/digest/);
    expect((await upload(base, token, { filename, bytes: sdist, md5: "0".repeat(32) })).status).toBe(400);
    expect((await req(`${base}/simple/demo-pkg/`, { headers: basic(token) })).status).toBe(404);

    const cases: Partial<UploadOpts>[] = [
      { name: "bad name!" },
      { filename: "other-1.0.0.tar.gz" },
      { version: "2.0.0" },
      { filename: "demo_pkg-1.0.0.exe" },
      { fields: { ":action": "remove_pkg" } },
      { fields: { filetype: "bdist_wheel" } },
      { version: "" },
    ];
    for (const c of cases) {
      const res = await upload(base, token, { filename, bytes: sdist, ...c });
      expect(res.status, JSON.stringify(c)).toBe(400);
    }
    const notMultipart = await req(`${base}/`, { method: "POST", headers: { ...basic(token), "Content-Type": "application/json" }, body: "{}" });
    expect(notMultipart.status).toBe(400);
    expect((await req(`${base}/simple/demo-pkg/`, { headers: basic(token) })).status).toBe(404);
  });
});

describe("pypi distribution contents", () => {
  const quotaOf = async (projectId: string) => (await jsonOf(await req(`/api/v1/projects/${projectId}/quota`, { token: ADMIN }), 200)).usage;

  it("refuses a file whose contents are not the distribution the form names (400, reason in the status line), keeping nothing", async () => {
    const { project, token, base } = await pypiRepo();
    const before = await quotaOf(project.id);
    const enc = new TextEncoder();
    const cases: [string, UploadOpts, RegExp][] = [
      ["a .whl that is not a zip", { filename: "demo_pkg-1.0.0-py3-none-any.whl", bytes: enc.encode("definitely not a zip archive") }, /is not a readable zip/],
      ["a wheel of another version", { filename: "demo_pkg-1.0.0-py3-none-any.whl", bytes: await wheelZip("Demo.Pkg", "1.0.1") }, /METADATA for version 1\.0\.1, not 1\.0\.0/],
      ["a wheel of another project", { filename: "demo_pkg-1.0.0-py3-none-any.whl", bytes: await wheelZip("Evil", "1.0.0") }, /METADATA for project 'Evil'/],
      ["a .tar.gz that is not gzip", { filename: "demo_pkg-1.0.0.tar.gz", bytes: enc.encode("pretend this is a gzipped tar") }, /not gzip data/],
      ["an sdist of another version", { filename: "demo_pkg-1.0.0.tar.gz", bytes: await sdistTarGz("Demo.Pkg", "0.9") }, /PKG-INFO for version 0\.9/],
    ];
    for (const [what, opts, why] of cases) {
      const res = await upload(base, token, opts);
      expect(res.status, what).toBe(400);
      expect(res.statusText, what).toMatch(why);
      expect(await res.text(), what).toMatch(why);
      expect((await req(`${base}/files/${opts.filename}`, { headers: basic(token) })).status, what).toBe(404);
    }
    expect((await req(`${base}/simple/demo-pkg/`, { headers: basic(token) })).status).toBe(404);
    expect(await quotaOf(project.id)).toEqual(before);

    // The real thing goes through afterwards, under the same file names.
    expect((await upload(base, token, { filename: "demo_pkg-1.0.0-py3-none-any.whl", bytes: await wheel() })).status).toBe(200);
    expect((await upload(base, token, { filename: "demo_pkg-1.0.0.tar.gz", bytes: sdist })).status).toBe(200);
  });

  it("a refused upload of bytes a published file already holds leaves that file whole", async () => {
    const { project, token, base } = await pypiRepo();
    const whl = await wheel();
    expect((await upload(base, token, { filename: "demo_pkg-1.0.0-py3-none-any.whl", bytes: whl })).status).toBe(200);
    const used = await quotaOf(project.id);
    // Same bytes, another (valid) file name, a wrong md5: ingested (deduplicated), then refused.
    const res = await upload(base, token, { filename: "demo_pkg-1.0.0-py2.py3-none-any.whl", bytes: whl, md5: "0".repeat(32) });
    expect(res.status).toBe(400);
    expect(await quotaOf(project.id)).toEqual(used);
    const file = await req(`${base}/files/demo_pkg-1.0.0-py3-none-any.whl`, { headers: basic(token) });
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(whl);
  });

  it("a refused form after the file was streamed (bad :action, filetype) keeps nothing either", async () => {
    const { project, token, base } = await pypiRepo();
    const before = await quotaOf(project.id);
    for (const fields of [{ ":action": "remove_pkg" }, { filetype: "sdist" }] as Record<string, string>[]) {
      expect((await upload(base, token, { filename: "demo_pkg-1.0.0-py3-none-any.whl", bytes: await wheel(), fields })).status).toBe(400);
    }
    expect(await quotaOf(project.id)).toEqual(before);
  });
});

describe("pypi auth", () => {
  it("challenges anonymous callers with Basic, forbids other projects and readers", async () => {
    const { project, token, base } = await pypiRepo();
    const anon = await upload(base, null, { filename: "demo_pkg-1.0.0.tar.gz", bytes: sdist });
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toMatch(/^Basic /);
    const anonRead = await req(`${base}/simple/`);
    expect(anonRead.status).toBe(401);
    expect(anonRead.headers.get("www-authenticate")).toMatch(/^Basic /);

    const reader = await mintToken(project.id, (await createServiceAccount(project.id, "reader")).id);
    expect((await upload(base, reader, { filename: "demo_pkg-1.0.0.tar.gz", bytes: sdist })).status).toBe(403);
    expect((await req(`${base}/simple/`, { headers: basic(reader) })).status).toBe(200);
    const other = await projectWithToken("writer");
    expect((await req(`${base}/simple/`, { headers: basic(other.token) })).status).toBe(403);
    expect((await upload(base, other.token, { filename: "demo_pkg-1.0.0.tar.gz", bytes: sdist })).status).toBe(403);
    expect((await req(`${base}/simple/`, { headers: basic("orbsa_not-a-real-token") })).status).toBe(401);
    expect((await upload(base, token, { filename: "demo_pkg-1.0.0.tar.gz", bytes: sdist })).status).toBe(200);
  });

  it("serves public repos anonymously but refuses anonymous uploads", async () => {
    const { token, base } = await pypiRepo({ visibility: "public" });
    expect((await upload(base, token, { filename: "demo_pkg-1.0.0.tar.gz", bytes: sdist })).status).toBe(200);
    const page = await jsonOf(await req(`${base}/simple/demo-pkg/`, { headers: { Accept: JSON_ACCEPT } }), 200);
    expect((await req(new URL(page.files[0].url).pathname)).status).toBe(200);
    expect((await upload(base, null, { filename: "demo_pkg-1.0.0-py3-none-any.whl", bytes: await wheel() })).status).toBe(401);
  });
});
