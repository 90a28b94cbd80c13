import { describe, expect, it } from "vitest";
import { bytesSource, crc32, readCentralDirectory, readEntry } from "../src/core/zip";
import { assertModulePath, assertVersionFitsPath, checkModuleZip, escapeModulePath, moduleOfGoMod, parseProxyPath, unescapeModulePath } from "../src/formats/go/module";
import { buildZip } from "./zip-builder";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("zip reader", () => {
  it("lists and extracts stored and deflated entries, past a trailing comment", async () => {
    for (const deflate of [false, true]) {
      const zip = await buildZip({ "a.txt": "alpha", "dir/b.txt": "b".repeat(10_000) }, { deflate, comment: "hi" });
      const src = bytesSource(zip);
      const entries = await readCentralDirectory(src);
      expect(entries.map((e) => [e.name, e.uncompressedSize])).toEqual([["a.txt", 5], ["dir/b.txt", 10_000]]);
      expect(text(await readEntry(src, entries[0]!, 100))).toBe("alpha");
      expect((await readEntry(src, entries[1]!, 20_000)).length).toBe(10_000);
    }
  });
  it("refuses garbage, truncation, corrupted data and oversize entries", async () => {
    await expect(readCentralDirectory(bytesSource(new Uint8Array(100)))).rejects.toThrow("end-of-central-directory");
    const zip = await buildZip({ "a.txt": "alpha" });
    await expect(readCentralDirectory(bytesSource(zip.slice(0, 10)))).rejects.toThrow("too short");
    const corrupt = zip.slice();
    corrupt[30 + 5] = corrupt[30 + 5]! ^ 0xff; // flip a data byte
    const src = bytesSource(corrupt);
    await expect(readEntry(src, (await readCentralDirectory(src))[0]!, 100)).rejects.toThrow("CRC-32");
    await expect(readEntry(bytesSource(zip), (await readCentralDirectory(bytesSource(zip)))[0]!, 3)).rejects.toThrow("larger than");
  });
  it("computes the standard CRC-32", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });
});

describe("go module rules", () => {
  it("escapes and unescapes case", () => {
    expect(escapeModulePath("github.com/Azure/SDK")).toBe("github.com/!azure/!s!d!k");
    expect(unescapeModulePath("github.com/!azure/!s!d!k")).toBe("github.com/Azure/SDK");
    expect(unescapeModulePath("github.com/Azure")).toBeNull();
    expect(unescapeModulePath("a/!")).toBeNull();
    expect(unescapeModulePath("a/!1")).toBeNull();
  });
  it("parses proxy paths", () => {
    expect(parseProxyPath("example.com/!m/@v/list")).toEqual({ module: "example.com/M", kind: "list" });
    expect(parseProxyPath("example.com/m/@latest")).toEqual({ module: "example.com/m", kind: "latest" });
    expect(parseProxyPath("example.com/m/@v/v1.0.0-!r!c.info")).toEqual({ module: "example.com/m", kind: "info", version: "v1.0.0-RC" });
    expect(parseProxyPath("example.com/m/@v/v1.0.0.zip")).toMatchObject({ kind: "zip", version: "v1.0.0" });
    expect(parseProxyPath("example.com/m/@v/v1.0.0.tar")).toBeNull();
    expect(parseProxyPath("example.com/m")).toBeNull();
  });
  it("checks module paths and versions against major-version suffixes", () => {
    expect(() => assertModulePath("example.com/a/b")).not.toThrow();
    expect(() => assertModulePath("nodot/a")).toThrow();
    expect(() => assertModulePath("example.com//a")).toThrow();
    expect(() => assertModulePath("example.com/a/../b")).toThrow();
    expect(() => assertVersionFitsPath("example.com/a", "v1.2.3")).not.toThrow();
    expect(() => assertVersionFitsPath("example.com/a", "1.2.3")).toThrow("canonical");
    expect(() => assertVersionFitsPath("example.com/a", "v1.2")).toThrow("canonical");
    expect(() => assertVersionFitsPath("example.com/a", "v2.0.0")).toThrow("/v2 suffix");
    expect(() => assertVersionFitsPath("example.com/a", "v2.0.0+incompatible")).not.toThrow();
    expect(() => assertVersionFitsPath("example.com/a/v2", "v2.1.0")).not.toThrow();
    expect(() => assertVersionFitsPath("example.com/a/v2", "v3.0.0")).toThrow("only takes v2");
    expect(() => assertVersionFitsPath("example.com/a", "v1.0.0+build")).toThrow("canonical");
  });
  it("reads the module directive", () => {
    expect(moduleOfGoMod("// c\nmodule example.com/x // comment\n\ngo 1.19\n")).toBe("example.com/x");
    expect(moduleOfGoMod('module "example.com/q"\n')).toBe("example.com/q");
    expect(moduleOfGoMod("go 1.19\n")).toBeNull();
  });
  it("validates module zip layout", async () => {
    const entries = async (files: Record<string, string>) => readCentralDirectory(bytesSource(await buildZip(files)));
    const p = "example.com/m@v1.0.0/";
    expect((checkModuleZip(await entries({ [`${p}go.mod`]: "module example.com/m\n", [`${p}a.go`]: "package m" }), "example.com/m", "v1.0.0"))?.name).toBe(`${p}go.mod`);
    expect(checkModuleZip(await entries({ [`${p}a.go`]: "x" }), "example.com/m", "v1.0.0")).toBeNull();
    const bad = async (files: Record<string, string>, why: string) => {
      const list = await entries(files);
      expect(() => checkModuleZip(list, "example.com/m", "v1.0.0")).toThrow(why);
    };
    await bad({ "other@v1.0.0/a.go": "x" }, "is not under");
    await bad({ [`${p}../x.go`]: "x" }, "'..'");
    await bad({ [`${p}dir/`]: "" }, "directory entries");
    await bad({ [`${p}A.go`]: "x", [`${p}a.go`]: "y" }, "duplicate");
    await bad({ [`${p}a\\b.go`]: "x" }, "invalid characters");
  });
});
