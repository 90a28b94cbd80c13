/**
 * The format registry is the one list everything format-specific derives from: repo
 * formats, protocol prefixes, package keys, client set-up, public config.
 */
import { describe, expect, it } from "vitest";
import { FORMATS, REPO_FORMATS, clientSetupFor, formatOfRepo, packageKeyOf, rendererForPath } from "../src/formats";
import { jsonOf, req } from "./helpers";

describe("format registry", () => {
  it("gives every repo format exactly one protocol, each at its own prefix", () => {
    expect(new Set(REPO_FORMATS).size).toBe(REPO_FORMATS.length);
    expect(new Set(FORMATS.map((f) => f.prefix)).size).toBe(FORMATS.length);
    for (const rf of REPO_FORMATS) expect(formatOfRepo(rf).repoFormats).toContain(rf);
    expect(() => formatOfRepo("rpm-not-yet")).toThrow();
    for (const f of FORMATS) expect(rendererForPath(`${f.prefix}/x`)).toBe(f.renderError);
    expect(rendererForPath("/api/v1/projects")).toBeUndefined();
  });

  it("keys package names by the format's own rule, idempotently", () => {
    expect(packageKeyOf("pypi", "Demo_Pkg.Two")).toBe("demo-pkg-two");
    expect(packageKeyOf("pypi", packageKeyOf("pypi", "A__b"))).toBe("a-b");
    expect(packageKeyOf("npm", "@Scope/Name")).toBe("@Scope/Name");
  });

  it("builds client set-up for every repo format from its descriptor, never with a secret", () => {
    for (const format of REPO_FORMATS) {
      const setup = clientSetupFor({ format, baseUrl: "https://reg.example", project: "p", repo: "r", visibility: "private" });
      expect(setup.format).toBe(format);
      expect(setup.sections.length).toBeGreaterThan(0);
      expect(setup.registry_url).toContain("p/r");
      const text = JSON.stringify(setup);
      expect(text).toContain("<TOKEN>");
    }
    expect(clientSetupFor({ format: "docker", baseUrl: "https://reg.example", project: "p", repo: "r", visibility: "public" }).registry_url).toBe("reg.example/p/r");
    expect(clientSetupFor({ format: "helm", baseUrl: "http://reg.example", project: "p", repo: "r", visibility: "public" }).sections[1]!.commands[0]).toContain("my-chart");
  });

  it("announces exactly the registry's formats in /api/public-config", async () => {
    const config = await jsonOf(await req("/api/public-config"), 200);
    expect(config.formats).toEqual([...REPO_FORMATS]);
  });
});
