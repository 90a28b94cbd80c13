/**
 * What every hot read costs in storage round trips (test/support/calls.ts), per format:
 * warm and cold, with a token and anonymously. The counts are pinned: any read costs at
 * most one D1 round trip, and a warm read of immutable content (a blob, a manifest by
 * digest, a tarball, wheel, jar, crate, module zip) none at all, nor any R2 operation.
 * The last test prints the table; `npm run bench:calls` runs just this file.
 *
 * "cold" = this isolate's caches are empty (clearAllCaches) and the content was never
 * served here before (so the edge cache holds none of it); "warm" = the same request
 * again right after.
 */
import { describe, expect, it } from "vitest";
import { clearAllCaches } from "../src/core/ttl-cache";
import { createRepo, projectWithToken, unique } from "./helpers";
import { ADAPTERS, type FormatAdapter } from "./contract/adapters";
import { measure, type Calls } from "./support/calls";

interface Row {
  format: string;
  read: string;
  /** Immutable content: a warm read must cost nothing. */
  immutable: boolean;
  path: (published: { download: string; name: string; base: string }) => string;
  headers?: Record<string, string>;
}

const nameIn = (seed: string) => `p${seed.replace(/[^a-z0-9]/g, "")}`.slice(0, 40);
const cargoIndexPath = (n: string) => (n.length <= 2 ? `${n.length}/${n}` : n.length === 3 ? `3/${n[0]}/${n}` : `${n.slice(0, 2)}/${n.slice(2, 4)}/${n}`);

const ROWS: Row[] = [
  { format: "oci", read: "manifest by tag", immutable: false, path: (p) => p.download.replace(/\/blobs\/.*/, "/manifests/v1"), headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } },
  { format: "oci", read: "blob", immutable: true, path: (p) => p.download },
  { format: "npm", read: "packument", immutable: false, path: (p) => `${p.base}/${p.name}` },
  { format: "npm", read: "tarball", immutable: true, path: (p) => p.download },
  { format: "pypi", read: "simple page", immutable: false, path: (p) => `${p.base}/simple/${p.name}/`, headers: { Accept: "application/vnd.pypi.simple.v1+json" } },
  { format: "pypi", read: "file", immutable: true, path: (p) => p.download },
  { format: "maven", read: "maven-metadata.xml", immutable: false, path: (p) => `${p.base}/com/example/${p.name}/maven-metadata.xml` },
  { format: "maven", read: "jar", immutable: true, path: (p) => p.download },
  { format: "cargo", read: "index file", immutable: false, path: (p) => `${p.base}/index/${cargoIndexPath(p.name)}` },
  { format: "cargo", read: "crate", immutable: true, path: (p) => p.download },
  { format: "go", read: "@v/list", immutable: false, path: (p) => `${p.base}/example.com/${p.name}/@v/list` },
  { format: "go", read: "zip", immutable: true, path: (p) => p.download },
  { format: "generic", read: "file by path", immutable: false, path: (p) => p.download },
];

interface Fixture {
  token: string;
  adapter: FormatAdapter;
  private: { download: string; name: string; base: string };
  public: { download: string; name: string; base: string };
}

async function fixture(adapter: FormatAdapter): Promise<Fixture> {
  const { project, token } = await projectWithToken("writer");
  const publish = async (visibility: string) => {
    const repo = await createRepo(project.id, adapter.repoFormat, { visibility });
    const seed = unique(`rt${visibility}`).replace(/-/g, "");
    const published = await adapter.publish({ project: project.slug, repo: repo.slug }, token, seed);
    expect(adapter.published, await published.res.clone().text()).toContain(published.res.status);
    const prefix = adapter.name === "oci" ? "/v2" : `/${adapter.name}`;
    return { download: published.download, name: nameIn(seed), base: `${prefix}/${project.slug}/${repo.slug}` };
  };
  return { token, adapter, private: await publish("private"), public: await publish("public") };
}

interface Measurement {
  row: Row;
  warmToken: Calls;
  coldToken: Calls;
  coldAnonymous: Calls;
  warmAnonymous: Calls;
}

async function get(row: Row, path: string, auth: string | null): Promise<Calls> {
  const headers = new Headers(row.headers);
  if (auth) headers.set("Authorization", auth);
  const m = await measure(path, { headers });
  expect(m.res.status, `${row.format} ${row.read} ${path}: ${new TextDecoder().decode(m.body).slice(0, 300)}`).toBe(200);
  return m.calls;
}

async function measureRow(f: Fixture, row: Row): Promise<Measurement> {
  const auth = f.adapter.auth(f.token);
  clearAllCaches();
  const coldToken = await get(row, row.path(f.private), auth);
  const warmToken = await get(row, row.path(f.private), auth);
  clearAllCaches();
  const coldAnonymous = await get(row, row.path(f.public), null);
  const warmAnonymous = await get(row, row.path(f.public), null);
  return { row, warmToken, coldToken, coldAnonymous, warmAnonymous };
}

const fmt = (c: Calls) => `${c.d1}${c.r2 ? ` +${c.r2} R2` : ""}`;

function table(ms: Measurement[]): string {
  const lines = ["| read | warm, token | cold, token | cold, anonymous | warm, anonymous |", "| --- | --- | --- | --- | --- |"];
  for (const m of ms) {
    lines.push(`| ${m.row.format} ${m.row.read} | ${fmt(m.warmToken)} | ${fmt(m.coldToken)} | ${fmt(m.coldAnonymous)} | ${fmt(m.warmAnonymous)} |`);
  }
  return `D1 round trips per request (+ R2 operations):\n${lines.join("\n")}`;
}

const results: Measurement[] = [];

describe("storage round trips per read", () => {
  for (const adapter of ADAPTERS) {
    const rows = ROWS.filter((r) => r.format === adapter.name);
    it(`${adapter.name}: at most one D1 round trip per read, none for a warm read of immutable content`, async () => {
      const f = await fixture(adapter);
      for (const row of rows) {
        const m = await measureRow(f, row);
        results.push(m);
        for (const [what, c] of Object.entries({ warmToken: m.warmToken, coldToken: m.coldToken, coldAnonymous: m.coldAnonymous, warmAnonymous: m.warmAnonymous })) {
          expect(c.d1, `${row.format} ${row.read}, ${what}: D1 round trips`).toBeLessThanOrEqual(1);
        }
        if (row.immutable) {
          expect(m.warmToken, `${row.format} ${row.read}, warm with a token`).toMatchObject({ d1: 0, r2: 0 });
          expect(m.warmAnonymous, `${row.format} ${row.read}, warm anonymous`).toMatchObject({ d1: 0, r2: 0 });
        }
      }
    }, 60_000);
  }

  it("prints the table", () => {
    console.log(table(results));
    expect(results.length).toBe(ROWS.length);
  });
});
