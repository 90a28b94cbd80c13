import { describe, expect, it } from "vitest";
import { compareVersions, highest, parseSemver, withoutBuild } from "../src/core/semver";

describe("semver (npm, Cargo, Go)", () => {
  it("parses strictly: no prefix, no leading zeros, three numbers", () => {
    expect(parseSemver("1.0.0-rc.1+build.5")).toMatchObject({ major: 1, minor: 0, patch: 0, prerelease: ["rc", 1], build: ["build", "5"] });
    for (const bad of ["1.0", "v1.0.0", "=1.0.0", " 1.0.0", "01.0.0", "1.0.0-", "1.0.0-01", "", "1.2.3.4", `1.0.0-${"a".repeat(260)}`]) expect(parseSemver(bad), bad).toBeNull();
    expect(parseSemver("99999999999999999999.0.0")).toBeNull();
  });

  it("orders by precedence, ignoring build metadata", () => {
    const ordered = ["0.9.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "2.0.0+build"];
    expect([...ordered].reverse().sort(compareVersions)).toEqual(ordered);
    expect(compareVersions("1.0.0+a", "1.0.0+b")).toBe(0);
    expect(compareVersions("not-a-version", "0.0.1")).toBeLessThan(0);
    expect(withoutBuild("1.2.3+meta.1")).toBe("1.2.3");
  });

  it("picks the highest release, else the highest pre-release", () => {
    expect(highest(["1.0.0", "2.0.0-rc.1", "1.5.0"])).toBe("1.5.0");
    expect(highest(["2.0.0-rc.1", "2.0.0-rc.2", "2.0.0-beta"])).toBe("2.0.0-rc.2");
    expect(highest(["garbage"])).toBeNull();
    expect(highest([])).toBeNull();
  });
});
