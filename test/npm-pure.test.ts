import { describe, expect, it } from "vitest";
import { parseNpmPath, versionOfTarball, assertNpmName, assertDistTag, tarballName } from "../src/formats/npm/routes";

describe("npm paths", () => {
  it("parses scoped names escaped or literal, and every route kind", () => {
    expect(parseNpmPath("@s%2fpkg")).toEqual({ kind: "packument", name: "@s/pkg" });
    expect(parseNpmPath("@s%2Fpkg")).toEqual({ kind: "packument", name: "@s/pkg" });
    expect(parseNpmPath("@s/pkg")).toEqual({ kind: "packument", name: "@s/pkg" });
    expect(parseNpmPath("pkg")).toEqual({ kind: "packument", name: "pkg" });
    expect(parseNpmPath("pkg/-rev/3-abc")).toEqual({ kind: "packument", name: "pkg", rev: "3-abc" });
    expect(parseNpmPath("@s%2fpkg/-rev/3-abc")).toEqual({ kind: "packument", name: "@s/pkg", rev: "3-abc" });
    expect(parseNpmPath("pkg/1.0.0")).toEqual({ kind: "version", name: "pkg", spec: "1.0.0" });
    expect(parseNpmPath("pkg/-/pkg-1.0.0.tgz")).toEqual({ kind: "tarball", name: "pkg", file: "pkg-1.0.0.tgz" });
    expect(parseNpmPath("@s/pkg/-/@s/pkg-1.0.0.tgz")).toEqual({ kind: "tarball", name: "@s/pkg", file: "@s/pkg-1.0.0.tgz" });
    expect(parseNpmPath("pkg/-/pkg-1.0.0.tgz/-rev/2-x")).toEqual({ kind: "tarball", name: "pkg", file: "pkg-1.0.0.tgz", rev: "2-x" });
    expect(parseNpmPath("-/ping")).toEqual({ kind: "ping" });
    expect(parseNpmPath("-/whoami")).toEqual({ kind: "whoami" });
    expect(parseNpmPath("-/v1/search")).toEqual({ kind: "search" });
    expect(parseNpmPath("-/package/@s%2fpkg/dist-tags")).toEqual({ kind: "distTags", name: "@s/pkg" });
    expect(parseNpmPath("-/package/pkg/dist-tags/beta")).toEqual({ kind: "distTag", name: "pkg", tag: "beta" });
    expect(parseNpmPath("-/nope")).toEqual({ kind: "unknown" });
    expect(parseNpmPath("pkg/-/a/b/c.tgz")).toEqual({ kind: "unknown" });
    expect(parseNpmPath("%E0%A4%A")).toEqual({ kind: "unknown" });
    expect(parseNpmPath("")).toEqual({ kind: "unknown" });
  });

  it("maps tarball names to versions", () => {
    expect(versionOfTarball("pkg", "pkg-1.2.3-beta.1.tgz")).toBe("1.2.3-beta.1");
    expect(versionOfTarball("@s/pkg", "pkg-1.0.0.tgz")).toBe("1.0.0");
    expect(versionOfTarball("@s/pkg", "@s/pkg-1.0.0.tgz")).toBe("1.0.0");
    expect(versionOfTarball("pkg", "other-1.0.0.tgz")).toBeNull();
    expect(tarballName("@s/pkg", "1.0.0")).toBe("pkg-1.0.0.tgz");
  });

  it("validates names and tags", () => {
    expect(assertNpmName("@scope/a.b-c_d")).toBe("@scope/a.b-c_d");
    for (const bad of ["Upper", "a b", "@s/", "/x", "a/b", "x".repeat(215), ".hidden"]) expect(() => assertNpmName(bad), bad).toThrow();
    expect(assertDistTag("beta")).toBe("beta");
    for (const bad of ["1.0", "v2", "a b", ""]) expect(() => assertDistTag(bad), bad).toThrow();
  });
});

