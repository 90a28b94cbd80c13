import { describe, expect, it } from "vitest";
import { bytesSource, crc32, readCentralDirectory, readEntry } from "../src/core/zip";
import { assertModulePath, assertVersionFitsPath, escapeModulePath, moduleOfGoMod, parseProxyPath, unescapeModulePath } from "../src/formats/go/module";
import { checkModuleZip, checkVendoring, filePathProblem, foldKey, MAX_GO_MOD_BYTES } from "../src/formats/go/module-zip";
import type { ZipEntry } from "../src/core/zip";
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
  it("checks module paths as module.CheckPath does", () => {
    for (const good of ["example.com/Team/lib", "example.com/x/v2", "example.com/x/v10", "my-host.io/a_b~c", "example.com/con1"]) {
      expect(() => assertModulePath(good), good).not.toThrow();
    }
    for (const bad of ["Example.com/x", "example.com/CON", "example.com/nul.d", "example.com/a~1", "example.com/x/v1", "example.com/x/v0", "example.com/x/v02", "example.com/x/v2.0", "example_com/x", "example.com/.x", "example.com/x."]) {
      expect(() => assertModulePath(bad), bad).toThrow(/not a valid module path/);
    }
  });
});

describe("module zip rules (golang.org/x/mod/zip)", () => {
  const p = "example.com/m@v1.0.0/";
  const entry = (name: string, uncompressedSize = 10): ZipEntry => ({ name, uncompressedSize, compressedSize: uncompressedSize, method: 0, flags: 0, crc32: 0, localHeaderOffset: 0 });
  const check = (names: (string | ZipEntry)[]) => checkModuleZip(names.map((n) => (typeof n === "string" ? entry(n) : n)), "example.com/m", "v1.0.0");

  it.each([
    ["a NUL byte", [`${p}a\u0000b.go`], 'invalid char "\\u0000"'],
    ["a control character", [`${p}a\u0001.go`], "invalid char"],
    ["DEL", [`${p}a\u007f.go`], "invalid char"],
    ...['"', "'", "*", "<", ">", "?", "`", "|", ":", "\\"].map((c) => [`'${c}'`, [`${p}a${c}b.go`], "invalid char"]),
    ["an emoji (not a letter)", [`${p}\u{1F600}.go`], "invalid char"],
    ["a combining mark (not a letter)", [`${p}e\u0301.go`], "invalid char"],
    ["a '..' element", [`${p}../x.go`], "file path is not clean"],
    ["a '.' element", [`${p}a/./b.go`], "file path is not clean"],
    ["a leading './'", [`${p}./b.go`], "file path is not clean"],
    ["an empty element", [`${p}a//b.go`], "file path is not clean"],
    ["a leading slash", [`${p}/a.go`], "file path is not relative"],
    ["an all-dots element", [`${p}.../a.go`], 'invalid path element "..."'],
    ["a trailing dot", [`${p}a.`], "trailing dot in path element"],
    ["a Windows device name", [`${p}CON`], '"CON" disallowed as path element component on Windows'],
    ["a Windows device name with an extension", [`${p}dir/nul.txt`], '"nul" disallowed'],
    ["a Windows device name in a directory", [`${p}Com1.x/a.go`], '"Com1" disallowed'],
    ["a path outside the prefix", ["other@v1.0.0/a.go"], 'does not have prefix "example.com/m@v1.0.0/"'],
    ["a path under another version", ["example.com/m@v1.0.1/a.go"], "does not have prefix"],
    ["a case-insensitive duplicate", [`${p}A.go`, `${p}a.go`], 'case-insensitive file name collision: "A.go" and "a.go"'],
    ["a Unicode case-fold duplicate (Kelvin sign)", [`${p}\u212A.go`, `${p}k.go`], "case-insensitive file name collision"],
    ["a Unicode case-fold duplicate (long s)", [`${p}\u017F.go`, `${p}S.go`], "case-insensitive file name collision"],
    ["a directory that differs in case from another", [`${p}Dir/a.go`, `${p}dir/b.go`], "case-insensitive file name collision"],
    ["a file that is also a directory", [`${p}a`, `${p}a/b.go`], 'entry "a" is both a file and a directory'],
    ["a directory entry that is also a file", [`${p}x/`, `${p}x`], "is both a file and a directory"],
    ["the same file twice", [`${p}a.go`, `${p}a.go`], 'multiple entries for file "a.go"'],
    ["go.mod below the root", [`${p}sub/go.mod`], "go.mod file not in module root directory"],
    ["GO.MOD at the root", [`${p}GO.MOD`], "go.mod files must have lowercase names"],
    ["a go.mod over 16 MiB", [entry(`${p}go.mod`, MAX_GO_MOD_BYTES + 1)], "go.mod file too large"],
    ["a LICENSE over 16 MiB", [entry(`${p}LICENSE`, 16 * 1024 * 1024 + 1)], "LICENSE file too large"],
    ["over 500 MiB unpacked", [entry(`${p}a.bin`, 300 * 1024 * 1024), entry(`${p}b.bin`, 300 * 1024 * 1024)], "total uncompressed size of module contents too large"],
  ] as [string, (string | ZipEntry)[], string][])("refuses %s, naming the entry", (_, names, why) => {
    const last = names[names.length - 1]!;
    const named = JSON.stringify(typeof last === "string" ? last : last.name);
    expect(() => check(names)).toThrow(expect.objectContaining({ status: 400, code: "InvalidModuleZip", message: expect.stringContaining(why) }));
    if (!why.includes("collision") && !why.includes("both")) expect(() => check(names)).toThrow(named);
  });

  it("accepts what the go command accepts: directory entries, letters of any script, the allowed punctuation", () => {
    const root = check([`${p}`, `${p}go.mod`, `${p}dir/`, `${p}dir/a.go`, `${p}\u65e5\u672c/\u00fc.go`, `${p}a b!#$%&()+,-.=@[]^_{}~.go`, `${p}-x.go`, `${p}.gitignore`, `${p}con1.go`, `${p}LICENSE`, `${p}vendor.go`]);
    expect(root?.name).toBe(`${p}go.mod`);
    expect(check([`${p}a.go`])).toBeNull();
    expect(filePathProblem("a/b.go")).toBeNull();
    expect(foldKey("\u212A\u017F\u03C2\u00DF")).toBe(foldKey("kS\u03A3\u1E9E"));
    expect(foldKey("\u00DF")).not.toBe(foldKey("ss"));
  });

  it("refuses vendored packages as zip.Create leaves them out, by the go.mod's go version", () => {
    const vendoring = (names: string[], goMod: string | null) => () => checkVendoring(names.map((n) => entry(n)), "example.com/m", "v1.0.0", goMod);
    const go119 = "module example.com/m\n\ngo 1.19\n";
    const go124 = "module example.com/m\n\ngo 1.24.0\n";
    expect(vendoring([`${p}vendor/golang.org/x/a.go`], go119)).toThrow(/"example.com\/m@v1.0.0\/vendor\/golang.org\/x\/a.go": file is in a vendored package/);
    expect(vendoring([`${p}pkg/vendor/x/a.go`], go124)).toThrow(/vendored package/);
    expect(vendoring([`${p}vendor/modules.txt`], go119)).not.toThrow();
    expect(vendoring([`${p}vendor/modules.txt`], null)).not.toThrow();
    expect(vendoring([`${p}vendor/modules.txt`], go124)).toThrow(/vendored package/);
    // golang.org/issue/37397: before go 1.24 a file directly in pkg/vendor/ counted as vendored.
    expect(vendoring([`${p}pkg/vendor/vendor.go`], go119)).toThrow(/vendored package/);
    expect(vendoring([`${p}pkg/vendor/vendor.go`], go124)).not.toThrow();
    expect(vendoring([`${p}vendor.go`, `${p}vendor/`], go119)).not.toThrow();
  });
});
