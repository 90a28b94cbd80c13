/**
 * What every hot read costs in storage round trips (test/support/calls.ts), per format:
 * warm and cold, with a token and anonymously. The counts are pinned: any read costs at
 * most one D1 round trip; a warm download of an artifact (a blob, a tarball, wheel, jar,
 * crate, module zip, .deb, .rpm) exactly one and no R2 operation: the bytes come from a
 * cache, but the row with the policy columns (services/policy: blocks, licence refusals,
 * quarantine) is read from D1, unless the package document this isolate read within its
 * 2 s window holds them (an npm install's tarball right after its packument: none, pinned
 * below; services/artifacts reads.ts); a warm read of
 * immutable content no policy applies to (a by-hash index, a signing key) none at all.
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
  /** Immutable content: a warm read costs no R2 operation, and no D1 round trip unless it is an artifact. */
  immutable: boolean;
  /** A download a policy may refuse: its warm read still reads the policy columns (one D1 round trip). */
  artifact?: boolean;
  path: (published: Published) => string;
  /** For a path only a document names (a hash): reads that document first (not measured). */
  resolve?: (path: string, auth: string | null) => Promise<string>;
  headers?: Record<string, string>;
  method?: "HEAD";
  /** Not planned into the gate's batch (yet): cold, the gate's batch and then its own query. */
  unplanned?: true;
}

interface Published {
  download: string;
  name: string;
  base: string;
}

/** The text of a document the caller may read (not measured). */
async function textOf(path: string, auth: string | null): Promise<string> {
  const m = await measure(path, { headers: auth ? { Authorization: auth } : {} });
  expect(m.res.status, path).toBe(200);
  return new TextDecoder().decode(m.body);
}

/** apt's by-hash name of a file the Release lists (`SHA256:` section). */
const byHash = (file: string) => async (inRelease: string, auth: string | null) => {
  const text = await textOf(inRelease, auth);
  const sha = new RegExp(`^ ([a-f0-9]{64}) +\\d+ ${file.replace(/[.]/g, "\\.")}$`, "m").exec(text.slice(text.indexOf("SHA256:")))?.[1];
  expect(sha, `${file} in ${inRelease}`).toBeDefined();
  return inRelease.replace(/InRelease$/, `${file.replace(/Packages(\.gz)?$/, "")}by-hash/SHA256/${sha}`);
};

/** dnf's hashed name of a repodata file, from repomd.xml. */
const hashedRepodata = (type: string) => async (repomd: string, auth: string | null) => {
  const href = new RegExp(`href="(repodata/[a-f0-9]{64}-${type}\\.xml\\.gz)"`).exec(await textOf(repomd, auth))?.[1];
  expect(href, `${type} in ${repomd}`).toBeDefined();
  return repomd.replace(/repodata\/repomd\.xml$/, href!);
};

const nameIn = (seed: string) => `p${seed.replace(/[^a-z0-9]/g, "")}`.slice(0, 40);
const cargoIndexPath = (n: string) => (n.length <= 2 ? `${n.length}/${n}` : n.length === 3 ? `3/${n[0]}/${n}` : `${n.slice(0, 2)}/${n.slice(2, 4)}/${n}`);

const ROWS: Row[] = [
  { format: "oci", read: "manifest by tag", immutable: false, path: (p) => p.download.replace(/\/blobs\/.*/, "/manifests/v1"), headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } },
  { format: "oci", read: "blob", immutable: true, artifact: true, path: (p) => p.download },
  { format: "npm", read: "packument", immutable: false, path: (p) => `${p.base}/${p.name}` },
  { format: "npm", read: "tarball", immutable: true, artifact: true, path: (p) => p.download },
  { format: "pypi", read: "simple page", immutable: false, path: (p) => `${p.base}/simple/${p.name}/`, headers: { Accept: "application/vnd.pypi.simple.v1+json" } },
  { format: "pypi", read: "file", immutable: true, artifact: true, path: (p) => p.download },
  { format: "maven", read: "maven-metadata.xml", immutable: false, path: (p) => `${p.base}/com/example/${p.name}/maven-metadata.xml` },
  { format: "maven", read: "jar", immutable: true, artifact: true, path: (p) => p.download },
  { format: "cargo", read: "index file", immutable: false, path: (p) => `${p.base}/index/${cargoIndexPath(p.name)}` },
  { format: "cargo", read: "crate", immutable: true, artifact: true, path: (p) => p.download },
  { format: "go", read: "@v/list", immutable: false, path: (p) => `${p.base}/example.com/${p.name}/@v/list` },
  { format: "go", read: "zip", immutable: true, artifact: true, path: (p) => p.download },
  { format: "generic", read: "file by path", immutable: false, path: (p) => p.download },
  { format: "deb", read: "InRelease", immutable: false, path: (p) => `${p.base}/dists/bookworm/InRelease` },
  { format: "deb", read: "Packages (gunzipped)", immutable: false, path: (p) => `${p.base}/dists/bookworm/main/binary-amd64/Packages` },
  { format: "deb", read: "Packages.gz by hash", immutable: true, path: (p) => `${p.base}/dists/bookworm/InRelease`, resolve: byHash("main/binary-amd64/Packages.gz") },
  { format: "deb", read: "Packages by hash", immutable: true, path: (p) => `${p.base}/dists/bookworm/InRelease`, resolve: byHash("main/binary-amd64/Packages") },
  { format: "deb", read: "pool .deb", immutable: true, artifact: true, path: (p) => p.download },
  { format: "deb", read: "key.asc (never changes)", immutable: true, path: (p) => `${p.base}/key.asc` },
  { format: "rpm", read: "repomd.xml", immutable: false, path: (p) => `${p.base}/repodata/repomd.xml` },
  { format: "rpm", read: "primary.xml.gz (hashed)", immutable: true, path: (p) => `${p.base}/repodata/repomd.xml`, resolve: hashedRepodata("primary") },
  { format: "rpm", read: ".rpm", immutable: true, artifact: true, path: (p) => p.download },
  { format: "rpm", read: "repomd.xml.key (never changes)", immutable: true, path: (p) => `${p.base}/repodata/repomd.xml.key` },
  { format: "helm-classic", read: "index.yaml", immutable: false, path: (p) => `${p.base}/index.yaml` },
  { format: "helm-classic", read: "chart (?force may replace it)", immutable: false, path: (p) => p.download },
  // Formerly test/policy/pull-cost.test.ts (one table now): HEADs of every download, and
  // the metadata reads that table had. A HEAD passes the policy check like a GET.
  ...["oci", "npm", "pypi", "maven", "cargo", "go", "generic", "deb", "rpm", "helm-classic"].map(
    (format): Row => ({ format, read: "download HEAD", immutable: format !== "generic" && format !== "helm-classic", artifact: true, method: "HEAD", path: (p) => p.download }),
  ),
  { format: "oci", read: "manifest HEAD by tag", immutable: false, method: "HEAD", path: (p) => p.download.replace(/\/blobs\/.*/, "/manifests/v1"), headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } },
  { format: "oci", read: "tags/list", immutable: false, path: (p) => p.download.replace(/\/blobs\/.*/, "/tags/list") },
  { format: "oci", read: "tags/list?n=1&last=a (a page)", immutable: false, path: (p) => p.download.replace(/\/blobs\/.*/, "/tags/list?n=1&last=a") },
  { format: "npm", read: "abbreviated packument", immutable: false, path: (p) => `${p.base}/${p.name}`, headers: { Accept: "application/vnd.npm.install-v1+json" } },
  { format: "go", read: "@latest", immutable: false, path: (p) => `${p.base}/example.com/${p.name}/@latest` },
  { format: "go", read: ".info", immutable: false, path: (p) => `${p.base}/example.com/${p.name}/@v/v1.0.0.info` },
  { format: "go", read: ".mod", immutable: true, artifact: true, path: (p) => `${p.base}/example.com/${p.name}/@v/v1.0.0.mod` },
  // MCP catalogs read their catalog document through the repo indexes, with the repo's
  // restricted versions in the same batch (policy); a server.json is a download like any other.
  { format: "mcp", read: "server.json", immutable: true, artifact: true, path: (p) => p.download },
  { format: "mcp", read: "server.json HEAD", immutable: true, artifact: true, method: "HEAD", path: (p) => p.download },
  { format: "mcp", read: "v0.1/servers", immutable: false, path: (p) => `${p.base}/v0.1/servers` },
  { format: "mcp", read: "versions/latest", immutable: false, path: (p) => p.download.replace(/\/versions\/1\.0\.0\/server\.json$/, "/versions/latest") },
  { format: "mcp", read: "registry.json (ToolHive)", immutable: false, path: (p) => `${p.base}/registry.json` },
];

interface Fixture {
  token: string;
  adapter: FormatAdapter;
  private: Published;
  public: Published;
}

async function fixture(adapter: FormatAdapter): Promise<Fixture> {
  const { project, token } = await projectWithToken("writer");
  const publish = async (visibility: string) => {
    const repo = await createRepo(project.id, adapter.repoFormat, { visibility });
    const seed = unique(`rt${visibility}`).replace(/-/g, "");
    const published = await adapter.publish({ project: project.slug, repo: repo.slug }, token, seed);
    expect(adapter.published, await published.res.clone().text()).toContain(published.res.status);
    const prefix = adapter.name === "oci" ? "/v2" : adapter.name === "helm-classic" ? "/helm" : `/${adapter.name}`;
    const p = { download: published.download, name: nameIn(seed), base: `${prefix}/${project.slug}/${repo.slug}` };
    // The first read after a change builds the repo's generated index (a write on the
    // read path, once per change): measured apart, so the table's rows read a built one.
    const top = TOP_DOCUMENT[adapter.name];
    if (top) {
      const auth = visibility === "private" ? adapter.auth(token) : null;
      clearAllCaches();
      const m = await measure(`${p.base}/${top}`, { headers: auth ? { Authorization: auth } : {} });
      expect(m.res.status).toBe(200);
      builds.push({ format: adapter.name, document: top, visibility, calls: m.calls });
      // gate batch, current-index read, build read, store batch; deb and rpm also make the
      // repo's signing key on first use (read, insert, read back)
      expect(m.calls.d1, `${adapter.name}: building ${top}`).toBeLessThanOrEqual(adapter.name === "helm-classic" ? 3 : 6);
    }
    return p;
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
  const m = await measure(path, { headers, method: row.method ?? "GET" });
  expect(m.res.status, `${row.format} ${row.read} ${path}: ${new TextDecoder().decode(m.body).slice(0, 300)}`).toBe(200);
  return m.calls;
}

async function measureRow(f: Fixture, row: Row): Promise<Measurement> {
  const auth = f.adapter.auth(f.token);
  const path = async (p: Published, a: string | null) => (row.resolve ? row.resolve(row.path(p), a) : row.path(p));
  const privatePath = await path(f.private, auth);
  const publicPath = await path(f.public, null);
  clearAllCaches();
  const coldToken = await get(row, privatePath, auth);
  const warmToken = await get(row, privatePath, auth);
  clearAllCaches();
  const coldAnonymous = await get(row, publicPath, null);
  const warmAnonymous = await get(row, publicPath, null);
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
/** The top document of each format whose indexes are generated on read. */
const TOP_DOCUMENT: Record<string, string> = { deb: "dists/bookworm/InRelease", rpm: "repodata/repomd.xml", "helm-classic": "index.yaml", mcp: "v0.1/servers" };
const builds: { format: string; document: string; visibility: string; calls: Calls }[] = [];
const writes: string[] = [];
const npm = ADAPTERS.find((a) => a.name === "npm")!;

/** What `npm publish` sends for a small package. */
async function npmPublishBody(name: string) {
  const bytes = new TextEncoder().encode(`tarball of ${name} ${"x".repeat(300)}`);
  const b64 = btoa(String.fromCharCode(...bytes));
  const integrity = `sha512-${btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-512", bytes))))}`;
  return {
    _id: name,
    name,
    "dist-tags": { latest: "1.0.0" },
    versions: { "1.0.0": { name, version: "1.0.0", dist: { integrity } } },
    _attachments: { [`${name}-1.0.0.tgz`]: { content_type: "application/octet-stream", data: b64, length: bytes.length } },
  };
}

describe("storage round trips per read", () => {
  for (const adapter of ADAPTERS) {
    const rows = ROWS.filter((r) => r.format === adapter.name);
    it(`${adapter.name}: at most one D1 round trip per read; a warm artifact download exactly one (its policy columns), other immutable content none`, async () => {
      const f = await fixture(adapter);
      for (const row of rows) {
        const m = await measureRow(f, row);
        results.push(m);
        for (const [what, c] of Object.entries({ warmToken: m.warmToken, coldToken: m.coldToken, coldAnonymous: m.coldAnonymous, warmAnonymous: m.warmAnonymous })) {
          expect(c.d1, `${row.format} ${row.read}, ${what}: D1 round trips`).toBeLessThanOrEqual(row.unplanned && what.startsWith("cold") ? 2 : 1);
        }
        if (row.immutable) {
          const d1 = row.artifact ? 1 : 0;
          expect(m.warmToken, `${row.format} ${row.read}, warm with a token`).toMatchObject({ d1, r2: 0 });
          expect(m.warmAnonymous, `${row.format} ${row.read}, warm anonymous`).toMatchObject({ d1, r2: 0 });
        }
      }
    }, 60_000);
  }

  it("npm publish: one read batch, then one batch for the blob's link and one for the version", async () => {
    const f = await fixture(npm);
    const publish = async (seed: string) => {
      const name = nameIn(seed);
      const body = await npmPublishBody(name);
      return measure(`${f.private.base}/${name}`, { method: "PUT", headers: { Authorization: `Bearer ${f.token}`, "Content-Type": "application/json" }, body: JSON.stringify(body) });
    };
    clearAllCaches();
    const cold = await publish(unique("cold").replace(/-/g, ""));
    const warm = await publish(unique("warm").replace(/-/g, ""));
    expect(cold.res.status).toBe(201);
    expect(warm.res.status).toBe(201);
    writes.push(`| npm publish | ${fmt(warm.calls)} | ${fmt(cold.calls)} | – | – |`);
    // one read batch (package+version, the admission policies, the tarball's blob and its
    // link here: services/artifacts readForPublish), the blob's link batch (the GC-safe
    // recordBlob, docs/gc.md), the version's batch (+ the gate's batch when cold)
    expect(warm.calls.d1).toBe(3);
    expect(cold.calls.d1).toBe(4);
    // The same bytes again under a new version: the blob is linked already, so neither
    // an R2 write nor a link batch.
    const name = nameIn(unique("again").replace(/-/g, ""));
    const first = await npmPublishBody(name);
    expect((await measure(`${f.private.base}/${name}`, { method: "PUT", headers: { Authorization: `Bearer ${f.token}`, "Content-Type": "application/json" }, body: JSON.stringify(first) })).res.status).toBe(201);
    const again = structuredClone(first);
    again.versions = { "1.0.1": { ...first.versions["1.0.0"], version: "1.0.1" } } as unknown as typeof first.versions;
    again["dist-tags"] = { latest: "1.0.1" };
    again._attachments = { [`${name}-1.0.1.tgz`]: first._attachments[`${name}-1.0.0.tgz`]! };
    const same = await measure(`${f.private.base}/${name}`, { method: "PUT", headers: { Authorization: `Bearer ${f.token}`, "Content-Type": "application/json" }, body: JSON.stringify(again) });
    expect(same.res.status, new TextDecoder().decode(same.body)).toBe(201);
    writes.push(`| npm publish, bytes the repo has already | ${fmt(same.calls)} | – | – | – |`);
    expect(same.calls).toMatchObject({ d1: 2, r2: 0 });
  }, 60_000);

  it("prints the table", () => {
    const built = builds.map((b) => `| ${b.format} ${b.document}, first read after an upload (${b.visibility}) | ${fmt(b.calls)} |`);
    console.log(`${table(results)}\n${writes.join("\n")}\n\nBuilding a generated index (the first read after a change):\n| read | D1 round trips |\n| --- | --- |\n${built.join("\n")}`);
    expect(results.length).toBe(ROWS.length);
  });

  it("npm install: a tarball right after its packument costs no round trip (the document's 2 s window; bytes in memory)", async () => {
    const f = await fixture(npm);
    const auth = f.adapter.auth(f.token);
    const packument = () => measure(`${f.private.base}/${f.private.name}`, { headers: { Authorization: auth, Accept: "application/vnd.npm.install-v1+json" } });
    const tarball = () => measure(f.private.download, { headers: { Authorization: auth } });
    clearAllCaches();
    expect((await tarball()).calls.d1).toBe(1); // the bytes come into isolate memory
    expect((await packument()).res.status).toBe(200);
    const after = await tarball();
    expect(after.res.status).toBe(200);
    expect(after.calls).toMatchObject({ d1: 0, r2: 0 });
    writes.push(`| npm tarball right after its packument (an install) | ${fmt(after.calls)} | – | – | – |`);
  });
});
