/**
 * What the internal API reads: info, the tar.gz archive (parsed back to the stored bytes),
 * changed paths as NDJSON (ADDED/MODIFIED/DELETED inside the archives), frames (with
 * truncation at bytes_limit and error frames), and the feed of new versions (paged).
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { basic, createRepo, jsonOf, projectWithToken, req } from "../helpers";
import { publishBody } from "../npm-fixtures";
import { ociRepo, pushImage, sha256 } from "../oci-helpers";
import { sdistTarGz, wheelZip, coreMetadata } from "../pypi-fixtures";
import { readTar } from "../../src/core/archive/tar";
import { gunzip, internal, ndjson, npmRepo, parseFrames, publishNpm } from "./support";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function twoNpmVersions() {
  const r = await npmRepo();
  const v1 = await publishNpm(r.base, r.token, "scanme", "1.0.0", { "a.js": "a = 1\n", "b.js": "b\n", "c.js": "c\n", "big.js": "0123456789" });
  const v2 = await publishNpm(r.base, r.token, "scanme", "1.1.0", { "a.js": "a = 2\n", "c.js": "c\n", "d.js": "d\n", "big.js": "0123456789" });
  return { ...r, v1, v2 };
}

async function pypiUpload(base: string, token: string, filename: string, bytes: Uint8Array, version: string) {
  const form = new FormData();
  const fields: Record<string, string> = { ":action": "file_upload", protocol_version: "1", metadata_version: "2.1", name: "Demo.Pkg", version, filetype: filename.endsWith(".whl") ? "bdist_wheel" : "sdist", pyversion: filename.endsWith(".whl") ? "py3" : "source" };
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("sha256_digest", (await sha256(bytes)).slice(7));
  form.append("content", new File([bytes], filename, { type: "application/octet-stream" }));
  const res = await req(`${base}/`, { method: "POST", body: form, headers: { Authorization: basic(token, "__token__") } });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function pypiVersions() {
  const { project, token } = await projectWithToken("writer");
  const repo = await createRepo(project.id, "pypi");
  const base = `/pypi/${project.slug}/${repo.slug}`;
  const files: Record<string, Uint8Array> = {};
  for (const v of ["1.0.0", "1.1.0"]) {
    const meta = coreMetadata("Demo.Pkg", v, v === "1.1.0" ? "Requires-Python: >=3.9\n" : undefined);
    files[`demo_pkg-${v}-py3-none-any.whl`] = await wheelZip("Demo.Pkg", v, meta);
    files[`demo_pkg-${v}.tar.gz`] = await sdistTarGz("Demo.Pkg", v, meta);
    await pypiUpload(base, token, `demo_pkg-${v}-py3-none-any.whl`, files[`demo_pkg-${v}-py3-none-any.whl`]!, v);
    await pypiUpload(base, token, `demo_pkg-${v}.tar.gz`, files[`demo_pkg-${v}.tar.gz`]!, v);
  }
  return { repo, files };
}

const q = (o: Record<string, string>) => new URLSearchParams(o).toString();

describe("info and archive", () => {
  it("npm: a version's facts, and its files as a tar.gz that parses back to the stored bytes", async () => {
    const { repo, v1, sa } = await twoNpmVersions();
    const info = await internal(`/internal/scanner/repos/${repo.id}/info?${q({ name: "scanme", version: "1.0.0" })}`);
    expect(info.res.status, info.text()).toBe(200);
    expect(info.json()).toMatchObject({
      type: "package",
      format: "npm",
      repo_id: repo.id,
      name: "scanme",
      version: "1.0.0",
      digest: (await sha256(v1)),
      size: v1.length,
      license: "MIT",
      publisher: `service_account:${sa.id}`,
      created_at: expect.stringMatching(/^\d{4}-/),
      parts: [{ name: "scanme-1.0.0.tgz", digest: (await sha256(v1)), size: v1.length }],
    });
    const archive = await internal(`/internal/scanner/repos/${repo.id}/archive?${q({ name: "scanme", version: "1.0.0" })}`);
    expect(archive.res.status).toBe(200);
    expect(archive.res.headers.get("content-type")).toBe("application/gzip");
    const entries = readTar(await gunzip(archive.bytes));
    expect(entries.map((e) => e.name)).toEqual(["scanme-1.0.0.tgz"]);
    expect(entries[0]!.data).toEqual(v1);
    const plain = await internal(`/internal/scanner/repos/${repo.id}/archive?${q({ name: "scanme", version: "1.0.0", format: "tar" })}`);
    expect(plain.res.headers.get("content-type")).toBe("application/x-tar");
    expect(readTar(plain.bytes).map((e) => [e.name, e.data])).toEqual([["scanme-1.0.0.tgz", v1]]);
  });

  it("pypi: every file of the version, wheel and sdist", async () => {
    const { repo, files } = await pypiVersions();
    const info = (await internal(`/internal/scanner/repos/${repo.id}/info?${q({ name: "demo-pkg", version: "1.0.0" })}`)).json();
    expect(info).toMatchObject({ type: "package", format: "pypi", version: "1.0.0" });
    expect(info.parts.map((p: any) => p.name).sort()).toEqual(["demo_pkg-1.0.0-py3-none-any.whl", "demo_pkg-1.0.0-py3-none-any.whl.metadata", "demo_pkg-1.0.0.tar.gz"]); // with the PEP 658 metadata file
    const archive = await internal(`/internal/scanner/repos/${repo.id}/archive?${q({ name: "Demo.Pkg", version: "1.0.0" })}`);
    const entries = readTar(await gunzip(archive.bytes));
    expect(entries.map((e) => e.name).sort()).toEqual(["demo_pkg-1.0.0-py3-none-any.whl", "demo_pkg-1.0.0-py3-none-any.whl.metadata", "demo_pkg-1.0.0.tar.gz"]);
    for (const e of entries) expect(e.data).toEqual(files[e.name] ?? new TextEncoder().encode(coreMetadata("Demo.Pkg", "1.0.0")));
  });

  it("oci: the manifest, config and layer as an OCI image layout, by tag or digest", async () => {
    const { repo, sa, project, name } = await ociRepo("writer");
    const { mintToken } = await import("../helpers");
    const token = await mintToken(project.id, sa.id);
    const { config, layer, manifest } = await pushImage(name, token, "1.0");
    const info = (await internal(`/internal/scanner/repos/${repo.id}/info?${q({ name: "app", version: "1.0" })}`)).json();
    expect(info).toMatchObject({ type: "image", format: "docker", name: "app", version: "1.0", digest: manifest.digest, media_type: "application/vnd.oci.image.manifest.v1+json" });
    expect(info.parts.map((p: any) => p.digest)).toEqual([manifest.digest, config.digest, layer.digest]);
    const archive = await internal(`/internal/scanner/repos/${repo.id}/archive?${q({ name: "app", version: manifest.digest })}`);
    const entries = readTar(await gunzip(archive.bytes));
    expect(entries.map((e) => e.name)).toEqual(["oci-layout", "index.json", ...[manifest.digest, config.digest, layer.digest].map((d) => `blobs/${d.replace(":", "/")}`)]);
    expect(JSON.parse(text(entries[1]!.data)).manifests[0]).toMatchObject({ digest: manifest.digest });
    for (const e of entries.slice(2)) expect(await sha256(e.data)).toBe(`sha256:${e.name.split("/").pop()}`);
  });

  it("breaks the stream off (never a complete-looking archive) when a part's stored bytes are gone", async () => {
    // Bytes of its own: blobs are shared by digest, and other tests' tarballs must stay.
    const { repo, base, token } = await npmRepo();
    const v1 = await publishNpm(base, token, "scanme", "1.0.0", { "a.js": crypto.randomUUID() });
    const row = await env.DB.prepare("SELECT r2_key FROM blobs WHERE digest = ?").bind(await sha256(v1)).first<{ r2_key: string }>();
    await env.BLOBS.delete(row!.r2_key);
    for (const format of ["tar.gz", "tar"]) {
      const r = await internal(`/internal/scanner/repos/${repo.id}/archive?${q({ name: "scanme", version: "1.0.0", format })}`).catch((e: Error) => e);
      if (r instanceof Error) continue; // the body errored while it was read: what a client sees as a cut connection
      const bytes = format === "tar.gz" ? await gunzip(r.bytes).catch(() => null) : r.bytes;
      if (bytes) expect(() => readTar(bytes)).toThrow(); // at most a header, never the end blocks after it
    }
  });

  it("answers 404 in the API's envelope for an unknown version, 400 for a bad query", async () => {
    const { repo } = await twoNpmVersions();
    const r = await internal(`/internal/scanner/repos/${repo.id}/info?${q({ name: "scanme", version: "9.9.9" })}`);
    expect(r.res.status).toBe(404);
    expect(r.json().error.code).toBe("NotFoundVersion");
    expect((await internal(`/internal/scanner/repos/${repo.id}/info`)).res.status).toBe(400);
  });
});

describe("changed paths", () => {
  it("npm: entries inside the tarballs, as NDJSON: MODIFIED, ADDED, DELETED; unchanged ones left out", async () => {
    const { repo } = await twoNpmVersions();
    const r = await internal(`/internal/scanner/repos/${repo.id}/changed_paths?${q({ name: "scanme", left_version: "1.0.0", right_version: "1.1.0" })}`);
    expect(r.res.status, r.text()).toBe(200);
    expect(r.res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const lines = ndjson(r.text());
    const byPath = Object.fromEntries(lines.map((l) => [l.path, l]));
    expect(Object.keys(byPath).sort()).toEqual(["package/a.js", "package/b.js", "package/d.js", "package/package.json"]);
    expect(byPath["package/a.js"]).toMatchObject({ status: "MODIFIED", old_path: "", old_size: 6, new_size: 6, old_digest: (await sha256("a = 1\n")), new_digest: (await sha256("a = 2\n")) });
    expect(byPath["package/d.js"]).toMatchObject({ status: "ADDED", old_size: null, new_size: 2, old_digest: "", new_digest: (await sha256("d\n")) });
    expect(byPath["package/b.js"]).toMatchObject({ status: "DELETED", old_size: 2, new_size: null, new_digest: "" });
    expect(byPath["package/package.json"]!.status).toBe("MODIFIED");
    expect(lines.at(-1)!.status).toBe("DELETED"); // deletions come last

    const initial = ndjson((await internal(`/internal/scanner/repos/${repo.id}/changed_paths?${q({ name: "scanme", right_version: "1.0.0" })}`)).text());
    expect(initial.map((l) => [l.path, l.status])).toEqual(["package.json", "a.js", "b.js", "c.js", "big.js"].map((f) => [`package/${f}`, "ADDED"]));
  });

  it("pypi: a wheel's and an sdist's entries, matched across versions whose paths carry the version", async () => {
    const { repo } = await pypiVersions();
    const lines = ndjson((await internal(`/internal/scanner/repos/${repo.id}/changed_paths?${q({ name: "demo-pkg", left_version: "1.0.0", right_version: "1.1.0" })}`)).text());
    const paths = lines.map((l) => [l.path, l.status, l.old_path]).sort();
    expect(paths).toEqual([
      ["demo_pkg-1.1.0-py3-none-any.whl!/Demo_Pkg-1.1.0.dist-info/METADATA", "MODIFIED", "demo_pkg-1.0.0-py3-none-any.whl!/Demo_Pkg-1.0.0.dist-info/METADATA"],
      ["demo_pkg-1.1.0-py3-none-any.whl.metadata", "MODIFIED", "demo_pkg-1.0.0-py3-none-any.whl.metadata"], // a plain file: itself
      ["demo_pkg-1.1.0.tar.gz!/Demo.Pkg-1.1.0/PKG-INFO", "MODIFIED", "demo_pkg-1.0.0.tar.gz!/Demo.Pkg-1.0.0/PKG-INFO"],
    ]);
    expect(lines[0]!.new_digest).toMatch(/^(crc32:[0-9a-f]{8}|sha256:[0-9a-f]{64})$/);
  });

  it("oci: layers and config by digest between two manifests", async () => {
    const { repo, sa, project, name } = await ociRepo("writer");
    const { mintToken } = await import("../helpers");
    const token = await mintToken(project.id, sa.id);
    const a = await pushImage(name, token, "1.0", 1);
    const b = await pushImage(name, token, "2.0", 2);
    const lines = ndjson((await internal(`/internal/scanner/repos/${repo.id}/changed_paths?${q({ name: "app", left_version: "1.0", right_version: b.manifest.digest })}`)).text());
    const blob = (d: string) => `blobs/${d.replace(":", "/")}`;
    expect(lines.map((l) => [l.path, l.status])).toEqual([
      [blob(b.config.digest), "ADDED"],
      [blob(b.layer.digest), "ADDED"],
      [blob(a.config.digest), "DELETED"],
      [blob(a.layer.digest), "DELETED"],
    ]);
  });

  it("a corrupt archive: 400 when it is the left side; an error line ending the stream when it is the right", async () => {
    const { repo, base, token } = await npmRepo();
    const fake = await publishBody("corrupt", "1.0.0"); // a tarball that is not a gzip
    await jsonOf(await req(`${base}/corrupt`, { method: "PUT", token, json: fake.body }), 201);
    await publishNpm(base, token, "corrupt", "2.0.0", { "x.js": "x" });
    const left = await internal(`/internal/scanner/repos/${repo.id}/changed_paths?${q({ name: "corrupt", left_version: "1.0.0", right_version: "2.0.0" })}`);
    expect(left.res.status).toBe(400);
    expect(left.json().error.code).toBe("InvalidArchive");
    const right = await internal(`/internal/scanner/repos/${repo.id}/changed_paths?${q({ name: "corrupt", left_version: "2.0.0", right_version: "1.0.0" })}`);
    expect(right.res.status).toBe(200);
    expect(ndjson(right.text()).at(-1)).toMatchObject({ error: { code: "InvalidArchive" } });
  });
});

describe("frames", () => {
  it("entries by path and parts by digest, truncated at bytes_limit; unknown items are error frames, not a failed stream", async () => {
    const { repo, v2 } = await twoNpmVersions();
    const tgz = (await sha256(v2));
    const r = await internal(`/internal/scanner/repos/${repo.id}/list_blobs`, {
      method: "POST",
      json: { name: "scanme", version: "1.1.0", paths: ["package/a.js", "package/nope.js", "package/big.js"], digests: [tgz, `sha256:${"0".repeat(64)}`], bytes_limit: 4 },
    });
    expect(r.res.status, r.text()).toBe(200);
    const frames = parseFrames(r.bytes);
    // Digests first, then the archive's entries in archive order, then what the archive lacked.
    expect(frames.map((f) => f.header.path ?? f.header.digest)).toEqual([tgz, `sha256:${"0".repeat(64)}`, "package/a.js", "package/big.js", "package/nope.js"]);
    expect(frames[0]!.header).toMatchObject({ digest: tgz, size: v2.length, bytes: 4, truncated: true });
    expect(frames[0]!.data).toEqual(v2.subarray(0, 4));
    expect(frames[1]!.header.error.code).toBe("NotFoundEntry");
    expect(frames[1]!.data.length).toBe(0);
    expect(frames[4]!.header.error.code).toBe("NotFoundEntry");
    expect(frames[2]!.header).toMatchObject({ path: "package/a.js", size: 6, bytes: 4, truncated: true, digest: (await sha256("a = 2\n")) });
    expect(text(frames[2]!.data)).toBe("a = ");
    expect(frames[3]!.header).toMatchObject({ size: 10, bytes: 4, truncated: true });
    expect(text(frames[3]!.data)).toBe("0123");

    const whole = parseFrames((await internal(`/internal/scanner/repos/${repo.id}/list_blobs`, { method: "POST", json: { name: "scanme", version: "1.1.0", paths: ["package/d.js"] } })).bytes);
    expect(whole).toEqual([{ header: { path: "package/d.js", digest: (await sha256("d\n")), size: 2, bytes: 2, truncated: false }, data: new TextEncoder().encode("d\n") }]);
  });

  it("zip entries (a wheel) by path with the version as {version}", async () => {
    const { repo } = await pypiVersions();
    const r = await internal(`/internal/scanner/repos/${repo.id}/list_blobs`, { method: "POST", json: { name: "demo-pkg", version: "1.1.0", paths: ["demo_pkg-{version}-py3-none-any.whl!/Demo_Pkg-{version}.dist-info/METADATA", "demo_pkg-1.1.0-py3-none-any.whl!/demo_pkg/__init__.py"], bytes_limit: 1024 } });
    const frames = parseFrames(r.bytes);
    expect(frames.map((f) => f.header.truncated)).toEqual([false, false]);
    const byPath = Object.fromEntries(frames.map((f) => [f.header.path, text(f.data)]));
    expect(byPath["demo_pkg-{version}-py3-none-any.whl!/Demo_Pkg-{version}.dist-info/METADATA"]).toContain("Requires-Python: >=3.9");
    expect(byPath["demo_pkg-1.1.0-py3-none-any.whl!/demo_pkg/__init__.py"]).toBe("VALUE = 42\n");
    const cut = parseFrames((await internal(`/internal/scanner/repos/${repo.id}/list_blobs`, { method: "POST", json: { name: "demo-pkg", version: "1.1.0", paths: ["demo_pkg-1.1.0-py3-none-any.whl!/Demo_Pkg-1.1.0.dist-info/METADATA"], bytes_limit: 10 } })).bytes);
    expect(cut[0]!.header).toMatchObject({ bytes: 10, truncated: true }); // a deflated entry, inflated only as far as the limit
    expect(text(cut[0]!.data)).toBe("Metadata-V");
  });

  it("refuses a bytes_limit outside 1 B–1 MiB and an empty request", async () => {
    const { repo } = await twoNpmVersions();
    for (const body of [{ paths: ["package/a.js"], bytes_limit: 0 }, { paths: ["package/a.js"], bytes_limit: 1024 * 1024 + 1 }, {}]) {
      const r = await internal(`/internal/scanner/repos/${repo.id}/list_blobs`, { method: "POST", json: { name: "scanme", version: "1.1.0", ...body } });
      expect(r.res.status).toBe(400);
      expect(r.json().error.code).toBe("InvalidRequest");
    }
  });
});

describe("feed", () => {
  it("pages through new package versions and image manifests since a time, oldest first", async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const { project, token } = await projectWithToken("writer");
    const npm = await createRepo(project.id, "npm");
    for (const v of ["1.0.0", "1.0.1", "1.0.2"]) await publishNpm(`/npm/${project.slug}/${npm.slug}`, token, "fed", v, { "i.js": v });
    const docker = await createRepo(project.id, "docker");
    const img = await pushImage(`${project.slug}/${docker.slug}/app`, token, "1.0");
    const seen: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await internal(`/internal/scanner/feed?${q({ since, project_id: project.id, limit: "2", ...(cursor ? { cursor } : {}) })}`);
      expect(r.res.status, r.text()).toBe(200);
      const body = r.json();
      seen.push(...body.items);
      cursor = body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(2); // 2 + 2: the page that ends the list carries no cursor
    expect(seen.map((i) => [i.type, i.name, i.version])).toEqual([
      ["package", "fed", "1.0.0"],
      ["package", "fed", "1.0.1"],
      ["package", "fed", "1.0.2"],
      ["image", "app", img.manifest.digest],
    ]);
    expect(seen[0]).toMatchObject({ format: "npm", project: project.slug, repo_id: npm.id, digest: expect.stringMatching(/^sha256:/) });
    const later = await internal(`/internal/scanner/feed?${q({ since: new Date(Date.now() + 60_000).toISOString(), project_id: project.id })}`);
    expect(later.json()).toEqual({ items: [], next_cursor: null });
    expect((await internal(`/internal/scanner/feed?${q({ cursor: "garbage" })}`)).res.status).toBe(400);
  });
});
