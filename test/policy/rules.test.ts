/**
 * The pure rules of the policy domain: version specs in each format's own grammar,
 * SPDX expressions judged against allow/deny lists, and the licences each format's
 * metadata declares.
 */
import { describe, expect, it } from "vitest";
import { semverMatcher } from "../../src/core/semver";
import { judgeLicense, parseLicense } from "../../src/core/spdx";
import { pep440Matcher, comparePep440, parsePep440 } from "../../src/formats/pypi/specifiers";
import { mavenVersionMatcher } from "../../src/formats/maven/paths";
import { cargoVersionMatcher } from "../../src/formats/cargo/crate";
import { goVersionMatcher } from "../../src/formats/go/module";
import { licenseOfUpload } from "../../src/formats/pypi/licenses";
import { licenseOfManifest } from "../../src/formats/npm/publish";
import { licenseOfPomText } from "../../src/formats/maven/pom";
import { licenseFindings } from "../../src/services/policy/license-rules";

const matching = (match: (v: string) => boolean, versions: string[]) => versions.filter(match);

describe("version specs in each format's grammar", () => {
  it("npm: exact versions and node-semver ranges, pre-releases included", () => {
    const all = ["1.0.0", "1.1.0-rc.1", "1.1.0", "1.4.1", "2.0.0"];
    expect(matching(semverMatcher("1.1.0")!, all)).toEqual(["1.1.0"]);
    expect(matching(semverMatcher(">=1.1.0 <1.4.1")!, all)).toEqual(["1.1.0"]);
    expect(matching(semverMatcher("<1.4.1")!, all)).toEqual(["1.0.0", "1.1.0-rc.1", "1.1.0"]);
    expect(matching(semverMatcher("^1 || 2.0.0")!, all)).toEqual(all);
    expect(semverMatcher("not a range")).toBeNull();
  });

  it("PyPI: PEP 440 order and specifiers", () => {
    const order = ["1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0+local", "1.0.post1", "1.1", "2!0.5"];
    const sorted = [...order].reverse().sort((a, b) => comparePep440(parsePep440(a)!, parsePep440(b)!));
    expect(sorted).toEqual(order);
    const all = ["0.9", "1.0rc1", "1.0", "1.4", "1.4.2", "1.5", "2.0", "2.0.post1"];
    expect(matching(pep440Matcher(">=1.0,<2.0"), all)).toEqual(["1.0", "1.4", "1.4.2", "1.5"]);
    expect(matching(pep440Matcher("==1.4.*"), all)).toEqual(["1.4", "1.4.2"]);
    expect(matching(pep440Matcher("~=1.4.1"), all)).toEqual(["1.4.2"]);
    expect(matching(pep440Matcher("!=1.5,>1.0"), all)).toEqual(["1.4", "1.4.2", "2.0", "2.0.post1"]);
    expect(matching(pep440Matcher("<1.0"), all)).toEqual(["0.9"]); // not 1.0rc1: PEP 440's exclusive rule
    expect(matching(pep440Matcher(">2.0"), all)).toEqual([]); // nor 2.0.post1
    expect(matching(pep440Matcher("1.0.0"), all)).toEqual(["1.0"]);
    expect(() => pep440Matcher("=>1")).toThrow(/PEP 440/);
  });

  it("Maven: bare versions exactly, ranges and unions", () => {
    const all = ["0.9", "1.0", "1.5", "1.5.1", "2.0-SNAPSHOT", "2.0", "3.0"];
    expect(matching(mavenVersionMatcher("1.5"), all)).toEqual(["1.5"]);
    expect(matching(mavenVersionMatcher("[1.0,2.0)"), all)).toEqual(["1.0", "1.5", "1.5.1", "2.0-SNAPSHOT"]);
    expect(matching(mavenVersionMatcher("(,1.0]"), all)).toEqual(["0.9", "1.0"]);
    expect(matching(mavenVersionMatcher("[1.5]"), all)).toEqual(["1.5"]);
    expect(matching(mavenVersionMatcher("(,1.0],[2.0,)"), all)).toEqual(["0.9", "1.0", "2.0", "3.0"]);
    for (const bad of ["[1.0,2.0", "(1.0)", "[,]", "1.0,2.0"]) expect(() => mavenVersionMatcher(bad), bad).toThrow(/Maven/);
  });

  it("Cargo: full versions exactly, requirements with Cargo's implicit caret and commas", () => {
    const all = ["0.1.0", "0.2.0", "0.2.7", "0.3.0", "1.0.0", "1.2.3", "1.9.0", "2.0.0"];
    expect(matching(cargoVersionMatcher("1.2.3"), all)).toEqual(["1.2.3"]);
    expect(matching(cargoVersionMatcher("1.2"), all)).toEqual(["1.2.3", "1.9.0"]);
    expect(matching(cargoVersionMatcher("0.2"), all)).toEqual(["0.2.0", "0.2.7"]);
    expect(matching(cargoVersionMatcher(">=0.2, <1.0"), all)).toEqual(["0.2.0", "0.2.7", "0.3.0"]);
    expect(matching(cargoVersionMatcher("~1.2"), all)).toEqual(["1.2.3"]);
    expect(() => cargoVersionMatcher("1.0 || 2.0")).toThrow(/Cargo/);
  });

  it("Go: versions with their v, ranges over them, +incompatible ignored", () => {
    const all = ["v1.0.0", "v1.2.0", "v1.2.9", "v1.3.0", "v2.0.0+incompatible"];
    expect(matching(goVersionMatcher("v1.2.0"), all)).toEqual(["v1.2.0"]);
    expect(matching(goVersionMatcher(">=v1.2.0 <v1.3.0"), all)).toEqual(["v1.2.0", "v1.2.9"]);
    expect(matching(goVersionMatcher(">=v2.0.0"), all)).toEqual(["v2.0.0+incompatible"]);
    for (const bad of ["1.2.0", "vx", "latest"]) expect(() => goVersionMatcher(bad), bad).toThrow(/module version/);
  });
});

describe("SPDX licence expressions", () => {
  const judge = (expr: string, lists: { allow?: string[]; deny?: string[] }) => {
    const parsed = parseLicense(expr);
    if (parsed.kind !== "expression") throw new Error(`${expr} did not parse`);
    return judgeLicense(parsed, { allow: lists.allow ?? [], deny: lists.deny ?? [] });
  };

  it("allows an OR when one side is allowed, an AND only when both are", () => {
    const noGpl = { deny: ["GPL-*", "AGPL-*"] };
    expect(judge("MIT OR GPL-3.0-only", noGpl)).toEqual({ allowed: true, refused: [] });
    expect(judge("MIT AND GPL-3.0-only", noGpl)).toEqual({ allowed: false, refused: ["GPL-3.0-only"] });
    expect(judge("GPL-2.0-only OR AGPL-3.0-only", noGpl)).toEqual({ allowed: false, refused: ["GPL-2.0-only", "AGPL-3.0-only"] });
    expect(judge("(MIT AND BSD-3-Clause) OR GPL-3.0-or-later", noGpl).allowed).toBe(true);
    expect(judge("(MIT OR GPL-3.0-only) AND LGPL-2.1-only", noGpl).allowed).toBe(true);
    expect(judge("GPL-2.0+", noGpl)).toEqual({ allowed: false, refused: ["GPL-2.0+"] });
  });

  it("reads allow lists as the only identifiers allowed, and WITH exceptions as written first", () => {
    const permissive = { allow: ["MIT", "Apache-2.0", "BSD-*"] };
    expect(judge("Apache-2.0 OR MIT", permissive).allowed).toBe(true);
    expect(judge("MPL-2.0", permissive)).toEqual({ allowed: false, refused: ["MPL-2.0"] });
    const classpath = { deny: ["GPL-*"], allow: ["GPL-2.0-only WITH Classpath-exception-2.0", "MIT"] };
    expect(judge("GPL-2.0-only WITH Classpath-exception-2.0", classpath).allowed).toBe(true);
    expect(judge("GPL-2.0-only", classpath).allowed).toBe(false);
  });

  it("corrects free text once and calls the rest unknown, never guessing at UNLICENSED", () => {
    expect(parseLicense("Apache 2.0")).toMatchObject({ kind: "expression", expression: "Apache-2.0" });
    expect(parseLicense("MIT License")).toMatchObject({ kind: "expression", expression: "MIT" });
    for (const text of [null, "", "UNLICENSED", "SEE LICENSE IN LICENSE.txt", "Proprietary, all rights reserved by Acme"]) {
      expect(parseLicense(text).kind, String(text)).toBe("unknown");
    }
  });

  it("turns policies into findings: refusals first, unknown licences by the policy's rule, scopes respected", () => {
    const base = { description: "", projectId: null, repoId: null, enabled: true, createdAt: 0, updatedAt: 0 };
    const policies = [
      { ...base, id: "w", name: "warn-mpl", formats: [], allow: [], deny: ["MPL-*"], action: "warn" as const, unknownAction: "allow" as const },
      { ...base, id: "b", name: "no-gpl", formats: ["npm"], allow: [], deny: ["GPL-*"], action: "block" as const, unknownAction: "block" as const },
    ];
    const at = { projectId: "p", repoId: "r", format: "npm" };
    expect(licenseFindings(policies, at, "MIT")).toEqual([]);
    expect(licenseFindings(policies, at, "GPL-3.0-only AND MPL-2.0").map((f) => [f.policy.id, f.action])).toEqual([["b", "block"], ["w", "warn"]]);
    expect(licenseFindings(policies, at, null).map((f) => [f.policy.id, f.reason])).toEqual([["b", "no licence is declared (unknown licence)"]]);
    expect(licenseFindings(policies, { ...at, format: "pypi" }, "GPL-3.0-only")).toEqual([]);
    expect(licenseFindings(policies, at, "GPL-3.0-only")[0]!.reason).toBe("'GPL-3.0-only' relies on GPL-3.0-only (denied)");
  });
});

describe("licences each format declares", () => {
  it("npm: license, the old {type} form, the older licenses list", () => {
    expect(licenseOfManifest({ license: "MIT OR Apache-2.0" })).toBe("MIT OR Apache-2.0");
    expect(licenseOfManifest({ license: { type: "ISC" } })).toBe("ISC");
    expect(licenseOfManifest({ licenses: [{ type: "MIT" }, { type: "Apache 2.0" }] })).toBe("MIT OR (Apache 2.0)");
    expect(licenseOfManifest({})).toBeNull();
  });

  it("PyPI: License-Expression, then classifiers, then the License field's first line", () => {
    expect(licenseOfUpload({ licenseExpression: "MIT", classifiers: ["License :: OSI Approved :: Apache Software License"] })).toBe("MIT");
    expect(licenseOfUpload({ classifiers: ["License :: OSI Approved :: GNU General Public License v3 (GPLv3)", "License :: OSI Approved :: MIT License", "Programming Language :: Python"] })).toBe("GPL-3.0-only OR MIT");
    expect(licenseOfUpload({ license: "BSD-3-Clause" })).toBe("BSD-3-Clause");
    expect(licenseOfUpload({ license: "Copyright Acme. All rights reserved.\nMore text" })).toBe("Copyright Acme. All rights reserved.");
    expect(licenseOfUpload({})).toBeNull();
  });

  it("Maven: the POM's <licenses>, by name or by URL, several as alternatives", () => {
    const pom = (licenses: string) => `<?xml version="1.0"?><project><licenses>${licenses}</licenses></project>`;
    expect(licenseOfPomText(pom("<license><name>The Apache Software License, Version 2.0</name></license>"))).toBe("Apache-2.0");
    expect(licenseOfPomText(pom("<license><name>Eclipse stuff</name><url>https://www.eclipse.org/legal/epl-2.0/</url></license><license><name>MIT License</name></license>"))).toBe("EPL-2.0 OR MIT");
    expect(licenseOfPomText("<project><name>x</name></project>")).toBeNull();
    expect(licenseOfPomText("<project><licenses><license><name>GNU GPL v3</name></license></licenses></project>")).toMatch(/GPL-3\.0/);
    expect(licenseOfPomText("not xml <<<")).toBeNull();
  });
});
