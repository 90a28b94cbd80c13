/**
 * What a pull costs in D1 round trips, per format and per download path, with every
 * per-isolate cache warm (the second of two identical requests is counted). The numbers
 * are pinned: policy checks (blocks, quarantine, licences) must be folded into queries a
 * download already makes, so an unblocked pull never pays an extra round trip.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { SELF } from "cloudflare:test";
import { BASE, createRepo, projectWithToken } from "../helpers";
import { ADAPTERS, type FormatAdapter } from "../contract/adapters";
import { countD1, type D1Counter } from "../support/d1-counter";

interface Target {
  adapter: FormatAdapter;
  token: string;
  paths: Record<string, { path: string; method?: string; headers?: Record<string, string> }>;
}

const targets = new Map<string, Target>();
let counter: D1Counter | null = null;
afterEach(() => counter?.uninstall());

const seed = "costseed";
const nameOf = (s: string) => `p${s.replace(/[^a-z0-9]/g, "")}`.slice(0, 40);

beforeAll(async () => {
  for (const adapter of ADAPTERS) {
    const { project, token } = await projectWithToken("writer");
    const repo = await createRepo(project.id, adapter.repoFormat);
    const r = { project: project.slug, repo: repo.slug };
    const published = await adapter.publish(r, token, seed);
    expect(adapter.published, await published.res.clone().text()).toContain(published.res.status);
    const n = nameOf(seed);
    const base = (prefix: string) => `/${prefix}/${r.project}/${r.repo}`;
    const paths: Target["paths"] = { download: { path: published.download }, "download HEAD": { path: published.download, method: "HEAD" } };
    if (adapter.name === "npm") {
      paths.packument = { path: `${base("npm")}/${n}` };
      paths["abbreviated packument"] = { path: `${base("npm")}/${n}`, headers: { Accept: "application/vnd.npm.install-v1+json" } };
    }
    if (adapter.name === "pypi") paths["simple page"] = { path: `${base("pypi")}/simple/${n}/`, headers: { Accept: "application/vnd.pypi.simple.v1+json" } };
    if (adapter.name === "maven") paths["maven-metadata.xml"] = { path: `${base("maven")}/com/example/${n}/maven-metadata.xml` };
    if (adapter.name === "cargo") paths["index file"] = { path: `${base("cargo")}/index/${n.slice(0, 2)}/${n.slice(2, 4)}/${n}` };
    if (adapter.name === "go") {
      for (const [k, suffix] of [["@v/list", "@v/list"], ["@latest", "@latest"], [".info", "@v/v1.0.0.info"], [".mod", "@v/v1.0.0.mod"]]) {
        paths[k!] = { path: `${base("go")}/example.com/${n}/${suffix}` };
      }
    }
    if (adapter.name === "oci") {
      const image = `/v2/${r.project}/${r.repo}/${n}`;
      const accept = { Accept: "application/vnd.oci.image.manifest.v1+json" };
      paths["manifest HEAD"] = { path: `${image}/manifests/v1`, method: "HEAD", headers: accept };
      paths["manifest GET"] = { path: `${image}/manifests/v1`, headers: accept };
      paths["tags/list"] = { path: `${image}/tags/list` };
    }
    targets.set(adapter.name, { adapter, token, paths });
  }
});

async function cost(t: Target, p: { path: string; method?: string; headers?: Record<string, string> }) {
  const call = async () => {
    const headers = new Headers(p.headers);
    headers.set("Authorization", t.adapter.auth(t.token));
    const res = await SELF.fetch(`${BASE}${p.path}`, { method: p.method ?? "GET", headers });
    const body = await res.arrayBuffer();
    expect(res.status, new TextDecoder().decode(body)).toBe(200);
  };
  await call(); // warms every per-isolate cache (token, grants, repo, manifest)
  counter = countD1();
  await call();
  const n = counter.count;
  counter.uninstall();
  counter = null;
  return n;
}

/**
 * D1 round trips per request, measured with this test on main at 99ffe2e, before the
 * policy domain existed (docs/policy.md quotes them). The manifest's 0 is the 2-second
 * manifest cache; every other number is the queries the download path makes.
 */
const BEFORE: Record<string, Record<string, number>> = {
  oci: { download: 1, "download HEAD": 1, "manifest HEAD": 0, "manifest GET": 0, "tags/list": 1 },
  npm: { download: 5, "download HEAD": 4, packument: 3, "abbreviated packument": 3 },
  pypi: { download: 2, "download HEAD": 1, "simple page": 3 },
  maven: { download: 2, "download HEAD": 1, "maven-metadata.xml": 3 },
  cargo: { download: 4, "download HEAD": 3, "index file": 3 },
  go: { download: 6, "download HEAD": 5, "@v/list": 3, "@latest": 3, ".info": 3, ".mod": 6 },
  generic: { download: 2, "download HEAD": 1 },
  // The OS formats joined main after the policy domain; measured with their download
  // path reading the file through findFileByName (no policy check) before it was
  // switched to findFileForDownload (the same one query, with the policy columns).
  deb: { download: 2, "download HEAD": 1 },
  rpm: { download: 2, "download HEAD": 1 },
  "helm-classic": { download: 2, "download HEAD": 1 },
  // MCP catalogs joined after the policy domain: a server.json download is measured as it
  // is (the catalog version's row, then its files); catalog versions are not blockable yet.
  mcp: { download: 4, "download HEAD": 3 },
};

describe("D1 round trips of a pull (warm caches)", () => {
  it("are what they were before policies: blocks, quarantine and licences cost an unrestricted pull nothing", async () => {
    const table: Record<string, Record<string, number>> = {};
    for (const [name, t] of targets) {
      table[name] = {};
      for (const [what, p] of Object.entries(t.paths)) table[name]![what] = await cost(t, p);
    }
    console.log(JSON.stringify(table));
    expect(table).toEqual(BEFORE);
  });
});
