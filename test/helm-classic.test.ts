/**
 * Classic Helm chart repositories (ChartMuseum's API): Chart.yaml parsing of packaged
 * charts, uploads (raw and multipart with provenance), overwrite rules, index.yaml as
 * Helm reads it (entries, digests, created times, URLs that resolve to the charts),
 * listings, deletes and concurrent uploads.
 */
import { describe, expect, it } from "vitest";
import { SELF } from "cloudflare:test";
import * as openpgp from "openpgp";
import { parse } from "yaml";
import { readChart } from "../src/formats/helm-classic/chart";
import { buildChart } from "./support/archives";
import { basic, createRepo, createServiceAccount, jsonOf, mintToken, projectWithToken } from "./helpers";

const BASE = "http://registry.test";
const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
const sha256 = async (b: Uint8Array) => hex(await crypto.subtle.digest("SHA-256", b));

async function chartRepo(extra: Record<string, unknown> = {}) {
  const { project, token } = await projectWithToken("writer");
  const repo = await createRepo(project.id, "helm-classic", extra);
  const root = `${BASE}/helm/${project.slug}/${repo.slug}/`;
  const call = (path: string, init: RequestInit = {}, auth: string | null = basic(token, "token")) => {
    const headers = new Headers(init.headers);
    if (auth) headers.set("Authorization", auth);
    return SELF.fetch(new URL(path, root), { ...init, headers });
  };
  const post = (bytes: Uint8Array, query = "", auth?: string) => call(`api/charts${query}`, { method: "POST", body: bytes, headers: { "Content-Type": "application/gzip" } }, auth);
  return { project, repo, token, root, call, post };
}

async function index(r: Awaited<ReturnType<typeof chartRepo>>) {
  const res = await r.call("index.yaml");
  expect(res.status).toBe(200);
  return parse(new TextDecoder().decode(await res.arrayBuffer())) as { apiVersion: string; generated: string; entries: Record<string, any[]> };
}

/** A provenance file as `helm package --sign` writes it, signed with `key`. */
async function provenance(chartYaml: string, file: string, digest: string, key: openpgp.PrivateKey) {
  const text = `${chartYaml}\n...\nfiles:\n  ${file}: sha256:${digest}\n`;
  return new TextEncoder().encode(await openpgp.sign({ message: await openpgp.createCleartextMessage({ text }), signingKeys: key }));
}

describe("helm-classic: charts", () => {
  it("reads Chart.yaml from a packaged chart and refuses charts Helm would", async () => {
    expect(await readChart(await buildChart({ name: "web", version: "1.2.3-rc.1+build.5" }))).toMatchObject({
      apiVersion: "v2",
      name: "web",
      version: "1.2.3-rc.1+build.5",
      appVersion: "1.16.0",
      keywords: ["test"],
      maintainers: [{ name: "Test", email: "test@example.com" }],
    });
    await expect(readChart(await buildChart({ name: "web", version: "1.0", chartYaml: "apiVersion: v2\nname: web\nversion: 1.0\n" }))).rejects.toThrow(/SemVer/);
    await expect(readChart(await buildChart({ name: "web", version: "1.0.0", chartYaml: "apiVersion: v3\nname: web\nversion: 1.0.0\n" }))).rejects.toThrow(/apiVersion/);
    await expect(readChart(await buildChart({ name: "web", version: "1.0.0", topDir: "other" }))).rejects.toThrow(/top directory/);
    await expect(readChart(await buildChart({ name: "web", version: "1.0.0", chartYaml: "apiVersion: v2\nname: [a\n" }))).rejects.toThrow(/not YAML/);
    await expect(readChart(new TextEncoder().encode("not gzip"))).rejects.toThrow(/gzip/);
  });
});

describe("helm-classic: the repository", () => {
  it("serves index.yaml in Helm's repository format, with URLs that fetch the stored charts", async () => {
    const r = await chartRepo();
    const charts = { "1.0.0": await buildChart({ name: "web", version: "1.0.0" }), "1.10.0": await buildChart({ name: "web", version: "1.10.0" }), "0.1.0": await buildChart({ name: "db", version: "0.1.0" }) };
    for (const bytes of Object.values(charts)) expect(await jsonOf(await r.post(bytes), 201)).toMatchObject({ saved: true });
    const idx = await index(r);
    expect(idx.apiVersion).toBe("v1");
    expect(new Date(idx.generated).toISOString()).toBe(idx.generated);
    expect(Object.keys(idx.entries)).toEqual(["db", "web"]);
    expect(idx.entries.web!.map((v) => v.version)).toEqual(["1.10.0", "1.0.0"]);
    for (const [version, bytes] of Object.entries(charts)) {
      const name = version === "0.1.0" ? "db" : "web";
      const entry = idx.entries[name]!.find((v) => v.version === version)!;
      expect(entry).toMatchObject({ apiVersion: "v2", name, version, type: "application", appVersion: "1.16.0", description: "A chart built by the test", digest: await sha256(bytes), urls: [`charts/${name}-${version}.tgz`] });
      expect(Date.parse(entry.created)).toBeGreaterThan(Date.now() - 600_000);
      const got = await r.call(new URL(entry.urls[0], `${r.root}index.yaml`).href);
      expect(got.headers.get("content-type")).toBe("application/gzip");
      expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
    }
  });

  it("refuses another archive for a stored version unless forced by someone who may delete", async () => {
    const r = await chartRepo();
    const one = await buildChart({ name: "app", version: "1.0.0", extra: "one" });
    const two = await buildChart({ name: "app", version: "1.0.0", extra: "two" });
    await jsonOf(await r.post(one), 201);
    await jsonOf(await r.post(one), 200);
    expect(await jsonOf(await r.post(two), 409)).toEqual({ error: expect.stringMatching(/already exists/) });
    const sa = await createServiceAccount(r.project.id, "writer");
    const writeOnly = await mintToken(r.project.id, sa.id, { scopes: ["read", "write"] });
    expect((await r.post(two, "?force", basic(writeOnly))).status).toBe(403);
    expect((await index(r)).entries.app![0].digest).toBe(await sha256(one));
    await jsonOf(await r.post(two, "?force"), 201);
    expect((await index(r)).entries.app![0].digest).toBe(await sha256(two));
    const bad = await r.post(new TextEncoder().encode("not a chart"));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: expect.stringMatching(/gzip/) });
  });

  it("stores a chart with its provenance in one upload, and refuses a provenance that vouches for other bytes", async () => {
    const r = await chartRepo();
    const { privateKey } = await openpgp.generateKey({ type: "ecc", curve: "ed25519Legacy", userIDs: [{ name: "chart signer" }], format: "object" });
    const chartYaml = "apiVersion: v2\nname: signed\nversion: 2.0.0\ndescription: signed chart\n";
    const chart = await buildChart({ name: "signed", version: "2.0.0", chartYaml });
    const form = new FormData();
    form.append("chart", new File([chart], "signed-2.0.0.tgz"));
    form.append("prov", new File([await provenance(chartYaml, "signed-2.0.0.tgz", await sha256(chart), privateKey)], "signed-2.0.0.tgz.prov"));
    await jsonOf(await r.call("api/charts", { method: "POST", body: form }), 201);
    const prov = await r.call("charts/signed-2.0.0.tgz.prov");
    expect(prov.status).toBe(200);
    expect(new TextDecoder().decode(await prov.arrayBuffer())).toContain("-----BEGIN PGP SIGNATURE-----");

    const other = await buildChart({ name: "signed", version: "2.1.0", chartYaml: chartYaml.replace("2.0.0", "2.1.0") });
    const lying = new FormData();
    lying.append("chart", new File([other], "signed-2.1.0.tgz"));
    lying.append("prov", new File([await provenance(chartYaml.replace("2.0.0", "2.1.0"), "signed-2.1.0.tgz", "0".repeat(64), privateKey)], "x.prov"));
    expect((await r.call("api/charts", { method: "POST", body: lying })).status).toBe(400);
    expect((await r.call("charts/signed-2.1.0.tgz")).status).toBe(404);
    expect(Object.keys((await index(r)).entries.signed!)).toHaveLength(1);
    // A provenance file may follow its chart: POST api/prov.
    await jsonOf(await r.post(other), 201);
    const late = await provenance(chartYaml.replace("2.0.0", "2.1.0"), "signed-2.1.0.tgz", await sha256(other), privateKey);
    await jsonOf(await r.call("api/prov", { method: "POST", body: late }), 201);
    expect((await r.call("charts/signed-2.1.0.tgz.prov")).status).toBe(200);
  });

  it("answers ChartMuseum's listings and deletes a version", async () => {
    const r = await chartRepo();
    await jsonOf(await r.post(await buildChart({ name: "svc", version: "1.0.0" })), 201);
    await jsonOf(await r.post(await buildChart({ name: "svc", version: "1.1.0" })), 201);
    expect(Object.keys(await jsonOf(await r.call("api/charts"), 200))).toEqual(["svc"]);
    expect((await jsonOf(await r.call("api/charts/svc"), 200)).map((v: any) => v.version)).toEqual(["1.1.0", "1.0.0"]);
    expect(await jsonOf(await r.call("api/charts/svc/1.0.0"), 200)).toMatchObject({ name: "svc", version: "1.0.0", urls: ["charts/svc-1.0.0.tgz"] });
    expect(await jsonOf(await r.call("api/charts/svc/9.9.9"), 404)).toEqual({ error: expect.any(String) });
    expect(await jsonOf(await r.call("api/charts/svc/1.0.0", { method: "DELETE" }), 200)).toEqual({ deleted: true });
    expect((await index(r)).entries.svc!.map((v) => v.version)).toEqual(["1.1.0"]);
    expect((await r.call("charts/svc-1.0.0.tgz")).status).toBe(404);
  });

  it("lists every chart of concurrent uploads", async () => {
    const r = await chartRepo();
    const names = Array.from({ length: 8 }, (_, i) => `conc${i}`);
    const charts = await Promise.all(names.map((n) => buildChart({ name: n, version: "1.0.0" })));
    await Promise.all(
      charts.map(async (c) => {
        const [up, read] = await Promise.all([r.post(c), r.call("index.yaml")]);
        expect(up.status).toBe(201);
        await read.body?.cancel();
      }),
    );
    expect(Object.keys((await index(r)).entries)).toEqual(names);
  });

  it("challenges anonymous helm with Basic on a private repo, in ChartMuseum's error format", async () => {
    const r = await chartRepo();
    const anon = await r.call("index.yaml", {}, null);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toMatch(/^Basic /);
    expect(await anon.json()).toEqual({ error: expect.any(String) });
  });
});
