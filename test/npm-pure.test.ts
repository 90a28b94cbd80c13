import { describe, expect, it } from "vitest";
import { parseNpmPath, versionOfTarball, assertNpmName, assertDistTag, tarballName } from "../src/formats/npm/routes";
import { compareSemver, highestVersion, parseSemver } from "../src/formats/npm/semver";

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

describe("semver", () => {
  it("parses strictly and orders by precedence", () => {
    expect(parseSemver("1.0.0-rc.1+build.5")).toEqual({ major: 1, minor: 0, patch: 0, prerelease: ["rc", 1] });
    for (const bad of ["1.0", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0-01"]) expect(parseSemver(bad), bad).toBeNull();
    const ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "2.0.0"];
    expect([...ordered].reverse().sort(compareSemver)).toEqual(ordered);
    expect(compareSemver("1.0.0+a", "1.0.0+b")).toBe(0);
  });

  it("prefers the highest stable version for latest", () => {
    expect(highestVersion(["1.0.0", "2.0.0-rc.1", "1.5.0"])).toBe("1.5.0");
    expect(highestVersion(["2.0.0-rc.1", "2.0.0-beta"])).toBe("2.0.0-rc.1");
    expect(highestVersion([])).toBeUndefined();
  });
});
