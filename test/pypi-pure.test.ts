import { describe, expect, it } from "vitest";
import { assertDistFilename, assertProjectName, normalizeName, distInfoDir } from "../src/formats/pypi/names";
import { MultipartReader, boundaryOf } from "../src/formats/pypi/multipart";
import { readWheelMetadata } from "../src/formats/pypi/wheel-metadata";
import { negotiate, projectHtml, projectJson, JSON_V1 } from "../src/formats/pypi/simple";
import { zip } from "./zip-builder";

describe("python names", () => {
  it("normalizes per PEP 503 and validates per PEP 508", () => {
    expect(normalizeName("Foo.Bar__baz-Qux")).toBe("foo-bar-baz-qux");
    expect(assertProjectName("a")).toBe("a");
    for (const bad of ["-a", "a-", "a b", "", "ä"]) expect(() => assertProjectName(bad), bad).toThrow();
  });

  it("checks distribution file names against project and version", () => {
    expect(assertDistFilename("My_Pkg-1.0.0-py3-none-any.whl", "my-pkg", "1.0.0")).toBe("bdist_wheel");
    expect(assertDistFilename("my_pkg-1.0.0-1-cp311-cp311-manylinux_2_17_x86_64.whl", "My.Pkg", "1.0.0")).toBe("bdist_wheel");
    expect(assertDistFilename("my-pkg-1.0.tar.gz", "my_pkg", "1.0")).toBe("sdist");
    expect(assertDistFilename("my_pkg-2.0rc1.zip", "my-pkg", "2.0rc1")).toBe("sdist");
    expect(() => assertDistFilename("other-1.0.tar.gz", "my-pkg", "1.0")).toThrow(/not|named/);
    expect(() => assertDistFilename("my_pkg-1.1-py3-none-any.whl", "my-pkg", "1.0")).toThrow(/version/);
    expect(() => assertDistFilename("my_pkg-1.0.egg", "my-pkg", "1.0")).toThrow(/only wheels/);
    expect(() => assertDistFilename("../my_pkg-1.0.tar.gz", "my-pkg", "1.0")).toThrow();
    expect(distInfoDir("My_Pkg-1.0-py3-none-any.whl")).toBe("my_pkg-1.0.dist-info/");
  });
});

function streamOf(bytes: Uint8Array, chunk: number) {
  return new ReadableStream<Uint8Array>({
    start(c) {
      for (let o = 0; o < bytes.length; o += chunk) c.enqueue(bytes.slice(o, o + chunk));
      c.close();
    },
  });
}

describe("multipart reader", () => {
  const boundary = "----b0undary";
  const file = new Uint8Array(5000).map((_, i) => (i * 7) % 256);
  // The file contains a near-miss of the delimiter, to catch partial-match bugs.
  file.set(new TextEncoder().encode(`\r\n--${boundary.slice(0, -1)}X`), 2500);
  const body = new Blob([
    "preamble\r\n",
    `--${boundary}\r\nContent-Disposition: form-data; name=":action"\r\n\r\nfile_upload\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="classifiers"\r\n\r\nA :: B\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="classifiers"\r\n\r\n\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="x-1.0.tar.gz"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    file,
    `\r\n--${boundary}\r\nContent-Disposition: form-data; name="skipped"; filename="x.asc"\r\n\r\nsig\r\n`,
    `--${boundary}--\r\n`,
  ]);

  it("yields fields and streams files, whatever the chunk boundaries", async () => {
    const bytes = new Uint8Array(await body.arrayBuffer());
    for (const chunk of [1, 3, 17, 64, 1000, bytes.length]) {
      const r = new MultipartReader(streamOf(bytes, chunk), boundary);
      const seen: unknown[] = [];
      for (let p = await r.next(); p; p = await r.next()) {
        if (p.name === "content") {
          const got = new Uint8Array(await new Response(r.body()).arrayBuffer());
          expect(got, `chunk ${chunk}`).toEqual(file);
          seen.push([p.name, p.filename, p.contentType]);
        } else if (p.filename) {
          seen.push(["ignored", p.name]);
        } else {
          seen.push([p.name, await r.text(100)]);
        }
      }
      expect(seen).toEqual([[":action", "file_upload"], ["classifiers", "A :: B"], ["classifiers", ""], ["content", "x-1.0.tar.gz", "application/octet-stream"], ["ignored", "skipped"]]);
    }
  });

  it("refuses truncated bodies, oversized fields and missing boundaries", async () => {
    const bytes = new Uint8Array(await body.arrayBuffer());
    const cut = new MultipartReader(streamOf(bytes.slice(0, 3000), 100), boundary);
    await expect((async () => {
      for (let p = await cut.next(); p; p = await cut.next()) if (p.name === "content") await new Response(cut.body()).arrayBuffer();
    })()).rejects.toThrow(/ended before/);
    const small = new MultipartReader(streamOf(bytes, 100), boundary);
    await small.next();
    await expect(small.text(3)).rejects.toThrow(/larger than/);
    expect(() => boundaryOf("application/json")).toThrow();
    expect(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b"')).toBe("a b");
  });
});

describe("wheel metadata", () => {
  const reader = (bytes: Uint8Array) => ({ size: bytes.length, read: async (o: number, n: number) => bytes.slice(o, o + n) });
  const METADATA = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Python: >=3.8\n\n" + "long description ".repeat(500);

  it("reads deflated and stored METADATA through ranged reads", async () => {
    for (const deflate of [true, false]) {
      const whl = await zip([
        { name: "demo/__init__.py", data: "x = 1\n" },
        { name: "demo-1.0.dist-info/METADATA", data: METADATA, deflate },
        { name: "demo-1.0.dist-info/RECORD", data: "" },
      ]);
      const got = await readWheelMetadata(reader(whl), "demo-1.0.dist-info/");
      expect(new TextDecoder().decode(got!)).toBe(METADATA);
    }
  });

  it("picks the right dist-info among several, and gives up on non-zips", async () => {
    const whl = await zip([
      { name: "vendored-2.0.dist-info/METADATA", data: "Name: vendored" },
      { name: "demo-1.0.dist-info/METADATA", data: "Name: demo", deflate: true },
    ]);
    expect(new TextDecoder().decode((await readWheelMetadata(reader(whl), "demo-1.0.dist-info/"))!)).toBe("Name: demo");
    expect(await readWheelMetadata(reader(whl), null)).toBeNull();
    expect(await readWheelMetadata(reader(new TextEncoder().encode("not a zip at all")), null)).toBeNull();
    expect(await readWheelMetadata(reader(await zip([{ name: "x.py", data: "" }])), null)).toBeNull();
  });
});

describe("simple API rendering", () => {
  it("negotiates PEP 691 content types by q-value, HTML by default", () => {
    expect(negotiate("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01").kind).toBe("json");
    expect(negotiate("application/vnd.pypi.simple.v1+json;q=0.1, text/html").kind).toBe("html");
    expect(negotiate(undefined).contentType).toContain("text/html");
    expect(negotiate("*/*").kind).toBe("html");
    expect(negotiate("text/html", JSON_V1).kind).toBe("json");
    expect(() => negotiate("application/xml")).toThrow(expect.objectContaining({ status: 406 }));
  });

  it("renders the same facts in HTML and JSON, escaped", () => {
    const p = {
      name: "Demo",
      versions: ["1.0"],
      files: [
        { filename: "demo-1.0.tar.gz", url: "http://h/f/demo-1.0.tar.gz", sha256: "ab", size: 3, uploadTime: 0, requiresPython: ">=3.8", yanked: "bad <build>", coreMetadataSha256: null },
        { filename: "demo-1.0-py3-none-any.whl", url: "http://h/f/w.whl", sha256: "cd", size: 4, uploadTime: 0, requiresPython: null, yanked: null, coreMetadataSha256: "ef" },
      ],
    };
    const html = projectHtml(p);
    expect(html).toContain('<a href="http://h/f/demo-1.0.tar.gz#sha256=ab" data-requires-python="&gt;=3.8" data-yanked="bad &lt;build&gt;">demo-1.0.tar.gz</a>');
    expect(html).toContain('data-core-metadata="sha256=ef"');
    expect(html).toContain('data-dist-info-metadata="sha256=ef"');
    expect(html).toContain('<meta name="pypi:repository-version" content="1.1">');
    const json = projectJson(p);
    expect(json.files[0]).toMatchObject({ hashes: { sha256: "ab" }, "requires-python": ">=3.8", yanked: "bad <build>", size: 3 });
    expect(json.files[0]).not.toHaveProperty("core-metadata");
    expect(json.files[1]).toMatchObject({ yanked: false, "core-metadata": { sha256: "ef" }, "upload-time": "1970-01-01T00:00:00.000Z" });
    // PEP 714: JSON carries only `core-metadata`; pip 22.3–23.1 crash on a `dist-info-metadata` object.
    for (const f of json.files) expect(Object.keys(f).filter((k) => k.includes("dist-info"))).toEqual([]);
    expect(projectJson({ ...p, files: [{ ...p.files[0]!, yanked: "" }] }).files[0]!.yanked).toBe(true);
  });
});
