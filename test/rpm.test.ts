/**
 * RPM repositories: header parsing of a real package (rpmbuild's, with epoch, deps,
 * config/dir/ghost files and a changelog), upload rules, the generated repodata/ with
 * checksums checked against the served files and a repomd.xml signature checked against
 * the served key, and concurrent uploads.
 */
import { describe, expect, it } from "vitest";
import { SELF } from "cloudflare:test";
import * as openpgp from "openpgp";
import { readRpm } from "../src/formats/rpm/header";
import { packageInfo } from "../src/formats/rpm/package-info";
import { bytesSource } from "../src/core/zip";
import { RPM, fromBase64 } from "./fixtures/os-packages";
import { buildRpm } from "./support/rpm-builder";
import { basic, createRepo, jsonOf, projectWithToken } from "./helpers";

const BASE = "http://registry.test";
const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
const sha256 = async (b: Uint8Array) => hex(await crypto.subtle.digest("SHA-256", b));
const gunzip = async (b: Uint8Array) => new Uint8Array(await new Response(new Blob([b]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());

async function rpmRepo(extra: Record<string, unknown> = {}) {
  const { project, token } = await projectWithToken("writer");
  const repo = await createRepo(project.id, "rpm", extra);
  const call = (path: string, init: RequestInit = {}, auth: string | null = basic(token, "token")) => {
    const headers = new Headers(init.headers);
    if (auth) headers.set("Authorization", auth);
    return SELF.fetch(`${BASE}/rpm/${project.slug}/${repo.slug}/${path}`, { ...init, headers });
  };
  const upload = (bytes: Uint8Array) => call("upload", { method: "PUT", body: bytes });
  return { project, repo, token, call, upload };
}

const textOf = async (res: Response) => new TextDecoder().decode(await res.arrayBuffer());
const bytesOf = async (res: Response) => {
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
};

/** repomd.xml verified against the served key, and each data file checked against it. */
async function repodata(r: Awaited<ReturnType<typeof rpmRepo>>) {
  const repomd = await bytesOf(await r.call("repodata/repomd.xml"));
  const key = await openpgp.readKey({ armoredKey: await textOf(await r.call("repodata/repomd.xml.key")) });
  const signature = await openpgp.readSignature({ armoredSignature: await textOf(await r.call("repodata/repomd.xml.asc")) });
  const verified = await openpgp.verify({ message: await openpgp.createMessage({ binary: repomd }), signature, verificationKeys: key });
  await verified.signatures[0]!.verified;
  const xml = new TextDecoder().decode(repomd);
  const docs: Record<string, string> = {};
  for (const m of xml.matchAll(/<data type="(\w+)">([\s\S]*?)<\/data>/g)) {
    const body = m[2]!;
    const field = (re: RegExp) => body.match(re)![1]!;
    const href = field(/<location href="([^"]+)"/);
    const gz = await bytesOf(await r.call(href));
    expect(await sha256(gz), href).toBe(field(/<checksum type="sha256">([a-f0-9]+)</));
    expect(gz.length).toBe(Number(field(/<size>(\d+)</)));
    const open = await gunzip(gz);
    expect(await sha256(open), href).toBe(field(/<open-checksum type="sha256">([a-f0-9]+)</));
    expect(open.length).toBe(Number(field(/<open-size>(\d+)</)));
    expect(href).toBe(`repodata/${field(/<checksum type="sha256">([a-f0-9]+)</)}-${m[1]}.xml.gz`);
    docs[m[1]!] = new TextDecoder().decode(open);
  }
  expect(Object.keys(docs).sort()).toEqual(["filelists", "other", "primary"]);
  return { repomd: xml, ...docs } as { repomd: string; primary: string; filelists: string; other: string };
}

describe("rpm: headers of real packages", () => {
  it("reads what rpmbuild wrote: NEVRA, deps with their flags, files, changelog, header range", async () => {
    const bytes = fromBase64(RPM);
    const info = packageInfo(await readRpm(bytesSource(bytes)));
    expect(info).toMatchObject({
      name: "orb-fixture",
      epoch: 1,
      version: "2.0",
      release: "3",
      arch: "x86_64",
      summary: "fixture package built by rpmbuild",
      license: "MIT",
      url: "https://example.com/orb-fixture",
      sourceRpm: "orb-fixture-2.0-3.src.rpm",
      buildHost: "fixture.example.com",
    });
    expect(info.description).toBe("It exists so the registry's header parser reads a real package.");
    expect(info.requires).toContainEqual({ name: "bash", flags: expect.any(Number), version: "5.0" });
    expect(info.requires.find((d) => d.name === "bash")!.flags & 0x0e).toBe(12);
    expect(info.provides).toContainEqual({ name: "orb-fixture-tools", flags: 8, version: "2.0" });
    expect(info.provides).toContainEqual({ name: "orb-fixture(x86-64)", flags: 8, version: "1:2.0-3" });
    expect(info.conflicts).toEqual([{ name: "orb-old", flags: 0, version: "" }]);
    expect(info.obsoletes).toEqual([{ name: "orb-ancient", flags: 2, version: "1.0" }]);
    expect(info.files).toEqual([
      { path: "/etc/orb/orb.conf", type: "file" },
      { path: "/usr/bin/orb-fixture", type: "file" },
      { path: "/usr/share/orb", type: "dir" },
      { path: "/usr/share/orb/cache", type: "ghost" },
      { path: "/usr/share/orb/data.txt", type: "file" },
    ]);
    expect(info.changelogs.map((c) => [c.author, c.text])).toEqual([
      ["Fixture Maker <fixtures@example.com> - 1:2.0-3", "- Third release."],
      ["Fixture Maker <fixtures@example.com> - 1:2.0-2", "- Second release."],
    ]);
    expect(info.headerStart % 8).toBe(0);
    expect(info.headerEnd).toBeGreaterThan(info.headerStart);
    expect(info.headerEnd).toBeLessThan(bytes.length);
  });

  it("refuses a header that does not match its recorded digest, and what is not an RPM", async () => {
    const bytes = fromBase64(RPM).slice();
    const info = packageInfo(await readRpm(bytesSource(bytes)));
    bytes[info.headerEnd - 3] = bytes[info.headerEnd - 3]! ^ 0x01;
    await expect(readRpm(bytesSource(bytes))).rejects.toThrow(/digest/);
    await expect(readRpm(bytesSource(new TextEncoder().encode("x".repeat(200))))).rejects.toThrow(/lead magic/);
    await expect(readRpm(bytesSource(fromBase64(RPM).subarray(0, 400)))).rejects.toThrow(/ends inside a header/);
  });
});

describe("rpm: uploads and repodata", () => {
  it("stores an rpmbuild package at its createrepo location and indexes it", async () => {
    const r = await rpmRepo();
    const bytes = fromBase64(RPM);
    const put = await jsonOf(await r.upload(bytes), 201);
    expect(put).toEqual({ name: "orb-fixture", version: "1:2.0-3", arch: "x86_64", location: "Packages/o/orb-fixture-2.0-3.x86_64.rpm", size: bytes.length, sha256: await sha256(bytes) });
    expect(await bytesOf(await r.call(put.location))).toEqual(bytes);
    const { repomd, primary, filelists, other } = await repodata(r);
    expect(repomd).toMatch(/<revision>\d+<\/revision>/);
    expect(primary).toContain('packages="1"');
    expect(primary).toContain('<version epoch="1" ver="2.0" rel="3"/>');
    expect(primary).toContain(`<checksum type="sha256" pkgid="YES">${put.sha256}</checksum>`);
    expect(primary).toContain(`<location href="Packages/o/orb-fixture-2.0-3.x86_64.rpm"/>`);
    expect(primary).toContain(`<size package="${bytes.length}"`);
    expect(primary).toContain('<rpm:entry name="bash" flags="GE" epoch="0" ver="5.0"/>');
    expect(primary).toContain('<rpm:entry name="orb-ancient" flags="LT" epoch="0" ver="1.0"/>');
    expect(primary).not.toContain("rpmlib(");
    expect(primary).toContain("<file>/etc/orb/orb.conf</file>");
    expect(primary).toContain("<file>/usr/bin/orb-fixture</file>");
    expect(primary).not.toContain("data.txt");
    expect(filelists).toContain('<file type="dir">/usr/share/orb</file>');
    expect(filelists).toContain('<file type="ghost">/usr/share/orb/cache</file>');
    expect(filelists).toContain("<file>/usr/share/orb/data.txt</file>");
    expect(other).toMatch(/<changelog author="Fixture Maker &lt;fixtures@example.com&gt; - 1:2.0-2" date="\d+">- Second release.<\/changelog>\n  <changelog author="[^"]+ - 1:2.0-3"/);
  });

  it("takes the same bytes again as a no-op, refuses other bytes for the same location, and keeps nothing of a bad file", async () => {
    const r = await rpmRepo();
    const one = await buildRpm({ name: "same", version: "1.0", payload: "one" });
    await jsonOf(await r.upload(one), 201);
    await jsonOf(await r.call("same-1.0-1.x86_64.rpm", { method: "PUT", body: one }), 200);
    const conflict = await r.upload(await buildRpm({ name: "same", version: "1.0", payload: "two" }));
    expect(conflict.status).toBe(409);
    // Another architecture of the same version is another file of that version.
    await jsonOf(await r.upload(await buildRpm({ name: "same", version: "1.0", arch: "aarch64" })), 201);
    const bad = await r.upload(new TextEncoder().encode("not an rpm at all, not at all, not at all ".repeat(5)));
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/not a valid RPM/);
    const quota = (await jsonOf(await SELF.fetch(`${BASE}/api/v1/projects/${r.project.id}/quota`, { headers: { Authorization: "Bearer test-admin-token" } }), 200)).usage;
    expect(quota.blobs).toBe(2);
    expect((await repodata(r)).primary.match(/<package type="rpm">/g)).toHaveLength(2);
  });

  it("rebuilds after uploads and deletes, serving the previous build's data files by name", async () => {
    const r = await rpmRepo();
    await jsonOf(await r.upload(await buildRpm({ name: "first", version: "1" })), 201);
    const before = await repodata(r);
    const oldPrimary = before.repomd.match(/<location href="(repodata\/[a-f0-9]+-primary\.xml\.gz)"/)![1]!;
    await jsonOf(await r.upload(await buildRpm({ name: "second", version: "1" })), 201);
    const after = await repodata(r);
    expect(after.primary).toContain("<name>second</name>");
    expect(new TextDecoder().decode(await gunzip(await bytesOf(await r.call(oldPrimary))))).not.toContain("<name>second</name>");
    expect((await r.call("Packages/f/first-1-1.x86_64.rpm", { method: "DELETE" })).status).toBe(204);
    expect((await repodata(r)).primary).not.toContain("<name>first</name>");
  });

  it("lists every package of concurrent uploads", async () => {
    const r = await rpmRepo();
    const names = Array.from({ length: 8 }, (_, i) => `conc${i}`);
    const rpms = await Promise.all(names.map((n) => buildRpm({ name: n, version: "1.0" })));
    await Promise.all(
      rpms.map(async (b) => {
        const [up, read] = await Promise.all([r.upload(b), r.call("repodata/repomd.xml")]);
        expect(up.status).toBe(201);
        await read.body?.cancel();
      }),
    );
    const { primary } = await repodata(r);
    expect([...primary.matchAll(/<name>(.*)<\/name>/g)].map((m) => m[1]).sort()).toEqual(names);
  });

  it("challenges anonymous dnf with Basic on a private repo", async () => {
    const r = await rpmRepo();
    const anon = await r.call("repodata/repomd.xml", {}, null);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toMatch(/^Basic /);
    await anon.body?.cancel();
  });
});
