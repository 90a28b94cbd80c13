/**
 * Debian repositories: control parsing of real packages (dpkg-deb's xz, zstd and
 * uncompressed control members, and gzip built here), upload rules, the generated and
 * signed dists/ tree checked against the served key, hashes, by-hash after the index
 * moved on, and concurrent uploads.
 */
import { describe, expect, it } from "vitest";
import * as openpgp from "openpgp";
import { readDebControl } from "../src/formats/deb/deb-file";
import { parseControl } from "../src/formats/deb/control";
import { bytesSource } from "../src/core/zip";
import { DEB_NONE, DEB_XZ, DEB_ZSTD, fromBase64 } from "./fixtures/os-packages";
import { buildDeb, gzipBytes, ar } from "./support/archives";
import { basic, createRepo, jsonOf, projectWithToken, req } from "./helpers";
import { SELF } from "cloudflare:test";

const BASE = "http://registry.test";
const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
const sha256 = async (b: Uint8Array) => hex(await crypto.subtle.digest("SHA-256", b));

async function debRepo(extra: Record<string, unknown> = {}) {
  const { project, token } = await projectWithToken("writer");
  const repo = await createRepo(project.id, "deb", extra);
  const base = `/deb/${project.slug}/${repo.slug}`;
  const call = (path: string, init: RequestInit = {}, auth: string | null = basic(token, "token")) => {
    const headers = new Headers(init.headers);
    if (auth) headers.set("Authorization", auth);
    return SELF.fetch(`${BASE}${base}/${path}`, { ...init, headers });
  };
  const upload = (bytes: Uint8Array, query = "") => call(`upload${query}`, { method: "PUT", body: bytes });
  return { project, repo, token, base, call, upload };
}

const text = async (res: Response, status = 200) => {
  const t = new TextDecoder().decode(await res.arrayBuffer());
  expect(res.status, t).toBe(status);
  return t;
};

/** Verifies a clear-signed InRelease with the repo's served key; returns the signed text. */
async function verifiedRelease(r: Awaited<ReturnType<typeof debRepo>>, dist = "bookworm") {
  const key = await openpgp.readKey({ armoredKey: await text(await r.call("key.asc")) });
  const signed = await openpgp.readCleartextMessage({ cleartextMessage: await text(await r.call(`dists/${dist}/InRelease`)) });
  const result = await openpgp.verify({ message: signed, verificationKeys: key, expectSigned: true });
  await result.signatures[0]!.verified;
  return result.data as string;
}

/** The SHA256 section of a Release file: path → [hash, size]. */
function sha256Section(release: string): Map<string, [string, number]> {
  const section = release.split("\nSHA256:\n")[1]!.split(/\n(?! )/)[0]!;
  return new Map(section.split("\n").filter(Boolean).map((l) => l.trim().split(/\s+/)).map(([h, s, p]) => [p!, [h!, Number(s)]]));
}

describe("deb: control files of real packages", () => {
  for (const [name, b64] of [["xz (Debian 12's dpkg-deb default)", DEB_XZ], ["zstd", DEB_ZSTD], ["uncompressed", DEB_NONE]] as const) {
    it(`reads a dpkg-deb package with a ${name} control member`, async () => {
      const control = await readDebControl(bytesSource(fromBase64(b64)));
      expect(control).toMatchObject({ package: "orb-fixture", version: "1:2.0~rc1-3", architecture: "amd64" });
      const description = control.fields.find((f) => f.name === "Description")!.value;
      expect(description).toBe("fixture package built by dpkg-deb\n It exists so the registry's control parser reads a real package.\n .\n Second paragraph.");
      expect(control.fields.map((f) => f.name)).toEqual(["Package", "Version", "Architecture", "Maintainer", "Installed-Size", "Depends", "Section", "Priority", "Homepage", "Description"]);
    });
  }

  it("reads a gzip control member (dpkg-deb -Zgzip)", async () => {
    const control = await readDebControl(bytesSource(await buildDeb({ name: "gz-pkg", version: "0.1", arch: "all" })));
    expect(control).toMatchObject({ package: "gz-pkg", version: "0.1", architecture: "all" });
  });

  it("refuses what is not a package, and control files that lie", async () => {
    await expect(readDebControl(bytesSource(new TextEncoder().encode("not an archive")))).rejects.toThrow(/ar archive/);
    const truncated = fromBase64(DEB_XZ).subarray(0, 200);
    await expect(readDebControl(bytesSource(truncated))).rejects.toThrow(/not valid|runs past/);
    const noControl = ar([{ name: "debian-binary", data: new TextEncoder().encode("2.0\n") }, { name: "data.tar.gz", data: await gzipBytes(new Uint8Array(1024)) }]);
    await expect(readDebControl(bytesSource(noControl))).rejects.toThrow(/second member/);
    expect(() => parseControl("Package: Bad_Name\nVersion: 1\nArchitecture: all\n")).toThrow(/package name/);
    expect(() => parseControl("Package: ok\nVersion: one\nArchitecture: all\n")).toThrow(/Debian version/);
    expect(() => parseControl("Package: ok\nVersion: 1\nArchitecture: amd64 arm64\n")).toThrow(/single architecture/);
    expect(() => parseControl("Package: ok\nVersion: 1\nArchitecture: all\nSHA256: 00\n")).toThrow(/set by the archive/);
  });
});

describe("deb: uploads", () => {
  it("stores a package under pool/ and answers what it parsed", async () => {
    const r = await debRepo();
    const bytes = fromBase64(DEB_XZ);
    const body = await jsonOf(await r.upload(bytes, "?distribution=trixie&component=contrib"), 201);
    expect(body).toEqual({
      package: "orb-fixture",
      version: "1:2.0~rc1-3",
      architecture: "amd64",
      distribution: "trixie",
      component: "contrib",
      filename: "pool/trixie/contrib/o/orb-fixture/orb-fixture_2.0~rc1-3_amd64.deb",
      size: bytes.length,
      sha256: await sha256(bytes),
    });
    const got = await r.call(body.filename);
    expect(got.headers.get("content-type")).toBe("application/vnd.debian.binary-package");
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
  });

  it("takes the same bytes again as a no-op, refuses other bytes for the same version, and a bad file keeps nothing", async () => {
    const r = await debRepo();
    const one = await buildDeb({ name: "same", version: "1.0", payload: "one" });
    await jsonOf(await r.upload(one), 201);
    await jsonOf(await r.upload(one), 200);
    const other = await buildDeb({ name: "same", version: "1.0", payload: "two" });
    expect((await r.upload(other)).status).toBe(409);
    expect((await r.upload(other, "?component=contrib")).status).toBe(409);
    // Another distribution may carry another build of the same version.
    await jsonOf(await r.upload(other, "?distribution=trixie"), 201);
    const bad = await r.upload(new TextEncoder().encode("!<arch>\nnonsense"));
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/not a Debian binary package|ar archive/);
    const usage = (await jsonOf(await req(`/api/v1/projects/${r.project.id}/quota`, { token: "test-admin-token" }), 200)).usage;
    expect(usage.blobs).toBe(2);
  });

  it("verifies a declared X-Checksum-Sha256 and refuses bad distribution names", async () => {
    const r = await debRepo();
    const bytes = await buildDeb({ name: "sum", version: "1" });
    expect((await r.call("upload", { method: "PUT", body: bytes, headers: { "X-Checksum-Sha256": "0".repeat(64) } })).status).toBe(400);
    expect((await r.upload(bytes, "?distribution=../etc")).status).toBe(400);
    await jsonOf(await r.call("sum_1_amd64.deb", { method: "PUT", body: bytes, headers: { "X-Checksum-Sha256": await sha256(bytes), "X-Deb-Component": "extra" } }), 201);
  });
});

describe("deb: the signed index", () => {
  it("serves InRelease signed by the served key, listing Packages files whose hashes match", async () => {
    const r = await debRepo();
    await jsonOf(await r.upload(await buildDeb({ name: "alpha", version: "1.0-1" })), 201);
    await jsonOf(await r.upload(await buildDeb({ name: "alpha", version: "1.1-1" })), 201);
    await jsonOf(await r.upload(await buildDeb({ name: "noarch", version: "3", arch: "all" })), 201);
    await jsonOf(await r.upload(await buildDeb({ name: "armonly", version: "2", arch: "riscv64" })), 201);
    const release = await verifiedRelease(r);
    expect(release).toMatch(/^Origin: OrbitalReg /m);
    expect(release).toMatch(/^Suite: bookworm$/m);
    expect(release).toMatch(/^Codename: bookworm$/m);
    expect(release).toMatch(/^Architectures: amd64 arm64 riscv64$/m);
    expect(release).toMatch(/^Components: main$/m);
    expect(release).toMatch(/^Acquire-By-Hash: yes$/m);
    const listed = sha256Section(release);
    expect([...listed.keys()].sort()).toEqual([
      "main/binary-amd64/Packages",
      "main/binary-amd64/Packages.gz",
      "main/binary-arm64/Packages",
      "main/binary-arm64/Packages.gz",
      "main/binary-riscv64/Packages",
      "main/binary-riscv64/Packages.gz",
    ]);
    for (const [path, [hash, size]] of listed) {
      const bytes = new Uint8Array(await (await r.call(`dists/bookworm/${path}`)).arrayBuffer());
      expect(bytes.length, path).toBe(size);
      expect(await sha256(bytes), path).toBe(hash);
      const byHash = await r.call(`dists/bookworm/${path.replace(/[^/]+$/, "")}by-hash/SHA256/${hash}`);
      expect(new Uint8Array(await byHash.arrayBuffer())).toEqual(bytes);
    }
    const amd64 = await text(await r.call("dists/bookworm/main/binary-amd64/Packages"));
    const stanzas = amd64.trim().split("\n\n");
    expect(stanzas.map((s) => s.match(/^Package: (.*)$/m)![1] + " " + s.match(/^Version: (.*)$/m)![1]).sort()).toEqual(["alpha 1.0-1", "alpha 1.1-1", "noarch 3"]);
    const alpha = stanzas.find((s) => s.includes("Version: 1.1-1"))!;
    expect(alpha).toMatch(/^Filename: pool\/bookworm\/main\/a\/alpha\/alpha_1.1-1_amd64.deb$/m);
    const deb = new Uint8Array(await (await r.call(alpha.match(/^Filename: (.*)$/m)![1]!)).arrayBuffer());
    expect(alpha).toContain(`\nSize: ${deb.length}\n`);
    expect(alpha).toContain(`\nSHA256: ${await sha256(deb)}`);
    expect(alpha).toContain(`\nMD5sum: ${hex(await crypto.subtle.digest("MD5", deb))}\n`);
    expect(alpha).toContain("Description: a test package\n Built inside the test.\n");
    const riscv = await text(await r.call("dists/bookworm/main/binary-riscv64/Packages"));
    expect(riscv).toMatch(/Package: armonly/);
    expect(riscv).toMatch(/Package: noarch/);
    // Release.gpg is a detached signature of Release, by the same key.
    const key = await openpgp.readKey({ armoredKey: await text(await r.call("key.asc")) });
    const releaseBytes = new Uint8Array(await (await r.call("dists/bookworm/Release")).arrayBuffer());
    const detached = await openpgp.readSignature({ armoredSignature: await text(await r.call("dists/bookworm/Release.gpg")) });
    const v = await openpgp.verify({ message: await openpgp.createMessage({ binary: releaseBytes }), signature: detached, verificationKeys: key });
    await v.signatures[0]!.verified;
    expect(new TextDecoder().decode(releaseBytes)).toBe(release.endsWith("\n") ? release : `${release}\n`);
  });

  it("does not verify with another repo's key, and serves the key in binary form too", async () => {
    const a = await debRepo();
    const b = await debRepo();
    await jsonOf(await a.upload(await buildDeb({ name: "kk", version: "1" })), 201);
    await jsonOf(await b.upload(await buildDeb({ name: "kk", version: "1" })), 201);
    const otherKey = await openpgp.readKey({ armoredKey: await text(await b.call("key.asc")) });
    const signed = await openpgp.readCleartextMessage({ cleartextMessage: await text(await a.call("dists/bookworm/InRelease")) });
    const result = await openpgp.verify({ message: signed, verificationKeys: otherKey });
    await expect(result.signatures[0]!.verified).rejects.toThrow();
    const binary = new Uint8Array(await (await a.call("key.gpg")).arrayBuffer());
    const fromBinary = await openpgp.readKey({ binaryKey: binary });
    const armored = await openpgp.readKey({ armoredKey: await text(await a.call("key.asc")) });
    expect(fromBinary.getFingerprint()).toBe(armored.getFingerprint());
    expect(armored.getAlgorithmInfo().algorithm).toBe("eddsaLegacy");
  });

  it("rebuilds after every change and keeps serving the previous build's files by hash", async () => {
    const r = await debRepo();
    await jsonOf(await r.upload(await buildDeb({ name: "first", version: "1" })), 201);
    const before = sha256Section(await verifiedRelease(r)).get("main/binary-amd64/Packages.gz")![0];
    await jsonOf(await r.upload(await buildDeb({ name: "second", version: "1" })), 201);
    const after = sha256Section(await verifiedRelease(r)).get("main/binary-amd64/Packages.gz")![0];
    expect(after).not.toBe(before);
    const old = await gunzipText(await r.call(`dists/bookworm/main/binary-amd64/by-hash/SHA256/${before}`));
    expect(old).toMatch(/Package: first/);
    expect(old).not.toMatch(/Package: second/);
    const current = await text(await r.call("dists/bookworm/main/binary-amd64/Packages"));
    expect(current).toMatch(/Package: second/);
    // Deleting a package is a change too.
    const filename = current.split("\n\n").find((s) => s.includes("Package: first"))!.match(/^Filename: (.*)$/m)![1]!;
    expect((await r.call(filename, { method: "DELETE" })).status).toBe(204);
    expect(await text(await r.call("dists/bookworm/main/binary-amd64/Packages"))).not.toMatch(/Package: first/);
    expect((await r.call(filename)).status).toBe(404);
  });

  it("lists every package of concurrent uploads, and concurrent readers agree on one build", async () => {
    const r = await debRepo();
    const names = Array.from({ length: 8 }, (_, i) => `conc${i}`);
    const debs = await Promise.all(names.map((n) => buildDeb({ name: n, version: "1.0" })));
    const reads: Promise<Response>[] = [];
    await Promise.all(
      debs.map(async (d) => {
        reads.push(r.call("dists/bookworm/InRelease"));
        expect((await r.upload(d)).status).toBe(201);
      }),
    );
    await Promise.all(reads.map(async (p) => (await p).body?.cancel()));
    const [a, b] = await Promise.all([verifiedRelease(r), verifiedRelease(r)]);
    expect(a).toBe(b);
    const [hash] = sha256Section(a).get("main/binary-amd64/Packages")!;
    const packages = await text(await r.call(`dists/bookworm/main/binary-amd64/by-hash/SHA256/${hash}`));
    expect(packages.match(/^Package: .*$/gm)!.map((l) => l.slice(9)).sort()).toEqual(names);
  });
});

describe("deb: access", () => {
  it("answers anonymous apt on a private repo with a Basic challenge and accepts Basic auth", async () => {
    const r = await debRepo();
    await jsonOf(await r.upload(await buildDeb({ name: "priv", version: "1" })), 201);
    const anon = await r.call("dists/bookworm/InRelease", {}, null);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toMatch(/^Basic /);
    await anon.body?.cancel();
    expect((await r.call("dists/bookworm/InRelease")).status).toBe(200);
  });

  it("serves a public repo's index and key without credentials", async () => {
    const r = await debRepo({ visibility: "public" });
    await jsonOf(await r.upload(await buildDeb({ name: "pub", version: "1" })), 201);
    expect((await r.call("dists/bookworm/InRelease", {}, null)).status).toBe(200);
    expect((await r.call("key.asc", {}, null)).status).toBe(200);
    expect((await r.call("dists/nosuch/InRelease", {}, null)).status).toBe(404);
  });
});

async function gunzipText(res: Response): Promise<string> {
  expect(res.status).toBe(200);
  return new Response(res.body!.pipeThrough(new DecompressionStream("gzip"))).text();
}
