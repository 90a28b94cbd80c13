import { describe, expect, it } from "vitest";
import { parseFilePath } from "../src/formats/generic/file-path";
import { rawPathname } from "../src/http/repo-gate";
import { parseRange } from "../src/core/range";

describe("parseFilePath", () => {
  it("accepts ordinary nested paths and decodes percent-escapes", () => {
    expect(parseFilePath("tools/v1.2/tool-linux_amd64.tar.gz")).toBe("tools/v1.2/tool-linux_amd64.tar.gz");
    expect(parseFilePath("docs/read%20me.txt")).toBe("docs/read me.txt");
    expect(parseFilePath("caf%C3%A9/x")).toBe("café/x");
  });

  it.each([
    ["", "empty"],
    ["a//b", "empty segment"],
    ["a/", "empty segment"],
    ["../etc/passwd", "'.' and '..'"],
    ["a/%2e%2e/b", "'.' and '..'"],
    ["a/./b", "'.' and '..'"],
    ["./d.bin", "'.' and '..'"],
    ["a/%2E/b", "'.' and '..'"],
    ["a/.%2e/b", "'.' and '..'"],
    ["a/.", "'.' and '..'"],
    ["a/%2e", "'.' and '..'"],
    ["a%2Fb", "encoded"],
    ["a%5cb", "encoded"],
    ["a\\b", "control characters"],
    ["a%00b", "control characters"],
    ["a%0Ab", "control characters"],
    ["what%3F", "control characters"],
    ["%20lead", "whitespace"],
    ["bad%zz", "percent-encoding"],
    ["x".repeat(256), "segment is longer"],
    [Array(33).fill("a").join("/"), "deeper"],
    [Array(300).fill("abcd").join("/").slice(0, 1100), "longer than 1024"],
  ])("refuses %j (%s)", (raw, why) => {
    expect(() => parseFilePath(raw)).toThrow(why);
  });
});

describe("rawPathname", () => {
  it("keeps the path as spelt: dot segments and escapes untouched, query and fragment cut", () => {
    expect(rawPathname("http://h:8787/generic/p/r/a/../b.bin?x=1")).toBe("/generic/p/r/a/../b.bin");
    expect(rawPathname("https://h/generic/p/r/%2e%2e/c.bin#f")).toBe("/generic/p/r/%2e%2e/c.bin");
    expect(rawPathname("http://h")).toBe("/");
    expect(rawPathname("http://h?q")).toBe("/");
  });
});

describe("parseRange", () => {
  it("parses the single-range forms", () => {
    expect(parseRange("bytes=0-9", 100)).toEqual({ kind: "partial", offset: 0, length: 10 });
    expect(parseRange("bytes=90-", 100)).toEqual({ kind: "partial", offset: 90, length: 10 });
    expect(parseRange("bytes=-5", 100)).toEqual({ kind: "partial", offset: 95, length: 5 });
    expect(parseRange("bytes=50-500", 100)).toEqual({ kind: "partial", offset: 50, length: 50 });
  });
  it("ignores what it does not understand and refuses ranges past the end", () => {
    expect(parseRange(null, 10)).toEqual({ kind: "full" });
    expect(parseRange("bytes=0-1,4-5", 10)).toEqual({ kind: "full" });
    expect(parseRange("items=0-1", 10)).toEqual({ kind: "full" });
    expect(parseRange("bytes=5-2", 10)).toEqual({ kind: "full" });
    expect(parseRange("bytes=10-", 10)).toEqual({ kind: "unsatisfiable" });
    expect(parseRange("bytes=-0", 10)).toEqual({ kind: "unsatisfiable" });
  });
});
