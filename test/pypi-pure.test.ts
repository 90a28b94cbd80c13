import { describe, expect, it } from "vitest";
import { assertDistFilename, assertProjectName, normalizeName, sameVersion, versionKey } from "../src/formats/pypi/names";
import { MultipartReader, boundaryOf } from "../src/formats/pypi/multipart";
import { coreMetadataFields, inspectDistribution, type StoredFile } from "../src/formats/pypi/distribution";
import { findTarMember } from "../src/core/archive/tar";
import { negotiate, projectHtml, projectJson, JSON_V1 } from "../src/formats/pypi/simple";
import { zip } from "./zip-builder";
import { gzip, paxRecord, tar } from "./tar-builder";
import { coreMetadata, sdistEntries, sdistTarGz, sdistZip, wheelZip } from "./pypi-fixtures";

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

describe("PEP 440 versions", () => {
  it.each([
    ["1.0", "1.0.0"],
    ["1.0.0", "v1.0"],
    ["1.0-RC.1", "1.0rc1"],
    ["1.0alpha", "1.0a0"],
    ["1.0.preview2", "1.0rc2"],
    ["1.0-1", "1.0.post1"],
    ["1.0.r", "1.0post0"],
    ["1.0-dev", "1.0.dev0"],
    ["0!01.002", "1.2"],
    ["1.0+Ubuntu-1.007", "1.0+ubuntu.1.7"],
    ["2.0_beta_3", "2.0b3"],
  ])("%s equals %s", (a, b) => {
    expect(sameVersion(a, b)).toBe(true);
  });
  it.each([
    ["1.0", "1.0.1"],
    ["1.0a1", "1.0b1"],
    ["1.0", "1.0.post0"],
    ["1!1.0", "1.0"],
    ["1.0+a", "1.0"],
    ["1.0.dev1", "1.0"],
  ])("%s differs from %s", (a, b) => {
    expect(sameVersion(a, b)).toBe(false);
  });
  it("keys only PEP 440 versions; others compare loosely", () => {
    expect(versionKey("1.0.0")).toBe("1");
    expect(versionKey("2013-01-01 nightly")).toBeNull();
    expect(sameVersion("Custom-Build", "custom_build")).toBe(true);
  });
});

describe("distribution contents", () => {
  const stored = (bytes: Uint8Array): StoredFile => ({
    size: bytes.length,
    read: async (o, n) => bytes.slice(o, o + n),
    stream: async () => new Blob([bytes]).stream(),
  });
  const check = (kind: "bdist_wheel" | "sdist", filename: string, bytes: Uint8Array, project = "Demo.Pkg", version = "1.0.0") =>
    inspectDistribution(kind, stored(bytes), { filename, project, version });
  const enc = new TextEncoder();

  it("reads core metadata headers, stopping at the body", () => {
    expect(coreMetadataFields(enc.encode("Metadata-Version: 2.1\r\nname:  Foo \nVersion: 1\nName: Bar\n\nVersion: 9\n"))).toEqual({ name: "Foo", version: "1" });
  });

  it("returns a wheel's METADATA, matching names and versions per PEP 503/440", async () => {
    const metadata = coreMetadata("demo_pkg", "1.0");
    const got = await check("bdist_wheel", "demo_pkg-1.0.0-py3-none-any.whl", await wheelZip("demo_pkg", "1.0", metadata), "Demo.Pkg", "1.0.0");
    expect(new TextDecoder().decode(got!)).toBe(metadata);
    // A wheel vendoring another project's dist-info: the project's own one is picked.
    const vendoring = await zip([
      { name: "vendored-2.0.dist-info/METADATA", data: coreMetadata("vendored", "2.0") },
      { name: "Demo.Pkg-1.0.0.dist-info/METADATA", data: coreMetadata("Demo.Pkg", "1.0.0"), deflate: true },
    ]);
    expect(await check("bdist_wheel", "Demo.Pkg-1.0.0-py3-none-any.whl", vendoring)).not.toBeNull();
  });

  it("accepts sdists as .tar.gz (ustar, PAX and GNU long names) and .zip", async () => {
    expect(await check("sdist", "Demo.Pkg-1.0.0.tar.gz", await sdistTarGz())).toBeNull();
    expect(await check("sdist", "Demo.Pkg-1.0.0.zip", await sdistZip())).toBeNull();
    const long = `Demo.Pkg-1.0.0/${"d".repeat(120)}/x.py`;
    const withLongNames = tar([
      { name: "././@PaxHeader", type: "x", data: paxRecord("path", long) },
      { name: long.slice(0, 100), data: "x = 1\n" },
      { name: "././@LongLink", type: "L", data: `${long}2\0` },
      { name: long.slice(0, 100), data: "y = 2\n" },
      ...sdistEntries().slice(3),
    ]);
    expect(await check("sdist", "Demo.Pkg-1.0.0.tar.gz", await gzip(withLongNames))).toBeNull();
  });

  const notAZip = enc.encode("this is not a zip file, it is plain text");
  it.each([
    ["a .whl that is not a zip", "bdist_wheel", "demo_pkg-1.0.0-py3-none-any.whl", async () => notAZip, /is not a readable zip/],
    ["a wheel without METADATA", "bdist_wheel", "demo_pkg-1.0.0-py3-none-any.whl", () => zip([{ name: "demo_pkg/__init__.py", data: "" }]), /no \*\.dist-info\/METADATA/],
    ["a wheel of another project", "bdist_wheel", "demo_pkg-1.0.0-py3-none-any.whl", () => wheelZip("Other", "1.0.0"), /for project 'Other', not 'Demo.Pkg'/],
    ["a wheel of another version", "bdist_wheel", "demo_pkg-1.0.0-py3-none-any.whl", () => wheelZip("Demo.Pkg", "1.0.1"), /for version 1\.0\.1, not 1\.0\.0/],
    ["a wheel whose METADATA lacks Version", "bdist_wheel", "demo_pkg-1.0.0-py3-none-any.whl", () => wheelZip("Demo.Pkg", "1.0.0", "Name: Demo.Pkg\n"), /without Name and Version/],
    ["a wheel whose METADATA fails its CRC", "bdist_wheel", "demo_pkg-1.0.0-py3-none-any.whl", async () => { const w = await wheelZip(); const i = new TextDecoder("latin1").decode(w).indexOf("METADATA") + 8; w[i + 2]! ^= 0xff; return w; }, /is not a readable zip/],
    ["a truncated wheel", "bdist_wheel", "demo_pkg-1.0.0-py3-none-any.whl", async () => (await wheelZip()).slice(0, 200), /is not a readable zip/],
    ["a .tar.gz that is not gzip", "sdist", "demo_pkg-1.0.0.tar.gz", async () => notAZip, /not gzip data/],
    ["a .tar.gz of something that is not a tar", "sdist", "demo_pkg-1.0.0.tar.gz", () => gzip(enc.encode("hello ".repeat(200))), /does not start with a tar header/],
    ["a .tar.gz with corrupt gzip data", "sdist", "demo_pkg-1.0.0.tar.gz", async () => { const g = await sdistTarGz(); g.fill(7, 20, 60); return g; }, /gzip data is corrupt|tar header|checksum/],
    ["a truncated .tar.gz", "sdist", "demo_pkg-1.0.0.tar.gz", async () => (await sdistTarGz()).slice(0, 60), /gzip data is corrupt|ends inside/],
    ["an empty tar", "sdist", "demo_pkg-1.0.0.tar.gz", () => gzip(new Uint8Array(1024)), /holds no member/],
    ["an sdist without PKG-INFO", "sdist", "demo_pkg-1.0.0.tar.gz", () => gzip(tar(sdistEntries().slice(0, 3))), /no <name>-<version>\/PKG-INFO/],
    ["an sdist whose PKG-INFO names another project", "sdist", "demo_pkg-1.0.0.tar.gz", () => sdistTarGz("Other", "1.0.0"), /for project 'Other'/],
    ["a .zip sdist of another version", "sdist", "demo_pkg-1.0.0.zip", () => sdistZip("Demo.Pkg", "2.0"), /for version 2\.0, not 1\.0\.0/],
    ["a .zip sdist that is not a zip", "sdist", "demo_pkg-1.0.0.zip", async () => notAZip, /is not a readable zip/],
  ] as const)("refuses %s", async (_, kind, filename, make, why) => {
    const bytes = await make();
    await expect(check(kind, filename, bytes)).rejects.toMatchObject({ code: "InvalidDistribution", status: 400, message: expect.stringMatching(why) });
  });

  it("walks a tar without holding it: bytes past the cap are refused, headers checked", async () => {
    const big = tar([{ name: "big.bin", data: new Uint8Array(64 * 1024) }, ...sdistEntries().slice(3)]);
    const want = (n: string) => n.endsWith("/PKG-INFO");
    await expect(findTarMember(new Blob([big]).stream(), { want, maxMember: 1024, maxScanned: 16 * 1024 })).rejects.toThrow(/first 16384 bytes/);
    expect((await findTarMember(new Blob([big]).stream(), { want, maxMember: 1024, maxScanned: 1 << 20 }))?.name).toBe("Demo.Pkg-1.0.0/PKG-INFO");
    const corrupt = big.slice();
    corrupt[512 + 65536 + 10]! ^= 1; // the PKG-INFO header's name: checksum no longer matches
    await expect(findTarMember(new Blob([corrupt]).stream(), { want, maxMember: 1024, maxScanned: 1 << 20 })).rejects.toThrow(/checksum/);
    expect(await findTarMember(new Blob([tar([{ name: "a", data: "x" }])]).stream(), { want, maxMember: 1024, maxScanned: 1 << 20 })).toBeNull();
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
