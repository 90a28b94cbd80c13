/// <reference types="vite/client" />
/**
 * The manual holds together: every relative link in README.md and docs/ points at a page
 * (or a picture) that exists and, with a `#fragment`, at a heading that page has (GitHub's anchors); every
 * `npm run <script>` the docs tell a reader to type exists in package.json; the README
 * stays a front door. (The snippets the docs publish are run by the e2e tests.)
 */
import { describe, expect, it } from "vitest";
import pkg from "../package.json";

const pages = Object.fromEntries(
  Object.entries(import.meta.glob(["../README.md", "../docs/**/*.md"], { query: "?raw", import: "default", eager: true }) as Record<string, string>).map(
    ([path, text]) => [path.replace(/^\.\.\//, ""), text],
  ),
);

/** Pictures the docs may show (screenshots), by path from the repository root. */
const images = new Set(Object.keys(import.meta.glob(["../docs/**/*.png", "../docs/**/*.jpg", "../docs/**/*.svg"])).map((path) => path.replace(/^\.\.\//, "")));

/** The text outside fenced code blocks and inline code: what links and headings live in. */
const prose = (md: string) => md.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, (code) => code.replace(/[[\]()]/g, " "));

/** GitHub's heading anchors (github-slugger): lower case, punctuation and symbols dropped, spaces to `-`, repeats numbered. */
export function anchorsOf(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of md.replace(/^```[\s\S]*?^```/gm, "").matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = heading!.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
    const base = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, "").replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function resolve(from: string, target: string): string {
  const out = from.split("/").slice(0, -1);
  for (const part of target.split("/")) {
    if (part === "..") out.pop();
    else if (part !== "." && part !== "") out.push(part);
  }
  return out.join("/");
}

describe("the manual", () => {
  it("finds the README and the docs pages", () => {
    expect(Object.keys(pages)).toContain("README.md");
    expect(Object.keys(pages)).toContain("docs/README.md");
    expect(Object.keys(pages)).toContain("docs/storage-layout.md");
  });

  it("computes anchors the way GitHub does", () => {
    expect([...anchorsOf("# A ratio near 0.9×, measured (third pass)\n## `npm` and **PyPI**\n## Limits\n## Limits")]).toEqual([
      "a-ratio-near-09-measured-third-pass",
      "npm-and-pypi",
      "limits",
      "limits-1",
    ]);
  });

  it("has no broken relative link or anchor", () => {
    const broken: string[] = [];
    for (const [page, text] of Object.entries(pages)) {
      for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue; // https:, mailto:
        const [path, fragment] = target!.split("#") as [string, string | undefined];
        const file = path === "" ? page : resolve(page, path);
        if (/\.(png|jpg|svg)$/.test(file)) {
          if (!images.has(file)) broken.push(`${page}: ${target} (no such image)`);
          continue;
        }
        if (!(file in pages)) {
          broken.push(`${page}: ${target} (no such page${file.endsWith(".md") ? "" : "; link to a .md page"})`);
          continue;
        }
        if (fragment !== undefined && !anchorsOf(pages[file]!).has(fragment)) broken.push(`${page}: ${target} (no heading #${fragment} in ${file})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("tells readers to run only npm scripts that exist", () => {
    const scripts = new Set(Object.keys(pkg.scripts));
    const missing = Object.entries(pages).flatMap(([page, text]) =>
      [...text.matchAll(/\bnpm run ([a-z][\w:-]*)/g)].map((m) => m[1]!).filter((s) => !scripts.has(s)).map((s) => `${page}: npm run ${s}`),
    );
    expect(missing).toEqual([]);
    expect(scripts).toContain("dev");
    expect(scripts).toContain("test");
  });

  it("keeps the README a front door (at most 250 lines)", () => {
    expect(pages["README.md"]!.split("\n").length).toBeLessThanOrEqual(250);
  });
});
