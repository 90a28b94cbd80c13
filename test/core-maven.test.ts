import { describe, expect, it } from "vitest";
import { compareMavenVersions, fileParts, parseMavenPath } from "../src/formats/maven/paths";
import { artifactMetadataXml, escapeXml, mavenTimestamp, snapshotMetadataXml } from "../src/formats/maven/metadata-xml";

describe("maven paths", () => {
  it("recognises files, checksums and both metadata levels", () => {
    expect(parseMavenPath("com/example/lib/1.0/lib-1.0.jar")).toMatchObject({ kind: "file", groupId: "com.example", artifactId: "lib", version: "1.0", checksum: null });
    expect(parseMavenPath("com/example/lib/1.0/lib-1.0-sources.jar.sha1")).toMatchObject({ kind: "file", path: "com/example/lib/1.0/lib-1.0-sources.jar", checksum: "sha1" });
    expect(parseMavenPath("com/example/lib/maven-metadata.xml")).toMatchObject({ kind: "metadata", groupId: "com.example", artifactId: "lib", version: null });
    expect(parseMavenPath("com/example/lib/1.0-SNAPSHOT/maven-metadata.xml.md5")).toMatchObject({ kind: "metadata", artifactId: "lib", version: "1.0-SNAPSHOT", checksum: "md5" });
    expect(parseMavenPath("com/example/lib/1.0-SNAPSHOT/lib-1.0-20261122.061500-3.pom")).toMatchObject({ kind: "file", version: "1.0-SNAPSHOT" });
  });
  it("refuses paths that don't fit the layout", () => {
    expect(() => parseMavenPath("com/example/lib/1.0/other-1.0.jar")).toThrow("must start with lib-1.0");
    expect(() => parseMavenPath("com/example/lib/1.0/lib-1.1.jar")).toThrow("must start");
    expect(() => parseMavenPath("lib/1.0/lib-1.0.jar")).toThrow("expected");
    expect(() => parseMavenPath("com/../lib/1.0/lib-1.0.jar")).toThrow("invalid path segment");
    expect(() => parseMavenPath("com//lib/1.0/lib-1.0.jar")).toThrow("invalid path segment");
    expect(() => parseMavenPath("maven-metadata.xml")).toThrow("groupId");
  });
  it("splits file names into value, classifier, extension and snapshot build", () => {
    expect(fileParts("lib", "1.0", "lib-1.0.tar.gz")).toEqual({ value: "1.0", classifier: "", extension: "tar.gz" });
    expect(fileParts("lib", "1.0", "lib-1.0-javadoc.jar")).toEqual({ value: "1.0", classifier: "javadoc", extension: "jar" });
    expect(fileParts("lib", "1.0-SNAPSHOT", "lib-1.0-20261122.061500-12-tests.jar")).toEqual({
      value: "1.0-20261122.061500-12",
      classifier: "tests",
      extension: "jar",
      timestamp: "20261122.061500",
      buildNumber: 12,
    });
    expect(fileParts("lib", "1.0-SNAPSHOT", "lib-1.0-SNAPSHOT.jar")).toEqual({ value: "1.0-SNAPSHOT", classifier: "", extension: "jar" });
    expect(fileParts("lib", "1.0", "lib-1.0")).toBeNull();
  });
});

describe("maven version order", () => {
  it("orders qualifiers and numbers like Maven", () => {
    const sorted = ["1.0", "1.0-SNAPSHOT", "1.0-alpha-1", "1.0-beta", "1.0-rc1", "1.0.1", "1.1-SNAPSHOT", "1.10", "1.2", "1.0-sp1"].sort(compareMavenVersions);
    expect(sorted).toEqual(["1.0-alpha-1", "1.0-beta", "1.0-rc1", "1.0-SNAPSHOT", "1.0", "1.0-sp1", "1.0.1", "1.1-SNAPSHOT", "1.2", "1.10"]);
    expect(compareMavenVersions("1.0", "1.0.0")).toBe(0);
  });
});

describe("maven-metadata.xml", () => {
  it("writes artifact-level metadata with latest, release and sorted versions", () => {
    const xml = artifactMetadataXml({ groupId: "g", artifactId: "a&b", versions: ["1.10", "1.2", "2.0-SNAPSHOT"], lastUpdated: Date.UTC(2026, 10, 22, 6, 15, 0) });
    expect(xml).toContain("<artifactId>a&amp;b</artifactId>");
    expect(xml).toContain("<latest>2.0-SNAPSHOT</latest>");
    expect(xml).toContain("<release>1.10</release>");
    expect(xml.indexOf("<version>1.2</version>")).toBeLessThan(xml.indexOf("<version>1.10</version>"));
    expect(xml).toContain("<lastUpdated>20261122061500</lastUpdated>");
  });
  it("writes snapshot metadata with the newest build per classifier/extension", () => {
    const f = (value: string, build: number, extension: string, classifier = "") => ({ value, buildNumber: build, timestamp: value.split("-")[1]!, extension, classifier, updated: 0 });
    const xml = snapshotMetadataXml({
      groupId: "g",
      artifactId: "a",
      version: "1.0-SNAPSHOT",
      lastUpdated: 0,
      files: [f("1.0-20260101.000000-1", 1, "jar"), f("1.0-20260102.000000-2", 2, "jar"), f("1.0-20260102.000000-2", 2, "pom"), f("1.0-20260101.000000-1", 1, "jar", "sources")],
    });
    expect(xml).toContain("<timestamp>20260102.000000</timestamp>");
    expect(xml).toContain("<buildNumber>2</buildNumber>");
    expect(xml.match(/<snapshotVersion>/g)).toHaveLength(3);
    expect(xml).toContain("<classifier>sources</classifier>");
    const blocks = [...xml.matchAll(/<snapshotVersion>([\s\S]*?)<\/snapshotVersion>/g)].map((m) => ({
      kind: `${/<classifier>(.*)<\/classifier>/.exec(m[1]!)?.[1] ?? ""}.${/<extension>(.*)<\/extension>/.exec(m[1]!)![1]}`,
      value: /<value>(.*)<\/value>/.exec(m[1]!)![1],
    }));
    expect(blocks).toEqual([
      { kind: ".jar", value: "1.0-20260102.000000-2" },
      { kind: ".pom", value: "1.0-20260102.000000-2" },
      { kind: "sources.jar", value: "1.0-20260101.000000-1" },
    ]);
  });
  it("escapes and formats", () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
    expect(mavenTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe("20260102030405");
  });
});
